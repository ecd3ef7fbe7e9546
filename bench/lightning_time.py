"""The AnimateDiff-Lightning example against the txt2vid example, as users queue them over HTTP: each with its own
sampling settings (Lightning: 4 steps, cfg 1; txt2vid: 20 steps, cfg 7.5), the same 16 frames at the same size,
on the fixture models, all measured in this one run.

    $TEMPO_PYTHON -P bench/lightning_time.py [--size 64] [--repeats 1]

Prints the best wall and server CPU seconds of each (runs alternate, txt2vid first; each example's first run
also loads its motion model, a second or two of the fixtures') and their ratio. The fixture UNet is small, so the ratio is the sampling cost's: model
calls per clip (20 steps x 2 with cfg > 1 against 4 x 1), plus the VAE and the video that both pay.
"""
import argparse
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "harness"))
import comfy_server  # noqa: E402
import models  # noqa: E402
from example_runs import load_example  # noqa: E402
from workflow import to_api  # noqa: E402

EXAMPLES = ("txt2vid", "lightning_4step")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    base = tempfile.mkdtemp(prefix="tempo-lightning-bench-")
    comfy = comfy_server.start(base, models.populate_examples(os.path.join(base, "models"), sdxl=False),
                               os.path.join(base, "comfyui.log"))
    try:
        info = comfy.get_json("/object_info")
        runs = {name: [] for name in EXAMPLES}
        for repeat in range(args.repeats):
            for name in EXAMPLES if repeat % 2 == 0 else EXAMPLES[::-1]:
                prompt = to_api(load_example(name), info)
                for node in prompt.values():
                    if node["class_type"] == "EmptyLatentImage":
                        node["inputs"].update(width=args.size, height=args.size)
                    if "seed" in node["inputs"]:
                        node["inputs"]["seed"] = repeat  # nothing from the cache but the loaded models
                start, cpu = time.monotonic(), cpu_seconds(comfy.process.pid)
                entry = comfy.run(prompt, timeout=3600)
                assert entry["status"]["status_str"] == "success", comfy.tail()
                runs[name].append((time.monotonic() - start, cpu_seconds(comfy.process.pid) - cpu))
    finally:
        comfy.stop()
    best = {name: (min(w for w, _ in r), min(c for _, c in r)) for name, r in runs.items()}
    print(f"16 frames at {args.size}x{args.size} on the fixture models, load average {os.getloadavg()[0]:.1f}")
    for name, (wall, cpu) in best.items():
        print(f"  {name:16s} {wall:.1f} s wall, {cpu:.1f} s server CPU")
    (tw, tc), (lw, lc) = best["txt2vid"], best["lightning_4step"]
    print(f"  lightning_4step takes {lw / tw:.2f}x the time of txt2vid ({lc / tc:.2f}x the CPU time)")


if __name__ == "__main__":
    main()
