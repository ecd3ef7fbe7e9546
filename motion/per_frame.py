"""Per-frame values for motion scale and effect: a number, or one number per frame.

A list shorter than the clip holds its last value, so "1.0, 1.2, 1.4" ramps over three frames and stays at 1.4;
a list longer than the clip is an error, not cut short.
"""
import torch


def parse_per_frame(text, field):
    """'1.0, 1.2, 1.4' -> [1.0, 1.2, 1.4]; '' -> None. Errors name the field and the bad entry's position."""
    text = text.strip()
    if not text:
        return None
    values = []
    for position, entry in enumerate(text.replace("\n", ",").split(","), start=1):
        entry = entry.strip()
        if not entry:
            continue
        try:
            values.append(float(entry))
        except ValueError:
            raise ValueError(f"{field}: entry {position} is {entry!r}; expected a number "
                             f"(a comma-separated list, one number per frame)") from None
    return values


def check_length(value, frames, field):
    if isinstance(value, (list, tuple)) and len(value) > frames:
        raise ValueError(f"{field} has {len(value)} values but the latent has {frames} frames: expected at most "
                         f"{frames} (a shorter list holds its last value)")


# transformer_options key: the clip's frame indices of each video in a UNet batch, one list per chunk in
# cond_or_uncond order, set by the context-window handler when one call holds several windows.
CHUNK_FRAMES = "tempo_chunk_frames"


def video_frames(transformer_options, videos, frames):
    """The clip's frame indices of each of the `videos` videos (of `frames` frames) in one UNet call: per chunk
    when several windows share the call, else the one context window's for every video, else 0..frames-1."""
    per_chunk = transformer_options.get(CHUNK_FRAMES)
    if per_chunk is not None:
        if len(per_chunk) != videos or any(len(indices) != frames for indices in per_chunk):
            raise ValueError(f"{CHUNK_FRAMES}: {len(per_chunk)} index lists for {videos} videos of {frames} frames")
        return per_chunk
    window = transformer_options.get("context_window")
    indices = list(window.index_list) if window is not None else list(range(frames))
    return [indices] * videos


def at_frames(value, frames):
    """The values at absolute frame indices `frames` (one list per video): a float stays a float, a list becomes
    a (videos, frames) tensor."""
    if not isinstance(value, (list, tuple)):
        return value
    last = len(value) - 1
    return torch.tensor([[value[min(f, last)] for f in video] for video in frames], dtype=torch.float32)
