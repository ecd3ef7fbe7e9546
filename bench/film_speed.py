"""FILM speed at 512×512, real config: the native module against the TorchScript file's own forward, on the same
seeded random weights (tests/fixtures/film_files.py writes the file in the v1.0.2 layout). Running that forward
takes torch.jit.load, which runs the archive's code: film_files.run_own_file does it, on this file we wrote; the
pack itself only ever reads TorchScript files as data.

    $TEMPO_PYTHON bench/film_speed.py [--size 512] [--repeats 2]

Prints frames per second of one model call each (best of the repeats, runs interleaved and in alternating
order so both see the same machine load), their ratio, and the native module inside the driver at ×2, where each
frame's feature pyramid is made once and serves both pairs it belongs to. On a shared machine wall time mostly
measures the neighbours, so the CPU seconds each call consumed are printed and compared too. The TorchScript
forward first gets two untimed calls at a quarter of the size, the profiling and optimizing runs of its JIT; the
native one, one.
"""
import argparse
import os
import sys
import time
import warnings

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests", "fixtures")]
import film_files  # noqa: E402

from interp import interpolate, load_film  # noqa: E402


def timed(call):
    """(wall seconds, CPU seconds of this process) spent in call()."""
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    warnings.simplefilter("ignore", DeprecationWarning)

    path = film_files.cached_film_file("v1.0.2", "real")
    scripted, native = film_files.run_own_file(path).eval(), load_film(path)
    generator = torch.Generator().manual_seed(0)
    frames = torch.rand(3, args.size, args.size, 3, generator=generator)
    x0, x1 = frames[:1].permute(0, 3, 1, 2), frames[1:2].permute(0, 3, 1, 2)
    small = [x[..., ::4, ::4] for x in (x0, x1)]
    t = torch.full((1, 1), 0.5)
    models = {"torchscript": scripted, "native": native}
    runs = {name: [] for name in models}
    with torch.inference_mode():
        for warm_up in (scripted, scripted, native):
            warm_up(*small, t)
        for repeat in range(args.repeats):
            order = list(models) if repeat % 2 == 0 else list(models)[::-1]  # neither always runs first
            for name in order:
                runs[name].append(timed(lambda: models[name](x0, x1, t)))
        difference = (native(x0, x1, t) - scripted(x0, x1, t)).abs().max().item()
    driver = timed(lambda: interpolate(frames, native, 2))  # 2 pairs, 2 new frames

    best = {name: (min(w for w, _ in r), min(c for _, c in r)) for name, r in runs.items()}
    print(f"FILM real config, {args.size}x{args.size}, {torch.get_num_threads()} threads, "
          f"load average {os.getloadavg()[0]:.1f}")
    for name, (wall, cpu) in best.items():
        print(f"  {name:12s} model call: {1 / wall:.3f} frames/s, {cpu:.1f} CPU s per frame "
              f"(walls {', '.join(f'{w:.1f}' for w, _ in runs[name])} s)")
    ts_wall, ts_cpu = best["torchscript"]
    print(f"  ratio native / torchscript: {ts_wall / best['native'][0]:.2f} in frames/s, "
          f"{ts_cpu / best['native'][1]:.2f} in CPU time")
    print(f"  native in the driver, x2 on 3 frames: {2 / driver[0]:.3f} frames/s, {driver[1] / 2:.1f} CPU s per "
          f"frame ({ts_cpu / (driver[1] / 2):.2f}x the TorchScript call in CPU time)")
    print(f"  max |native - torchscript| = {difference:.2e}")

if __name__ == "__main__":
    main()
