"""Peak host RSS of a 64-frame clip in context windows (16 frames, overlap 4) vs a 16-frame clip in one window,
with a v2 motion module and per-frame PromptSchedule conditioning, sampling then VAE-decoding every frame.

Each clip runs in its own process so that its peak RSS is its own. The growth is compared with what the extra
frames' tensors account for: latents (noise, sample, the sampler's working copies, the fused window outputs),
decoded images and per-frame conditioning. Run: scripts/install.sh, then
$TEMPO_PYTHON -P bench/context_memory.py [--size 256] [--steps 1]
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -P leaves bench/ off sys.path
from context_common import peak_rss_mib, sample, setup

LENGTH, OVERLAP = 16, 4
LATENT_COPIES = 10  # noise, latent, x, denoised, cond/uncond outputs and fused sums, sampler history: generous


def measure(frames, size, steps):
    model, clip, vae = setup()
    from tempo.nodes.prompt_schedule import PromptSchedule

    positive, negative, _ = PromptSchedule().encode(
        clip, f'"0": "a paper boat on a pond", "{frames - 1}": "a paper boat in the rain"', frames, "linear",
        negative="blurry")
    after_setup = peak_rss_mib()
    reset_peak()
    windows = dict(context_length=LENGTH, context_overlap=OVERLAP)
    latent = sample(model, positive, negative, frames, size, steps, windows)
    sampling = peak_rss_mib()
    reset_peak()
    images = vae.decode(latent)
    decoding = peak_rss_mib()
    print(json.dumps({"frames": frames, "setup_rss_mib": after_setup, "sampling_rss_mib": sampling,
                      "decode_rss_mib": decoding, "images_shape": list(images.shape)}))


def reset_peak():
    """Resets this process's VmHWM to its current RSS (Linux: clear_refs 5), so each phase's peak is its own."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=1)
    parser.add_argument("--frames", type=int)
    args = parser.parse_args()
    if args.frames:
        return measure(args.frames, args.size, args.steps)
    results = {}
    for frames in (16, 64):
        out = subprocess.run([sys.executable, "-P", __file__, "--frames", str(frames), "--size", str(args.size),
                              "--steps", str(args.steps)], check=True, capture_output=True, text=True).stdout
        results[frames] = json.loads(out.strip().splitlines()[-1])
    short, long = results[16], results[64]
    extra = 64 - 16
    latent_mib = extra * 4 * (args.size // 8) ** 2 * 4 / 2 ** 20
    image_mib = extra * args.size * args.size * 3 * 4 / 2 ** 20
    cond_mib = extra * 2 * 77 * 768 * 4 / 2 ** 20  # positive and negative, one row per frame
    accounted = LATENT_COPIES * latent_mib + cond_mib
    print(f"fixture SD1.5 + v2 motion module, {args.size}x{args.size}, {args.steps} step(s), CPU; windows of "
          f"{LENGTH} frames, overlap {OVERLAP}; PromptSchedule conditioning; each clip in its own process")
    for r in (short, long):
        print(f"  {r['frames']:>3} frames: after loading models and encoding prompts {r['setup_rss_mib']:.0f} MiB; "
              f"peak while sampling {r['sampling_rss_mib']:.0f} MiB; peak while VAE-decoding "
              f"{r['decode_rss_mib']:.0f} MiB")
    growth = long["sampling_rss_mib"] - short["sampling_rss_mib"]
    print(f"sampling peak RSS, 64 vs 16 frames: {long['sampling_rss_mib'] / short['sampling_rss_mib']:.3f}x, "
          f"growth {growth:.0f} MiB; the 48 extra frames' latents ({LATENT_COPIES} copies, "
          f"{LATENT_COPIES * latent_mib:.1f} MiB) and per-frame conditioning ({cond_mib:.1f} MiB) account for "
          f"{accounted:.1f} MiB")
    decode_growth = long["decode_rss_mib"] - short["decode_rss_mib"]
    print(f"VAE decode (the host's VAEDecode path) peak, 64 vs 16 frames: "
          f"{long['decode_rss_mib'] / short['decode_rss_mib']:.3f}x, growth {decode_growth:.0f} MiB "
          f"(output images {image_mib:.0f} MiB; the rest is the host VAE decoding all frames in one batch)")

if __name__ == "__main__":
    main()
