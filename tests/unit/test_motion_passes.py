"""The module's forward makes no pass over an activation that the math does not need: on the CPU each elementwise
pass and each fresh activation-sized tensor costs time and page faults (bench/motion_speed.py measures it against
AnimateDiff-Evolved). The values are the math tests' concern (test_motion_math.py); these count the operators."""
import os
import sys
from collections import Counter

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures"))

import motion_files  # noqa: E402
from motion import load_motion_module  # noqa: E402

ELEMENTWISE = {"add", "mul", "gelu"}


class Operators(TorchDispatchMode):
    """Counts the aten operators run, by overload name: aten.add.Tensor (a new tensor), aten.add_.Tensor (in place)."""

    def __init__(self):
        super().__init__()
        self.counts = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.counts[str(func.overloadpacket.__name__) + "." + func._overloadname] += 1
        return func(*args, **(kwargs or {}))

    def elementwise(self):
        return {name: n for name, n in self.counts.items() if name.split(".")[0].rstrip("_") in ELEMENTWISE}


def operators(scale, dtype=torch.float32):
    sd = motion_files.make_motion_state_dict("v2", channels=(32, 64, 128, 128), dtype=dtype)
    module = load_motion_module(sd).get_submodule("down_blocks.1.motion_modules.0")
    x = torch.randn(2 * 8, 64, 4, 4, generator=torch.Generator().manual_seed(0)).to(dtype)
    with Operators() as ops:
        module(x, 8, scale=scale)
    return ops.elementwise()


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_scale_one_adds_in_place_and_multiplies_only_in_the_feed_forward(dtype):
    """Per attention block the frame positions and the residual go in place (2 blocks: 4 add_), the feed-forward's
    residual too (1 add_) and its gate multiplies GELU's output in place (1 mul_), and so does the module's residual
    (1 add_, into proj_out's output rearranged back to frames). No q·1; the one new tensor from an add is proj_in's
    bias, which torch's Linear adds after the product for the strided input AnimateDiff-Evolved also gives it."""
    assert operators(1.0, dtype) == {"add_.Tensor": 6, "add.Tensor": 1, "gelu.default": 1, "mul_.Tensor": 1}


@pytest.mark.parametrize("scale", [0.5, torch.linspace(0.5, 1.5, 8)])
def test_other_scales_multiply_q_in_place(scale):
    assert operators(scale) == {"add_.Tensor": 6, "add.Tensor": 1, "gelu.default": 1, "mul_.Tensor": 3}


def test_proj_in_gets_the_strided_per_frame_view_animatediff_evolved_gives_it():
    """torch's Linear fuses the bias into the product for a contiguous 3-d input and adds it after for a strided
    one, which rounds differently: AnimateDiff-Evolved's latents are matched bit for bit only on its geometry, a
    (frames, pixels, channels) view of the GroupNorm output (bench/motion_speed.py compares with the peer)."""
    sd = motion_files.make_motion_state_dict("v2", channels=(32, 64, 128, 128))
    transformer = load_motion_module(sd).get_submodule("down_blocks.1.motion_modules.0").temporal_transformer
    seen = []
    transformer.proj_in.register_forward_pre_hook(lambda _, args: seen.append(args[0]))
    transformer(torch.randn(2 * 8, 64, 4, 3), 8, 1.0, lambda q, k, v, heads: v)
    (h,) = seen
    assert h.shape == (2 * 8, 4 * 3, 64)
    assert h.stride() == (64 * 4 * 3, 1, 4 * 3)
