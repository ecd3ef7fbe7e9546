"""RIFE 4.x, Real-Time Intermediate Flow Estimation (Huang et al., ECCV 2022), as Practical-RIFE's 4.5+ releases
compute it: a coarse-to-fine cascade of flow blocks (IFBlocks) that estimate, at time t, the flows back to both
frames and a blend mask; the frame is both inputs warped along their flows and blended by the mask.

Each block sees the frames (and, from 4.7 on, each frame's encoded features) warped by the flows so far, t, the
mask and the flows, at 1/scale of the frame size; it adds a correction to the flows. From 4.7 on a block's mask
replaces the previous one, before that the corrections add up; 4.21+ blocks also pass hidden features on.
Everything a file can carry is read from it (rife_formats.py): widths, block count, encoder, hidden features.

`model(x0, x1, t, scale, ensemble)` runs it on a pair; methods.RifeMethod splits it for the driver: each frame
is padded and encoded once, and the cascade runs per in-between (its flows depend on t, so none is shared).
"""
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .warp import warp

SLOPE = 0.2  # every activation in these releases is LeakyReLU(0.2)


@dataclass(frozen=True)
class RifeConfig:
    version: str  # the layout's release name, e.g. "4.7" (the table in rife_formats.py)
    blocks: tuple  # per block (input channels, width, residual convs, output channels before the pixel shuffle)
    encoder: tuple  # per encoder conv (in, out, transposed, activation after it); () before 4.7
    masks_add_up: bool  # 4.5/4.6: each block's mask is a correction; 4.7+: it replaces the mask
    hidden: int  # channels of hidden features a block hands the next one (4.21+), else 0

    @property
    def features(self):
        """Channels of one frame's encoded features (0 without an encoder)."""
        return self.encoder[-1][1] if self.encoder else 0

    @property
    def has_ensemble(self):
        """Ensembling averages each block with its time-reversed pass; releases with hidden features dropped it."""
        return self.hidden == 0

    def scales(self, scale=1.0):
        """Downsampling of each block: 8, 4, 2, 1 for four blocks (16, ... for five), divided by `scale`."""
        return [2 ** (len(self.blocks) - 1 - i) / scale for i in range(len(self.blocks))]

    def multiple(self, scale=1.0):
        """Frame sizes must divide into the coarsest block's grid: its downsampling times its two stride-2 convs."""
        return max(1, round(4 * self.scales(scale)[0]))


