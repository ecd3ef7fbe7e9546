"""LoadMotionModule and ApplyMotionLoRA as ComfyUI calls them, in-process."""
import os
from types import SimpleNamespace

import comfy_host
import models
import pytest
import torch
from comfy_extras.nodes_model_advanced import LCM, ModelSamplingDiscreteDistilled

from tempo.motion.errors import MotionModelError
from tempo.motion.lora import merged_state_dict
from tempo.motion.patch import OUT_NORM, FrameGroupNorm, _host_patcher, get_attachment
from tempo.nodes.motion_model import ApplyMotionLoRA, LoadMotionModule


@pytest.fixture(scope="module")
def motion_folders(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("models"))
    models.populate(root)
    with comfy_host.model_folders({kind: os.path.join(root, kind)
                                   for kind in ("animatediff_models", "animatediff_motion_lora")}):
        yield root


def load(model, name="mm_sd_v15_v2.ckpt", **kw):
    options = dict(motion_scale=1.0, effect=1.0, beta_schedule="auto") | kw
    return LoadMotionModule().load(model, name, **options)


def test_one_file_in_two_branches_is_loaded_once(checkpoint, motion_folders):
    model, _, _ = checkpoint
    first, second = load(model)["result"][0], load(model, motion_scale=1.3)["result"][0]
    assert get_attachment(first).motion_model is get_attachment(second).motion_model


def test_node_reports_what_it_detected(checkpoint, motion_folders):
    text = load(checkpoint[0], "mm_sd_v15.ckpt")["ui"]["text"][0]
    assert "v1" in text and "SD1.5" in text and "24 frames" in text


def test_per_frame_text_errors_name_the_field(checkpoint, motion_folders):
    with pytest.raises(ValueError, match="effect_per_frame: entry 2 is 'x'"):
        load(checkpoint[0], effect_per_frame="1.0, x")


def test_lora_stacks_on_the_attached_model(checkpoint, motion_folders):
    patched = load(checkpoint[0])["result"][0]
    once = ApplyMotionLoRA().apply(patched, "v2_lora_ZoomIn.ckpt", 1.0)[0]
    twice = ApplyMotionLoRA().apply(once, "v2_lora_PanLeft.ckpt", -1.0)[0]
    base = get_attachment(patched).motion_model
    name = "down_blocks.0.motion_modules.0.temporal_transformer.transformer_blocks.0.attention_blocks.0.to_q.weight"
    weights = [merged_state_dict(get_attachment(m).motion_model)[name] for m in (patched, once, twice)]
    assert not weights[0].equal(weights[1]) and not weights[1].equal(weights[2])
    assert get_attachment(patched).motion_model is base  # the loaded model is never modified


def test_lora_factors_move_with_the_motion_model_when_the_host_loads_it(checkpoint, motion_folders):
    patched = load(checkpoint[0])["result"][0]
    for lora, strength in (("v2_lora_ZoomIn.ckpt", 0.8), ("v2_lora_PanLeft.ckpt", -0.5)):
        patched = ApplyMotionLoRA().apply(patched, lora, strength)[0]
    chain = get_attachment(patched).motion_model
    # Its own patcher, to a device that holds no data: the one the workflow uses stays on the CPU.
    devices = SimpleNamespace(load_device=torch.device("meta"), offload_device=torch.device("cpu"))
    patcher = _host_patcher(chain, devices)
    state = chain.state_dict()
    factors = [key for key in state if ".lora_" in key]
    assert len(factors) == 2 * 2 * 21 * 2 * 4  # up and down, 2 LoRAs, 21 modules, 2 attentions, q k v out
    assert patcher.model_size() == sum(tensor.nbytes for tensor in state.values())
    patcher.load(torch.device("meta"), lowvram_model_memory=10 * patcher.model_size())  # module by module
    assert all(chain.state_dict()[key].device.type == "meta" for key in factors)
    patcher.load(torch.device("meta"), full_load=True)  # the whole model at once
    assert all(tensor.device.type == "meta" for tensor in chain.state_dict().values())


@pytest.mark.parametrize("variant,across_frames", [("auto", False), ("community", True), ("v1", True)])
def test_variant_input_decides_the_norm_spans(checkpoint, motion_folders, variant, across_frames):
    result = load(checkpoint[0], "v3_sd15_mm.ckpt", variant=variant)
    patched, text = result["result"][0], result["ui"]["text"]
    assert get_attachment(patched).motion_model.variant == ("v3" if variant == "auto" else variant)
    assert isinstance(patched.object_patches.get(OUT_NORM), FrameGroupNorm) == across_frames
    resnet = patched.object_patches["diffusion_model.input_blocks.1"][0]
    assert isinstance(resnet.in_layers[0], FrameGroupNorm) == across_frames
    assert text[1].startswith("auto: v3, from the v1 layout with a 32-frame positional encoding" if variant == "auto"
                              else f"{variant}, as chosen in variant")


def test_variant_that_does_not_fit_names_the_input(checkpoint, motion_folders):
    with pytest.raises(MotionModelError, match="variant 'v2' does not fit v3_sd15_mm.ckpt"):
        load(checkpoint[0], "v3_sd15_mm.ckpt", variant="v2")


def test_lora_needs_a_motion_model(checkpoint, motion_folders):
    with pytest.raises(MotionModelError, match="Load Motion Module"):
        ApplyMotionLoRA().apply(checkpoint[0], "v2_lora_ZoomIn.ckpt", 1.0)


def test_animatelcm_on_auto_samples_with_the_distilled_lcm_schedule(checkpoint, motion_folders):
    """What the animatelcm example relies on: without LCM sampling its 4-step run would be noise."""
    name = "AnimateLCM_sd15_t2v.ckpt"
    link = os.path.join(motion_folders, "animatediff_models", name)
    if not os.path.lexists(link):
        os.symlink(models.example_motion_path(name), link)
    model = checkpoint[0]
    sampling = load(model, name, beta_schedule="auto")["result"][0].get_model_object("model_sampling")
    assert isinstance(sampling, ModelSamplingDiscreteDistilled) and isinstance(sampling, LCM)

    class Reference(ModelSamplingDiscreteDistilled, LCM):
        pass

    # The host's own LCM sampling over AnimateDiff's training betas: 50 distilled sigmas.
    training = {"beta_schedule": "sqrt_linear", "linear_start": 0.00085, "linear_end": 0.012}
    reference = Reference(type("Config", (), {"sampling_settings": training})())
    assert sampling.sigmas.shape == (50,) and torch.equal(sampling.sigmas, reference.sigmas)
    # Patched into the clone only; a non-LCM motion model keeps plain eps sampling.
    for other in (model, load(model)["result"][0]):
        assert not isinstance(other.get_model_object("model_sampling"), (ModelSamplingDiscreteDistilled, LCM))


@pytest.mark.parametrize("name", list(models.LIGHTNING))
def test_node_reports_lightning_and_how_to_sample_it(checkpoint, motion_folders, name):
    os.symlink(models.lightning_path(name), os.path.join(motion_folders, "animatediff_models", name))
    text = load(checkpoint[0], name)["ui"]["text"][0]
    assert text.startswith("AnimateDiff v2 (AnimateDiff-Lightning 4-step) motion model for SD1.5")
    assert "sample with 4 steps, cfg 1, sampler euler, scheduler sgm_uniform" in text
