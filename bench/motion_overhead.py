"""Motion overhead: seconds per sampling step with a v2 motion module on 16 frames / without it on a batch of 16
images, on the fixture SD1.5 checkpoint at 256x256, and the peak RSS of each, all measured in one run.

Each mode runs in its own process so that its peak RSS is its own. Run: scripts/install.sh, then
$TEMPO_PYTHON -P bench/motion_overhead.py [--size 256] [--steps 3]
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(os.path.dirname(HERE), "tests")


def peak_rss_mib():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024


def measure(mode, size, steps, frames):
    sys.path[:0] = [os.path.join(TESTS, "harness"), os.path.join(TESTS, "fixtures")]
    import comfy_host

    comfy_host.prepare()
    comfy_host.import_pack()
    import comfy.sample
    import comfy.sd
    import models
    import torch
    from tempo.nodes.motion_model import LoadMotionModule

    model, clip, _, _ = comfy.sd.load_checkpoint_guess_config(models.checkpoint_path())
    if mode == "motion":
        os.environ.setdefault("TEMPO_HOME", os.path.expanduser("~/.cache/tempo"))
        import folder_paths

        folder_paths.folder_names_and_paths["animatediff_models"] = (
            [os.path.dirname(models.motion_path("mm_sd_v15_v2.ckpt"))], {".ckpt"})
        name = os.path.basename(models.motion_path("mm_sd_v15_v2.ckpt"))
        model = LoadMotionModule().load(model, name, 1.0, 1.0, "auto")["result"][0]
    positive = clip.encode_from_tokens_scheduled(clip.tokenize("a boat"))
    negative = clip.encode_from_tokens_scheduled(clip.tokenize(""))
    latent = torch.zeros(frames, 4, size // 8, size // 8)
    noise = comfy.sample.prepare_noise(latent, 0)

    def run(n):
        start = time.perf_counter()
        comfy.sample.sample(model, noise, n, 7.0, "euler", "normal", positive, negative, latent, seed=0,
                            disable_pbar=True)
        return time.perf_counter() - start

    run(1)  # loads the model and warms the kernels
    # A run of n+1 steps minus a run of 1 step leaves n steps' worth, without the per-run setup.
    per_step = (run(steps + 1) - run(1)) / steps
    print(json.dumps({"mode": mode, "seconds_per_step": per_step, "peak_rss_mib": peak_rss_mib()}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--mode")
    args = parser.parse_args()
    if args.mode:
        return measure(args.mode, args.size, args.steps, args.frames)
    results = {}
    for mode in ("plain", "motion"):
        out = subprocess.run([sys.executable, "-P", __file__, "--mode", mode, "--size", str(args.size),
                              "--steps", str(args.steps), "--frames", str(args.frames)],
                             check=True, capture_output=True, text=True).stdout
        results[mode] = json.loads(out.strip().splitlines()[-1])
    plain, motion = results["plain"], results["motion"]
    print(f"{args.frames} frames at {args.size}x{args.size}, fixture SD1.5 (320 channels every level), CPU")
    for r in (plain, motion):
        print(f"  {r['mode']:>6}: {r['seconds_per_step']:.2f} s/step, peak RSS {r['peak_rss_mib']:.0f} MiB")
    print(f"motion overhead: {motion['seconds_per_step'] / plain['seconds_per_step']:.2f}x time per step, "
          f"{motion['peak_rss_mib'] / plain['peak_rss_mib']:.2f}x peak RSS")


if __name__ == "__main__":
    main()
