"""One AnimateDiff motion module: self-attention across the frames of a video at every spatial position.

Submodule names are those of AnimateDiff's motion_module.py, so the keys of a released file are the parameter
names here (`temporal_transformer.transformer_blocks.0.attention_blocks.1.to_q.weight`, ...). The math is
MOTION_MODULES.md's, step by step: GroupNorm, proj_in, one sequence of frames per pixel, two attention blocks
and a GEGLU feed-forward (each pre-norm, with a residual), proj_out, and the module's input added back.
"""
import functools
import math

import torch
import torch.nn.functional as F
from einops import rearrange, repeat
from torch import nn

from .attention import sdpa_attention
from .errors import MotionModelError

HEADS = 8  # fixed by the architecture: every release uses 8 heads of C/8 channels


class MotionModule(nn.Module):
    """Called at its position in the UNet with x of shape (batch * frames, C, H, W), rows batch-major."""

    def __init__(self, channels, max_frames, norm_across_frames=False, attention_blocks=2, operations=nn):
        """operations: the layer classes (Linear, GroupNorm, LayerNorm); the host passes its own, which it can
        load partially and cast per call, as it builds its UNet."""
        super().__init__()
        self.temporal_transformer = TemporalTransformer(channels, max_frames, norm_across_frames, attention_blocks,
                                                        operations)

    def forward(self, x, num_frames, scale=1.0, attention=None):
        """scale multiplies the attention logits of each query frame (a float, or one value per frame);
        attention(q, k, v, heads) is the backend, torch's SDPA by default."""
        # In place: the transformer's output is its own, copied back to frames-major by the final rearrange.
        return self.temporal_transformer(x, num_frames, scale, attention or sdpa_attention).add_(x)


class TemporalTransformer(nn.Module):
    def __init__(self, channels, max_frames, norm_across_frames, attention_blocks, operations):
        super().__init__()
        # SDXL beta was trained with GroupNorm statistics over the whole video, the others per frame.
        self.norm_across_frames = norm_across_frames
        self.norm = operations.GroupNorm(32, channels, eps=1e-6)
        self.proj_in = operations.Linear(channels, channels)
        self.transformer_blocks = nn.ModuleList([TemporalTransformerBlock(channels, max_frames, attention_blocks,
                                                                          operations)])
        self.proj_out = operations.Linear(channels, channels)

    def forward(self, x, num_frames, scale, attention):
        height, width = x.shape[-2:]
        h = self.group_norm(x, num_frames)
        # proj_in gets the strided per-frame view AnimateDiff-Evolved gives it: torch's Linear multiplies then adds
        # the bias for a strided input but fuses them for a contiguous one, which rounds differently, and the
        # latents must equal the peer's bit for bit. It acts on each token alone; the regrouping after is a copy.
        h = self.proj_in(rearrange(h, "bf c h w -> bf (h w) c"))
        h = rearrange(h, "(b f) s c -> (b s) f c", f=num_frames)
        for block in self.transformer_blocks:
            h = block(h, scale, attention)
        return rearrange(self.proj_out(h), "(b h w) f c -> (b f) c h w", h=height, w=width)

    def group_norm(self, x, num_frames):
        if not self.norm_across_frames:
            return self.norm(x)
        video = rearrange(x, "(b f) c h w -> b c f h w", f=num_frames)
        return rearrange(self.norm(video), "b c f h w -> (b f) c h w")


class TemporalTransformerBlock(nn.Module):
    def __init__(self, channels, max_frames, attention_blocks, operations):
        super().__init__()
        # Two self-attention blocks in the motion models; one in SparseCtrl's ("Temporal_Self" once).
        self.attention_blocks = nn.ModuleList(TemporalAttention(channels, max_frames, operations)
                                              for _ in range(attention_blocks))
        self.norms = nn.ModuleList(operations.LayerNorm(channels) for _ in range(attention_blocks))
        self.ff = FeedForward(channels, operations)
        self.ff_norm = operations.LayerNorm(channels)

    def forward(self, h, scale, attention):
        # Residuals are added in place into each branch's fresh output: on the CPU every new activation-sized
        # tensor costs page faults, and a + b equals b + a bit for bit.
        for norm, attention_block in zip(self.norms, self.attention_blocks):
            h = attention_block(norm(h), scale, attention).add_(h)
        return self.ff(self.ff_norm(h)).add_(h)


