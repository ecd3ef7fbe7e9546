"""How fast and how lean load_motion_module is on a real-size fp16 v2 file (mm_sd_v15_v2's exact shapes, seeded
random weights, 453M parameters), against simply reading the file's bytes, measured in the same run.

Each measurement runs in a fresh process with the file already in the page cache, so both sides measure memory,
not the disk. Loading maps the file: the weights are read when first used, so the load is also timed together
with a first touch of every page of every weight. Peak RSS is the growth of the process's high-water mark over
its size after importing torch (VmHWM). Prints medians of several runs and their ratios.

    $TEMPO_PYTHON bench/motion_load.py [--runs 5] [--ext ckpt|safetensors]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(CHECKOUT, "tests", "fixtures"))

MEASURE = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import torch
from motion import load_motion_module

def peak():  # VmHWM starts afresh at exec; ru_maxrss would carry over the forking parent's
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))

def touch(tensors):  # one byte of every page: faults the whole mapping in without computing on it
    return sum(int(t.reshape(-1).view(torch.uint8)[::4096].sum()) for t in tensors)

path, what = sys.argv[2], sys.argv[3]
before = peak()
start = time.perf_counter()
if what == "read":
    with open(path, "rb") as f:
        data = f.read()
    result = {"read": time.perf_counter() - start}
else:
    model = load_motion_module(path)
    loaded = time.perf_counter() - start
    touch(model.state_dict().values())
    result = {"load": loaded, "load+touch": time.perf_counter() - start}
result["rss"] = peak() - before
print(json.dumps(result))
"""


def measure(path, what):
    out = subprocess.run([sys.executable, "-c", MEASURE, CHECKOUT, path, what], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ext", default="ckpt", choices=["ckpt", "safetensors"])
    args = parser.parse_args()

    import motion_files

    path = motion_files.real_size_file("v2", ext=args.ext)
    size = os.path.getsize(path)
    with open(path, "rb") as f:  # into the page cache
        while f.read(1 << 24):
            pass
    runs = {"read": [], "load": [], "load+touch": [], "read rss": [], "load rss": []}
    for _ in range(args.runs):
        read, load = measure(path, "read"), measure(path, "load")
        runs["read"].append(read["read"])
        runs["read rss"].append(read["rss"])
        runs["load"].append(load["load"])
        runs["load+touch"].append(load["load+touch"])
        runs["load rss"].append(load["rss"])
    median = {key: statistics.median(values) for key, values in runs.items()}

    print(f"{os.path.basename(path)}: {size / 1e6:.1f} MB, fp16 v2, medians of {args.runs} runs")
    print(f"read its bytes:               {median['read']:.3f} s")
    print(f"load_motion_module:           {median['load']:.3f} s   load / read = {median['load'] / median['read']:.2f}")
    print(f"load + touch every weight:    {median['load+touch']:.3f} s   "
          f"(load + touch) / read = {median['load+touch'] / median['read']:.2f}")
    print(f"peak RSS growth, read bytes:  {median['read rss'] / 1e6:.1f} MB = {median['read rss'] / size:.2f} x file")
    print(f"peak RSS growth, load+touch:  {median['load rss'] / 1e6:.1f} MB = {median['load rss'] / size:.2f} x file")


if __name__ == "__main__":
    main()
