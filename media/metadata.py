"""The prompt and workflow, in the places ComfyUI's frontend (1.32) reads them back when a file is dropped on it.

`metadata` everywhere is a dict of name -> JSON-serialisable value: "prompt" (the API graph) and the
extra_pnginfo entries ("workflow", and whatever else extensions add). The frontend looks for:
- MP4/MOV: moov/udta/meta keys+ilst entries named prompt/workflow (any case), values JSON text;
- WebM: Matroska SimpleTags named exactly PROMPT/WORKFLOW (FFmpeg's muxer upper-cases tag names);
- PNG: tEXt chunks keyed prompt/workflow;
- WebP: an EXIF chunk whose ASCII entries read "workflow:<json>" / "prompt:<json>"."""
import json

from PIL import Image, PngImagePlugin

# EXIF tags for the WebP entries: prompt in Model (0x0110), the others from Make (0x010F) down, the layout of
# ComfyUI's own WebP writer, so tools that know that layout find the same values.
_FIRST_EXIF_TAG = 0x0110


def as_text(metadata):
    """Each value as the JSON text stored in files (ASCII-only, so EXIF ASCII entries can hold it); as a dict it
    is also what an av container's metadata takes (MP4, MOV, WebM)."""
    return {name: json.dumps(value) for name, value in (metadata or {}).items()}


def png_info(metadata):
    info = PngImagePlugin.PngInfo()
    for name, text in as_text(metadata).items():
        info.add_text(name, text)
    return info


def webp_exif(metadata):
    """EXIF bytes (TIFF structure, without the "Exif\\0\\0" preamble) holding "name:json" ASCII entries."""
    exif = Image.Exif()
    ordered = sorted(as_text(metadata).items(), key=lambda item: item[0] != "prompt")
    for offset, (name, text) in enumerate(ordered):
        exif[_FIRST_EXIF_TAG - offset] = f"{name}:{text}"
    data = exif.tobytes()
    return data[6:] if data.startswith(b"Exif\x00\x00") else data
