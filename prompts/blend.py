"""Per-frame blends of encoded prompts: linear (a weighted sum, truly linear in the weights) or spherical.

`encoded` holds one row per distinct prompt (P, ...); `frames` lists, per frame, (prompt index, weight) pairs as
prompts.schedule.Schedule.frames does. The result has one row per frame (F, ...).
"""
import math

import torch

METHODS = ("linear", "slerp")


def blend(encoded, frames, method="linear"):
    if method == "linear":
        return _linear(encoded, frames)
    if method == "slerp":
        return _slerp_frames(encoded, frames)
    raise ValueError(f"interpolation {method!r}: expected one of {', '.join(METHODS)}")


def weight_matrix(frames, prompts):
    w = torch.zeros(len(frames), prompts, dtype=torch.float64)
    for i, parts in enumerate(frames):
        for p, weight in parts:
            w[i, p] += weight
    return w


def _linear(encoded, frames):
    w = weight_matrix(frames, encoded.shape[0]).to(torch.float32)
    flat = encoded.reshape(encoded.shape[0], -1).to(torch.float32)
    out = torch.empty(len(frames), flat.shape[1], dtype=encoded.dtype)
    # Rows with a single prompt are copied exactly (no rounding through a matmul).
    for i, parts in enumerate(frames):
        if len(parts) == 1 and parts[0][1] == 1.0:
            out[i] = flat[parts[0][0]].to(encoded.dtype)
        else:
            out[i] = (w[i] @ flat).to(encoded.dtype)
    return out.reshape(len(frames), *encoded.shape[1:])


def slerp(a, b, t, eps=1e-4):
    """Spherical interpolation of a and b along their last dimension, t in [0, 1] (a scalar or a tensor that
    broadcasts against a[..., :1]). Near-parallel vectors fall back to linear interpolation."""
    a32, b32 = a.to(torch.float32), b.to(torch.float32)
    t = torch.as_tensor(t, dtype=torch.float32)
    na = a32 / a32.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    nb = b32 / b32.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    dot = (na * nb).sum(dim=-1, keepdim=True).clamp(-1.0, 1.0)
    omega = torch.arccos(dot)
    sin_omega = torch.sin(omega)
    near = sin_omega.abs() < eps
    safe = torch.where(near, torch.ones_like(sin_omega), sin_omega)
    wa = torch.where(near, 1.0 - t, torch.sin((1.0 - t) * omega) / safe)
    wb = torch.where(near, t + torch.zeros_like(omega), torch.sin(t * omega) / safe)
    return (wa * a32 + wb * b32).to(a.dtype)


def _slerp_frames(encoded, frames):
    out = torch.empty(len(frames), *encoded.shape[1:], dtype=encoded.dtype)
    for i, parts in enumerate(frames):
        parts = [(p, w) for p, w in parts if w != 0.0]
        if len(parts) == 1:
            out[i] = encoded[parts[0][0]]
        elif len(parts) == 2:
            (p, _), (q, t) = parts
            out[i] = slerp(encoded[p], encoded[q], t)
        else:
            raise ValueError(f"frame {i} blends {len(parts)} prompts; slerp blends two at a time")
    return out


def common_length(lengths, max_factor=4):
    """The token length every prompt is padded to: the least common multiple of the lengths when it is at most
    max_factor times the longest (repeating a whole encoding leaves cross-attention unchanged), else the longest."""
    longest = max(lengths)
    lcm = 1
    for n in lengths:
        lcm = lcm * n // math.gcd(lcm, n)
    return lcm if lcm <= longest * max_factor else longest


def pad_tokens(cond, length, dim=-2):
    """Repeats a (..., tokens, channels) encoding along its token axis to `length` tokens."""
    tokens = cond.shape[dim]
    if tokens == length:
        return cond
    repeats = [1] * cond.ndim
    repeats[dim] = -(-length // tokens)
    return cond.repeat(*repeats).narrow(dim, 0, length)
