"""Frame geometry for loads: an optional custom size, and sides made multiples of 8 (what SD VAEs need) by
cropping or padding."""
from dataclasses import dataclass

from .errors import MediaError

RESIZE_MODES = ("none", "crop", "pad")
_MULTIPLE = 8


@dataclass(frozen=True)
class Fit:
    scaled: tuple       # (width, height) each source frame is scaled to
    size: tuple         # (width, height) of the output frames
    crop: tuple         # (x, y) in the scaled frame where the output starts ("crop")
    offset: tuple       # (x, y) in the output frame where the scaled frame goes ("pad"; the border stays black)


def plan_fit(source_width, source_height, width=0, height=0, mode="none"):
    """The target is width x height (0 = from the other side and the source's aspect, both 0 = source size).
    "none" scales to exactly the target. "crop" scales to cover it and crops the centre to sides rounded down to
    multiples of 8; "pad" scales to fit inside it and pads to sides rounded up; neither distorts the picture."""
    if mode not in RESIZE_MODES:
        raise MediaError(f"resize: expected one of {RESIZE_MODES}, got {mode!r}")
    if width < 0 or height < 0:
        raise MediaError(f"custom_width/custom_height: expected 0 (keep) or a size in pixels, got {width}x{height}")
    target_w = width or (round(source_width * height / source_height) if height else source_width)
    target_h = height or (round(source_height * width / source_width) if width else source_height)
    if mode == "none":
        return Fit((target_w, target_h), (target_w, target_h), (0, 0), (0, 0))
    if mode == "crop":
        scale = max(target_w / source_width, target_h / source_height)
        size = (max(_MULTIPLE, _round_down(target_w)), max(_MULTIPLE, _round_down(target_h)))
        scaled = (max(size[0], round(source_width * scale)), max(size[1], round(source_height * scale)))
        return Fit(scaled, size, ((scaled[0] - size[0]) // 2, (scaled[1] - size[1]) // 2), (0, 0))
    scale = min(target_w / source_width, target_h / source_height)
    scaled = (max(1, min(target_w, round(source_width * scale))), max(1, min(target_h, round(source_height * scale))))
    size = (_round_up(target_w), _round_up(target_h))
    return Fit(scaled, size, (0, 0), ((size[0] - scaled[0]) // 2, (size[1] - scaled[1]) // 2))


def _round_down(value):
    return value // _MULTIPLE * _MULTIPLE


def _round_up(value):
    return -(-value // _MULTIPLE) * _MULTIPLE
