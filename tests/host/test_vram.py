"""Tempo's models under the host's memory manager: loaded, counted and offloaded like the host's own models.

The CPU is the load device here, so what is checked is what the manager records (the loaded models, their sizes,
which layers it left in cast mode) and that partial loading, as `--lowvram` and `--novram` do it, changes no
number."""
import copy
import os

import comfy_host
import comfy.model_management
import comfy.ops
import folder_paths
import models
import pytest
import torch

import sparsectrl_files
from motion_sampling import sample
from tempo.interp import interpolate, load_interpolator
from tempo.motion.patch import ATTACHMENT_KEY, FrameGroupNorm, TempoBlock, get_attachment
from tempo.nodes.interpolate import FILMInterpolate
from tempo.nodes.motion_model import ApplyMotionLoRA, LoadMotionModule
from tempo.nodes.sparse_control import load_sparsectrl

MOTION = "mm_sd_v15_v2.ckpt"


@pytest.fixture(scope="module")
def model_folders(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("models"))
    models.populate(root)
    models.link_film(root)
    kinds = ("animatediff_models", "animatediff_motion_lora", "frame_interpolation", "rife")
    with comfy_host.model_folders({kind: os.path.join(root, kind) for kind in kinds}):
        yield root


@pytest.fixture(autouse=True)
def nothing_loaded():
    comfy.model_management.unload_all_models()
    yield
    comfy.model_management.unload_all_models()


def animate(model):
    return LoadMotionModule().load(model, MOTION, 1.0, 1.0, "auto")["result"][0]


def motion_patcher(patched):
    return patched.get_additional_models_with_key(ATTACHMENT_KEY)[0]


def loaded():
    return comfy.model_management.loaded_models()


def nbytes(module):
    return sum(t.numel() * t.element_size() for t in module.state_dict().values())


def test_motion_model_is_loaded_and_counted_with_the_unet(checkpoint, model_folders):
    model, clip, _ = checkpoint
    patched = animate(model)
    sample(patched, clip, steps=1)
    patcher = motion_patcher(patched)
    motion_model = get_attachment(patched).motion_model
    assert patcher.model is motion_model and patcher in loaded()
    assert any(m.model is model.model for m in loaded())
    assert patcher.model_size() == nbytes(motion_model) and patcher.loaded_size() == patcher.model_size()


def budgeted(monkeypatch, motion_model, budget):
    """The manager gives the motion model `budget` bytes, as it computes one under --lowvram (--novram: 0.1)."""
    model_load = comfy.model_management.LoadedModel.model_load

    def load(self, lowvram_model_memory=0, force_patch_weights=False):
        if self.model.model is motion_model:  # the host loads a clone of the attached patcher
            lowvram_model_memory = budget
        return model_load(self, lowvram_model_memory, force_patch_weights)
    monkeypatch.setattr(comfy.model_management.LoadedModel, "model_load", load)


@pytest.mark.parametrize("share, lora", [(0.5, False), (0.0, False), (0.5, True)],
                         ids=["lowvram", "novram", "lowvram-lora"])
def test_partially_loaded_motion_model_samples_as_a_full_load(checkpoint, model_folders, monkeypatch, share, lora):
    model, clip, _ = checkpoint
    patched = animate(model)
    if lora:  # its projections are Tempo's own layers, which the host leaves where they are and which follow x
        patched = ApplyMotionLoRA().apply(patched, models.MOTION_LORAS[0], 1.0)[0]
    full = sample(patched, clip, steps=1)
    comfy.model_management.unload_all_models()
    patcher = motion_patcher(patched)
    budgeted(monkeypatch, patcher.model, share * patcher.model_size() or 0.1)
    seen = {}

    def record(executor, *args, **kwargs):  # the layers' state while the motion model is loaded
        layers = [m for m in patcher.model.modules() if isinstance(m, comfy.ops.CastWeightBiasOp)]
        seen["cast"] = sum(m.comfy_cast_weights for m in layers), len(layers)
        seen["loaded"] = patcher.loaded_size()
        return executor(*args, **kwargs)
    patched = patched.clone()
    patched.add_wrapper_with_key("diffusion_model", "test_vram", record)
    partial = sample(patched, clip, steps=1)
    cast, layers = seen["cast"]
    assert 0 < cast and (cast < layers if share else cast == layers)
    assert seen["loaded"] < patcher.model_size()
    assert torch.equal(partial, full)


