"""Tempo under the precisions users run ComfyUI in (bf16, fp16, fp8 storage), at fixture size on the CPU.

The references are fp32. Half precision changes every number a little, so Tempo is held to the plain KSampler:
on the same frames, prompts and controls without motion, the same two precisions differ by some amount; each of Tempo's
graphs (motion, context windows, batched windows, FreeNoise, motion LoRA, SparseCtrl and ControlNet in windows)
may add only a bounded multiple of it (see BOUND)."""
import os
from functools import cached_property

import comfy.controlnet
import comfy.ops
import nodes as comfy_nodes
import pytest
import torch

import comfy_host
import models
import motion_files
from half_precision import compute_dtype
from tempo.motion.patch import get_attachment
from tempo.nodes.context_sampler import ContextWindowSampler
from tempo.nodes.motion_model import ApplyMotionLoRA, LoadMotionModule
from tempo.nodes.sparse_control import load_sparsectrl
from tempo.nodes.sparsectrl import SparseKeyframes

MOTION = "mm_sd_v15_v2_fp16.safetensors"
LORA = "v2_lora_ZoomIn.ckpt"
# Tempo's distance from fp32 over the plain sampler's. The motion modules add a few half-precision matmuls and
# attention per block to a UNet that already rounds every layer, so their own rounding is of the same order:
# measured over the graphs 1.06-1.09 (bf16), 1.04-1.26 (fp16), 0.67-0.93 (fp8 storage, fp32 compute). A motion
# model computing in another half dtype than the UNet (bf16 modules in an fp16 UNet) measured 8.4, so 3 leaves
# margin on both sides.
BOUND = 3.0
# 4 frames, one step, cfg 1 (one UNet batch): the cheapest run through every motion module and, with windows of 3
# overlapping by 2, through two windows and their fusing.
FRAMES = 4
WINDOWS = dict(context_length=3, context_overlap=2, context_stride=1, closed_loop=False, context_schedule="static",
               fuse_method="pyramid", freenoise=False, windows_per_batch=1)


@pytest.fixture(scope="session")
def model_folders(tmp_path_factory):
    """An fp16 motion file, as the released v2 model is distributed, and a motion LoRA."""
    root = tmp_path_factory.mktemp("models")
    motion_files.write_file(motion_files.make_motion_state_dict("v2", channels=320, dtype=torch.float16),
                            str(root / MOTION))
    os.symlink(models.lora_path(LORA), root / LORA)
    with comfy_host.model_folders({"animatediff_models": root, "animatediff_motion_lora": root}):
        yield root


def encode(clip, text):
    return comfy_nodes.CLIPTextEncode().encode(clip, text)[0]


def latent():
    return {"samples": torch.zeros(FRAMES, 4, 8, 8)}


def ksampler(model, positive, negative):
    return comfy_nodes.common_ksampler(model, 3, 1, 1.0, "euler", "normal", positive, negative, latent())[0]["samples"]


def windowed(model, positive, negative, **options):
    return ContextWindowSampler().sample(model, positive, negative, latent(), 3, 1, 1.0, "euler", "normal", 1.0,
                                         **WINDOWS | options)[0]["samples"]


class Graphs:
    """The inputs of every graph on one loaded checkpoint, loaded when a graph first needs them (so each loads in
    the precision the host is in)."""

    def __init__(self, model, clip, vae):
        self.model, self.clip, self.vae = model, clip, vae

    @cached_property
    def prompts(self):
        return encode(self.clip, "a boat"), encode(self.clip, "blurry")

    @cached_property
    def plain(self):
        return ksampler(self.model, *self.prompts)

    @cached_property
    def animated(self):
        return LoadMotionModule().load(self.model, MOTION, 1.0, 1.0, "auto")["result"][0]

    @cached_property
    def with_lora(self):
        return ApplyMotionLoRA().apply(self.animated, LORA, 1.0)[0]

    def controlled(self, control, images, vae=None):
        return comfy_nodes.ControlNetApplyAdvanced().apply_controlnet(*self.prompts, control, images, 1.0, 0.0, 1.0,
                                                                      vae=vae)[:2]

    @cached_property
    def sparsectrl(self):
        """SparseCtrl RGB with keyframes on the first and last frames."""
        control, _ = load_sparsectrl(models.sparsectrl_rgb_path())
        control, placed, _ = SparseKeyframes().place(control, hints(2), "0, -1", FRAMES)
        return self.controlled(control, placed, self.vae)

    @cached_property
    def controlnet(self):
        """The host's ControlNet with a hint per frame, which the windows slice."""
        return self.controlled(comfy.controlnet.load_controlnet(models.controlnet_path()), hints(FRAMES))


