"""Peak memory of the interpolation driver against the size of what it returns.

    $TEMPO_PYTHON bench/film_memory.py [--frames 64] [--size 512]

Each case runs in a fresh process: the input clip is rendered into one preallocated tensor, a tiny warm-up
loads the libraries, then the peak resident set size (ru_maxrss) is read before and after interpolating.
The growth is compared with the output tensor; the goal is at most about 2x. Cases: the flow method on the
whole clip at x2, and FILM with the real config (random weights) on the whole clip at x2 (several minutes on a
CPU). A short clip would understate FILM's peak twice over: the allocator's heap grows over the first pairs
before it settles, and the output's pages become resident only as frames are written, so the peak comes at the
last pairs.
"""
import argparse
import os
import resource
import subprocess
import sys
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.dirname(os.path.abspath(__file__)), os.path.join(ROOT, "tests", "fixtures")]


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def measure(method_name, frames, size, multiplier):
    import film_scene

    from interp import interpolate, load_film

    torch.set_num_threads(min(2, os.cpu_count() or 1))
    method = method_name
    if method_name == "film":
        import film_files

        method = load_film(film_files.cached_film_file("v1.0.2", "real"))
    canvas = film_scene.background(size, size)
    clip = torch.empty(frames, size, size, 3)
    for index in range(frames):
        clip[index] = torch.from_numpy(film_scene.render(float(index), size, size, canvas))
    interpolate(clip[:2, :64, :64], method, 2)
    before = peak_mb()
    start = time.perf_counter()
    out = interpolate(clip, method, multiplier)
    seconds = time.perf_counter() - start
    output = out.numel() * out.element_size() / 2 ** 20
    growth = peak_mb() - before
    print(f"  {method_name:5s} {frames} frames {size}x{size} x{multiplier}: output {output:.0f} MB, peak RSS grew "
          f"{growth:.0f} MB = {growth / output:.2f}x the output, {growth - output:.0f} MB beyond it "
          f"({seconds:.0f} s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=64)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--case", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        method, frames, size, multiplier = args.case
        measure(method, int(frames), int(size), int(multiplier))
        return
    print("peak memory of interpolate()")
    for case in (("flow", args.frames, args.size, 2), ("film", args.frames, args.size, 2)):
        subprocess.run([sys.executable, __file__, "--case", *map(str, case)], check=True)


if __name__ == "__main__":
    main()
