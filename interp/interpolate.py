"""The interpolation driver: the same timing, looping, batching and memory plan for every method.

    interpolate(frames, method, multiplier, mode="exact", loop=False, batch_size=1, ...)

frames (N,H,W,3) float RGB in [0, 1], ComfyUI's IMAGE layout (or a list of frames of one size). The result has
(N - 1)·m + 1 frames, the inputs at every m-th place; with loop the last frame is joined back to the first too,
N·m frames, so the clip repeats seamlessly. mode "exact" makes the pair's in-betweens at t = k/m from the pair
itself, "midpoints" by recursive bisection (see timing.py).

The output is allocated once and filled in chunks of batch_size pairs; only one chunk's frames, prepared states
and motions are alive at a time. Frames smaller than the method's minimum (64 px for FILM) are reflect-padded
around and cropped back; FILM's output at other sizes is computed at the exact size, never padded to a multiple.
"""
import torch
import torch.nn.functional as F

from .methods import as_method
from .timing import EXACT, SCHEDULES, last_reads, output_count, step_time


def interpolate(frames, method, multiplier, *, mode=EXACT, loop=False, batch_size=1, device=None, dtype=None,
                progress=None, interrupt=None):
    """method: a FILM model, "flow" or "crossfade". device and dtype default to the model's (cpu, fp32 otherwise).
    progress(done_pairs, total_pairs) is called after every chunk; interrupt() before every pair's work, and may
    raise to stop."""
    frames = as_frames(frames)
    if multiplier != int(multiplier) or multiplier < 1:
        raise ValueError(f"multiplier must be a whole number of at least 1, got {multiplier}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if mode not in SCHEDULES:
        raise ValueError(f"mode must be one of {sorted(SCHEDULES)}, got {mode!r}")
    multiplier, method = int(multiplier), as_method(method)
    device = torch.device(device or getattr(method, "device", "cpu"))
    dtype = dtype or getattr(method, "dtype", torch.float32)
    count, height, width, _ = frames.shape
    pairs = count if loop else count - 1
    schedule = SCHEDULES[mode](multiplier)
    padding = Padding(height, width, method.min_size)

    # Pages of `out` cost memory only once written: the in-betweens fill it as they are made, and the inputs go
    # in last, after the working memory is freed, so the peak is never the whole output plus the working memory.
    out = torch.empty((output_count(count, multiplier, loop), height, width, 3), dtype=torch.float32)

    def load(indices):
        return padding.pad(frames[indices].to(device, dtype).permute(0, 3, 1, 2))

    prepared = PreparedFrames(method, load, keep_first=loop, batch_size=batch_size)
    with torch.inference_mode():
        for start in range(0, pairs, batch_size):
            chunk = min(batch_size, pairs - start)
            if interrupt:
                interrupt()
            # run() empties `pair` as it drops each state after its last read: otherwise this chunk's left frame
            # would still be alive while the next chunk prepares its new frame.
            pair = prepared.pairs([(start + j) % count for j in range(chunk + 1)])
            for slot, made in run(schedule, multiplier, method, pair, interrupt):
                out[start * multiplier + slot::multiplier][:chunk] = padding.crop(made).permute(0, 2, 3, 1).float()
            if progress:
                progress(start + chunk, pairs)
    del prepared  # the kept frames' states
    out[::multiplier] = frames
    return out


def as_frames(frames):
    """(N,H,W,3) from a tensor, or from a list of (H,W,3) or (k,H,W,3) tensors that must share one size."""
    if not torch.is_tensor(frames):
        frames = [frame if frame.ndim == 4 else frame[None] for frame in frames]
        if not frames:
            raise ValueError("no frames to interpolate")
        for index, frame in enumerate(frames):
            if frame.shape[1:] != frames[0].shape[1:]:
                raise ValueError(f"frame {index} is {size(frame)} but frame 0 is {size(frames[0])}: all frames "
                                 f"must have the same size; resize them first")
        frames = torch.cat(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"frames must be (N,H,W,3) RGB images, got shape {tuple(frames.shape)}")
    if len(frames) == 0:
        raise ValueError("no frames to interpolate")
    return frames


def size(frame):
    return f"{frame.shape[-2]}×{frame.shape[-3]} (width×height) with {frame.shape[-1]} channels"


class PreparedFrames:
    """Prepares each frame once: a chunk's last frame is the next chunk's first, and with loop, frame 0 ends the
    last pair. A kept state made in a batch of several frames is copied out of it, so that it does not hold the
    whole batch in memory; one made alone is kept as it is."""

    def __init__(self, method, load, keep_first, batch_size):
        self.method, self.load, self.keep_first, self.batch_size = method, load, keep_first, batch_size
        self.kept = {}

    def pairs(self, indices):
        """[left, right]: the batches for consecutive frames at `indices`."""
        new = [index for index in dict.fromkeys(indices) if index not in self.kept]
        states, batched = dict(self.kept), set()
        for start in range(0, len(new), self.batch_size):  # the first chunk has one frame more than the others
            group = new[start:start + self.batch_size]
            batch = self.method.prepare(self.load(group))
            states.update((index, [t[k:k + 1] for t in batch]) for k, index in enumerate(group))
            if len(group) > 1:
                batched.update(group)
        keep = {indices[-1]} | ({0} if self.keep_first else set())
        self.kept = {index: [t.clone() for t in states[index]] if index in batched else states[index]
                     for index in keep}
        ordered = [states[index] for index in indices]
        return [stack(ordered[:-1]), stack(ordered[1:])]


def stack(states):
    return states[0] if len(states) == 1 else [torch.cat(parts) for parts in zip(*states)]


def run(schedule, multiplier, method, pair, interrupt=None):
    """Carries out a schedule on a batch of pairs, given as a list [left, right] of prepared states that it
    empties; yields (slot, frames) as they are made, clamped to [0, 1]. A pair's motion is computed once, a made
    frame is prepared only if a later step reads it, and every state is dropped after its last read."""
    like = pair[0][0].new_empty(len(pair[0][0]), 1)  # t's batch, device and dtype, without holding a frame
    states = {0: pair.pop(0), multiplier: pair.pop()}
    motions = {}
    last = last_reads(schedule)
    last_pair = {(lo, hi): index for index, (_, lo, hi) in enumerate(schedule)}
    for index, step in enumerate(schedule):
        slot, lo, hi = step
        if interrupt:
            interrupt()
        if (lo, hi) not in motions:
            motions[lo, hi] = method.motion(states[lo], states[hi])
        t = torch.full_like(like, step_time(step))
        made = method.between(states[lo], states[hi], motions[lo, hi], t).clamp_(0, 1)
        yield slot, made
        if slot in last:
            states[slot] = method.prepare(made)
        for done in {lo, hi}:
            if last[done] == index:
                del states[done]
        if last_pair[lo, hi] == index:
            del motions[lo, hi]


class Padding:
    """Reflect-pads frames smaller than `minimum` on both sides up to it, and crops results back."""

    def __init__(self, height, width, minimum):
        def split(missing):
            return missing // 2, missing - missing // 2
        self.top, self.bottom = split(max(0, minimum - height))
        self.left, self.right = split(max(0, minimum - width))
        self.height, self.width = height, width

    def pad(self, x):
        left, right, top, bottom = self.left, self.right, self.top, self.bottom
        while left or right or top or bottom:
            # Reflection can mirror at most size - 1 pixels at once: grow in steps.
            h, w = x.shape[-2:]
            step = [min(left, w - 1), min(right, w - 1), min(top, h - 1), min(bottom, h - 1)]
            if not any(step):  # a single pixel has nothing to mirror
                return F.pad(x, [left, right, top, bottom], mode="replicate")
            x = F.pad(x, step, mode="reflect")
            left, right, top, bottom = left - step[0], right - step[1], top - step[2], bottom - step[3]
        return x

    def crop(self, x):
        return x[..., self.top:self.top + self.height, self.left:self.left + self.width]
