"""SDXL motion models (AnimateDiff SDXL beta, Hotshot-XL) on ComfyUI's SDXL UNet, in-process."""
import comfy.sample
import pytest
import torch

import motion_files
from tempo.motion import load_motion_module
from tempo.motion.errors import MotionModelError
from tempo.motion.patch import MotionSettings, attach, unet_positions

FRAMES = 3


def sample(model, steps=1):
    latent = torch.zeros(FRAMES, 4, 8, 8)
    generator = torch.Generator().manual_seed(0)
    cond = [[torch.randn(1, 77, 2048, generator=generator), {"pooled_output": torch.randn(1, 1280, generator=generator)}]]
    noise = comfy.sample.prepare_noise(latent, 0)
    return comfy.sample.sample(model, noise, steps, 5.0, "euler", "normal", cond, cond, latent, seed=0)


@pytest.mark.parametrize("layout", ["sdxl_beta", "hotshotxl"])
def test_sdxl_motion_models_attach_at_every_position_and_animate(sdxl_unet, layout):
    mm = load_motion_module(motion_files.make_motion_state_dict(layout, channels=320)).float()
    assert mm.base == "SDXL"
    positions = unet_positions(sdxl_unet.get_model_object("diffusion_model"), layers_per_up_block=3)
    assert {name for name, _ in mm.positions()} == set(positions) - {"mid_block.motion_modules.0"}
    assert positions["down_blocks.2.motion_modules.1"][0] == "diffusion_model.input_blocks.8"
    assert positions["up_blocks.2.motion_modules.2"][0] == "diffusion_model.output_blocks.8"
    assert not torch.allclose(sample(attach(sdxl_unet, mm, MotionSettings())), sample(sdxl_unet))


def test_sd15_module_on_sdxl_names_both(sdxl_unet):
    sd15 = load_motion_module(motion_files.make_motion_state_dict("v2", channels=320))
    with pytest.raises(MotionModelError, match="SD1.5.*SDXL"):
        attach(sdxl_unet, sd15, MotionSettings())