class ResConv(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.conv = nn.Conv2d(width, width, 3, 1, 1)
        self.beta = nn.Parameter(torch.ones(1, width, 1, 1))

    def forward(self, x):
        return F.leaky_relu(self.conv(x) * self.beta + x, SLOPE)


class FlowBlock(nn.Module):
    """IFBlock: (input, flows so far) at 1/scale -> flow correction (4), mask (1), hidden features (rest)."""

    def __init__(self, in_channels, width, residuals, out_channels):
        super().__init__()
        self.down = nn.ModuleList([nn.Conv2d(in_channels, width // 2, 3, 2, 1), nn.Conv2d(width // 2, width, 3, 2, 1)])
        self.res = nn.Sequential(*(ResConv(width) for _ in range(residuals)))
        self.up = nn.ConvTranspose2d(width, out_channels, 4, 2, 1)

    def forward(self, x, flow, scale):
        if scale != 1:
            x = F.interpolate(x, scale_factor=1 / scale, mode="bilinear", align_corners=False)
        if flow is not None:
            if scale != 1:
                flow = F.interpolate(flow, scale_factor=1 / scale, mode="bilinear", align_corners=False) / scale
            x = torch.cat((x, flow), 1)
        for conv in self.down:
            x = F.leaky_relu(conv(x), SLOPE)
        out = F.pixel_shuffle(self.up(self.res(x)), 2)
        if scale != 1:
            out = F.interpolate(out, scale_factor=scale, mode="bilinear", align_corners=False)
        return out[:, :4] * scale, out[:, 4:5], out[:, 5:]


class Encoder(nn.Module):
    """4.7+: a few convs that give each frame features at full resolution, warped along with it."""

    def __init__(self, layers):
        super().__init__()
        self.layers = layers
        self.convs = nn.ModuleList(
            nn.ConvTranspose2d(cin, cout, 4, 2, 1) if transposed else nn.Conv2d(cin, cout, 3, 2 if i == 0 else 1, 1)
            for i, (cin, cout, transposed, _) in enumerate(layers))

    def forward(self, x):
        for conv, (_, _, _, activation) in zip(self.convs, self.layers):
            x = conv(x)
            if activation:
                x = F.leaky_relu(x, SLOPE)
        return x


def swapped(flow):
    """The flows to frame 0 and to frame 1 exchanged: what the time-reversed pass estimates."""
    return torch.cat((flow[:, 2:4], flow[:, :2]), 1)


class RIFE(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.blocks = nn.ModuleList(FlowBlock(*block) for block in config.blocks)
        if config.encoder:
            self.encode = Encoder(config.encoder)

    def check(self, scale, ensemble):
        if ensemble and not self.config.has_ensemble:
            raise ValueError(f"RIFE {self.config.version} has no ensemble mode (its release dropped it); "
                             f"turn ensemble off")
        if not scale > 0:
            raise ValueError(f"RIFE scale must be positive, got {scale}")

    def pad(self, frames, scale=1.0):
        """Zero-pads right and bottom to the multiple the cascade needs, as the releases' own tools do."""
        multiple = self.config.multiple(scale)
        return F.pad(frames, [0, -frames.shape[-1] % multiple, 0, -frames.shape[-2] % multiple])

    def features(self, frames):
        return self.encode(frames) if self.config.encoder else None

    def forward(self, x0, x1, t, scale=1.0, ensemble=False):
        """x0, x1 (B,3,H,W) in [0, 1], t (B,1): the frames at t, not clamped."""
        self.check(scale, ensemble)
        height, width = x0.shape[-2:]
        x0, x1 = self.pad(x0, scale), self.pad(x1, scale)
        out = self.cascade(x0, x1, self.features(x0), self.features(x1), t, scale, ensemble)
        return out[..., :height, :width]

    def cascade(self, img0, img1, f0, f1, t, scale=1.0, ensemble=False):
        """The frames at t from padded frames and their features (None before 4.7)."""
        time = t.to(img0.dtype).view(-1, 1, 1, 1).expand(-1, 1, *img0.shape[-2:])
        flow = mask = hidden = None
        warped0, warped1 = img0, img1
        for block, block_scale in zip(self.blocks, self.config.scales(scale)):
            if flow is None:
                flow, mask, hidden = self.first(block, (img0, img1, f0, f1, time), block_scale, ensemble)
            else:
                inputs = (warped0, warped1, *self.warped(f0, f1, flow), time, mask, flow, hidden)
                delta, new_mask, hidden = self.refine(block, inputs, block_scale, ensemble)
                flow = flow + delta
                mask = mask + new_mask if self.config.masks_add_up else new_mask
            hidden = hidden if self.config.hidden else None
            warped0, warped1 = warp(img0, flow[:, :2]), warp(img1, flow[:, 2:4])
        mask = torch.sigmoid(mask)
        return warped0 * mask + warped1 * (1 - mask)

    @staticmethod
    def warped(f0, f1, flow):
        return (None, None) if f0 is None else (warp(f0, flow[:, :2]), warp(f1, flow[:, 2:4]))

    @staticmethod
    def first(block, inputs, scale, ensemble):
        def run(x0, x1, g0, g1, at):
            return block(torch.cat([x0, x1, *present(g0, g1), at], 1), None, scale)

        x0, x1, g0, g1, at = inputs
        flow, mask, hidden = run(x0, x1, g0, g1, at)
        if ensemble:  # the same block on the pair reversed in time, averaged in
            back_flow, back_mask, _ = run(x1, x0, g1, g0, 1 - at)
            flow, mask = (flow + swapped(back_flow)) / 2, (mask - back_mask) / 2
        return flow, mask, hidden

    @staticmethod
    def refine(block, inputs, scale, ensemble):
        def run(x0, x1, g0, g1, at, m, fl):
            return block(torch.cat([x0, x1, *present(g0, g1), at, m, *present(hidden)], 1), fl, scale)

        x0, x1, g0, g1, at, mask, flow, hidden = inputs
        delta, new_mask, new_hidden = run(x0, x1, g0, g1, at, mask, flow)
        if ensemble:
            back_delta, back_mask, _ = run(x1, x0, g1, g0, 1 - at, -mask, swapped(flow))
            delta, new_mask = (delta + swapped(back_delta)) / 2, (new_mask - back_mask) / 2
        return delta, new_mask, new_hidden


def present(*tensors):
    return [x for x in tensors if x is not None]
