"""Colour: the RGB->Y'CbCr conversion is BT.709 limited range, streams say so, and a grey ramp and colour bars
come back from a video round trip (VideoCombine then LoadVideo) within 2 levels."""
import av
import numpy as np
import pytest
import torch

from media import CombineOptions, ImageFrames, available_formats, combine, load_video
from media.colour import to_frame

BAR_WIDTH = 32
# 75% colour bars: white, yellow, cyan, green, magenta, red, blue, black.
BARS = torch.tensor([[1, 1, 1], [1, 1, 0], [0, 1, 1], [0, 1, 0], [1, 0, 1], [1, 0, 0], [0, 0, 1], [0, 0, 0]],
                    dtype=torch.float32) * 0.75
PATTERNS = {
    "ramp": (torch.arange(256, dtype=torch.float32) / 255)[None, :, None].expand(64, 256, 3),
    "bars": BARS.repeat_interleave(BAR_WIDTH, 0)[None].expand(64, 256, 3),
}
VIDEO_FORMATS = [(name, "yuv420p") for name in available_formats() if name.startswith("video/")]


def plane(frame, index):
    return np.frombuffer(frame.planes[index], np.uint16 if "10" in frame.format.name else np.uint8).reshape(
        frame.planes[index].height, -1)[:, :frame.planes[index].width]


# Y'CbCr codes of full-intensity colours in BT.709 limited range, at 8 and 10 bits.
@pytest.mark.parametrize("rgb, codes8, codes10", [
    ((1, 1, 1), (235, 128, 128), (940, 512, 512)), ((0, 0, 0), (16, 128, 128), (64, 512, 512)),
    ((1, 0, 0), (63, 102, 240), (250, 409, 960)), ((0, 1, 0), (173, 42, 26), (691, 167, 105)),
    ((0, 0, 1), (32, 240, 118), (127, 960, 471)),
])
def test_conversion_is_bt709_limited_range(rgb, codes8, codes10):
    colour = torch.tensor(rgb, dtype=torch.float32).expand(2, 2, 3)
    for pix_fmt, codes in (("yuv444p", codes8), ("yuv444p10le", codes10)):
        frame = to_frame(colour, pix_fmt)
        assert tuple(int(plane(frame, i)[0, 0]) for i in range(3)) == codes


@pytest.mark.parametrize("name", [name for name, _ in VIDEO_FORMATS])
def test_streams_are_tagged_bt709_limited(tmp_path, name):
    noise = torch.rand(2, 64, 64, 3, generator=torch.Generator().manual_seed(0))
    result = combine(ImageFrames(noise), str(tmp_path), "tags", CombineOptions(name))
    with av.open(result.files[0]) as container:
        frame = next(container.decode(video=0))
    # 1 = BT.709 for primaries, transfer and matrix; range 1 = limited ("MPEG", "TV")
    assert (frame.color_primaries, frame.color_trc, frame.colorspace, frame.color_range) == (1, 1, 1, 1)


@pytest.mark.parametrize("name, pix_fmt", VIDEO_FORMATS + [("video/h264-mp4", "yuv444p")])
@pytest.mark.parametrize("pattern", sorted(PATTERNS))
def test_ramp_and_bars_survive_a_round_trip(tmp_path, name, pix_fmt, pattern):
    clip = PATTERNS[pattern][None].expand(3, -1, -1, -1).contiguous()
    result = combine(ImageFrames(clip), str(tmp_path), "rt", CombineOptions(name, pix_fmt=pix_fmt))
    loaded = load_video(result.files[0], with_audio=False).images
    error = (loaded - clip).abs() * 255
    if pattern == "bars":
        # Chroma is shared by 2x2 pixels and filtered when upsampled: compare away from the colour edges.
        error = torch.cat([error[:, :, i * BAR_WIDTH + 4:(i + 1) * BAR_WIDTH - 4] for i in range(8)], dim=2)
    assert error.max() <= 2.0, f"{name} {pix_fmt} {pattern}: off by {error.max():.2f} levels"
