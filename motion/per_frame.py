"""Per-frame values for motion scale and effect: a number, or one number per frame.

A list shorter than the clip holds its last value, so "1.0, 1.2, 1.4" ramps over three frames and stays at 1.4.
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


def at_frames(value, frames):
    """The values at absolute frame indices `frames`: a float stays a float, a list becomes a 1-D tensor."""
    if not isinstance(value, (list, tuple)):
        return value
    last = len(value) - 1
    return torch.tensor([value[min(f, last)] for f in frames], dtype=torch.float32)
