"""Frame rates as exact fractions, because container time bases and GIF/WebP delays are rational."""
from fractions import Fraction

from .errors import MediaError

# Rates typed as 23.976, 29.97 or 59.94 mean the NTSC family n*1000/1001; a decimal approximation would drift
# against audio by a frame every few minutes.
_NTSC_TOLERANCE = 0.005
_NTSC_MIN_BASE = 20


def to_fraction(fps):
    """A positive float (or Fraction) frame rate as a Fraction: NTSC rates exactly, others to 1/1000."""
    if isinstance(fps, Fraction):
        rate = fps
    else:
        fps = float(fps)
        base = round(fps * 1.001)
        ntsc = Fraction(base * 1000, 1001)
        if base >= _NTSC_MIN_BASE and abs(fps - float(ntsc)) < _NTSC_TOLERANCE and abs(fps - base) > _NTSC_TOLERANCE:
            rate = ntsc
        else:
            rate = Fraction(fps).limit_denominator(1000)
    if rate <= 0:
        raise MediaError(f"frame_rate: expected a positive number of frames per second, got {fps}")
    return rate