def test_position_tables_follow_the_input_device(checkpoint, model_folders):
    """Partial loading moves only the layers the host knows; the sinusoid tables stay on the offload device."""
    module = copy.deepcopy(get_attachment(animate(checkpoint[0])).motion_model.positions()[0][1])
    tables = dict(module.named_buffers())
    module.to_empty(device="meta")
    for name, buffer in tables.items():
        module.get_submodule(name.removesuffix(".pe")).pe = buffer
    x = torch.empty(4, module.temporal_transformer.norm.num_channels, 2, 2, device="meta")
    assert module(x, 4).device.type == "meta"


def test_after_unload_all_models_nothing_of_tempo_is_loaded(checkpoint, model_folders):
    """What POST /free does: every Tempo model unloaded, its weights on the offload device, the UNet unpatched."""
    model, clip, _ = checkpoint
    patched = animate(model)
    sample(patched, clip, steps=1)
    images = torch.rand(2, 64, 64, 3)
    FILMInterpolate().interpolate(images, 2, models.FILM, "exact times k/m", False)
    comfy.model_management.unload_all_models()
    assert loaded() == []
    patcher = motion_patcher(patched)
    assert patcher.loaded_size() == 0 and patcher.model.device == patcher.offload_device
    unet = model.model.diffusion_model
    assert not any(isinstance(m, (TempoBlock, FrameGroupNorm)) for m in unet.modules())


@pytest.mark.parametrize("method", [models.FILM, models.RIFE])
def test_interpolation_model_is_loaded_through_the_manager(model_folders, method):
    images = torch.rand(3, 64, 64, 3, generator=torch.Generator().manual_seed(0))
    first = FILMInterpolate().interpolate(images, 2, method, "exact times k/m", False)[0]
    [patcher] = [m for m in loaded() if type(m.model).__name__ in ("FILM", "RIFE")]
    assert patcher.model_size() == nbytes(patcher.model) and patcher.loaded_size() == patcher.model_size()
    second = FILMInterpolate().interpolate(images, 2, method, "exact times k/m", False)[0]
    assert [m for m in loaded() if m.model is patcher.model] == [patcher]  # the same model, not a copy per run
    folder = "frame_interpolation" if method == models.FILM else "rife"
    path = folder_paths.get_full_path(folder, method)
    reference = load_interpolator(path)
    if method == models.RIFE:
        from tempo.interp import RifeMethod
        reference = RifeMethod(reference, 1.0, False)
    expected = interpolate(images, reference, 2)
    assert torch.equal(first, expected) and torch.equal(second, expected)


def test_sparsectrl_motion_modules_are_part_of_its_controlnet(tmp_path):
    """Counted, loaded and cast with the ControlNet the host manages: its motion modules are built from the same
    layer classes as the net's own layers and their bytes are in the net's patcher."""
    sd = sparsectrl_files.make_state_dict("rgb", channels=32, seed=5)
    control, motion_model = load_sparsectrl(sparsectrl_files.write_file(sd, tmp_path / "sparsectrl_rgb.ckpt"))
    net = control.control_model
    assert control.control_model_wrapped in control.get_models()
    assert control.control_model_wrapped.model_size() == nbytes(net) > nbytes(motion_model)
    module = motion_model.positions()[0][1]
    assert any(layer is module for layer in net.modules())
    assert type(module.temporal_transformer.proj_in) is type(net.time_embed[0])
