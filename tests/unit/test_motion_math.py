"""The module math against an independent float64 evaluation of MOTION_MODULES.md (fixtures/motion_reference.py:
explicit batch, frame and pixel axes, einsum attention, the erf GELU spelled out)."""
import functools
import math
import os
import sys

import pytest
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures"))

import motion_files  # noqa: E402
from motion_reference import reference  # noqa: E402
from motion import MotionModelError, load_motion_module  # noqa: E402
from motion.attention import sdpa_attention  # noqa: E402


@functools.lru_cache(maxsize=None)
def loaded(layout, dtype=torch.float32):
    """(the file's state dict, the model) of a small seeded file, shared by the tests, which change neither."""
    levels = len(motion_files.LAYOUTS[layout][0])
    sd = motion_files.make_motion_state_dict(layout, channels=(32, 64, 128, 128)[:levels], dtype=dtype)
    return sd, load_motion_module(sd)


def video(batch, frames, channels, size=4, dtype=torch.float32, seed=1):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(batch * frames, channels, size, size, generator=generator).to(dtype)


CASES = [  # layout, position, videos, frames
    ("v2", "down_blocks.0.motion_modules.1", 1, 8),
    ("v2", "mid_block.motion_modules.0", 2, 16),
    ("v3", "up_blocks.3.motion_modules.2", 2, 5),
    ("sdxl_beta", "down_blocks.1.motion_modules.0", 2, 8),
    ("sdxl_beta", "up_blocks.0.motion_modules.2", 1, 32),
    ("hotshotxl", "up_blocks.2.motion_modules.0", 2, 7),
    ("animatelcm_nope", "down_blocks.2.motion_modules.0", 1, 40),
]


@pytest.mark.parametrize("layout,position,videos,frames", CASES)
def test_fp32_matches_float64_reference(layout, position, videos, frames):
    sd, model = loaded(layout)
    module = model.get_submodule(position)
    x = video(videos, frames, module.temporal_transformer.norm.weight.shape[0])
    if layout == "animatelcm_nope":  # the reference reads the pe the loader regenerated
        sd = {**sd, **{k: t for k, t in model.state_dict().items() if k.endswith(".pe")}}
    expected = reference(sd, position, x, frames, across_frames=layout == "sdxl_beta", hotshot=layout == "hotshotxl")
    out = module(x, frames)
    assert out.dtype == torch.float32 and out.shape == x.shape
    assert (out.double() - expected).abs().max() < 1e-4
    assert (out.double() - x.double()).abs().mean() > 0.1  # the module does something


@pytest.mark.parametrize("layout,position,videos,frames", [CASES[1], CASES[3]])
def test_fp16_matches_float64_reference(layout, position, videos, frames):
    sd, model = loaded(layout, dtype=torch.float16)
    module = model.get_submodule(position)
    x = video(videos, frames, module.temporal_transformer.norm.weight.shape[0], dtype=torch.float16)
    expected = reference(sd, position, x, frames, across_frames=layout == "sdxl_beta")
    out = module(x, frames)
    assert out.dtype == torch.float16
    assert (out.double() - expected).abs().max() < 5e-2


def test_sdxl_beta_normalises_across_frames_and_the_others_do_not():
    sd, model = loaded("sdxl_beta")
    position = "down_blocks.0.motion_modules.0"
    x = video(2, 6, 32)
    out = model.get_submodule(position)(x, 6)
    per_frame = reference(sd, position, x, 6, across_frames=False)
    assert (out.double() - per_frame).abs().max() > 1e-2
    assert (out.double() - reference(sd, position, x, 6, across_frames=True)).abs().max() < 1e-4


def test_videos_in_a_batch_are_independent():
    _, model = loaded("v2")
    module = model.get_submodule("up_blocks.1.motion_modules.0")
    x = video(2, 8, 128)
    together = module(x, 8)
    assert torch.allclose(together[:8], module(x[:8], 8), atol=1e-5)
    assert torch.allclose(together[8:], module(x[8:], 8), atol=1e-5)


