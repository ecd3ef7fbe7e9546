"""A latent-reading ControlNet (SparseCtrl RGB) in context windows encodes each hint frame with the VAE once per
sampling, not once per window and step, and samples exactly what encoding every window's hint again gives."""
import models
import nodes as comfy_nodes
import torch

from tempo.nodes.context_sampler import ContextWindowSampler
from tempo.nodes.encoded_hints import EncodedHints
from tempo.nodes.sparse_control import load_sparsectrl
from tempo.nodes.sparsectrl import SparseKeyframes

FRAMES, STEPS = 10, 2
WINDOWS = 3  # static windows of 4 with overlap 1 over 10 frames: [0-3], [3-6], [6-9]


def sample(checkpoint):
    """The sampled latents and the frame count of every VAE encode."""
    model, clip, vae = checkpoint
    control, _ = load_sparsectrl(models.sparsectrl_rgb_path())
    images = torch.stack([torch.full((64, 64, 3), value) for value in (0.2, 0.8)])
    control, placed, _ = SparseKeyframes().place(control, images, "0, -1", FRAMES)
    positive = comfy_nodes.CLIPTextEncode().encode(clip, "a lighthouse")[0]
    negative = comfy_nodes.CLIPTextEncode().encode(clip, "blurry")[0]
    positive, negative = comfy_nodes.ControlNetApplyAdvanced().apply_controlnet(
        positive, negative, control, placed, 1.0, 0.0, 1.0, vae=vae)
    encodes = []
    encode = vae.encode
    vae.encode = lambda pixels: encodes.append(pixels.shape[0]) or encode(pixels)
    latent = {"samples": torch.zeros(FRAMES, 4, 8, 8)}
    try:
        out = ContextWindowSampler().sample(model, positive, negative, latent, 3, STEPS, 6.0, "euler", "normal", 1.0,
                                            context_length=4, context_overlap=1, context_stride=1, closed_loop=False,
                                            context_schedule="static", fuse_method="pyramid", freenoise=False,
                                            windows_per_batch=1)[0]["samples"]
    finally:
        del vae.encode
    return out, encodes


def test_each_frame_encoded_once_and_the_result_unchanged(checkpoint, monkeypatch):
    reused, encodes = sample(checkpoint)
    assert encodes == [4] * WINDOWS, "the first step encodes each window; later steps reuse the frames"
    monkeypatch.setattr(EncodedHints, "known", lambda self, control, hint, frames: None)
    every_window, encodes = sample(checkpoint)
    assert encodes == [4] * WINDOWS * STEPS
    assert torch.equal(reused, every_window)
