"""Animated GIF: one palette built for the whole clip, a choice of dither, frames encoded one at a time."""
import logging
import shutil
import subprocess
from fractions import Fraction
from itertools import chain

import av
import numpy as np
from PIL import Image

from .errors import MediaError
from .frames import to_uint8

DITHERS = ("floyd_steinberg", "bayer", "none")

# 255 colours: index 255 is left transparent so FFmpeg's GIF encoder can mark pixels that did not change since
# the previous frame as transparent (its "transdiff" optimisation), which shrinks still backgrounds to almost nothing.
_COLOURS = 255
_TRANSPARENT = 255
_SAMPLE_PIXELS = 1 << 20   # the palette sees at most this many pixels, spread over the sampled frames
_BAYER_SPREAD = 16.0       # ordered-dither amplitude in 8-bit levels, about one palette step for 255 colours


def _bayer(size=8):
    matrix = np.zeros((1, 1))
    while matrix.shape[0] < size:
        matrix = np.block([[4 * matrix, 4 * matrix + 2], [4 * matrix + 3, 4 * matrix + 1]])
    return matrix / matrix.size - 0.5


_BAYER = _bayer()


def build_palette(samples):
    """(255, 3) uint8 colours for float frames sampled across the clip (median cut over a pixel subsample),
    so that colours of late frames are not missing from a palette built on the first one."""
    height, width = samples[0].shape[:2]
    stride = max(1, int(np.ceil(np.sqrt(len(samples) * height * width / _SAMPLE_PIXELS))))
    mosaic = np.concatenate([to_uint8(frame)[::stride, ::stride] for frame in samples], axis=0)
    quantized = Image.fromarray(mosaic).quantize(_COLOURS, method=Image.Quantize.MEDIANCUT,
                                                 dither=Image.Dither.NONE)
    colours = np.array(quantized.getpalette()[:3 * _COLOURS], dtype=np.uint8).reshape(-1, 3)
    # Fewer distinct colours than 255 leave a short palette; repeating the first keeps the table full.
    return np.concatenate([colours, np.repeat(colours[:1], _COLOURS - len(colours), axis=0)])


class Quantizer:
    """Maps uint8 RGB frames to indexes into a fixed palette with the chosen dither."""

    def __init__(self, palette, dither):
        if dither not in DITHERS:
            raise MediaError(f"dither: expected one of {DITHERS}, got {dither!r}")
        self.palette, self.dither = palette, dither
        self.target = Image.new("P", (1, 1))
        # The unused last entry repeats colour 0: Pillow may pick it for colour-0 pixels, which are remapped below.
        self.target.putpalette(np.concatenate([palette, palette[:1]]).tobytes())

    def __call__(self, rgb):
        if self.dither == "bayer":
            height, width = rgb.shape[:2]
            threshold = np.tile(_BAYER, (height // 8 + 1, width // 8 + 1))[:height, :width, None]
            rgb = np.clip(rgb + threshold * _BAYER_SPREAD, 0, 255).astype(np.uint8)
        mode = Image.Dither.FLOYDSTEINBERG if self.dither == "floyd_steinberg" else Image.Dither.NONE
        indexes = np.array(Image.fromarray(rgb).quantize(palette=self.target, dither=mode))
        indexes[indexes == _TRANSPARENT] = 0
        return indexes


def gif_loop_option(loop_count):
    """FFmpeg's GIF muxer option for loop_count plays (0 = forever). The NETSCAPE extension counts repeats
    after the first play, and its absence means play once."""
    return str({0: 0, 1: -1}.get(loop_count, loop_count - 1))


def write_gif(path, frames, quantize, rate, loop_count):
    """frames mapped by quantize (a Quantizer) at rate, played loop_count times (0 = forever)."""
    argb = np.zeros((256, 4), dtype=np.uint8)  # PyAV takes the palette as ARGB rows; row 255 stays transparent
    argb[:_COLOURS, 0] = 255
    argb[:_COLOURS, 1:] = quantize.palette
    frames = iter(frames)
    first = next(frames)
    time_base = 1 / Fraction(rate)
    with av.open(path, "w", options={"loop": gif_loop_option(loop_count)}) as container:
        stream = container.add_stream("gif", rate=rate)
        stream.width, stream.height, stream.pix_fmt = first.shape[1], first.shape[0], "pal8"
        for index, frame in enumerate(chain([first], frames)):
            picture = av.VideoFrame.from_ndarray((quantize(to_uint8(frame)), argb), format="pal8")
            picture.pts, picture.time_base = index, time_base
            container.mux(stream.encode(picture))
        container.mux(stream.encode(None))
    optimise(path)


def optimise(path):
    """Runs gifsicle -O3 on path in place when the binary is installed; the file is already valid without it."""
    gifsicle = shutil.which("gifsicle")
    if gifsicle is None:
        return
    done = subprocess.run([gifsicle, "--batch", "-O3", path], capture_output=True, text=True)
    if done.returncode != 0:
        logging.warning("gifsicle could not optimise %s (kept as written): %s", path, done.stderr.strip())
