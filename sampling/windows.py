"""Context windows: which frames each window samples at each step. The host's context-window handler
(comfy.context_windows) runs the windows; nodes/context_windows.py plugs these schedules into it.

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


def step_at(sigmas, sigma):
    """The index of the step a model call at noise level `sigma` belongs to: the last schedule sigma at or above it.
    Samplers that evaluate between two sigmas (heun, dpmpp_2s_ancestral, ...) then count as the step they are in;
    an exact match, as the host does, would fail for them."""
    step = 0
    for i, s in enumerate(sigmas[:-1]):
        if s >= sigma * (1 - 1e-4) - 1e-8:
            step = i
    return step


def windows_per_call(windows, fits, most=16):
    """How many windows to sample in one model call: the largest k (up to `most`) for which fits(k) holds, each k
    tried in turn from 2 (a call of k windows needs more memory than one of k - 1); at least 1."""
    best = 1
    for k in range(2, min(windows, most) + 1):
        if not fits(k):
            break
        best = k
    return best
