"""PNG files with the workflow in text chunks: whole sequences, and the first-frame still written beside every
animation so that dropping either file onto the canvas restores the graph."""
import os

from PIL import Image

from .frames import to_uint8
from .metadata import png_info

# zlib level 4: ComfyUI's SaveImage default, most of level 9's size at a fraction of its time.
_COMPRESS_LEVEL = 4


def write_png(path, frame, metadata=None):
    Image.fromarray(to_uint8(frame)).save(path, pnginfo=png_info(metadata), compress_level=_COMPRESS_LEVEL)


def write_png_sequence(folder, base, frames, metadata=None):
    """Frames as folder/base_00000.png, ... (every frame carries the workflow, as SaveImage's do). Returns the
    file names written."""
    os.makedirs(folder, exist_ok=True)
    names = []
    for index, frame in enumerate(frames):
        names.append(f"{base}_{index:05}.png")
        write_png(os.path.join(folder, names[-1]), frame, metadata)
    return names
