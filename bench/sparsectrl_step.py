"""CPU time and peak memory a SparseCtrl RGB adds per sampling step next to a plain ControlNet, both sized for the
fixture SD1.5 UNet (320 channels), applied with the stock ControlNetApplyAdvanced to the same clip with the v2
fixture motion model; also the VAE encodes the windowed RGB hint costs.

Each variant (no control, ControlNet with a hint on every frame, SparseCtrl with keyframes on the first and last
frame) samples in its own process, so its peak RSS is its own; the added time and memory are the variant's minus
the no-control run's. Run: scripts/install.sh, then
$TEMPO_PYTHON -P bench/sparsectrl_step.py [--frames 16] [--size 128] [--steps 3] [--context 0]
(--context N: windows of N frames, overlap N // 4; 0: one window).
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -P leaves bench/ off sys.path
from context_common import peak_rss_mib, sample, setup

VARIANTS = ("none", "controlnet", "sparsectrl")


def reset_peak():
    """VmHWM back to the current RSS, which it returns (MiB): the sampling peak is its own."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024


def conditioning(variant, clip, vae, frames, size):
    import comfy.controlnet
    import models
    import nodes as comfy_nodes
    import torch
    from tempo.nodes.sparse_control import load_sparsectrl
    from tempo.nodes.sparsectrl import SparseKeyframes

    positive = comfy_nodes.CLIPTextEncode().encode(clip, "a paper boat on a pond")[0]
    negative = comfy_nodes.CLIPTextEncode().encode(clip, "blurry")[0]
    images = torch.rand(frames, size, size, 3, generator=torch.Generator().manual_seed(0))
    if variant == "none":
        return positive, negative
    if variant == "controlnet":
        control = comfy.controlnet.load_controlnet(models.controlnet_path())
    else:
        control, _ = load_sparsectrl(models.sparsectrl_rgb_path())
        control, images, _ = SparseKeyframes().place(control, images[[0, -1]], "0, -1", frames)
    return comfy_nodes.ControlNetApplyAdvanced().apply_controlnet(positive, negative, control, images, 1.0, 0.0,
                                                                  1.0, vae=vae)


def measure(variant, frames, size, steps, context):
    model, clip, vae = setup()
    positive, negative = conditioning(variant, clip, vae, frames, size)
    encodes = []
    encode = vae.encode
    vae.encode = lambda pixels: encodes.append(pixels.shape[0]) or encode(pixels)
    windows = dict(context_length=context, context_overlap=context // 4) if context else None
    sample(model, positive, negative, frames, size, 1, windows)  # warm-up: lazy loads, allocator growth
    encodes.clear()
    before = reset_peak()
    # CPU time of this process, not wall time: the machine is shared, and other load stretches wall time unevenly
    start = time.process_time()
    sample(model, positive, negative, frames, size, steps, windows)
    seconds = time.process_time() - start
    print(json.dumps({"variant": variant, "step_s": seconds / steps, "added_peak_mib": peak_rss_mib() - before,
                      "vae_encodes": len(encodes), "frames_encoded": sum(encodes)}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--context", type=int, default=0)
    parser.add_argument("--variant", choices=VARIANTS)
    args = parser.parse_args()
    settings = [str(v) for v in ("--frames", args.frames, "--size", args.size, "--steps", args.steps,
                                 "--context", args.context)]
    if args.variant:
        return measure(args.variant, args.frames, args.size, args.steps, args.context)
    r = {}
    for variant in VARIANTS:
        out = subprocess.run([sys.executable, "-P", __file__, "--variant", variant, *settings], check=True,
                             capture_output=True, text=True).stdout
        r[variant] = json.loads(out.strip().splitlines()[-1])
    print(f"fixture SD1.5 (320 channels) + v2 motion model, {args.frames} frames at {args.size}x{args.size}, "
          f"{args.steps} euler steps at cfg 7, " + (f"windows of {args.context}" if args.context else "one window")
          + ", CPU; each variant in its own process")
    for variant in VARIANTS:
        v = r[variant]
        print(f"  {variant:>10}: {v['step_s']:.2f} CPU s/step, sampling peak RSS +{v['added_peak_mib']:.0f} MiB, "
              f"{v['vae_encodes']} VAE encodes of {v['frames_encoded']} frames in {args.steps} steps")
    added = {variant: (r[variant]["step_s"] - r["none"]["step_s"],
                       r[variant]["added_peak_mib"] - r["none"]["added_peak_mib"]) for variant in VARIANTS[1:]}
    for variant, (seconds, mib) in added.items():
        print(f"  {variant} adds {seconds:.2f} CPU s/step ({seconds / r['none']['step_s']:.2f}x the UNet step) and "
              f"{mib:.0f} MiB peak")
    (cn_s, cn_mib), (sc_s, sc_mib) = added["controlnet"], added["sparsectrl"]
    print(f"SparseCtrl / ControlNet per step: time {sc_s / cn_s:.2f}x, added peak memory "
          f"{sc_mib / cn_mib if cn_mib else float('nan'):.2f}x")


if __name__ == "__main__":
    main()
