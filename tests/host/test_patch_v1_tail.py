"""The end of the v1 UNet as AnimateDiff v1 computed it, against a float64 reference written out here: the last
output block (resnet with GroupNorms over all frames of each video, spatial transformer, motion module), then
the final GroupNorm over all frames of each video, SiLU and the output convolution. v2 keeps per-frame norms."""
import copy

import comfy.model_management
import pytest
import torch
import torch.nn.functional as F
from einops import rearrange

from motion_sampling import FRAMES, motion, sample
from tempo.motion.patch import OUT_NORM, MotionSettings, attach

LAST_BLOCK = "diffusion_model.output_blocks.11"
LAST_MODULE = "up_blocks.3.motion_modules.2"


def group_norm(x, norm, frames):
    """GroupNorm whose statistics span `frames` consecutive rows (one video: frames; per frame: 1), in float64."""
    groups = rearrange(x, "(b f) (g c) h w -> b g (f c h w)", f=frames, g=norm.num_groups)
    mean = groups.mean(-1, keepdim=True)
    var = groups.var(-1, unbiased=False, keepdim=True)
    normalised = rearrange((groups - mean) / torch.sqrt(var + norm.eps), "b g (f c h w) -> (b f) (g c) h w",
                           f=frames, c=x.shape[1] // norm.num_groups, h=x.shape[2])
    return normalised * norm.weight.double()[:, None, None] + norm.bias.double()[:, None, None]


def conv(x, layer):
    bias = None if layer.bias is None else layer.bias.double()
    return F.conv2d(x, layer.weight.double(), bias, padding=layer.padding)


def resblock(block, x, emb, frames):
    """ComfyUI's ResBlock (no scale-shift norm, 1x1 skip convolution) with the given norm span."""
    h = conv(F.silu(group_norm(x, block.in_layers[0], frames)), block.in_layers[2])
    linear = block.emb_layers[1]
    h = h + F.linear(F.silu(emb), linear.weight.double(), linear.bias.double())[:, :, None, None]
    h = conv(F.silu(group_norm(h, block.out_layers[0], frames)), block.out_layers[3])
    return conv(x, block.skip_connection) + h


@torch.no_grad()
def reference_tail(unet, mm, seen, frames):
    """float64: last output block, then out = conv(SiLU(GroupNorm(h))); norms span `frames` rows. Reads the
    UNet's own layers, so no Tempo clone may be patched into it."""
    x, emb = (t.double() for t in seen["resblock"])
    block = unet.output_blocks[11]
    h = resblock(block[0], x, emb, frames)
    h = copy.deepcopy(block[1]).double()(h, seen["context"].double(), {})
    h = copy.deepcopy(mm.get_submodule(LAST_MODULE)).double()(h, FRAMES)
    return conv(F.silu(group_norm(h, unet.out[0], frames)), unet.out[2])


def unpatched_unet(model):
    """The UNet as loaded: the host unpatches the last sampled clone when it unloads it."""
    comfy.model_management.unload_all_models()
    return model.get_model_object("diffusion_model")


def run_tail(model, clip, mm):
    """(the patched clone, the inputs of its last output block and the UNet's output) in one sampling call with
    a cond and an uncond video batched together; frames offset apart so that their statistics differ."""
    patched = attach(model, mm, MotionSettings())
    layers = patched.object_patches[LAST_BLOCK]
    unet = model.get_model_object("diffusion_model")
    seen = {}

    def keep(name, value):  # the first call's only; returns None, which leaves the hooked call as it is
        seen.setdefault(name, value)

    hooks = [layers[0].register_forward_pre_hook(lambda _, args: keep("resblock", args)),
             layers[1].register_forward_pre_hook(lambda _, args: keep("context", args[1])),
             unet.out.register_forward_hook(lambda _, args, out: keep("out", out))]
    latent = 6.0 * torch.arange(FRAMES, dtype=torch.float32).view(-1, 1, 1, 1).expand(FRAMES, 4, 8, 8)
    try:
        sample(patched, clip, steps=1, latent=latent)
    finally:
        for hook in hooks:
            hook.remove()
    assert seen["resblock"][0].shape[0] == 2 * FRAMES  # cond and uncond videos in one call
    return patched, seen


def assert_close(out, reference):
    assert (out.double() - reference).abs().max() <= 1e-4 * reference.abs().max()


@pytest.mark.parametrize("layout,span", [("v1", FRAMES), ("v2", 1)])
def test_unet_tail_norms_span_the_variants_frames(checkpoint, layout, span):
    model, clip, _ = checkpoint
    mm = motion(layout)
    patched, seen = run_tail(model, clip, mm)
    unet = unpatched_unet(model)
    expected = reference_tail(unet, mm, seen, span)
    other = reference_tail(unet, mm, seen, FRAMES + 1 - span)
    assert (expected - other).abs().max() > 100 * 1e-4 * expected.abs().max()  # the span is what is tested
    assert_close(seen["out"], expected)
    assert (OUT_NORM in patched.object_patches) == (layout == "v1")
    assert type(unet.out[0]).__name__ == "GroupNorm"  # restored once the host unpatched the clone
    assert all(type(layer.in_layers[0]).__name__ == "GroupNorm" for layer in unet.output_blocks[11][:1])
