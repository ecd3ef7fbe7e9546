"""SparseCtrl as a host ControlNet: the stock Apply ControlNet nodes, strength and start/end percent work on it.

The image layers are the host's own ControlNet (comfy.cldm.cldm.ControlNet, built with the sizes read from the
file and loaded through the host's diffusers-to-ldm key map); SparseCtrlNet adds what SparseCtrl changes:
the noisy sample is replaced by zeros, the keyframe content is zeroed where the mask is 0 (VAE latents of a black
frame are not zero), and a motion module runs after each down-block layer. SparseCtrl wraps the host's
ControlNet: the frame mask travels as the host's `extra_concat` (appended as the last hint channel), so the
Context Window Sampler slices it per window with the hint, and a window without keyframes gets zero content and
a zero mask, as the original pipeline feeds frames without one.
"""
import comfy.cldm.cldm
import comfy.controlnet
import comfy.latent_formats
import comfy.model_management
import comfy.ops
import comfy.utils
import torch
from comfy.ldm.modules.diffusionmodules.openaimodel import TimestepEmbedSequential

from ..motion.errors import MotionModelError
from ..motion.files import read_state_dict
from ..motion.loader import build_motion_model
from ..motion.patch import FRAMES
from ..motion.sparsectrl import read_sparsectrl_file

HEADS = 8  # SD1.5's, fixed by the architecture (not stored in the file)


class SparseMotionLayer(torch.nn.Module):
    """A motion module after a ControlNet input-block layer; the host calls it with x alone."""

    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, x):
        frames = FRAMES.get() or x.shape[0]
        dtype = self.module.temporal_transformer.norm.weight.dtype
        return self.module(x.to(dtype), frames).to(x.dtype)


class SparseCtrlNet(comfy.cldm.cldm.ControlNet):
    def forward(self, x, hint, timesteps, context, y=None, **kwargs):
        content, mask = hint[:, :-1], hint[:, -1:]
        hint = torch.cat([content * mask, mask], dim=1)
        return super().forward(torch.zeros_like(x), hint, timesteps, context, y, **kwargs)


