"""What a chain of three motion LoRAs holds beyond its base motion model: a real-size v2 file (mm_sd_v15_v2's
exact shapes, seeded random weights) and three real-size v2 motion LoRAs of the given rank, applied one after
the other as chained Apply Motion LoRA nodes do, every model of the chain kept alive as a workflow keeps them.

Two measures, in one fresh process: the bytes of the distinct tensors the chain's models hold that the base
model does not (parameters and buffers), and the growth of the process's resident memory while the chain is
built, with every tensor of base and chain touched so that mapped file pages count once they are used. Both are
printed with their ratio to the three LoRA files' sizes.

    $TEMPO_PYTHON bench/motion_lora_memory.py [--rank 128] [--dtype float16|float32]
"""
import argparse
import os
import sys

import torch

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [CHECKOUT, os.path.join(CHECKOUT, "tests", "fixtures")]

import motion_files  # noqa: E402
from cache import cached  # noqa: E402
from motion import apply_motion_lora, load_motion_module  # noqa: E402

STRENGTHS = (1.0, -0.6, 0.8)


def rss():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))


def touch(model):  # one byte of every page of every tensor: faults mapped pages in without computing
    return sum(int(t.reshape(-1).view(torch.uint8)[::4096].sum()) for t in model.state_dict().values())


def held(model):
    """{data pointer: bytes} of the distinct tensors a model holds."""
    return {tensor.data_ptr(): tensor.nbytes for tensor in model.state_dict().values()}


def lora_file(rank, seed):
    def build(partial):
        motion_files.write_file(motion_files.make_motion_lora_state_dict(rank=rank, seed=seed, dtype=torch.float16),
                                partial)

    return cached(f"v2_lora_r{rank}_seed{seed}.ckpt", build, os.path.join(motion_files.CACHE, "real", "lora"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rank", type=int, default=128)
    parser.add_argument("--dtype", choices=("float16", "float32"), default="float16",
                        help="the motion model's compute dtype: float16 on a GPU, float32 on a CPU")
    args = parser.parse_args()
    loras = [lora_file(args.rank, seed) for seed in range(len(STRENGTHS))]
    base = load_motion_module(motion_files.real_size_file("v2")).to(getattr(torch, args.dtype))
    touch(base)
    before = rss()
    chain = [base]
    for path, strength in zip(loras, STRENGTHS):
        chain.append(apply_motion_lora(chain[-1], path, strength))
        touch(chain[-1])
    grown = rss() - before
    base_tensors = held(base)
    extra = {}
    for model in chain[1:]:
        extra |= {pointer: size for pointer, size in held(model).items() if pointer not in base_tensors}
    files = sum(os.path.getsize(path) for path in loras)
    base_bytes = sum(base_tensors.values())
    print(f"base v2 motion model ({args.dtype}): {base_bytes / 2**20:.1f} MiB; 3 LoRA files of rank {args.rank}: "
          f"{files / 2**20:.1f} MiB")
    print(f"tensors held by the chain beyond the base: {sum(extra.values()) / 2**20:.1f} MiB = "
          f"{sum(extra.values()) / files:.2f} x the LoRA files")
    print(f"resident memory grown while building it:   {grown / 2**20:.1f} MiB = {grown / files:.2f} x the LoRA files")


if __name__ == "__main__":
    main()
