"""LoadVideo without the host: a video or GIF file -> IMAGE frames decoded one at a time into a tensor allocated
once, after the frames to load are known and checked to fit in memory."""
from dataclasses import dataclass

import av
import numpy as np
import psutil
import torch

from .audio import read_audio
from .errors import MediaError
from .fit import plan_fit
from .progress import ignore
from .select import check_options, select, sources_needed, timeline

# swscale's default YUV->RGB path is off by up to 3 levels on saturated colours; accurate rounding with full
# chroma interpolation matches the exact conversion within 1. Bicubic scaling when a resize is asked for.
_SWS_FLAGS = 0x4 | 0x40000 | 0x2000 | 0x4000  # SWS_BICUBIC | ACCURATE_RND | FULL_CHR_H_INT | FULL_CHR_H_INP
# Packets arrive in decode order; a frame can be shown up to this many packets after one decoded later.
_REORDER_SLACK = 16


@dataclass(frozen=True)
class Loaded:
    images: torch.Tensor   # (frames, height, width, 3) float32 in [0, 1]
    fps: float             # rate of the returned frames: the source's (or force_rate) divided by select_every_nth
    audio: dict            # AUDIO value covering the returned frames, or None


def load_video(path, force_rate=0.0, skip_first_frames=0, select_every_nth=1, frame_load_cap=0,
               resize="none", width=0, height=0, memory_limit=None, with_audio=True, progress=ignore,
               interrupt=ignore):
    """memory_limit (bytes) defaults to the RAM available now; a load that would not fit is refused.
    progress(done, total) follows the frames loaded; interrupt() is called at each decoded frame and stops the
    load by raising."""
    check_options(force_rate, skip_first_frames, select_every_nth, frame_load_cap)
    source_rate, times, source_size = _probe(path, force_rate, skip_first_frames, select_every_nth, frame_load_cap)
    shown = timeline(times, source_rate, force_rate)
    chosen = select(shown, skip_first_frames, select_every_nth, frame_load_cap)
    if not chosen:
        raise MediaError(f"{path}: skip_first_frames={skip_first_frames} leaves none of its {len(shown)} frames")
    fit = plan_fit(*source_size, width, height, resize)
    _check_memory(path, len(chosen), fit.size, memory_limit)
    images = _decode(path, chosen, fit, progress, interrupt)
    base_rate = force_rate or source_rate
    audio = None
    if with_audio:
        start = times[0] + skip_first_frames / base_rate
        audio = read_audio(path, start, start + len(images) * select_every_nth / base_rate)
    return Loaded(images, float(base_rate / select_every_nth), audio)


def _open(path):
    try:
        container = av.open(path)
    except (av.error.FFmpegError, UnicodeDecodeError) as error:
        raise MediaError(f"{path}: not a video or GIF that FFmpeg can read ({error})") from None
    if not container.streams.video:
        container.close()
        raise MediaError(f"{path}: has no video stream")
    return container


def _probe(path, force_rate, skip_first_frames, select_every_nth, frame_load_cap):
    """(frame rate, sorted presentation times in seconds, (width, height)), from the packets alone (no decoding),
    stopping once a capped load has all the frames it can use."""
    with _open(path) as container:
        stream = container.streams.video[0]
        rate = float(stream.average_rate or stream.guessed_rate or 0) or 24.0
        needed = sources_needed(rate, force_rate, skip_first_frames, select_every_nth, frame_load_cap)
        times = []
        try:
            for packet in container.demux(stream):
                if packet.size == 0:
                    continue  # the flush packet at the end
                times.append(float(packet.pts * stream.time_base) if packet.pts is not None else len(times) / rate)
                if needed is not None and len(times) >= needed + _REORDER_SLACK:
                    break
        except av.error.FFmpegError as error:
            raise MediaError(f"{path}: damaged after {len(times)} frames ({error})") from None
        if not times:
            raise MediaError(f"{path}: its video stream holds no frames")
        size = (stream.codec_context.width, stream.codec_context.height)
    times.sort()
    return _measured_rate(rate, times), times, size


def _measured_rate(rate, times):
    """The container's rate, unless the timestamps disagree by over 1%: FFmpeg guesses a GIF's rate from its
    first delays, which are whole hundredths of a second (12 fps alternates 8 and 9 and reads as 12.5)."""
    if len(times) < 2 or times[-1] <= times[0]:
        return rate
    measured = (len(times) - 1) / (times[-1] - times[0])
    return rate if abs(measured - rate) <= 0.01 * rate else measured


def _check_memory(path, count, size, memory_limit):
    needed = count * size[0] * size[1] * 3 * 4  # float32 RGB
    available = psutil.virtual_memory().available if memory_limit is None else memory_limit
    if needed > available:
        raise MediaError(f"{path}: {count} frames of {size[0]}x{size[1]} need {needed / 2**30:.2f} GiB as IMAGE, "
                         f"but only {available / 2**30:.2f} GiB of RAM is free; load fewer frames with "
                         f"frame_load_cap or select_every_nth, or a smaller custom_width/custom_height")


def _decode(path, chosen, fit, progress, interrupt):
    """Decodes source frames in order, converting each one that `chosen` shows straight into its output slots."""
    width, height = fit.size
    images = torch.zeros((len(chosen), height, width, 3), dtype=torch.float32)
    slots = images.numpy()  # written with numpy, single-threaded, for the reason colour.to_frame gives
    slot, index = 0, -1
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            for index, frame in enumerate(container.decode(stream)):
                interrupt()  # once per decoded frame, skipped ones included: decoding is the slow part
                if index < chosen[slot]:
                    continue
                first = slot
                _convert_into(slots[first], frame, fit)
                slot += 1
                while slot < len(chosen) and chosen[slot] == index:  # a frame repeated by force_rate
                    slots[slot] = slots[first]
                    slot += 1
                progress(slot, len(chosen))
                if slot == len(chosen):
                    break
        except av.error.FFmpegError as error:
            if index < 0:  # nothing decoded: FFmpeg lacks a decoder for this stream (e.g. animated WebP)
                raise MediaError(f"{path}: FFmpeg cannot decode its {stream.codec_context.name} video "
                                 f"({error})") from None
            raise MediaError(f"{path}: damaged at frame {index + 1} ({error})") from None
    if slot == 0:
        raise MediaError(f"{path}: no frame could be decoded")
    return images[:slot]  # fewer frames decoded than packets counted: keep those that were


def _convert_into(target, frame, fit):
    """Scales and crops the frame per fit into target, a float32 array, as [0, 1]; 16-bit RGB for sources above
    8 bits."""
    deep = frame.format.components[0].bits > 8
    pixels = frame.to_ndarray(width=fit.scaled[0], height=fit.scaled[1], format="rgb48le" if deep else "rgb24",
                              interpolation=_SWS_FLAGS)
    (x, y), (w, h), (dx, dy) = fit.crop, fit.size, fit.offset
    pixels = pixels[y:y + h, x:x + w]
    region = target[dy:dy + pixels.shape[0], dx:dx + pixels.shape[1]]
    np.multiply(pixels, np.float32(1.0 / (65535.0 if deep else 255.0)), out=region)
