"""What a SparseCtrl file (AnimateDiff v3's v3_sd15_sparsectrl_rgb / _scribble) holds, read from its keys and shapes.

A SparseCtrl model is an SD1.5 ControlNet in diffusers names (the UNet's down half and middle block, a zero 1x1
conv per skip, `controlnet_down_blocks.k`, and `controlnet_mid_block`) with three differences: its noisy-sample
input is zeroed, so only the condition drives it; the condition is the keyframe content with a mask channel
appended (1 on frames that carry a keyframe, 0 elsewhere, where the content is zero too); and a motion module with
one self-attention block follows every down-block layer, so keyframes spread across frames.
- "rgb" (simplified embedding): one 3x3 conv `controlnet_cond_embedding` from VAE latents (4 channels) + mask;
- "scribble" (full embedding): `controlnet_cond_embedding.conv_in`, `blocks.0-5`, `conv_out`, downsampling the
  image (3 channels) + mask 8x, as an image ControlNet's hint block does.
Every size comes from the file.
"""
import re
from dataclasses import dataclass

from .errors import MotionModelError
from .formats import MODULE_KEY, looks_like, read_motion_tensors

SIMPLE = "controlnet_cond_embedding.weight"
FULL = "controlnet_cond_embedding.conv_in.weight"
RESNET = re.compile(r"^down_blocks\.(\d+)\.resnets\.(\d+)\.conv1\.weight$")


@dataclass(frozen=True)
class SparseCtrlLayout:
    variant: str  # "rgb" or "scribble"
    condition_channels: int  # without the mask channel: 4 latent channels (rgb) or 3 image channels (scribble)
    model_channels: int
    channel_mult: tuple
    num_res_blocks: tuple
    transformer_depth: tuple  # per down-block layer
    context_dim: int
    in_channels: int

    @property
    def latent_condition(self):
        return self.variant == "rgb"


def read_sparsectrl_file(sd, label):
    """(SparseCtrlLayout, image ControlNet tensors in diffusers names, MotionLayout, motion tensors)."""
    _check_kind(sd, label)
    embedding = sd.get(SIMPLE, sd.get(FULL))
    variant = "rgb" if SIMPLE in sd else "scribble"
    if embedding.ndim != 4 or embedding.shape[1] < 2:
        key = SIMPLE if variant == "rgb" else FULL
        raise MotionModelError(f"{label}: {key} has shape {list(embedding.shape)}, expected [C, condition "
                               f"channels + 1 mask channel, 3, 3]")
    motion_layout, motion = read_motion_tensors(sd, label)
    image = {key: tensor for key, tensor in sd.items() if not MODULE_KEY.search(key)}
    return _layout(image, variant, embedding.shape[1] - 1, label), image, motion_layout, motion


def _check_kind(sd, label):
    has_motion = any(MODULE_KEY.search(key) for key in sd)
    has_embedding = SIMPLE in sd or FULL in sd
    if has_embedding and has_motion:
        return
    if has_motion:
        raise MotionModelError(f"{label}: a motion model, not a SparseCtrl model (no `controlnet_cond_embedding` "
                               f"keys): put it in models/animatediff_models and load it with Load Motion Module")
    if has_embedding or any(key.startswith(("control_model.", "zero_convs.")) for key in sd):
        raise MotionModelError(f"{label}: an image ControlNet (no motion modules), not a SparseCtrl model: load it "
                               f"with the stock Load ControlNet Model node")
    raise MotionModelError(f"{label}: not a SparseCtrl model: {looks_like(list(sd))}. Expected "
                           f"`controlnet_cond_embedding` and `down_blocks.0.motion_modules.0...` keys, as in "
                           f"v3_sd15_sparsectrl_rgb.ckpt")


def _layout(image, variant, condition_channels, label):
    conv_in = _get(image, "conv_in.weight", label)
    resnets = {}
    for key, tensor in image.items():
        match = RESNET.match(key)
        if match:
            resnets.setdefault(int(match.group(1)), {})[int(match.group(2))] = tensor.shape[0]
    if not resnets:
        raise MotionModelError(f"{label}: no down_blocks.i.resnets.j keys, expected an SD1.5 ControlNet's down blocks")
    levels = range(max(resnets) + 1)
    depth = tuple(int(f"down_blocks.{i}.attentions.{j}.norm.weight" in image)
                  for i in levels for j in range(len(resnets.get(i, {}))))
    context = next((t.shape[1] for k, t in image.items() if k.endswith("attn2.to_k.weight")), None)
    model_channels = conv_in.shape[0]
    return SparseCtrlLayout(
        variant, condition_channels, model_channels,
        channel_mult=tuple(resnets[i][0] // model_channels for i in levels),
        num_res_blocks=tuple(len(resnets[i]) for i in levels), transformer_depth=depth, context_dim=context,
        in_channels=conv_in.shape[1])


def _get(sd, key, label):
    tensor = sd.get(key)
    if tensor is None:
        raise MotionModelError(f"{label}: missing key {key}, expected in every SparseCtrl model")
    return tensor
