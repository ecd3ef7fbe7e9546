"""SparseCtrl on the host: its forward against a float64 evaluation written from the original structure, and the
hint and mask each context window receives."""
import copy
import math

import comfy.controlnet
import nodes as comfy_nodes
import pytest
import torch
import torch.nn.functional as F

import sparsectrl_files
from motion_reference import reference as motion_reference
from tempo.nodes.context_sampler import ContextWindowSampler
from tempo.nodes.sparse_control import SparseCtrl, load_sparsectrl
from tempo.nodes.sparsectrl import SparseKeyframes


CHANNELS = 32
LEVELS = 4


@pytest.fixture(scope="module", params=["rgb", "scribble"])
def sparsectrl(request, tmp_path_factory):
    sd = sparsectrl_files.make_state_dict(request.param, channels=CHANNELS, seed=5)
    path = sparsectrl_files.write_file(sd, tmp_path_factory.mktemp("sc") / sparsectrl_files.RELEASED_NAMES[
        request.param])
    control, _ = load_sparsectrl(path)
    return request.param, sd, control


def reference(sd, net, hint, timestep, context, frames):
    """Float64: zero noisy input through conv_in, the condition (content zeroed off the keyframes, mask appended)
    through the embedding, then per level resnet, cross-attention, motion module; zero 1x1 convs on every skip.
    The resnets and cross-attention transformers are the host's own layers (double copies): what is checked is
    what SparseCtrl adds and where."""
    p = {key: tensor.double() for key, tensor in sd.items()}
    net = copy.deepcopy(net).double()
    half = p["time_embedding.linear_1.weight"].shape[1] // 2
    angles = timestep.double()[:, None] * torch.exp(-math.log(10000) * torch.arange(half).double() / half)
    t = torch.cat([angles.cos(), angles.sin()], dim=1)  # flip_sin_to_cos
    emb = F.linear(F.silu(F.linear(t, p["time_embedding.linear_1.weight"], p["time_embedding.linear_1.bias"])),
                   p["time_embedding.linear_2.weight"], p["time_embedding.linear_2.bias"])
    content, mask = hint[:, :-1].double(), hint[:, -1:].double()
    condition = torch.cat([content * mask, mask], dim=1)
    if "controlnet_cond_embedding.weight" in p:
        embedded = F.conv2d(condition, p["controlnet_cond_embedding.weight"], p["controlnet_cond_embedding.bias"],
                            padding=1)
    else:
        embedded = condition
        names = ["conv_in"] + [f"blocks.{k}" for k in range(6)]
        for k, name in enumerate(names):
            stride = 2 if k in (2, 4, 6) else 1
            embedded = F.silu(F.conv2d(embedded, p[f"controlnet_cond_embedding.{name}.weight"],
                                       p[f"controlnet_cond_embedding.{name}.bias"], stride=stride, padding=1))
        embedded = F.conv2d(embedded, p["controlnet_cond_embedding.conv_out.weight"],
                            p["controlnet_cond_embedding.conv_out.bias"], padding=1)
    h = p["conv_in.bias"][None, :, None, None] + embedded  # conv_in of the zeroed sample is its bias
    skips, context, n = [h], context.double(), 1
    for i in range(LEVELS):
        for j in range(2):
            h = net.input_blocks[n][0](h, emb)
            if i < 3:
                h = net.input_blocks[n][1](h, context)
            h = motion_reference(p, f"down_blocks.{i}.motion_modules.{j}", h, frames)
            skips.append(h)
            n += 1
        if i < LEVELS - 1:
            h = net.input_blocks[n][0](h)
            skips.append(h)
            n += 1
    h = net.middle_block(h, emb, context)
    outputs = [F.conv2d(s, p[f"controlnet_down_blocks.{k}.weight"], p[f"controlnet_down_blocks.{k}.bias"])
               for k, s in enumerate(skips)]
    return outputs, F.conv2d(h, p["controlnet_mid_block.weight"], p["controlnet_mid_block.bias"])


@pytest.mark.parametrize("keyframes", [(1, 0, 0, 1), (0, 0, 0, 0)], ids=["keyframes", "no-keyframe"])
def test_forward_matches_float64_reference(sparsectrl, keyframes):
    variant, sd, control = sparsectrl
    frames, size = len(keyframes), 16  # the deepest level 2x2: a 1x1 GroupNorm group is rounding noise
    generator = torch.Generator().manual_seed(2)
    channels, hint_size = (4, size) if variant == "rgb" else (3, size * 8)
    mask = torch.tensor(keyframes, dtype=torch.float32).view(frames, 1, 1, 1).expand(frames, 1, hint_size,
                                                                                    hint_size)
    # Content on every frame: what is off the keyframes must be ignored.
    hint = torch.cat([torch.randn(frames, channels, hint_size, hint_size, generator=generator), mask], dim=1)
    x = torch.randn(frames, 4, size, size, generator=generator)
    timestep = torch.full((frames,), 400.0)
    context = torch.randn(frames, 77, 768, generator=generator)
    out = control.control_model(x=x, hint=hint, timesteps=timestep, context=context)
    ref_outputs, ref_middle = reference(sd, control.control_model, hint, timestep, context, frames)
    for got, want in zip(out["output"] + out["middle"], ref_outputs + [ref_middle]):
        assert (got.double() - want).abs().max() <= 1e-4 * max(want.abs().max(), 1.0)
    assert len(out["output"]) == 12


def test_windows_get_their_frames_keyframes_and_mask(sparsectrl, checkpoint):
    variant, _, control = sparsectrl
    model, clip, vae = checkpoint
    frames = 20
    # Frame f's keyframe is the constant (f + 1) / 32 in every channel, so a received hint names its frames.
    images = torch.stack([torch.full((64, 64, 3), (f + 1) / 32) for f in (0, 19)])
    control, placed, _ = SparseKeyframes().place(control, images, "0, -1", frames)
    positive = comfy_nodes.CLIPTextEncode().encode(clip, "a lighthouse")[0]
    positive, negative = comfy_nodes.ControlNetApplyAdvanced().apply_controlnet(
        positive, positive, control, placed, 1.0, 0.0, 1.0, vae=vae if variant == "rgb" else None)
    received = []
    net = control.control_model
    original = SparseCtrl.get_control

    def spy(self, x_noisy, t, cond, batched_number, transformer_options):
        window = transformer_options["context_window"].index_list
        received.append((list(window), self.cond_hint_original.clone(), self.extra_concat_orig[0].flatten().clone()))
        return original(self, x_noisy, t, cond, batched_number, transformer_options)

    SparseCtrl.get_control = spy
    try:
        ContextWindowSampler().sample(model, positive, negative, {"samples": torch.zeros(frames, 4, 8, 8)}, 1, 1,
                                      6.0, "euler", "normal", 1.0, context_length=8, context_overlap=2,
                                      context_stride=1, closed_loop=False, context_schedule="static",
                                      fuse_method="pyramid", freenoise=False, windows_per_batch=1)
    finally:
        SparseCtrl.get_control = original
    assert net is control.control_model
    windows = {tuple(w) for w, _, _ in received}
    assert any(0 not in w and 19 not in w for w in windows), "expected a window with no keyframe"
    for window, hint, mask in received:
        expected_mask = torch.tensor([1.0 if f in (0, 19) else 0.0 for f in window])
        assert torch.equal(mask, expected_mask)
        expected = torch.stack([torch.full((3, 64, 64), (f + 1) / 32 if f in (0, 19) else 0.0) for f in window])
        assert torch.equal(hint, expected)
