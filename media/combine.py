"""VideoCombine without the host: frames -> one file (or PNG sequence) under an output root, plus the first-frame
PNG that carries the workflow beside animations."""
import logging
import os
from dataclasses import dataclass

from .encode import write_video
from .errors import MediaError
from .formats import encoder_options, get_format, pixel_format
from .frames import play_order
from .gif import Quantizer, build_palette, write_gif
from .metadata import webp_exif
from .paths import reserve
from .png import write_png, write_png_sequence
from .progress import ignore, watched
from .rates import to_fraction
from .staged import staged
from .webp import write_webp

_PALETTE_SAMPLES = 16  # frames the GIF palette is built from, spread over the clip


@dataclass(frozen=True)
class CombineOptions:
    format: str = "video/h264-mp4"
    frame_rate: float = 8.0
    loop_count: int = 0          # plays: 0 = forever (GIF/WebP flag); video files hold the clip max(1, n) times
    pingpong: bool = False
    crf: int = 19                # H.264/H.265/VP9/AV1
    preset: str = "medium"       # H.264/H.265/VP9/AV1
    pix_fmt: str = "yuv420p"     # H.264/H.265/VP9/AV1/ProRes
    dither: str = "floyd_steinberg"  # GIF
    webp_quality: int = 90       # WebP; 100 = lossless


@dataclass(frozen=True)
class Combined:
    files: list         # absolute paths written: the output (every frame, for PNG), then the first-frame PNG
    filename: str       # the file a preview shows, in root/subfolder
    subfolder: str
    mime: str
    frame_rate: float


def combine(source, root, filename_prefix, options, metadata=None, audio=None, progress=ignore, interrupt=ignore):
    """Writes source (an ImageFrames or DecodedFrames) as options.format under root; metadata (prompt, workflow)
    goes into the file where the format allows and into the first-frame PNG; audio (an AUDIO value) is muxed
    into video formats. progress(done, total) follows the frames written; interrupt() is called before each
    frame and stops the write by raising, leaving no output behind."""
    fmt = get_format(options.format)
    rate = to_fraction(options.frame_rate)
    write = _writer(fmt, rate, options, metadata, audio, source)
    name = reserve(root, filename_prefix)
    # A video file has no loop flag: the clip is written once per play instead.
    order = play_order(len(source), options.pingpong, options.loop_count if fmt.kind == "video" else 1)
    frames = watched(source.frames(order), len(order), progress, interrupt)
    if fmt.kind == "png":
        folder = os.path.join(name.folder, name.base)
        with staged(folder, folder=True) as partial:
            names = write_png_sequence(partial, name.base, frames, metadata)
        subfolder = "/".join(part for part in (name.subfolder, name.base) if part)
        return Combined([os.path.join(folder, n) for n in names], names[0], subfolder, fmt.mime, float(rate))
    files = [name.path(fmt.extension)]
    with staged(files[0]) as partial:
        write(partial, frames)
    if metadata:
        files.append(name.path("png"))
        with staged(files[1]) as partial:
            write_png(partial, next(source.frames([0])), metadata)
    return Combined(files, os.path.basename(files[0]), name.subfolder, fmt.mime, float(rate))


def _writer(fmt, rate, options, metadata, audio, source):
    """Checks every option for fmt before anything is written, and returns write(path, frames)."""
    if options.loop_count < 0:
        raise MediaError(f"loop_count: expected 0 (loop forever) or a number of plays, got {options.loop_count}")
    if audio is not None and not fmt.audio_encoder:
        logging.warning("Video Combine: %s carries no sound; the audio input is not saved", fmt.name)
    if fmt.kind == "gif":
        quantize = Quantizer(build_palette(source.sample(_PALETTE_SAMPLES)), options.dither)
        return lambda path, frames: write_gif(path, frames, quantize, rate, options.loop_count)
    if fmt.kind == "webp":
        if not 0 <= options.webp_quality <= 100:
            raise MediaError(f"webp_quality: expected 0 to 100 (100 = lossless), got {options.webp_quality}")
        exif = webp_exif(metadata) if metadata else b""
        return lambda path, frames: write_webp(path, frames, rate, options.loop_count, options.webp_quality, exif)
    if fmt.kind == "video":
        pix_fmt = pixel_format(fmt, options.pix_fmt)
        encoder = encoder_options(fmt, options.crf, options.preset, pix_fmt)
        return lambda path, frames: write_video(path, frames, fmt, rate, pix_fmt, encoder, metadata, audio)
    return None  # PNG sequences are written by combine itself
