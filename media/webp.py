"""Animated WebP through libwebp's animation encoder, then an EXIF chunk carrying the workflow added to the RIFF
file (FFmpeg's WebP muxer writes none, and the frontend reads the workflow of a dropped WebP from EXIF)."""
import struct
from fractions import Fraction

import av

from .frames import to_uint8

_EXIF_FLAG = 0x08  # VP8X feature bits: ICC 0x20, alpha 0x10, EXIF 0x08, XMP 0x04, animation 0x02


def write_webp(path, frames, rate, loop_count, quality, exif=b""):
    """quality 100 is lossless; loop_count is the number of plays, 0 = forever, which is also what WebP's ANIM
    loop field counts."""
    time_base = 1 / Fraction(rate)
    options = {"lossless": "1"} if quality >= 100 else {"quality": str(quality)}
    with av.open(path, "w", format="webp", options={"loop": str(loop_count)}) as container:
        stream = container.add_stream("libwebp_anim", rate=rate, options=options)
        stream.pix_fmt = "bgra"
        for index, frame in enumerate(frames):
            if index == 0:
                stream.width, stream.height = frame.shape[1], frame.shape[0]
            picture = av.VideoFrame.from_ndarray(to_uint8(frame), format="rgb24").reformat(format="bgra")
            picture.pts, picture.time_base = index, time_base
            container.mux(stream.encode(picture))
        container.mux(stream.encode(None))
    if exif:
        add_exif(path, exif, stream.width, stream.height)


def add_exif(path, exif, width, height):
    """Appends an EXIF chunk and sets its flag in VP8X (adding VP8X when the file is a simple one-frame WebP)."""
    with open(path, "rb") as f:
        data = f.read()
    body = data[12:]
    if body[:4] == b"VP8X":
        header = bytearray(body[:18])
        header[8] |= _EXIF_FLAG
        body = bytes(header) + body[18:]
    else:
        canvas = struct.pack("<I", width - 1)[:3] + struct.pack("<I", height - 1)[:3]
        body = b"VP8X" + struct.pack("<I", 10) + bytes([_EXIF_FLAG, 0, 0, 0]) + canvas + body
    body += b"EXIF" + struct.pack("<I", len(exif)) + exif + b"\x00" * (len(exif) % 2)
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body)
