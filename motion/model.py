"""MotionModel: all motion modules of one file, under the names AnimateDiff gave them.

`down_blocks.i.motion_modules.j`, `mid_block.motion_modules.0` and `up_blocks.i.motion_modules.j` are real
submodules, so `state_dict()` has the file's keys and the host reaches each module with `get_submodule(name)`.
With motion LoRAs applied (motion/lora.py) it also holds their factors, as buffers of the updated projections.
"""
import torch
from torch import nn

from .lightning import lightning_steps, sampling_note
from .module import MotionModule, PositionalEncoding

VARIANT_NAMES = {"v1": "v1", "v2": "v2", "v3": "v3", "community": "community (v1 layout)",
                 "animatelcm": "AnimateLCM", "sdxl_beta": "SDXL beta", "hotshotxl": "Hotshot-XL"}


class MotionBlock(nn.Module):
    """The motion modules of one UNet block, one after each of its layers."""

    def __init__(self, channels, max_frames, norm_across_frames, attention_blocks, operations):
        super().__init__()
        self.motion_modules = nn.ModuleList(MotionModule(c, max_frames, norm_across_frames, attention_blocks,
                                                         operations) for c in channels)


class MotionModel(nn.Module):
    def __init__(self, layout, source=None, operations=nn):
        super().__init__()
        self.layout = layout
        self.source = source  # the file it was loaded from, None for a state dict
        self.operations = operations  # the layer classes (see MotionModule), kept for models derived from it

        def block(name):
            return MotionBlock(layout.blocks[name], layout.max_frames, layout.norm_across_frames,
                               layout.attention_blocks, operations)

        # Registered in the released files' key order: down, up, then the mid block.
        self.down_blocks = nn.ModuleList(block(name) for name in layout.blocks if name.startswith("down_blocks."))
        self.up_blocks = nn.ModuleList(block(name) for name in layout.blocks if name.startswith("up_blocks."))
        if "mid_block" in layout.blocks:
            self.mid_block = block("mid_block")

    @classmethod
    def skeleton(cls, layout, source=None, operations=nn):
        """The model with its weights on the meta device: names and shapes, no memory, no initialisation."""
        with torch.device("meta"):
            return cls(layout, source, operations)

    def assign(self, tensors):
        """Takes `tensors` (a complete state dict) as its parameters and buffers, as they are: no copy."""
        self.load_state_dict(tensors, assign=True)
        return self.requires_grad_(False).eval()

    def stored_in(self, weights, positions):
        """The model with its weights in dtype `weights`, the host's storage dtype, and its
        position tables in `positions`, its compute dtype: fp8 storage would keep few digits of a sinusoid."""
        self.to(weights)
        for module in self.modules():
            if isinstance(module, PositionalEncoding):
                module.pe = module.pe.to(positions)
        return self

    variant = property(lambda self: self.layout.variant)
    base = property(lambda self: self.layout.base)
    max_frames = property(lambda self: self.layout.max_frames)
    channels = property(lambda self: self.layout.channels)
    norm_across_frames = property(lambda self: self.layout.norm_across_frames)
    resnet_norm_across_frames = property(lambda self: self.layout.resnet_norm_across_frames)

    @property
    def dtype(self):
        return next(self.parameters()).dtype

    def positions(self):
        """(name, module) of every motion module, in the order the UNet runs them: down, mid, up."""
        return [(f"{block}.motion_modules.{j}", self.get_submodule(f"{block}.motion_modules.{j}"))
                for block, channels in self.layout.blocks.items() for j in range(len(channels))]

    @property
    def lightning_steps(self):
        """The steps an AnimateDiff-Lightning file (a v2 file under its released name) was distilled for."""
        return lightning_steps(self.source.name) if self.source is not None and self.variant == "v2" else None

    def describe(self):
        parameters = sum(p.numel() for p in self.parameters())
        origin = f" from {self.source.name}" if self.source is not None else ""
        steps = self.lightning_steps
        variant = VARIANT_NAMES[self.variant] + (f" (AnimateDiff-Lightning {steps}-step)" if steps else "")
        text = (f"AnimateDiff {variant} motion model for {self.base}{origin}: "
                f"{len(self.positions())} modules, up to {self.max_frames} frames per window, "
                f"{str(self.dtype).removeprefix('torch.')}, {parameters / 1e6:.1f}M parameters")
        return text + (f". {sampling_note(steps)}" if steps else "")