def hints(count):
    return torch.stack([torch.full((64, 64, 3), value) for value in torch.linspace(0.2, 0.8, count).tolist()])


# name -> (Tempo's graph, the plain KSampler graph it is held to: the same frames, prompts and controls, no motion).
# One run covers several features where they combine (each graph costs a run per precision).
GRAPHS = {
    "motion with a LoRA": (lambda g: ksampler(g.with_lora, *g.prompts), lambda g: g.plain),
    "batched windows with FreeNoise": (lambda g: windowed(g.animated, *g.prompts, freenoise=True,
                                                          windows_per_batch=2), lambda g: g.plain),
    # A control network rounds on its own: the plain graph keeps it, and the windows and motion are what is held.
    # (SparseCtrl's network alone, with the plain KSampler, measured 4.0 times the sampler without it in bf16, 1.1
    # in fp16, RGB and scribble alike; with windows and motion 3.8.)
    "sparsectrl in windows": (lambda g: windowed(g.animated, *g.sparsectrl),
                              lambda g: ksampler(g.model, *g.sparsectrl)),
    "controlnet in windows": (lambda g: windowed(g.animated, *g.controlnet),
                              lambda g: ksampler(g.model, *g.controlnet)),
}


@pytest.fixture(scope="session")
def fp32_results(checkpoint, model_folders):
    """Every graph in fp32 (session scope: pytest sets it up before the module's precision is entered)."""
    g = Graphs(*checkpoint)
    return {name: (tempo(g), plain(g)) for name, (tempo, plain) in GRAPHS.items()}


@pytest.fixture(scope="module")
def graphs(precision_checkpoint, model_folders):
    name, model, clip, vae = precision_checkpoint
    return name, Graphs(model, clip, vae)


def nbytes(module):
    return sum(p.numel() * p.element_size() for p in module.parameters())


def test_motion_model_is_stored_and_computed_like_the_unet(graphs, model_folders):
    """Stored in the UNet's storage dtype (fp8 included, no wider copy), built from the host's layers, which cast
    per call exactly when the UNet's do, and computing in the UNet's compute dtype."""
    name, g = graphs
    motion_model = get_attachment(g.animated).motion_model
    dtypes = {p.dtype for p in motion_model.parameters()}
    print(f"\n{name}: UNet stored {g.model.model.get_dtype()}, computes {compute_dtype(g.model)}; "
          f"motion model {dtypes}, {nbytes(motion_model) / 2**20:.1f} MiB")
    assert dtypes == {g.model.model.get_dtype()}
    layers = [m for m in motion_model.modules() if list(m.parameters(recurse=False))]
    casts = g.model.model.manual_cast_dtype is not None
    assert all(isinstance(m, comfy.ops.CastWeightBiasOp) and m.comfy_cast_weights == casts for m in layers)
    module = motion_model.positions()[0][1]
    x = torch.randn(FRAMES, module.temporal_transformer.norm.num_channels, 2, 2, dtype=compute_dtype(g.model))
    out = module(x, FRAMES)
    assert out.dtype == compute_dtype(g.model) and torch.isfinite(out).all()
    if compute_dtype(g.model) == torch.float16:  # the fp16 file is kept as it is, not widened to fp32
        assert nbytes(motion_model) <= os.path.getsize(model_folders / MOTION)


def relative_distance(a, b):
    return ((a.float() - b.float()).norm() / b.float().norm()).item()


@pytest.mark.parametrize("graph", GRAPHS)
def test_tempo_adds_no_more_than_the_plain_sampler_differs(graphs, fp32_results, graph):
    name, g = graphs
    if name == "fp32":
        pytest.skip("the reference itself")
    tempo, plain = GRAPHS[graph]
    tempo_out, plain_out = tempo(g), plain(g)
    assert tempo_out.shape == (FRAMES, 4, 8, 8) and torch.isfinite(tempo_out).all()
    tempo_distance = relative_distance(tempo_out, fp32_results[graph][0])
    plain_distance = relative_distance(plain_out, fp32_results[graph][1])
    print(f"\n{graph}, {name} vs fp32: plain {plain_distance:.2e}, Tempo {tempo_distance:.2e}, "
          f"ratio {tempo_distance / plain_distance:.2f}")
    assert tempo_distance <= BOUND * plain_distance