@pytest.mark.parametrize("scale", [0.0, 0.5, 1.7, "per frame"])
def test_scale_multiplies_the_logits_of_each_query_frame(scale):
    sd, model = loaded("v2")
    position = "down_blocks.1.motion_modules.0"
    frames = 6
    if scale == "per frame":
        scale = torch.tensor([0.2, 1.0, 1.5, 0.0, 2.0, 1.0])
    x = video(2, frames, 64)
    out = model.get_submodule(position)(x, frames, scale=scale)
    assert (out.double() - reference(sd, position, x, frames, scale=scale)).abs().max() < 1e-4


def test_scale_one_is_the_original_math_exactly():
    _, model = loaded("v3")
    module = model.get_submodule("down_blocks.0.motion_modules.0")
    x = video(1, 8, 32)
    assert torch.equal(module(x, 8), module(x, 8, scale=1.0))
    assert torch.equal(module(x, 8), module(x, 8, scale=torch.ones(8)))


def test_scale_per_video_is_each_videos_own_per_frame_scale():
    """Batched context windows give each video of the batch its own frames' scales."""
    _, model = loaded("v2")
    module = model.get_submodule("down_blocks.1.motion_modules.0")
    x = video(2, 4, 64)
    scales = torch.tensor([[0.2, 1.0, 1.5, 0.0], [2.0, 1.0, 0.5, 1.2]])
    together = module(x, 4, scale=scales)
    apart = torch.cat([module(x[:4], 4, scale=scales[0]), module(x[4:], 4, scale=scales[1])])
    assert torch.allclose(together, apart, atol=1e-6)
    assert not torch.allclose(together, module(x, 4, scale=scales[0]), atol=1e-3)


def test_attention_backend_is_called_with_the_host_signature():
    _, model = loaded("v2")
    module = model.get_submodule("up_blocks.2.motion_modules.1")
    calls = []

    def attention(q, k, v, heads):
        calls.append((q.shape, k.shape, v.shape, heads))
        return sdpa_attention(q, k, v, heads)

    x = video(2, 5, 64, size=3)
    out = module(x, 5, scale=0.5, attention=attention)
    assert calls == [((2 * 3 * 3, 5, 64),) * 3 + (8,)] * 2
    assert torch.equal(out, module(x, 5, scale=0.5))


def test_pe_is_regenerated_as_the_sinusoid_when_the_file_has_none():
    _, model = loaded("animatelcm_nope")
    assert model.max_frames == 64
    for key, pe in model.state_dict().items():
        if key.endswith("pos_encoder.pe"):
            channels = pe.shape[-1]
            p = torch.arange(64, dtype=torch.float64)[:, None]
            i = torch.arange(channels // 2, dtype=torch.float64)[None]
            angle = p * torch.exp(-2 * i * math.log(10000.0) / channels)
            expected = torch.zeros(64, channels, dtype=torch.float64)
            expected[:, 0::2], expected[:, 1::2] = torch.sin(angle), torch.cos(angle)
            assert pe.shape == (1, 64, channels) and pe.dtype == torch.float32
            assert (pe[0].double() - expected).abs().max() < 1e-5, key


def test_more_frames_than_positions_is_refused():
    _, model = loaded("hotshotxl")
    with pytest.raises(MotionModelError, match="25 frames in one call, but the motion model has positions for 24"):
        model.get_submodule("down_blocks.0.motion_modules.0")(video(1, 25, 32, size=2), 25)


def test_bfloat16_runs_in_bfloat16():
    sd, model = loaded("v3", dtype=torch.bfloat16)
    position = "down_blocks.0.motion_modules.0"
    x = video(1, 8, 32, dtype=torch.bfloat16)
    out = model.get_submodule(position)(x, 8)
    assert out.dtype == torch.bfloat16
    assert (out.double() - reference(sd, position, x, 8)).abs().max() < 0.15
