"""Attaches a MotionModel to a ComfyUI model, the one place where Tempo patches the host's model.

Nothing global is touched. A ModelPatcher clone gets
- object patches that swap each UNet block holding a motion position for a new block of the same layer
  objects (no weight is copied) with a MotionLayer inserted where AnimateDiff put its module: after the
  block's resnet and transformer, before an upsampler; in the middle block between the transformer and the
  last resnet. For v1 motion models the rebuilt blocks hold resnet copies whose GroupNorms span all frames of
  a video (what v1 was trained with), and the UNet's final GroupNorm (`out[0]`, v1's conv_norm_out) is swapped
  for one that does the same; both are fed the frame count by a DIFFUSION_MODEL wrapper;
- a `forward_timestep_embed_patch`, the host's hook for layers it does not know, which runs the MotionLayer
  with the sampling step's transformer_options (frames per video, current sigma);
- an attachment (the motion model and its settings) and the motion model as an additional model, so the
  host's memory manager loads it with the UNet;
- optionally a `model_sampling` object patch with the schedule the motion model was trained with.
ModelPatcher restores every object patch when the model is unpatched, so the next workflow, or the same
checkpoint used without motion, sees the UNet exactly as it was loaded.
"""
import copy
from contextvars import ContextVar
from dataclasses import dataclass, field, replace

import comfy.model_patcher
import comfy.model_sampling
import torch
from comfy.patcher_extension import WrappersMP
from einops import rearrange
from comfy.ldm.modules.attention import optimized_attention
from comfy.ldm.modules.diffusionmodules.openaimodel import (Downsample, ResBlock, SpatialTransformer,
                                                            TimestepEmbedSequential, Upsample)
from comfy_extras.nodes_model_advanced import LCM, ModelSamplingDiscreteDistilled

from .errors import MotionModelError
from .frame_counts import check_conds
from .per_frame import at_frames, check_length, video_frames

ATTACHMENT_KEY = "tempo_motion"
OUT_NORM = "diffusion_model.out.0"  # the UNet's final GroupNorm, before SiLU and the output convolution
# Frames per video in the UNet call under way, for layers the host calls without transformer_options.
FRAMES = ContextVar("tempo_frames", default=None)


@dataclass
class MotionSettings:
    scale: float | list = 1.0  # multiplies the temporal attention logits; a list gives one value per frame
    effect: float | list = 1.0  # 0 = the image model alone, 1 = the motion module's full output
    start_percent: float = 0.0
    end_percent: float = 1.0
    sigma_range: tuple = field(default=(float("inf"), 0.0))  # (start, end) sigmas, filled in at attach time


class MotionLayer(torch.nn.Module):
    """One motion-module position inside a UNet block; the weights stay in the motion model, not the UNet."""

    def __init__(self, name, attachment):
        super().__init__()
        self.name = name
        self.attachment = attachment

    def forward(self, x):  # reached only if the host ran the layer without our timestep-embed patch
        raise RuntimeError("Tempo MotionLayer was called outside a Tempo-patched model")


@dataclass
class Attachment:
    motion_model: torch.nn.Module
    settings: MotionSettings


