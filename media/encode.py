"""Video containers (MP4, WebM, MOV) written with PyAV one frame at a time: each frame is converted from the
tensor as it is encoded, so memory stays at the input plus the encoder's own buffers whatever the clip's length."""
import os
from fractions import Fraction
from itertools import chain, islice

import av

from .audio import AudioTrack
from .colour import coded_size, tag_bt709, to_frame
from .errors import MediaError
from .metadata import as_text

# The most frames x265 holds back to reorder B-frames (2, with its default B-pyramid, at every preset).
_X265_REORDER_DEPTH = 2


def write_video(path, frames, fmt, rate, pix_fmt, options, metadata=None, audio=None):
    """Encodes the (H, W, 3) float frames of the iterable `frames` at `rate` (a Fraction) into path with fmt's
    encoder; metadata goes into the container tags and audio (an AUDIO value) is muxed alongside."""
    if fmt.encoder == "libsvtav1":
        # SVT-AV1 prints a banner and its whole configuration on every encode unless told otherwise; it reads
        # the level from the environment when an encoder starts. Errors still show.
        os.environ.setdefault("SVT_LOG", "1")
    frames = iter(frames)
    head = list(islice(frames, _X265_REORDER_DEPTH + 1))
    first = head[0]
    if fmt.encoder == "libx265" and len(head) <= _X265_REORDER_DEPTH:
        # x265 derives decode timestamps from the frame its B-frame delay points at; a clip shorter than that
        # leaves them uninitialised and the MP4 muxer refuses the packets, so such clips get no B-frames.
        options = {**options, "x265-params": options["x265-params"] + ":bframes=0"}
    width, height = coded_size(first.shape[1], first.shape[0], pix_fmt)
    if min(width, height) < fmt.min_side:
        raise MediaError(f"{fmt.name}: frames must be at least {fmt.min_side} pixels on each side, "
                         f"got {first.shape[1]}x{first.shape[0]}; choose another format for frames this small")
    with av.open(path, "w", options=fmt.container_options) as container:
        container.metadata.update(as_text(metadata))
        stream = container.add_stream(fmt.encoder, rate=rate, options=options)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        if fmt.codec_tag:
            stream.codec_tag = fmt.codec_tag
        tag_bt709(stream.codec_context)
        track = AudioTrack(container, fmt.audio_encoder, audio) if audio is not None else None
        time_base = 1 / Fraction(rate)
        for index, frame in enumerate(chain(head, frames)):
            picture = to_frame(frame, pix_fmt)
            picture.pts, picture.time_base = index, time_base
            container.mux(stream.encode(picture))
            if track:
                track.feed_until((index + 1) * time_base)
        container.mux(stream.encode(None))
        if track:
            track.finish((index + 1) * time_base)
