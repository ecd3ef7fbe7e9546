"""What a FreeInit pass costs: Context Window Sampler with freeinit_iterations=2 against 1, on the fixture SD1.5 +
v2 motion module, 32 frames in windows of 16 overlapping by 4 with FreeNoise, all measured in this one run.

The ideal ratio is 2 (each pass is one full sampling); what lies above it is the filter and the two 3D FFTs over
the whole clip per pass. Run: scripts/install.sh, then $TEMPO_PYTHON -P bench/freeinit_cost.py [--size 64]
[--steps 2] [--repeats 3]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -P leaves bench/ off sys.path
from context_common import sample, setup

FRAMES = 32
WINDOWS = dict(context_length=16, context_overlap=4, freenoise=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    model, clip, _ = setup()
    positive = clip.encode_from_tokens_scheduled(clip.tokenize("a paper boat on a pond"))
    negative = clip.encode_from_tokens_scheduled(clip.tokenize("blurry"))

    def seconds(iterations):
        """(wall, CPU) seconds of one run; CPU time (this process's) is what other load disturbs least."""
        wall, cpu = time.perf_counter(), time.process_time()
        options = WINDOWS | {"freeinit_iterations": iterations}
        sample(model, positive, negative, FRAMES, args.size, args.steps, options)
        return time.perf_counter() - wall, time.process_time() - cpu

    seconds(1)  # loads the models, warms the kernels
    best = {}
    for _ in range(args.repeats):  # interleaved, best of each, so a burst of other load hits both alike
        for iterations in (1, 2):
            wall, cpu = seconds(iterations)
            old = best.get(iterations, (wall, cpu))
            best[iterations] = (min(old[0], wall), min(old[1], cpu))
    print(f"fixture SD1.5 + v2 motion module, {FRAMES} frames at {args.size}x{args.size}, windows of 16 overlap 4, "
          f"FreeNoise, {args.steps} euler steps, CPU ({os.cpu_count()} cores, shared); best of {args.repeats}")
    for iterations, (wall, cpu) in best.items():
        print(f"  freeinit_iterations={iterations}: {wall:6.2f} s wall, {cpu:6.2f} s CPU")
    (wall1, cpu1), (wall2, cpu2) = best[1], best[2]
    print(f"ratio 2 iterations / 1: {wall2 / wall1:.2f} wall, {cpu2 / cpu1:.2f} CPU (ideal 2.00); "
          f"cost per extra iteration {(wall2 - wall1) / wall1:.2f}x one sampling (wall)")


if __name__ == "__main__":
    main()