def run_motion_layer(layer, x, emb, context, transformer_options, *args):
    """The host calls this for every MotionLayer (see ModelPatcher.set_model_forward_timestep_embed_patch)."""
    settings = layer.attachment.settings
    sigma = transformer_options.get("sigmas")
    start, end = settings.sigma_range
    if sigma is not None and not (end <= sigma.max().item() <= start):
        return x
    motion_model = layer.attachment.motion_model
    frames = frames_per_video(x, transformer_options)
    if frames > motion_model.max_frames:
        raise MotionModelError(
            f"{frames} frames in one call, but {motion_model.describe()} has trained positions for at most "
            f"{motion_model.max_frames}. Sample with Context Window Sampler and context_length <= "
            f"{motion_model.max_frames}, or use fewer frames.")
    # Inside context windows, per-frame settings follow each video's frames' places in the whole clip.
    indices = video_frames(transformer_options, x.shape[0] // frames, frames)
    scale, effect = at_frames(settings.scale, indices), at_frames(settings.effect, indices)
    if no_effect(effect):
        return x
    module = motion_model.get_submodule(layer.name)
    # x comes in the UNet's compute dtype; the motion layers are the host's, stored like the UNet's and cast as
    # they are (fp8 storage, partial loading).
    out = module(x, frames, scale=scale, attention=optimized_attention)
    if isinstance(effect, torch.Tensor):
        effect = effect.to(x).view(-1, 1, 1, 1)  # (videos, frames) in the batch's (b f) order
    elif effect == 1.0:
        return out
    return torch.lerp(x, out, effect)


def no_effect(effect):
    """Effect 0 on every frame of the call: the blend would discard the module's output, so it need not run."""
    return not effect.any().item() if isinstance(effect, torch.Tensor) else effect == 0


def frames_per_video(x, transformer_options):
    """calc_cond_batch stacks one full video per cond/uncond entry, batch-major."""
    return x.shape[0] // len(transformer_options.get("cond_or_uncond") or [0])


def track_frames(executor, x, *args, **kwargs):
    """DIFFUSION_MODEL wrapper: publishes the frame count for the duration of one UNet call."""
    transformer_options = kwargs.get("transformer_options", args[4] if len(args) > 4 else {})
    token = FRAMES.set(frames_per_video(x, transformer_options))
    try:
        return executor(x, *args, **kwargs)
    finally:
        FRAMES.reset(token)


def check_frame_counts(executor, noise, *args, **kwargs):
    """OUTER_SAMPLE wrapper: before anything loads, per-frame conds, hints and motion lists must fit the clip's
    frames (the latent batch); the host would repeat or truncate them."""
    guider = executor.class_obj
    frames = noise.shape[0]
    check_conds(guider.conds, frames)
    settings = get_attachment(guider.model_patcher).settings
    check_length(settings.scale, frames, "motion_scale_per_frame")
    check_length(settings.effect, frames, "effect_per_frame")
    return executor(noise, *args, **kwargs)


class FrameGroupNorm(torch.nn.Module):
    """A UNet resnet GroupNorm with statistics over all frames of a video, as AnimateDiff v1 was trained."""

    def __init__(self, norm):
        super().__init__()
        self.norm = norm

    def forward(self, x):
        frames = FRAMES.get()
        if frames is None:
            return self.norm(x)
        video = rearrange(x, "(b f) c h w -> b c (f h) w", f=frames)
        return rearrange(self.norm(video), "b c (f h) w -> (b f) c h w", f=frames)


def _unwrapped(norm):
    """The host's own GroupNorm, also while another Tempo clone's FrameGroupNorm is patched in."""
    return norm.norm if isinstance(norm, FrameGroupNorm) else norm


def _frame_norm_resblock(resblock):
    """A shallow copy of a ResBlock whose GroupNorms span all frames; it shares every weight with the original."""
    clone = copy.copy(resblock)
    clone._modules = dict(resblock._modules)
    for layers in ("in_layers", "out_layers"):
        sequence = resblock._modules[layers]
        clone._modules[layers] = torch.nn.Sequential(FrameGroupNorm(sequence[0]), *sequence[1:])
    clone.__dict__["tempo_original"] = resblock  # a plain attribute, not a submodule of the copy
    return clone


class TempoBlock(TimestepEmbedSequential):
    """A UNet block rebuilt by attach(): the original layers, MotionLayers inserted, v1 resnets swapped."""


def unet_blocks(unet):
    """(object-patch name, the block's original layers) for every block of the UNet, in execution order.

    While another Tempo clone is patched into the shared UNet, its blocks show; they are unwrapped here."""
    named = [(f"diffusion_model.input_blocks.{i}", b) for i, b in enumerate(unet.input_blocks)]
    named.append(("diffusion_model.middle_block", unet.middle_block))
    named += [(f"diffusion_model.output_blocks.{i}", b) for i, b in enumerate(unet.output_blocks)]
    return [(name, [getattr(layer, "tempo_original", layer) for layer in block if not isinstance(layer, MotionLayer)])
            for name, block in named]


def unet_positions(unet, layers_per_up_block):
    """Maps each AnimateDiff module name to (object-patch name, index to insert at, channels there)."""
    positions = {}
    level, j, up = 0, 0, 0
    for patch_name, layers in unet_blocks(unet):
        if ".input_blocks." in patch_name:
            if isinstance(layers[0], Downsample):
                level, j = level + 1, 0
            elif isinstance(layers[0], ResBlock):
                positions[f"down_blocks.{level}.motion_modules.{j}"] = (patch_name, len(layers), layers[0].out_channels)
                j += 1
        elif patch_name.endswith("middle_block"):
            if len(layers) == 3 and isinstance(layers[1], SpatialTransformer):
                positions["mid_block.motion_modules.0"] = (patch_name, 2, layers[0].out_channels)
        else:
            at = len(layers) - 1 if isinstance(layers[-1], Upsample) else len(layers)
            positions[f"up_blocks.{up // layers_per_up_block}.motion_modules.{up % layers_per_up_block}"] = (
                patch_name, at, layers[0].out_channels)
            up += 1
    return positions


def _module_channels(module):
    return module.temporal_transformer.norm.weight.shape[0]


def _model_base(model_patcher):
    name = type(model_patcher.model.model_config).__name__
    return {"SD15": "SD1.5", "SDXL": "SDXL"}.get(name, name)


def _check_fits(motion_model, positions, model_patcher):
    for name, module in motion_model.positions():
        where = positions.get(name)
        if where is None or where[2] != _module_channels(module):
            got = "no such block" if where is None else f"{where[2]} channels"
            raise MotionModelError(
                f"{motion_model.describe()} does not fit this {_model_base(model_patcher)} model: its module "
                f"{name} has {_module_channels(module)} channels, the UNet has {got} there. "
                f"Use a {motion_model.base} checkpoint with this motion model, or a motion model made for "
                f"{_model_base(model_patcher)}.")


def sampling_for(schedule):
    """A model_sampling object for a training schedule from motion.schedules (None keeps the model's own)."""
    if schedule is None:
        return None
    settings = dict(schedule)
    sampling = settings.pop("sampling", "eps")
    base, prediction = ((ModelSamplingDiscreteDistilled, LCM) if sampling == "lcm"
                        else (comfy.model_sampling.ModelSamplingDiscrete, comfy.model_sampling.EPS))

    class TrainingSchedule(base, prediction):
        pass

    config = type("Config", (), {"sampling_settings": settings})()
    return TrainingSchedule(config)


def attach(model_patcher, motion_model, settings, schedule=None):
    """Returns a clone of model_patcher that animates with motion_model. model_patcher is left unchanged.

    Attaching to a model that already carries a motion model replaces it (ApplyMotionLoRA does this)."""
    unet = model_patcher.get_model_object("diffusion_model")
    layers_per_up_block = sum(1 for name, _ in motion_model.positions() if name.startswith("up_blocks.0."))
    positions = unet_positions(unet, layers_per_up_block)
    _check_fits(motion_model, positions, model_patcher)

    patched = model_patcher.clone()
    previous = get_attachment(model_patcher)
    if previous is not None:
        _detach(patched)
    sampling = sampling_for(schedule)
    if sampling is not None:
        patched.add_object_patch("model_sampling", sampling)
    model_sampling = patched.get_model_object("model_sampling")
    settings = replace(settings, sigma_range=(model_sampling.percent_to_sigma(settings.start_percent),
                                              model_sampling.percent_to_sigma(settings.end_percent)))
    attachment = Attachment(motion_model, settings)
    inserts = {}
    for name, _ in motion_model.positions():
        patch_name, at, _ = positions[name]
        inserts.setdefault(patch_name, []).append((at, MotionLayer(name, attachment)))
    frame_norms = motion_model.resnet_norm_across_frames
    for patch_name, layers in unet_blocks(unet):
        if patch_name in inserts or (frame_norms and any(isinstance(layer, ResBlock) for layer in layers)):
            patched.add_object_patch(patch_name, _rebuilt(layers, inserts.get(patch_name, []), frame_norms))
    if previous is None:
        patched.set_model_forward_timestep_embed_patch((MotionLayer, run_motion_layer))
    if frame_norms:
        patched.add_object_patch(OUT_NORM, FrameGroupNorm(_unwrapped(unet.out[0])))
        patched.add_wrapper_with_key(WrappersMP.DIFFUSION_MODEL, ATTACHMENT_KEY, track_frames)
    patched.add_wrapper_with_key(WrappersMP.OUTER_SAMPLE, ATTACHMENT_KEY, check_frame_counts)
    patched.set_attachments(ATTACHMENT_KEY, attachment)
    # The host's memory manager then moves the motion weights to the sampling device with the UNet.
    patched.set_additional_models(ATTACHMENT_KEY, [_host_patcher(motion_model, model_patcher)])
    return patched


def _host_patcher(motion_model, model_patcher):
    """The ModelPatcher through which the host loads motion_model: one per motion model and device pair, kept on
    the model so that it lives exactly as long as the weights. A patcher dropped with a workflow's clone while
    its (cached) model lives on makes the host suspect a leak and run a full garbage collection."""
    devices = (model_patcher.load_device, model_patcher.offload_device)
    patchers = motion_model.__dict__.setdefault("_host_patchers", {})
    if devices not in patchers:
        patchers[devices] = comfy.model_patcher.ModelPatcher(motion_model, load_device=devices[0],
                                                             offload_device=devices[1])
    return patchers[devices]


def _detach(patched):
    """Drops a previous attach()'s blocks and wrapper from a clone, keeping everything else the user set."""
    for name, obj in list(patched.object_patches.items()):
        if isinstance(obj, (TempoBlock, FrameGroupNorm)):
            del patched.object_patches[name]
    patched.remove_wrappers_with_key(WrappersMP.DIFFUSION_MODEL, ATTACHMENT_KEY)
    patched.remove_wrappers_with_key(WrappersMP.OUTER_SAMPLE, ATTACHMENT_KEY)


def _rebuilt(layers, inserts, frame_norms):
    """A new block from the original layers (shared, not copied), with MotionLayers inserted at their places."""
    layers = [_frame_norm_resblock(layer) if frame_norms and isinstance(layer, ResBlock) else layer
              for layer in layers]
    for at, layer in sorted(inserts, key=lambda item: item[0], reverse=True):
        layers.insert(at, layer)
    return TempoBlock(*layers)


def get_attachment(model_patcher):
    return model_patcher.get_attachment(ATTACHMENT_KEY)