class TemporalAttention(nn.Module):
    def __init__(self, channels, max_frames, operations):
        super().__init__()
        self.to_q = operations.Linear(channels, channels, bias=False)
        self.to_k = operations.Linear(channels, channels, bias=False)
        self.to_v = operations.Linear(channels, channels, bias=False)
        self.to_out = nn.Sequential(operations.Linear(channels, channels))
        self.pos_encoder = PositionalEncoding(channels, max_frames)

    def forward(self, n, scale, attention):
        """n: the normalised sequences, (N, F, C), a fresh tensor this call may overwrite. The frame positions
        feed q, k and v, never the residual."""
        n = self.pos_encoder.add_to(n)
        q = self.to_q(n)
        if isinstance(scale, torch.Tensor) or scale != 1.0:  # q·1 is q: no pass over it
            # Scaling q scales q·k for its query frame, whatever the backend does after.
            q.mul_(per_query_frame(scale, n))
        return self.to_out(attention(q, self.to_k(n), self.to_v(n), HEADS))


def per_query_frame(scale, n):
    """scale: a float, one value per frame, or (videos, frames) values; n: (videos * pixels, frames, C)."""
    if not isinstance(scale, torch.Tensor):
        return scale
    per_video = scale.to(n.device, n.dtype).reshape(-1, n.shape[1])
    return repeat(per_video, "b f -> (b s) f 1", s=n.shape[0] // per_video.shape[0])


class PositionalEncoding(nn.Module):
    def __init__(self, channels, max_frames):
        super().__init__()
        self.register_buffer("pe", sinusoid(max_frames, channels)[None])

    def add_to(self, n):
        """Adds the frame positions into n itself (a tensor the caller owns) and returns it."""
        frames, max_frames = n.shape[1], self.pe.shape[1]
        if frames > max_frames:
            raise MotionModelError(f"{frames} frames in one call, but the motion model has positions for "
                                   f"{max_frames}: sample in context windows of at most {max_frames} frames")
        # In place into the normalised input, a fresh tensor; the table follows the input's device, since the host
        # may leave it on its offload device when it loads the model partially.
        return n.add_(self.pe[:, :frames].to(n))


def sinusoid(length, channels):
    """pe[p, 2i] = sin(p·ω_i), pe[p, 2i+1] = cos(p·ω_i), ω_i = 10000^(-2i/C), computed in fp32 on the CPU."""
    return _sinusoid(length, channels).clone()


@functools.lru_cache
def _sinusoid(length, channels):
    # Once per size, on the CPU even while a model is built on the meta device: a model has tens of tables of
    # two or three sizes, and sin/cos on meta run slow Python decompositions.
    position = torch.arange(length, dtype=torch.float32, device="cpu")[:, None]
    frequency = torch.exp(torch.arange(0, channels, 2, dtype=torch.float32, device="cpu")
                          * (-math.log(10000.0) / channels))
    pe = torch.empty(length, channels, dtype=torch.float32, device="cpu")
    pe[:, 0::2] = torch.sin(position * frequency)
    pe[:, 1::2] = torch.cos(position * frequency)
    return pe


class FeedForward(nn.Module):
    def __init__(self, channels, operations, mult=4):
        super().__init__()
        # Keys are net.0 and net.2: in the diffusers FeedForward the files were saved from, a dropout sat at 1.
        self.net = nn.ModuleDict({"0": GEGLU(channels, channels * mult, operations),
                                  "2": operations.Linear(channels * mult, channels)})

    def forward(self, h):
        return self.net["2"](self.net["0"](h))


class GEGLU(nn.Module):
    def __init__(self, channels, inner, operations):
        super().__init__()
        self.proj = operations.Linear(channels, 2 * inner)

    def forward(self, h):
        value, gate = self.proj(h).chunk(2, dim=-1)
        # In place into GELU's fresh output (one activation-sized tensor fewer); exact erf GELU: the tanh
        # approximation is ~6e-4 off.
        return F.gelu(gate).mul_(value)
