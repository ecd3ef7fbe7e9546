"""motion/patch.py against ComfyUI's real UNet and samplers, in-process."""
import pytest
import torch

import motion_files
from motion_sampling import FRAMES, motion, sample
from tempo.motion import load_motion_module
from tempo.motion.errors import MotionModelError
from tempo.motion.patch import MotionLayer, MotionSettings, attach, unet_positions


def test_every_v2_position_lands_where_animatediff_put_it(checkpoint):
    model, _, _ = checkpoint
    unet = model.get_model_object("diffusion_model")
    positions = unet_positions(unet, layers_per_up_block=3)
    names = {name for name, _ in motion().positions()}
    assert names <= set(positions)
    where = {name: (patch, at) for name, (patch, at, _) in positions.items()}
    assert where["down_blocks.0.motion_modules.0"] == ("diffusion_model.input_blocks.1", 2)
    assert where["down_blocks.3.motion_modules.1"] == ("diffusion_model.input_blocks.11", 1)
    assert where["mid_block.motion_modules.0"] == ("diffusion_model.middle_block", 2)
    assert where["up_blocks.0.motion_modules.2"] == ("diffusion_model.output_blocks.2", 1)  # before Upsample
    assert where["up_blocks.3.motion_modules.2"] == ("diffusion_model.output_blocks.11", 2)


def test_attach_leaves_the_input_model_and_the_unet_untouched(checkpoint):
    model, clip, _ = checkpoint
    before = sample(model, clip)
    patched = attach(model, motion(), MotionSettings())
    assert model.object_patches == {} and patched.object_patches
    animated = sample(patched, clip)
    assert not torch.allclose(animated, before)
    after = sample(model, clip)  # the host unpatches the clone before it loads the plain model again
    unet = model.get_model_object("diffusion_model")
    assert not any(isinstance(layer, MotionLayer) for block in unet.output_blocks for layer in block)
    assert torch.equal(after, before)


def test_effect_zero_is_the_image_model(checkpoint):
    model, clip, _ = checkpoint
    silent = attach(model, motion(), MotionSettings(effect=0.0))
    assert torch.allclose(sample(silent, clip), sample(model, clip), atol=1e-5)


def test_motion_runs_per_video_within_a_cfg_batch(checkpoint, monkeypatch):
    model, clip, _ = checkpoint
    mm = motion()
    seen = []
    module = mm.get_submodule("down_blocks.0.motion_modules.0")
    original = module.forward
    monkeypatch.setattr(module, "forward", lambda x, f, **kw: seen.append((x.shape[0], f)) or original(x, f, **kw))
    sample(attach(model, mm, MotionSettings()), clip, steps=1)
    assert seen and all(batch == 2 * FRAMES and frames == FRAMES for batch, frames in seen)


def test_sdxl_module_on_sd15_names_both(checkpoint):
    model, _, _ = checkpoint
    sdxl = load_motion_module(motion_files.make_motion_state_dict("sdxl_beta", channels=(32, 64, 128)))
    with pytest.raises(MotionModelError, match="SDXL.*SD1.5|SD1.5.*SDXL"):
        attach(model, sdxl, MotionSettings())


def test_v1_normalises_resnets_across_frames_and_restores_them(checkpoint):
    model, clip, _ = checkpoint
    mm = motion("v1")
    assert mm.resnet_norm_across_frames
    patched = attach(model, mm, MotionSettings(effect=0.0))  # isolates the resnet norms' effect
    assert not torch.allclose(sample(patched, clip), sample(model, clip), atol=1e-4)
    unet = model.get_model_object("diffusion_model")
    assert type(unet.input_blocks[1][0].in_layers[0]).__name__ == "GroupNorm"


def test_per_frame_effect_follows_the_frames(checkpoint):
    model, clip, _ = checkpoint
    mm = motion()
    plain = sample(model, clip)
    first_two_off = sample(attach(model, mm, MotionSettings(effect=[0.0, 0.0, 1.0])), clip)
    # Frames mix through the motion modules, so only an all-zero effect equals the plain model exactly.
    assert not torch.allclose(first_two_off, plain, atol=1e-4)
    all_off = sample(attach(model, mm, MotionSettings(effect=[0.0])), clip)
    assert torch.allclose(all_off, plain, atol=1e-5)


def test_motion_lora_reattaches_without_stacking_layers(checkpoint):
    from tempo.motion import apply_motion_lora

    model, clip, _ = checkpoint
    mm = motion()
    patched = attach(model, mm, MotionSettings())
    lora = motion_files.make_motion_lora_state_dict(channels=320, rank=4)
    with_lora = attach(patched, apply_motion_lora(mm, lora, 1.0), MotionSettings())
    assert len(with_lora.object_patches) == len(patched.object_patches)
    blocks = [obj for obj in with_lora.object_patches.values() if hasattr(obj, "__iter__")]
    assert all(sum(isinstance(layer, MotionLayer) for layer in block) <= 1 for block in blocks)
    assert not torch.allclose(sample(with_lora, clip), sample(patched, clip))


def test_training_schedule_replaces_the_models_own(checkpoint):
    from tempo.motion.schedules import schedule_for

    model, _, _ = checkpoint
    mm = motion()
    own = model.get_model_object("model_sampling")
    patched = attach(model, mm, MotionSettings(), schedule_for("auto", mm.variant))
    sigmas = patched.get_model_object("model_sampling").sigmas.double()
    alphas_cumprod = 1 / (1 + sigmas**2)
    betas = 1 - alphas_cumprod[1:] / alphas_cumprod[:-1]
    # AnimateDiff's schedule: beta linear from 0.00085 to 0.012 over 1000 steps (ComfyUI "sqrt_linear").
    assert torch.allclose(betas, torch.linspace(0.00085, 0.012, 1000, dtype=torch.float64)[1:], atol=1e-6)
    assert model.get_model_object("model_sampling") is own
    kept = attach(model, mm, MotionSettings(), schedule_for("model's own", mm.variant))
    assert kept.get_model_object("model_sampling") is own


def test_start_percent_past_the_end_turns_motion_off(checkpoint):
    model, clip, _ = checkpoint
    never = attach(model, motion(), MotionSettings(start_percent=1.0, end_percent=1.0))
    assert torch.allclose(sample(never, clip), sample(model, clip), atol=1e-5)
