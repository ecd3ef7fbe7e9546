"""Interpolation quality of the weightless methods on a moving scene with a known answer.

    $TEMPO_PYTHON bench/film_quality.py [--size 512] [--frames 9]

bench/film_scene.py renders the scene (panning texture, moving and turning shapes and text) at m times the
rate; every m-th frame is kept, the method makes the m - 1 frames between each kept pair, and those are
compared with the dropped ones: PSNR (dB) and SSIM (Gaussian window, sigma 1.5, averaged over RGB), mean over
all made frames. FILM with random weights would measure nothing, so it is left out. The flow method must beat
crossfade by at least 3 dB; the script exits non-zero if it does not.
"""
import argparse
import os
import sys
import time

import cv2
import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.dirname(os.path.abspath(__file__))]
import film_scene  # noqa: E402

from interp import EXACT, MIDPOINTS, interpolate  # noqa: E402


def psnr(made, truth):
    return 10 * np.log10(1 / np.mean((made - truth) ** 2))


def ssim(made, truth, c1=0.01 ** 2, c2=0.03 ** 2):
    """Wang et al. 2004 on [0, 1] images: local means, variances and covariance under a Gaussian window."""
    def blur(x):
        return cv2.GaussianBlur(x, (11, 11), 1.5)
    mu_x, mu_y = blur(made), blur(truth)
    var_x, var_y = blur(made * made) - mu_x ** 2, blur(truth * truth) - mu_y ** 2
    cov = blur(made * truth) - mu_x * mu_y
    return np.mean((2 * mu_x * mu_y + c1) * (2 * cov + c2) / ((mu_x ** 2 + mu_y ** 2 + c1) * (var_x + var_y + c2)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--frames", type=int, default=9, help="kept frames (the input clip)")
    args = parser.parse_args()
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    print(f"moving scene {args.size}x{args.size}, {args.frames} kept frames")
    flow_margin = None
    for multiplier, mode in ((2, EXACT), (4, EXACT), (4, MIDPOINTS)):
        clip = film_scene.clip((args.frames - 1) * multiplier + 1, args.size, args.size)
        kept = torch.from_numpy(clip[::multiplier])
        dropped = [k for k in range(len(clip)) if k % multiplier]
        scores = {}
        for method in ("flow", "crossfade"):
            start = time.perf_counter()
            made = interpolate(kept, method, multiplier, mode=mode).numpy()
            seconds = time.perf_counter() - start
            scores[method] = np.mean([psnr(made[k], clip[k]) for k in dropped])
            print(f"  x{multiplier} {mode:9s} {method:9s}  PSNR {scores[method]:6.2f} dB  "
                  f"SSIM {np.mean([ssim(made[k], clip[k]) for k in dropped]):.4f}  ({seconds:.1f} s)")
        margin = scores["flow"] - scores["crossfade"]
        flow_margin = margin if flow_margin is None else min(flow_margin, margin)
    print(f"flow beats crossfade by at least {flow_margin:.2f} dB (required: 3)")
    sys.exit(0 if flow_margin >= 3 else 1)


if __name__ == "__main__":
    main()
