"""VideoHelperSuite's Video Combine and Load Video (upload and path) -> Tempo's Video Combine and Load Video."""
import os

from .conversion import New

# VHS format -> Tempo format; the second value says what differs (None: the same encoding)
FORMATS = {"image/gif": ("image/gif", None), "image/webp": ("image/webp", None),
           "video/h264-mp4": ("video/h264-mp4", None), "video/h265-mp4": ("video/h265-mp4", None),
           "video/webm": ("video/vp9-webm", None), "video/av1-webm": ("video/av1-webm", None),
           "video/ProRes": ("video/prores-mov", None), "video/8bit-png": ("image/png", None),
           "video/16bit-png": ("image/png", "8-bit PNGs instead of 16-bit"),
           "video/nvenc_h264-mp4": ("video/h264-mp4", "x264 instead of NVENC"),
           "video/nvenc_hevc-mp4": ("video/h265-mp4", "x265 instead of NVENC"),
           "video/nvenc_av1-mp4": ("video/av1-webm", "SVT-AV1 in WebM instead of NVENC in MP4"),
           "video/ffmpeg-gif": ("image/gif", "Tempo's GIF palette instead of FFmpeg's"),
           "video/gifski": ("image/gif", "Tempo's GIF palette instead of gifski's"),
           "video/ffv1-mkv": ("video/prores-mov", "ProRes 4444 instead of lossless FFV1")}
CHROMA = {"yuv420p": "yuv420p", "yuv444p": "yuv444p", "yuv420p10le": "yuv420p", "yuv444p10le": "yuv444p"}
# force_size of VHS's older Load Video: "Disabled", "Custom Width", "Custom Height", "Custom", "256x?", ...
COMBINE_LIST = ["frame_rate", "loop_count", "filename_prefix", "format"]
LOAD_LIST = ["video", "force_rate", "force_size", "custom_width", "custom_height", "frame_load_cap",
             "skip_first_frames", "select_every_nth"]


def vhs_list_widgets(node_type, values):
    """Widgets of VHS's list saves. Combine: the first four, then the format's own widgets, then pingpong and
    save_output (the last two booleans); Load Video: force_size present when the third value is text."""
    values = [v for v in values if not isinstance(v, dict)]
    if node_type == "VHS_VideoCombine":
        read = dict(zip(COMBINE_LIST, values))
        flags = [v for v in values[4:] if isinstance(v, bool)]
        read.update(zip(["pingpong", "save_output"], flags[-2:]))
        for value in values[4:]:
            if isinstance(value, str) and value in CHROMA:
                read["pix_fmt"] = value
            elif isinstance(value, int) and not isinstance(value, bool):
                read["crf"] = value
        return read
    names = LOAD_LIST if len(values) > 2 and isinstance(values[2], str) else [n for n in LOAD_LIST if n != "force_size"]
    return dict(zip(names, values))


def _size(node):
    """(custom_width, custom_height) after the old force_size choice."""
    get = node.inputs.get
    width, height = get("custom_width", 0) or 0, get("custom_height", 0) or 0
    force = get("force_size")
    if force is None or force == "Custom":
        return width, height
    if force == "Disabled":
        return 0, 0
    if force == "Custom Width":
        return width, 0
    if force == "Custom Height":
        return 0, height
    w, _, h = str(force).partition("x")
    return (int(w) if w.isdigit() else 0), (int(h) if h.isdigit() else 0)


def load_video(conv, node):
    video = node.inputs.get("video", "")
    if node.type == "VHS_LoadVideoPath":
        conv.report.approximated(node.id, node.type, f"video path {video!r}: Tempo loads from ComfyUI's input "
                                 f"folder; the file name is kept, copy the file there")
        video = os.path.basename(str(video).replace("\\", "/"))
    width, height = _size(node)
    inputs = {"video": video, "force_rate": float(node.inputs.get("force_rate", 0) or 0),
              "skip_first_frames": node.inputs.get("skip_first_frames", 0),
              "select_every_nth": node.inputs.get("select_every_nth", 1),
              "frame_load_cap": node.inputs.get("frame_load_cap", 0),
              "resize": "crop" if width or height else "none", "custom_width": width, "custom_height": height}
    if width or height:
        conv.report.approximated(node.id, node.type, "resize: VHS scales and crops to multiples of 8 as it goes; "
                                 "Tempo's crop keeps the aspect ratio and cuts to multiples of 8 (same size, the "
                                 "cut may differ by a pixel row)")
    new_id = conv.replace(node, "TempoLoadVideo", inputs, {0: 0, 1: 1, 2: 3, 3: None})
    conv.report.mapped(node.id, node.type, f"{new_id}:TempoLoadVideo")
    if conv.linked(node, "vae"):
        encoded = conv.emit("VAEEncode", {"pixels": New(new_id, 0), "vae": node.inputs["vae"]}, node.id)
        conv.rewire[(node.id, 0)] = New(encoded, 0)
        conv.report.mapped(node.id, node.type, f"{encoded}:VAEEncode")
        conv.report.note(node.id, node.type, "vae: its latents come from a VAE Encode after Load Video")
    if conv.linked(node, "meta_batch"):
        conv.report.approximated(node.id, node.type, "meta_batch: Tempo loads the whole clip at once")
    if node.inputs.get("format") not in (None, "None", "AnimateDiff"):
        conv.report.approximated(node.id, node.type, f"format {node.inputs['format']!r}: not applied")
    conv.report.note(node.id, node.type, "video_info output: not in Tempo (frame_count and fps are)")


def video_combine(conv, node):
    get = node.inputs.get
    fmt, difference = FORMATS.get(get("format"), ("video/h264-mp4", f"format {get('format')!r} unknown"))
    available = conv.object_info.get("TempoVideoCombine", {}).get("input", {}).get("required", {}).get("format")
    if available and isinstance(available[0], list) and available[0] and fmt not in available[0]:
        difference, fmt = f"{fmt} is not available on this server", "video/h264-mp4"
    if difference:
        conv.report.approximated(node.id, node.type, f"format: {fmt} ({difference})")
    latent = conv.linked(node, "vae")
    inputs = {"images": None if latent else get("images"), "latent": get("images") if latent else None,
              "vae": get("vae"), "audio": get("audio"), "frame_rate": float(get("frame_rate", 8)),
              "loop_count": get("loop_count", 0), "filename_prefix": get("filename_prefix", "AnimateDiff"),
              "format": fmt, "pingpong": bool(get("pingpong", False)),
              "save_output": bool(get("save_output", get("save_image", True))),
              "crf": get("crf"), "pix_fmt": CHROMA.get(get("pix_fmt"))}
    if get("format") == "image/webp" and get("lossless"):
        inputs["webp_quality"] = 100
        conv.report.approximated(node.id, node.type, "lossless WebP: quality 100 (lossy) instead")
    if inputs["crf"] is not None:
        inputs["crf"] = min(int(inputs["crf"]), 63)
    new_id = conv.replace(node, "TempoVideoCombine", inputs, {0: None})
    conv.report.mapped(node.id, node.type, f"{new_id}:TempoVideoCombine")
    if conv.linked(node, "meta_batch"):
        conv.report.approximated(node.id, node.type, "meta_batch: Tempo encodes the frames it gets at once")
    if conv.source.consumers(node.id):
        conv.report.approximated(node.id, node.type, "Filenames output: Tempo's is a list of paths; its links "
                                 "are left out")


HANDLERS = {"VHS_VideoCombine": video_combine, "VHS_LoadVideo": load_video, "VHS_LoadVideoPath": load_video}
