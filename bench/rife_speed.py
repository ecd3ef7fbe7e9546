"""RIFE against FILM at 512×512 on the CPU: the same clip through the same driver, real-size seeded random weights
(RIFE 4.7, the layout of rife47.pth/rife49.pth; FILM in ComfyUI core's film_net_fp16.safetensors layout).

    $TEMPO_PYTHON bench/rife_speed.py [--size 512] [--frames 3] [--repeats 2]

Prints in-between frames per second of each at ×2 (best of the repeats, interleaved so both see the same machine
load), the CPU seconds per frame, and their ratio, measured in this one run. Random weights make the flows
meaningless, not the cost: every conv runs at its real width.
"""
import argparse
import os
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests", "fixtures"), os.path.join(ROOT, "bench")]
import film_files  # noqa: E402
import rife_files  # noqa: E402
from film_speed import timed  # noqa: E402

from interp import RifeMethod, interpolate, load_film, load_rife  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--frames", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    clip = torch.rand(args.frames, args.size, args.size, 3, generator=torch.Generator().manual_seed(0))
    made = args.frames - 1
    methods = {"RIFE 4.7": RifeMethod(load_rife(rife_files.cached_rife_file("4.7", "real"))),
               "FILM": load_film(film_files.cached_film_file("comfy", "real"))}
    interpolate(clip[:2, ::4, ::4], methods["RIFE 4.7"], 2)  # first calls pay for allocator growth
    runs = {name: [] for name in methods}
    for repeat in range(args.repeats):
        for name in methods if repeat % 2 == 0 else list(methods)[::-1]:
            runs[name].append(timed(lambda: interpolate(clip, methods[name], 2)))
    best = {name: (min(w for w, _ in r), min(c for _, c in r)) for name, r in runs.items()}
    print(f"x2 on {args.frames} frames of {args.size}x{args.size}, {torch.get_num_threads()} threads, "
          f"load average {os.getloadavg()[0]:.1f}")
    for name, (wall, cpu) in best.items():
        print(f"  {name:9s} {made / wall:.3f} frames/s, {cpu / made:.2f} CPU s per frame")
    (rife_wall, rife_cpu), (film_wall, film_cpu) = best["RIFE 4.7"], best["FILM"]
    print(f"  RIFE / FILM: {film_wall / rife_wall:.1f}x the frames/s, {film_cpu / rife_cpu:.1f}x less CPU time")


if __name__ == "__main__":
    main()
