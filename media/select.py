"""Which source frames a load returns: rate conversion, then skip, every-nth and cap, all as index arithmetic so
that memory can be checked and allocated before anything is decoded."""
import math
from bisect import bisect_right

from .errors import MediaError

# A frame whose timestamp is within this of an output instant counts as showing at it (timestamps are rounded
# to the container's time base).
_EPSILON = 1e-6


def check_options(force_rate, skip_first_frames, select_every_nth, frame_load_cap):
    for name, value, low in (("force_rate", force_rate, 0), ("skip_first_frames", skip_first_frames, 0),
                             ("select_every_nth", select_every_nth, 1), ("frame_load_cap", frame_load_cap, 0)):
        if value < low:
            raise MediaError(f"{name}: expected at least {low}, got {value}")


def timeline(times, source_rate, force_rate=0):
    """Source frame index shown at each output instant. times are the sorted presentation times in seconds;
    force_rate 0 keeps every source frame, otherwise frames are dropped or repeated to play at force_rate."""
    if not force_rate:
        return list(range(len(times)))
    start = times[0]
    duration = times[-1] - start + 1 / source_rate
    count = math.floor(duration * force_rate + _EPSILON)
    return [max(0, bisect_right(times, start + k / force_rate + _EPSILON) - 1) for k in range(count)]


def select(indexes, skip_first_frames=0, select_every_nth=1, frame_load_cap=0):
    chosen = indexes[skip_first_frames::select_every_nth]
    return chosen[:frame_load_cap] if frame_load_cap else chosen


def sources_needed(source_rate, force_rate, skip_first_frames, select_every_nth, frame_load_cap):
    """How many leading source frames a capped load can use (None when uncapped): reading stops after them."""
    if not frame_load_cap:
        return None
    last_output = skip_first_frames + (frame_load_cap - 1) * select_every_nth
    if not force_rate:
        return last_output + 1
    return math.ceil((last_output + 1) * source_rate / force_rate) + 1
