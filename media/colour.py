"""RGB frames to Y'CbCr pictures in BT.709, limited range: the encoding the tags on every written stream declare.

Converting here instead of in swscale keeps the float precision of the IMAGE tensor (one rounding, at the end)
and makes the matrix, range and tags one decision in one place, so the colours players show match the input."""
import av
import numpy as np
import torch

KR, KB = 0.2126, 0.0722  # BT.709 luma weights of red and blue
KG = 1.0 - KR - KB
BT709 = 1           # the same value in AVColorPrimaries, AVColorTransferCharacteristic and AVColorSpace
LIMITED_RANGE = 1   # AVCOL_RANGE_MPEG: Y' in 16-235, Cb/Cr in 16-240 (at 8 bits)

# pixel format -> (bits per sample, horizontal and vertical chroma subsampling)
LAYOUTS = {
    "yuv420p": (8, 2, 2),
    "yuv444p": (8, 1, 1),
    "yuv422p10le": (10, 2, 1),
    "yuv444p10le": (10, 1, 1),
}


def tag_bt709(target):
    """Marks a codec context or a frame as BT.709 primaries, transfer and matrix in limited range. Some encoders
    (ProRes) read the frame's tags, others (x264, VP9, AV1) the context's, so both get them."""
    target.color_primaries = BT709
    target.color_trc = BT709
    target.colorspace = BT709
    target.color_range = LIMITED_RANGE


def coded_size(width, height, pix_fmt):
    """Subsampled chroma covers 2-pixel blocks, so encoders need even sides there; the frame is padded to that."""
    _, sx, sy = LAYOUTS[pix_fmt]
    return width + width % sx, height + height % sy


def to_frame(rgb, pix_fmt):
    """An (H, W, 3) float tensor in [0, 1] as a tagged av.VideoFrame of pix_fmt."""
    bits, sx, sy = LAYOUTS[pix_fmt]
    # numpy, not torch: torch splits each of these small ops over its threads, and while the encoder's threads
    # hold the cores those threads wait on each other (13x slower per frame on a busy 2-core machine).
    rgb = _pad_to_blocks(np.clip(rgb[..., :3].to("cpu", torch.float32).numpy(), 0.0, 1.0), sx, sy)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    luma = KR * r + KG * g + KB * b
    cb = _subsample((b - luma) * (1.0 / (2.0 * (1.0 - KB))), sx, sy)
    cr = _subsample((r - luma) * (1.0 / (2.0 * (1.0 - KR))), sx, sy)
    scale = float(1 << (bits - 8))  # a 10-bit code is the 8-bit code times 4 (BT.709 table 4.6)
    top = (1 << bits) - 1
    frame = av.VideoFrame(rgb.shape[1], rgb.shape[0], pix_fmt)
    for plane, values in zip(frame.planes, (16.0 + 219.0 * luma, 128.0 + 224.0 * cb, 128.0 + 224.0 * cr)):
        _write_plane(plane, np.clip(np.rint(values * scale), 0, top), np.uint8 if bits == 8 else np.dtype("<u2"))
    tag_bt709(frame)
    return frame


def _pad_to_blocks(rgb, sx, sy):
    height, width = rgb.shape[:2]
    if width % sx == 0 and height % sy == 0:
        return rgb
    # Replicating the edge keeps the extra column/row from bleeding a colour into the last chroma block.
    return np.pad(rgb, ((0, height % sy), (0, width % sx), (0, 0)), mode="edge")


def _subsample(chroma, sx, sy):
    """The mean of each sy x sx block (summing strided views is several times faster than a reshaped mean)."""
    if sx == sy == 1:
        return chroma
    return sum(chroma[i::sy, j::sx] for i in range(sy) for j in range(sx)) * np.float32(1.0 / (sx * sy))


def _write_plane(plane, values, dtype):
    """Copies values into plane row by row: FFmpeg pads each row to line_size bytes for alignment."""
    rows = np.frombuffer(plane, dtype=dtype).reshape(plane.height, -1)
    rows[:, :plane.width] = values
