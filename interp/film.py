"""FILM, Frame Interpolation for Large Motion (Reda et al., ECCV 2022): the network.

Three stages, each callable on its own so the driver can do every piece of work once:

    pyramids(x)                 a frame's image pyramid and cascaded feature pyramid (once per frame)
    flows(a, b)                 the pair's flow pyramids, 0→1 and 1→0 (once per pair)
    synthesize(a, b, flows, t)  warp both frames to time t and fuse them (once per in-between)

`model(x0, x1, dt)` chains them: x0, x1 (B,3,H,W) RGB in [0, 1], dt (B,1); the result is not clamped.
Module and parameter names are those of the PyTorch port's v1.0.2 release (every conv is child `0` of its
block), the layout film_formats.py converts every file to, so its state dict loads as is.
"""
import math
from dataclasses import dataclass
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from .warp import warp

# Fine levels are computed in strips of rows whose concatenated input holds about this many values (32 MB in
# fp32); see in_strips.
STRIP_VALUES = 1 << 23


@dataclass(frozen=True)
class FilmConfig:
    filters: int  # width of the finest feature level; each deeper sub-level doubles it
    sub_levels: int  # depth of the shared feature extractor
    flow_convs: tuple  # 3×3 convs of each flow estimator, finest level first; the last one serves all coarser levels
    flow_filters: tuple  # widths of those estimators
    fusion_filters: tuple  # widths of the fusion decoder, finest level first
    pyramid_levels: int = 7  # the one number the weights do not carry; FILM was trained with 7

    @property
    def specialized_levels(self):
        return len(self.flow_convs) - 1

    @property
    def fusion_levels(self):
        return len(self.fusion_filters) + 1

    @property
    def min_size(self):
        """Smallest height and width: the coarsest pyramid level must keep at least one pixel."""
        return 2 ** (self.pyramid_levels - 1)

    def feature_channels(self, level):
        """Level i stacks the outputs of the extractor's first min(i + 1, sub_levels) depths."""
        return sum(self.filters << depth for depth in range(min(level + 1, self.sub_levels)))

    def aligned_channels(self, level):
        """What the fusion sees per level: both warped frames (image + features) and both scaled flows."""
        return 2 * (3 + self.feature_channels(level)) + 2 * 2


