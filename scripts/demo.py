"""Starts ComfyUI with Tempo, queues the txt2vid example over HTTP, and reports where the video went.

TEMPO_MODELS=/path/to/ComfyUI/models runs it on real files; without it, seeded random fixture models in the
released layouts stand in (the video is then noise in motion, which is all random weights can give).
"""
import json
import os
import sys
import tempfile
import time

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(CHECKOUT, "tests", "harness"))
import models  # noqa: E402
import comfy_server  # noqa: E402
from workflow import to_api  # noqa: E402

EXAMPLE = os.path.join(CHECKOUT, "example_workflows", "txt2vid.json")
# Random fixture weights at the example's 512x512 would take many minutes on a CPU and show nothing more.
FIXTURE_OVERRIDES = {"EmptyLatentImage": {"width": 128, "height": 128}, "KSampler": {"steps": 6}}


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def output_files(entry, output_dir):
    for output in entry["outputs"].values():
        for kind in ("gifs", "videos", "images"):
            for item in output.get(kind, []):
                yield os.path.join(output_dir, item["subfolder"], item["filename"])


def main():
    real = os.environ.get("TEMPO_MODELS")
    home = os.environ["TEMPO_HOME"]
    if real:
        models_dir = real
        print(f"Using your models in {real}")
    else:
        models_dir = models.populate(os.path.join(home, "demo-models"))
        print("No TEMPO_MODELS given: using generated fixture models (seeded random weights in the real\n"
              f"layouts, in {models_dir}), at 128x128 and 6 steps. Expect moving noise, not a picture.")
    output_dir = os.path.join(CHECKOUT, "out")
    os.makedirs(output_dir, exist_ok=True)
    base = tempfile.mkdtemp(prefix="tempo-demo-")
    start = time.time()
    comfy = comfy_server.start(base, models_dir, os.path.join(base, "comfyui.log"), ["--output-directory", output_dir])
    try:
        with open(EXAMPLE) as f:
            prompt = to_api(json.load(f), comfy.get_json("/object_info"))
        if not real:
            for node in prompt.values():
                node["inputs"].update(FIXTURE_OVERRIDES.get(node["class_type"], {}))
        entry = comfy.run(prompt, timeout=3600)
        error = comfy_server.execution_error(entry)
        if error:
            sys.exit(f"The workflow failed in {error['node_type']}: {error['exception_message']}")
        files = list(output_files(entry, output_dir))
        peak = peak_rss_mib(comfy.process.pid)
    finally:
        comfy.stop()
    for path in files:
        print(f"Wrote {path}")
    print(f"Wall time {time.time() - start:.1f} s (server start, model load and sampling); "
          f"ComfyUI peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
