"""AnimateDiff-Lightning: both released namings load as the same v2 model with the v2 training schedule, the
name only adds how to sample it (its step count, cfg 1, euler, sgm_uniform) to the description."""
import os
import sys

import pytest
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures"))
import motion_files  # noqa: E402

from motion import load_motion_module  # noqa: E402
from motion.formats import read_motion_file  # noqa: E402
from motion.schedules import SQRT_LINEAR, schedule_for  # noqa: E402

CHANNELS = 64


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """{naming: path} of one seeded v2 state dict written under both released Lightning names, and as v2."""
    folder = tmp_path_factory.mktemp("lightning")
    sd = motion_files.make_motion_state_dict("v2", channels=CHANNELS, seed=3)
    paths = {naming: folder / pattern.format(4) for naming, pattern in motion_files.LIGHTNING_NAMES.items()}
    motion_files.write_file(sd, paths["comfyui"])
    motion_files.write_file(motion_files.diffusers_names(sd), paths["diffusers"])
    paths["v2"] = motion_files.write_file(sd, folder / "mm_sd_v15_v2.safetensors")
    return paths


def test_both_namings_load_as_the_same_v2_model(files):
    names = motion_files.diffusers_names(motion_files.make_motion_state_dict("v2", channels=CHANNELS))
    assert "mid_block.motion_modules.0.transformer_blocks.0.attn2.to_out.0.weight" in names
    assert "up_blocks.3.motion_modules.2.transformer_blocks.0.pos_embed.pe" in names
    assert not any("temporal_transformer" in key or "attention_blocks" in key for key in names)
    comfyui, diffusers, v2 = (load_motion_module(files[k]) for k in ("comfyui", "diffusers", "v2"))
    for model in (comfyui, diffusers):
        assert model.variant == "v2" and model.max_frames == 32 and "mid_block" in model.layout.blocks
        assert model.state_dict().keys() == v2.state_dict().keys()
        assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), v2.state_dict().values()))


def test_the_schedule_is_v2_training_schedule(files):
    model = load_motion_module(files["diffusers"])
    assert schedule_for("auto", model.variant) == SQRT_LINEAR


@pytest.mark.parametrize("naming", ["comfyui", "diffusers"])
def test_the_description_says_how_to_sample_it_and_the_math_is_v2s(files, naming):
    lightning, v2 = load_motion_module(files[naming]), load_motion_module(files["v2"])
    text = lightning.describe()
    assert text.startswith("AnimateDiff v2 (AnimateDiff-Lightning 4-step) motion model for SD1.5")
    assert text.endswith("sample with 4 steps, cfg 1, sampler euler, scheduler sgm_uniform")
    assert "Lightning" not in v2.describe()
    # The name changes nothing in what it computes: the same tensors as mm_sd_v15_v2 give the same output.
    x = torch.randn(2 * 8, CHANNELS, 4, 4, generator=torch.Generator().manual_seed(0))
    for (_, ours), (_, theirs) in zip(lightning.positions()[:2], v2.positions()[:2]):
        assert torch.equal(ours(x, 8), theirs(x, 8))


def test_a_diffusers_file_without_pe_tables_gets_the_sinusoid(files):
    sd = {k: v for k, v in motion_files.diffusers_names(motion_files.make_motion_state_dict("v2", channels=CHANNELS))
          .items() if not k.endswith("pos_embed.pe")}
    layout, motion = read_motion_file(sd, "animatediff_lightning_2step_diffusers.safetensors")
    assert layout.variant == "v2" and not any(k.endswith("pe") for k in motion)
    model = load_motion_module(sd)
    expected = motion_files.make_motion_state_dict("v2", channels=CHANNELS)
    key = "mid_block.motion_modules.0.temporal_transformer.transformer_blocks.0.attention_blocks.1.pos_encoder.pe"
    assert torch.allclose(model.state_dict()[key], expected[key], atol=1e-5)  # computed in fp32 there