class SparseCtrl(comfy.controlnet.ControlNet):
    """keyframes: one 0/1 value per frame of the hint (None: every frame of the hint is a keyframe)."""

    keyframes = None
    variant = "rgb"

    def set_cond_hint(self, cond_hint, strength=1.0, timestep_percent_range=(0.0, 1.0), vae=None, extra_concat=[]):
        frames = cond_hint.shape[0]
        mask = torch.ones(frames) if self.keyframes is None else self.keyframes
        if mask.shape[0] != frames:
            raise MotionModelError(f"SparseCtrl: the keyframes were placed for {mask.shape[0]} frames but the "
                                   f"image has {frames}; connect Sparse Keyframes' image output to the apply node")
        extra = [mask.view(frames, 1, 1, 1).to(cond_hint)]
        return super().set_cond_hint(cond_hint, strength, timestep_percent_range, vae, extra_concat=extra)

    def get_control(self, x_noisy, t, cond, batched_number, transformer_options):
        token = FRAMES.set(x_noisy.shape[0] // batched_number)
        try:
            return super().get_control(x_noisy, t, cond, batched_number, transformer_options)
        finally:
            FRAMES.reset(token)

    def copy(self):
        c = SparseCtrl(None, load_device=self.load_device, manual_cast_dtype=self.manual_cast_dtype)
        c.control_model, c.control_model_wrapped = self.control_model, self.control_model_wrapped
        c.keyframes, c.variant = self.keyframes, self.variant
        self.copy_to(c)
        return c

    def with_keyframes(self, keyframes):
        c = self.copy()
        c.keyframes = keyframes
        return c


def load_sparsectrl(path):
    sd, name = read_state_dict(path)
    layout, image, motion_layout, motion = read_sparsectrl_file(sd, name)
    motion_model = build_motion_model(motion_layout, motion, name)
    weight_dtype = comfy.utils.weight_dtype(image)
    dtype = comfy.model_management.unet_dtype(model_params=-1, weight_dtype=weight_dtype)
    load_device = comfy.model_management.get_torch_device()
    manual_cast_dtype = comfy.model_management.unet_manual_cast(dtype, load_device)
    operations = comfy.ops.pick_operations(dtype, manual_cast_dtype)
    net = _control_model(layout, operations, dtype)
    missing, unexpected = net.load_state_dict(_ldm_names(image, layout, name), strict=False)
    if missing or unexpected:
        key = (missing or unexpected)[0]
        raise MotionModelError(f"{name}: {'missing' if missing else 'unexpected'} key {key} for an SD1.5 "
                               f"SparseCtrl ControlNet ({len(missing)} missing, {len(unexpected)} unexpected)")
    # Plain torch layers, unlike the net's: they hold the dtype the net computes in (fp8 storage cannot compute).
    _insert_motion(net, motion_model.to(manual_cast_dtype or dtype), layout)
    control = SparseCtrl(net, load_device=load_device, manual_cast_dtype=manual_cast_dtype)
    control.variant = layout.variant
    if layout.latent_condition:
        control.latent_format, control.compression_ratio = comfy.latent_formats.SD15(), 1
    return control, motion_model


def _control_model(layout, operations, dtype):
    net = SparseCtrlNet(
        image_size=32, in_channels=layout.in_channels, model_channels=layout.model_channels,
        hint_channels=layout.condition_channels + 1, num_res_blocks=list(layout.num_res_blocks),
        channel_mult=list(layout.channel_mult), transformer_depth=list(layout.transformer_depth),
        transformer_depth_middle=1, transformer_depth_output=[0] * sum(n + 1 for n in layout.num_res_blocks),
        context_dim=layout.context_dim, num_heads=HEADS, use_spatial_transformer=True, legacy=False,
        use_linear_in_transformer=False, dtype=dtype, device=comfy.model_management.unet_offload_device(),
        operations=operations)
    if layout.latent_condition:
        net.input_hint_block = TimestepEmbedSequential(operations.conv_nd(
            2, layout.condition_channels + 1, layout.model_channels, 3, padding=1, dtype=dtype,
            device=comfy.model_management.unet_offload_device()))
    return net


def _ldm_names(image, layout, label):
    config = {"num_res_blocks": list(layout.num_res_blocks), "channel_mult": list(layout.channel_mult),
              "transformer_depth": list(layout.transformer_depth), "transformer_depth_middle": 1,
              "transformer_depth_output": [0] * sum(n + 1 for n in layout.num_res_blocks)}
    names = {diffusers: ldm for diffusers, ldm in comfy.utils.unet_to_diffusers(config).items()}
    for leaf in ("weight", "bias"):
        names[f"controlnet_mid_block.{leaf}"] = f"middle_block_out.0.{leaf}"
        names[f"controlnet_cond_embedding.{leaf}"] = f"input_hint_block.0.{leaf}"
        names[f"controlnet_cond_embedding.conv_in.{leaf}"] = f"input_hint_block.0.{leaf}"
        names[f"controlnet_cond_embedding.conv_out.{leaf}"] = f"input_hint_block.14.{leaf}"
        for k in range(6):
            names[f"controlnet_cond_embedding.blocks.{k}.{leaf}"] = f"input_hint_block.{2 * k + 2}.{leaf}"
        for k in range(1 + sum(layout.num_res_blocks) + len(layout.channel_mult) - 1):
            names[f"controlnet_down_blocks.{k}.{leaf}"] = f"zero_convs.{k}.0.{leaf}"
    unknown = next((key for key in image if key not in names), None)
    if unknown is not None:
        raise MotionModelError(f"{label}: unexpected key {unknown} for an SD1.5 SparseCtrl ControlNet")
    return {names[key]: tensor for key, tensor in image.items()}


def _insert_motion(net, motion_model, layout):
    """Appends down_blocks.i.motion_modules.j to the input block of the i-th level's j-th layer."""
    n = 1
    for i, layers in enumerate(layout.num_res_blocks):
        for j in range(layers):
            block = net.input_blocks[n]
            module = motion_model.get_submodule(f"down_blocks.{i}.motion_modules.{j}")
            net.input_blocks[n] = TimestepEmbedSequential(*block, SparseMotionLayer(module))
            n += 1
        n += 1  # the downsampler's block
