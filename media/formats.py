"""The output formats VideoCombine offers and how each one's options map onto its encoder."""
from dataclasses import dataclass, field

import av

from .errors import MediaError

PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")
CHROMA = ("yuv420p", "yuv444p")

# x264/x265 take the preset names; the other encoders take a speed number, mapped so that each name lands
# at a comparable speed/size trade-off.
_VP9_CPU_USED = dict(zip(PRESETS, (5, 5, 4, 4, 3, 2, 1, 1, 0)))
_SVT_AV1_PRESET = dict(zip(PRESETS, (12, 11, 10, 9, 9, 8, 6, 5, 4)))
_PRORES_PROFILE = {"yuv422p10le": "3", "yuv444p10le": "4"}  # 422 HQ, 4444


@dataclass(frozen=True)
class Format:
    name: str                # the widget choice, e.g. "video/h264-mp4"
    kind: str                # "video", "gif", "webp" or "png" (a numbered PNG per frame)
    extension: str
    mime: str                # what the browser preview element is told
    encoder: str = ""        # PyAV/FFmpeg encoder name
    pix_fmts: dict = field(default_factory=dict)  # the chroma choice -> pixel format actually encoded
    crf_max: int = 0
    audio_encoder: str = ""  # "" when the format carries no sound
    container_options: dict = field(default_factory=dict)
    codec_tag: str = ""
    min_side: int = 1        # smallest frame width/height the encoder handles


# MP4/MOV: use_metadata_tags writes custom keys (prompt, workflow) into moov/udta/meta, where ComfyUI's frontend
# looks; faststart moves moov to the front, inside the first 64 MiB the frontend reads.
_ISOBMFF = {"movflags": "+faststart+use_metadata_tags"}

FORMATS = {f.name: f for f in (
    Format("image/gif", "gif", "gif", "image/gif", encoder="gif"),
    Format("image/webp", "webp", "webp", "image/webp", encoder="libwebp_anim"),
    Format("video/h264-mp4", "video", "mp4", "video/mp4", "libx264", {"yuv420p": "yuv420p", "yuv444p": "yuv444p"},
           51, "aac", _ISOBMFF),
    # hvc1 (parameter sets in the sample entry) is the tag Apple players and browsers require for HEVC in MP4.
    # x265 corrupts its heap now and then on frames under one 64-pixel coding tree unit on a side (48x32 crashed
    # the process in 16 of 36 tries), so those are refused.
    Format("video/h265-mp4", "video", "mp4", "video/mp4", "libx265", {"yuv420p": "yuv420p", "yuv444p": "yuv444p"},
           51, "aac", _ISOBMFF, codec_tag="hvc1", min_side=64),
    Format("video/vp9-webm", "video", "webm", "video/webm", "libvpx-vp9", {"yuv420p": "yuv420p", "yuv444p": "yuv444p"},
           63, "libopus"),
    # SVT-AV1 encodes 4:2:0 only, and stalls forever (inside FFmpeg's flush) on frames under 32 pixels on a side
    # once the other side passes 64, so small frames are refused.
    Format("video/av1-webm", "video", "webm", "video/webm", "libsvtav1", {"yuv420p": "yuv420p"}, 63, "libopus",
           min_side=32),
    # ProRes has no 4:2:0: the yuv420p choice gives 422 HQ, yuv444p gives 4444, both 10-bit.
    Format("video/prores-mov", "video", "mov", "video/quicktime", "prores_ks",
           {"yuv420p": "yuv422p10le", "yuv444p": "yuv444p10le"}, 0, "pcm_s16le", _ISOBMFF),
    Format("image/png", "png", "png", "image/png"),
)}


def available_formats():
    """Format names whose encoder exists in PyAV's FFmpeg (AV1 is absent from some builds)."""
    return [name for name, f in FORMATS.items() if not f.encoder or f.encoder in av.codecs_available]


def get_format(name):
    if name not in available_formats():
        raise MediaError(f"format: {name!r} is not available here; expected one of {available_formats()}")
    return FORMATS[name]


def pixel_format(fmt, chroma):
    if chroma not in fmt.pix_fmts:
        raise MediaError(f"pix_fmt: {fmt.name} encodes {sorted(fmt.pix_fmts)}, not {chroma!r}")
    return fmt.pix_fmts[chroma]


def encoder_options(fmt, crf, preset, pix_fmt):
    """The FFmpeg private options of fmt's video encoder for a crf, a preset name and the encoded pixel format."""
    if fmt.crf_max and not 0 <= crf <= fmt.crf_max:
        raise MediaError(f"crf: {fmt.name} takes 0 (best) to {fmt.crf_max}, got {crf}")
    if preset not in PRESETS:
        raise MediaError(f"preset: expected one of {PRESETS}, got {preset!r}")
    if fmt.encoder == "libx264":
        return {"crf": str(crf), "preset": preset}
    if fmt.encoder == "libx265":
        return {"crf": str(crf), "preset": preset, "x265-params": "log-level=error"}
    if fmt.encoder == "libvpx-vp9":
        # b=0 makes crf a constant-quality target instead of a cap on a default bitrate.
        return {"crf": str(crf), "b": "0", "deadline": "good", "cpu-used": str(_VP9_CPU_USED[preset]), "row-mt": "1"}
    if fmt.encoder == "libsvtav1":
        return {"crf": str(crf), "preset": str(_SVT_AV1_PRESET[preset])}
    if fmt.encoder == "prores_ks":
        return {"profile": _PRORES_PROFILE[pix_fmt]}
    raise MediaError(f"format: {fmt.name} is not a video format")
