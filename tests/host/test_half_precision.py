"""Tempo under the precisions users run ComfyUI in (bf16, fp16, fp8 storage), at fixture size on the CPU.

The references are fp32. Half precision changes every number a little, so Tempo is held to the plain KSampler:
on the same graph without motion, the same two precisions differ by some amount; the motion model may add only a
bounded multiple of it (see BOUND)."""
import os

import comfy.ops
import folder_paths
import nodes as comfy_nodes
import pytest
import torch

import motion_files
from half_precision import compute_dtype
from motion_sampling import sample
from tempo.motion.patch import get_attachment
from tempo.nodes.context_sampler import ContextWindowSampler
from tempo.nodes.motion_model import LoadMotionModule

MOTION = "mm_sd_v15_v2_fp16.safetensors"
# Tempo's distance from fp32 over the plain sampler's. The motion modules add a few half-precision matmuls and
# attention per block to a UNet that already rounds every layer, so their own rounding is of the same order:
# measured 1.08 (bf16), 1.24 (fp16), 0.91 (fp8 storage, fp32 compute). A motion model computing in another half
# dtype than the UNet (bf16 modules in an fp16 UNet) measured 8.4, so 3 leaves margin on both sides.
BOUND = 3.0


@pytest.fixture(scope="session")
def motion_folder(tmp_path_factory):
    """An fp16 motion file, as the released v2 model is distributed."""
    folder = tmp_path_factory.mktemp("animatediff_models")
    sd = motion_files.make_motion_state_dict("v2", channels=320, dtype=torch.float16)
    motion_files.write_file(sd, str(folder / MOTION))
    saved = folder_paths.folder_names_and_paths["animatediff_models"]
    folder_paths.folder_names_and_paths["animatediff_models"] = ([str(folder)], saved[1])
    yield folder
    folder_paths.folder_names_and_paths["animatediff_models"] = saved


def animate(model):
    return LoadMotionModule().load(model, MOTION, 1.0, 1.0, "auto")["result"][0]


def run(model, clip):
    """4 frames, one step, cfg 1 (one UNet batch): the cheapest call that goes through every motion module."""
    return sample(model, clip, steps=1, cfg=1.0)


def nbytes(module):
    return sum(p.numel() * p.element_size() for p in module.parameters())


@pytest.fixture(scope="session")
def fp32_reference(checkpoint, motion_folder):
    model, clip, _ = checkpoint
    return run(model, clip), run(animate(model), clip)


def test_motion_model_is_stored_and_computed_like_the_unet(precision_checkpoint, motion_folder):
    """Stored in the UNet's storage dtype (fp8 included, no wider copy), built from the host's layers, which cast
    per call exactly when the UNet's do, and computing in the UNet's compute dtype."""
    name, model, _, _ = precision_checkpoint
    motion_model = get_attachment(animate(model)).motion_model
    dtypes = {p.dtype for p in motion_model.parameters()}
    print(f"\n{name}: UNet stored {model.model.get_dtype()}, computes {compute_dtype(model)}; "
          f"motion model {dtypes}, {nbytes(motion_model) / 2**20:.1f} MiB")
    assert dtypes == {model.model.get_dtype()}
    layers = [m for m in motion_model.modules() if list(m.parameters(recurse=False))]
    casts = model.model.manual_cast_dtype is not None
    assert all(isinstance(m, comfy.ops.CastWeightBiasOp) and m.comfy_cast_weights == casts for m in layers)
    module = motion_model.positions()[0][1]
    x = torch.randn(4, module.temporal_transformer.norm.num_channels, 2, 2, dtype=compute_dtype(model))
    out = module(x, 4)
    assert out.dtype == compute_dtype(model) and torch.isfinite(out).all()
    if compute_dtype(model) == torch.float16:  # the fp16 file is kept as it is, not widened to fp32
        file_bytes = os.path.getsize(motion_folder / MOTION)
        assert nbytes(motion_model) <= file_bytes


def relative_distance(a, b):
    return ((a.float() - b.float()).norm() / b.float().norm()).item()


def test_tempo_adds_no_more_than_the_plain_sampler_differs(precision_checkpoint, fp32_reference, motion_folder):
    name, model, clip, _ = precision_checkpoint
    if name == "fp32":
        pytest.skip("the reference itself")
    plain, tempo = run(model, clip), run(animate(model), clip)
    assert torch.isfinite(tempo).all()
    plain_distance = relative_distance(plain, fp32_reference[0])
    tempo_distance = relative_distance(tempo, fp32_reference[1])
    print(f"\n{name} vs fp32: plain {plain_distance:.2e}, with motion {tempo_distance:.2e}, "
          f"ratio {tempo_distance / plain_distance:.2f}")
    assert tempo_distance <= BOUND * plain_distance


def encode(clip, text):
    return comfy_nodes.CLIPTextEncode().encode(clip, text)[0]


def test_context_windows_in_half_precision(precision_checkpoint, motion_folder):
    name, model, clip, _ = precision_checkpoint
    if name not in ("bf16", "fp16"):
        pytest.skip("half compute only")
    latent = {"samples": torch.zeros(6, 4, 8, 8)}
    windows = dict(context_length=4, context_overlap=2, context_stride=1, closed_loop=False,
                   context_schedule="static", fuse_method="pyramid", freenoise=False, windows_per_batch=1)
    out = ContextWindowSampler().sample(animate(model), encode(clip, "a boat"), encode(clip, "blurry"), latent, 3,
                                        1, 1.0, "euler", "normal", 1.0, **windows)[0]["samples"]
    assert out.shape == (6, 4, 8, 8) and torch.isfinite(out).all()
