"""Context-window math in plain Python/PyTorch: which frames each window samples, per-frame noise, FreeNoise,
and the first/last-frame guidance curve. The host's context-window handler (comfy.context_windows) runs the
windows; nodes/context_windows.py plugs these schedules into it.

Schedules (frames F, window length L, overlap O, so consecutive windows start d = L - O frames apart):
- static:  fixed windows 0, d, 2d, ...; the last one is moved back to end at the last frame.
- uniform: the same tiling shifted by an offset that changes every step (a different fraction of d each step),
           so window edges never stay at the same frames; windows are moved inside the clip, never wrapped.
- looped:  uniform whose windows wrap around the end to the start, so the clip loops seamlessly.
- batched: consecutive windows without overlap (the last one may be shorter); the fastest, seams show.
closed_loop makes static and uniform wrap around like looped. stride > 1 adds dilated windows (every 2nd, 4th,
... frame, while the dilated window still fits in the clip) to static, uniform and looped, for long-range
coherence. A clip no longer than the window is one window.
"""
import torch

SCHEDULES = ("static", "uniform", "looped", "batched")


class ContextError(ValueError):
    """Context settings that cannot work; the message names the input and what was expected."""


def check_settings(length, overlap, stride=1, schedule="uniform"):
    if schedule not in SCHEDULES:
        raise ContextError(f"context_schedule {schedule!r}: expected one of {', '.join(SCHEDULES)}")
    if length < 1:
        raise ContextError(f"context_length {length}: expected at least 1 frame")
    if not 0 <= overlap < length:
        raise ContextError(f"context_overlap {overlap}: expected 0 to context_length - 1 ({length - 1}), so that "
                           f"consecutive windows advance")
    if stride < 1:
        raise ContextError(f"context_stride {stride}: expected at least 1")


def step_fraction(step):
    """A fraction in [0, 1) for each step that spreads evenly (0, 1/2, 1/4, 3/4, 1/8, ...): the binary digits of
    the step mirrored after the point."""
    fraction, bit = 0.0, 0.5
    while step:
        if step & 1:
            fraction += bit
        step >>= 1
        bit /= 2
    return fraction


def context_windows(frames, length, overlap=0, stride=1, closed_loop=False, schedule="uniform", step=0):
    """The windows (lists of frame indexes) sampled at a step. Every frame is in at least one window; every window
    has `length` distinct frames except a batched schedule's last window."""
    check_settings(length, overlap, stride, schedule)
    if frames <= length:
        return [list(range(frames))]
    if schedule == "batched":
        return [list(range(s, min(s + length, frames))) for s in range(0, frames, length)]
    wrap = schedule == "looped" or closed_loop
    shifting = schedule in ("uniform", "looped")
    windows = []
    spacing = 1
    for level in range(stride):
        spacing = 1 << level
        span = length * spacing  # frames a dilated window reaches over
        if level > 0 and span > frames:
            break
        advance = span - overlap * spacing if level == 0 else span - overlap
        offset = int(step_fraction(step) * advance) if shifting else 0
        windows += _level_windows(frames, length, spacing, advance, offset, wrap)
    unique = []
    for w in windows:
        if w not in unique:
            unique.append(w)
    return unique