def in_strips(compute, height, width, channels, halo):
    """compute(top, bottom) -> a level's output rows top..bottom, run strip by strip and written into one
    output; channels is the width of the input its first conv reads.

    Only one strip's inputs and activations are alive at a time, so the working memory of a level no longer
    grows with the frame; the output is allocated once, not put together from parts, which would double it
    and leave long-lived pieces among the strips' short-lived ones in the heap. A k×k conv reads (k - 1) / 2
    rows past each output row; where a strip is cut, those rows are the conv's zero padding, not the
    neighbours. Each strip is computed `halo` rows wider on both sides (one per conv) and trimmed, so every
    kept row sees exactly the inputs it sees in one pass."""
    rows = max(1, STRIP_VALUES // (width * channels))
    if height <= rows:
        return compute(0, height)
    out = None
    for lo in range(0, height, rows):
        hi = min(lo + rows, height)
        top, bottom = max(0, lo - halo), min(height, hi + halo)
        strip = compute(top, bottom)[..., lo - top:hi - top, :]
        if out is None:
            out = strip.new_empty((*strip.shape[:-2], height, width))
        out[..., lo:hi, :] = strip
    return out


class Conv(nn.Sequential):
    """A conv stored as child `0`, then LeakyReLU(0.2) unless it predicts flow or is FILM's 2×2 upsampling conv.

    Sizes are kept as TensorFlow's 'same' padding keeps them; for the 2×2 kernel that pads one pixel right and
    bottom only. Padding one pixel all round and dropping the first output row and column is the same, without
    copying the input into a padded buffer."""

    def __init__(self, in_channels, out_channels, size, activation=True):
        super().__init__(nn.Conv2d(in_channels, out_channels, size, padding=size // 2))
        self.even = size % 2 == 0
        self.activation = activation

    def forward(self, x):
        x = self[0](x)
        if self.even:
            x = x[..., 1:, 1:]
        return F.leaky_relu(x, 0.2, inplace=True) if self.activation else x


class SubTreeExtractor(nn.Module):
    """Two 3×3 convs per depth, 2×2 average pooling between depths, width doubling with depth."""

    def __init__(self, config):
        super().__init__()
        widths = [config.filters << depth for depth in range(config.sub_levels)]
        self.convs = nn.ModuleList(
            nn.Sequential(Conv(cin, cout, 3), Conv(cout, cout, 3)) for cin, cout in zip([3] + widths, widths))

    def forward(self, image, depth):
        outputs = []
        x = image
        for d in range(depth):
            if d:
                x = F.avg_pool2d(x, 2)
            x = self.convs[d](x)
            outputs.append(x)
        return outputs


class FeatureExtractor(nn.Module):
    """The cascaded feature pyramid: one shared extractor starts at every pyramid level, and a level's features
    stack what each extractor produced on reaching it, so coarse levels see features learnt on fine ones."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.extract_sublevels = SubTreeExtractor(config)

    def forward(self, images):
        """Per level, finest first: the image, then the outputs of the extractors started at that level, one
        level finer, two finer... Level i is complete once the extractor started at level i has run and is
        concatenated right then, so the separate outputs are never all alive at once.

        The levels are views of one block: a pyramid lives as long as its frame is needed, across many pairs,
        and levels allocated one by one would sit among the short-lived strips, fragmenting the heap."""
        levels = len(images)
        shapes = [(image.shape[0], 3 + self.config.feature_channels(i), *image.shape[-2:])
                  for i, image in enumerate(images)]
        block = images[0].new_empty(sum(math.prod(shape) for shape in shapes))
        arriving = [{} for _ in images]  # level -> {depth of the extractor's output: output}
        pyramid, at = [], 0
        for i, (image, shape) in enumerate(zip(images, shapes)):
            for depth, features in enumerate(self.extract_sublevels(image, min(levels - i, self.config.sub_levels))):
                arriving[i + depth][depth] = features
            parts = arriving[i]
            level = block[at:at + math.prod(shape)].view(shape)
            pyramid.append(torch.cat([image] + [parts[depth] for depth in sorted(parts)], dim=1, out=level))
            at += level.numel()
            arriving[i] = None
        return pyramid


class FlowEstimator(nn.Module):
    """Residual flow from the features of frame a and the warped features of frame b."""

    def __init__(self, in_channels, convs, filters):
        super().__init__()
        layers = [Conv(in_channels if k == 0 else filters, filters, 3) for k in range(convs)]
        layers += [Conv(filters, filters // 2, 1), Conv(filters // 2, 2, 1, activation=False)]
        self._convs = nn.ModuleList(layers)
        self.in_channels = in_channels
        self.halo = convs  # rows read past a strip's edge: one per 3×3 conv

    def forward(self, features_a, features_b):
        x = torch.cat([features_a, features_b], dim=1)
        for conv in self._convs:
            x = conv(x)
        return x


class PyramidFlowEstimator(nn.Module):
    """Coarse-to-fine flow: each level doubles the coarser flow (in size and in pixels), warps b's features with
    it and adds the residual its estimator predicts. The finest `specialized_levels` levels have their own
    estimator (stored coarse to fine in `_predictors`); every coarser level shares `_predictor`."""

    def __init__(self, config):
        super().__init__()
        estimators = [FlowEstimator(2 * config.feature_channels(level), convs, filters)
                      for level, (convs, filters) in enumerate(zip(config.flow_convs, config.flow_filters))]
        self._predictor = estimators[-1]
        self._predictors = nn.ModuleList(reversed(estimators[:-1]))

    def estimator(self, level):
        specialized = len(self._predictors)
        return self._predictors[specialized - 1 - level] if level < specialized else self._predictor

    def forward(self, features_a, features_b, levels):
        """Flow a→b at the finest `levels` levels, finest first."""
        coarsest = len(features_a) - 1
        flow = self.estimator(coarsest)(features_a[coarsest], features_b[coarsest])
        flows = [flow]
        for level in reversed(range(coarsest)):
            height, width = features_a[level].shape[-2:]
            flow = F.interpolate(2 * flow, size=(height, width), mode="bilinear", align_corners=False)
            estimator, a, b, coarse = self.estimator(level), features_a[level], features_b[level], flow

            def residual(top, bottom):
                return estimator(a[..., top:bottom, :], warp(b, coarse[..., top:bottom, :], top))
            flow = in_strips(residual, height, width, estimator.in_channels, estimator.halo) + flow
            flows.insert(0, flow)
        return flows[:levels]


class Fusion(nn.Module):
    """U-Net decoder over the aligned pyramid, coarsest level first: nearest ×2, a 2×2 conv, concatenation with
    the level's aligned frames and flows, two 3×3 convs; a 1×1 conv makes the RGB frame.

    aligned(level, top, bottom) gives rows top..bottom of a level's inputs as a list of parts when the decoder
    reaches them, concatenated once with the decoder's own channels; fine levels go in strips of rows, so only
    one strip's warped frames are alive at a time."""

    def __init__(self, config):
        super().__init__()
        self.convs = nn.ModuleList()
        in_channels = config.aligned_channels(config.fusion_levels - 1)
        for level in reversed(range(config.fusion_levels - 1)):
            width = config.fusion_filters[level]
            self.convs.append(nn.ModuleList([
                Conv(in_channels, width, 2, activation=False),
                Conv(config.aligned_channels(level) + width, width, 3),
                Conv(width, width, 3),
            ]))
            in_channels = width
        self.output_conv = nn.Conv2d(config.fusion_filters[0], 3, 1)

    # rows read past a strip's edge: the 2×2 upsampling conv reads one below, each 3×3 conv one either side
    halo = 3

    def forward(self, aligned, sizes):
        """sizes: (height, width) of every level, finest first."""
        levels = len(self.convs) + 1
        x = torch.cat(aligned(levels - 1, 0, sizes[levels - 1][0]), dim=1)
        for convs, level in zip(self.convs, reversed(range(levels - 1))):
            decode = partial(self.decode, x, aligned, convs, level, sizes[level])
            x = in_strips(decode, *sizes[level], convs[1][0].in_channels, self.halo)
        return x

    def decode(self, coarse, aligned, convs, level, size, top, bottom):
        """Rows top..bottom of a level: the coarser level upsampled and joined with the level's aligned inputs,
        two convs; at the finest level, the RGB frame."""
        upsample, conv_a, conv_b = convs
        height, width = size
        rows = torch.arange(top, bottom, device=coarse.device) * coarse.shape[-2] // height  # what nearest ×2 reads
        up = F.interpolate(coarse[..., rows, :], size=(bottom - top, width), mode="nearest")
        y = conv_b(conv_a(torch.cat([*aligned(level, top, bottom), upsample(up)], dim=1)))
        return self.output_conv(y) if level == 0 else y


class FILM(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.extract = FeatureExtractor(config)
        self.predict_flow = PyramidFlowEstimator(config)
        self.fuse = Fusion(config)

    def pyramids(self, x):
        """Per level, the frame's image with its features behind it (channels 3:), finest level first."""
        if min(x.shape[-2:]) < self.config.min_size:
            raise ValueError(f"FILM with {self.config.pyramid_levels} pyramid levels needs frames of at least "
                             f"{self.config.min_size}×{self.config.min_size} px, got {x.shape[-1]}×{x.shape[-2]}; "
                             f"interp.interpolate pads smaller frames itself")
        images = [x]
        for _ in range(self.config.pyramid_levels - 1):
            images.append(F.avg_pool2d(images[-1], 2))
        return self.extract(images)

    def flows(self, a, b):
        """Flow 0→1 and flow 1→0 at the fusion levels, from the pyramids of frames 0 and 1."""
        features_a, features_b = [p[:, 3:] for p in a], [p[:, 3:] for p in b]
        levels = self.config.fusion_levels
        return self.predict_flow(features_a, features_b, levels), self.predict_flow(features_b, features_a, levels)

    def synthesize(self, a, b, flows, t):
        """The frame at time t (B,1) between frames 0 and 1. The flows are read at the output's pixels: 1→0 scaled
        by t points back into frame 0, 0→1 scaled by 1 - t points into frame 1."""
        forward, backward = flows
        t = torch.as_tensor(t, device=a[0].device).reshape(-1, 1, 1, 1).to(a[0].dtype)  # (B,1), or one float

        def aligned(level, top, bottom):
            to_0, to_1 = backward[level][..., top:bottom, :] * t, forward[level][..., top:bottom, :] * (1 - t)
            return [warp(a[level], to_0, top), warp(b[level], to_1, top), to_0, to_1]
        return self.fuse(aligned, [p.shape[-2:] for p in a])

    def forward(self, x0, x1, dt):
        # Both frames through the extractor as one batch: the same work in half as many calls.
        both = self.pyramids(torch.cat([x0, x1]))
        a, b = [p[:len(x0)] for p in both], [p[len(x0):] for p in both]
        return self.synthesize(a, b, self.flows(a, b), dt)