def _level_windows(frames, length, spacing, advance, offset, wrap):
    reach = (length - 1) * spacing  # last frame of a window, relative to its first
    if wrap:
        count = -(-frames // advance)
        return [[(offset + m * advance + j * spacing) % frames for j in range(length)] for m in range(count)]
    out = []
    start = offset - advance if offset > 0 else 0
    while True:
        first = min(max(start, 0), frames - 1 - reach)
        out.append([first + j * spacing for j in range(length)])
        if first + reach >= frames - 1 and spacing == 1:
            break
        if start >= frames - 1:
            break
        start += advance
    return out


# ---- noise ---------------------------------------------------------------------------------------------------

def frame_noise(seed, frame_shape, frames=None, indexes=None, dtype=torch.float32):
    """Initial noise, one frame at a time from one generator seeded with `seed`: frame i's noise depends only on
    the seed, i and the frame shape (not on the frame count or any window setting). `indexes` picks frames by
    index (a latent's batch_index); otherwise frames 0..frames-1. For frame sizes that are a multiple of 16 values
    this is exactly the noise the stock KSampler draws for the whole batch."""
    if indexes is None:
        indexes = list(range(frames))
    generator = torch.Generator().manual_seed(seed)
    drawn = {}
    for i in range(max(indexes) + 1):
        noise = torch.randn((1, *frame_shape), generator=generator, dtype=dtype)
        if i in indexes:
            drawn[i] = noise
    return torch.cat([drawn[i] for i in indexes])


def freenoise(noise, length, overlap, seed):
    """FreeNoise rescheduling: past the first window, each block of d = length - overlap frames reuses the noise
    of the frames one window earlier, shuffled, so every window sees the same noise statistics and long clips stay
    coherent. Returns a new tensor; clips no longer than one window are returned unchanged."""
    frames = noise.shape[0]
    if frames <= length:
        return noise
    advance = max(1, length - overlap)
    generator = torch.Generator().manual_seed(seed)
    out = noise.clone()
    for start in range(length, frames, advance):
        n = min(advance, frames - start)
        source = torch.arange(start - length, start - length + n)
        out[start:start + n] = out[source[torch.randperm(n, generator=generator)]]
    return out


# ---- first/last frame guidance -------------------------------------------------------------------------------
# The img2img start/end frames of the A1111 AnimateDiff extension: the init latent of frame i (of F) is
#     init * a_i + last * b_i + noise * (1 - a_i - b_i),
# a_i = 1 - i^latent_power / latent_scale and b_i = 1 - (F-1-i)^latent_power_last / latent_scale_last, each at
# least 0; where a_i + b_i > 1 both are divided by their sum, and the first frame is the init alone, the last frame
# the last guide alone. Without a last guide b = 0 and nothing is normalised. `init` is the img2img input (there:
# the init image's latent on every frame), `noise` a fresh standard-normal latent: the extension draws it from the
# image's seed before the sampler draws its own noise, so it is not the sampler's noise, and the sampler then
# noises the blended init latent to the start of its denoise as it would any img2img input.

GUIDE_SEED_OFFSET = 0x9E3779B97F4A7C15  # a seed stream of its own, so the blend never reuses the sampler's noise


def keep_curve(frames, power, scale, field="latent_scale"):
    """How much of a guide frame i starts from: 1 - i^power / scale, at least 0."""
    if scale <= 0:
        raise ContextError(f"{field} {scale}: expected a positive number")
    return [max(0.0, 1.0 - (i ** power) / scale) for i in range(frames)]


def guide_weights(frames, power, scale, power_last=None, scale_last=None):
    """(a, b): per-frame weights of the init latent and of the last guide (b is None without a last guide)."""
    first = torch.tensor(keep_curve(frames, power, scale), dtype=torch.float64)
    if power_last is None:
        return first, None
    last = torch.tensor(keep_curve(frames, power_last, scale_last, "latent_scale_last")[::-1], dtype=torch.float64)
    total = first + last
    over = total > 1
    first[over] /= total[over]
    last[over] /= total[over]
    first[0], first[-1], last[0], last[-1] = 1.0, 0.0, 0.0, 1.0
    return first, last


def guide_noise(seed, frame_shape, frames, dtype=torch.float32):
    """The random latent the guides are blended with, in the model's scaled latent space, frame by frame."""
    return frame_noise((seed + GUIDE_SEED_OFFSET) % 2 ** 64, frame_shape, frames=frames, dtype=dtype)


def guided_latent(init, noise, last=None, power=1.0, scale=32.0, power_last=1.0, scale_last=32.0):
    """The blended init latent (F, C, H, W). init: (F or 1, C, H, W), the first guide or the img2img input;
    noise: (F, C, H, W) in the same latent space; last: (1, C, H, W) or None."""
    frames = noise.shape[0]
    first, back = guide_weights(frames, power, scale, *((power_last, scale_last) if last is not None else ()))
    shape = (-1,) + (1,) * (noise.ndim - 1)
    first = first.to(noise.dtype).view(shape)
    if back is None:
        return init * first + noise * (1 - first)
    back = back.to(noise.dtype).view(shape)
    return init * first + last * back + noise * (1 - first - back)
