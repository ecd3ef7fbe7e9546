"""Every output format is written and reads back with the right frame count, size and rate; loop_count and
ping-pong mean the same in every format; bad options are refused before anything is written."""
import os
from fractions import Fraction

import av
import pytest
import torch
from PIL import Image

from media import FORMATS, CombineOptions, ImageFrames, MediaError, available_formats, combine

# Frame i is a flat grey of level 40*i, so the play order can be read back from any format.
LEVELS = torch.arange(6, dtype=torch.float32) * 40 / 255
CLIP = LEVELS[:, None, None, None].expand(6, 64, 80, 3).contiguous()  # 64 rows: the H.265 minimum
ANIMATIONS = [name for name in available_formats() if name != "image/png"]


def write(tmp_path, clip=CLIP, **options):
    return combine(ImageFrames(clip), str(tmp_path), "clip", CombineOptions(**options))


def read_back(path):
    """(grey level of each frame, (width, height), frames per second) as a player would see them."""
    if path.endswith((".gif", ".webp")):  # Pillow: FFmpeg has no animated WebP decoder
        image = Image.open(path)
        levels, durations = [], []
        for index in range(image.n_frames):
            image.seek(index)
            levels.append(round(sum(image.convert("RGB").getpixel((32, 24))) / 3))
            durations.append(image.info["duration"])
        return levels, image.size, 1000 * len(durations) / sum(durations)
    with av.open(path) as container:
        stream = container.streams.video[0]
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
        return [round(float(f[24, 32].mean())) for f in frames], (stream.width, stream.height), stream.average_rate


def near(levels, expected):
    return len(levels) == len(expected) and all(abs(a - b) <= 3 for a, b in zip(levels, expected))


def test_the_advertised_formats_are_available():
    expected = {"image/gif", "image/webp", "image/png", "video/h264-mp4", "video/h265-mp4", "video/vp9-webm",
                "video/prores-mov"}
    assert expected <= set(available_formats())
    assert ("video/av1-webm" in available_formats()) == ("libsvtav1" in av.codecs_available)


@pytest.mark.parametrize("name", ANIMATIONS)
def test_every_format_reads_back(tmp_path, name):
    result = write(tmp_path, format=name, frame_rate=12)
    levels, size, rate = read_back(result.files[0])
    assert near(levels, [round(40 * i) for i in range(6)])
    assert size == (80, 64)
    assert abs(float(rate) - 12) < 0.5  # GIF delays are whole hundredths of a second
    assert result.filename == os.path.basename(result.files[0]) and result.frame_rate == 12


@pytest.mark.parametrize("name, chroma", [(name, chroma) for name in ANIMATIONS for chroma in FORMATS[name].pix_fmts])
def test_every_chroma_choice_encodes_as_its_pixel_format(tmp_path, name, chroma):
    result = write(tmp_path, format=name, pix_fmt=chroma)
    with av.open(result.files[0]) as container:
        # The chroma layout (yuv420p, yuv422p, yuv444p); FFmpeg decodes any ProRes 4444 as 12-bit.
        assert container.streams.video[0].codec_context.pix_fmt[:7] == FORMATS[name].pix_fmts[chroma][:7]
        assert sum(1 for _ in container.decode(video=0)) == 6


def test_png_sequence_is_a_folder_of_frames(tmp_path):
    result = write(tmp_path, format="image/png", pingpong=True)
    assert result.subfolder == "clip_00001" and len(result.files) == 10
    assert all(Image.open(path).size == (80, 64) for path in result.files)
    assert result.filename == "clip_00001_00000.png"


def test_fractional_rates_are_exact_in_the_container(tmp_path):
    result = write(tmp_path, format="video/h264-mp4", frame_rate=23.976)
    with av.open(result.files[0]) as container:
        assert container.streams.video[0].average_rate == Fraction(24000, 1001)


@pytest.mark.parametrize("name", ["image/gif", "image/webp", "video/h264-mp4"])
def test_pingpong_turns_without_repeating_the_ends(tmp_path, name):
    levels, _, _ = read_back(write(tmp_path, format=name, pingpong=True).files[0])
    assert near(levels, [40 * i for i in (0, 1, 2, 3, 4, 5, 4, 3, 2, 1)])


@pytest.mark.parametrize("loop_count, netscape", [(0, 0), (1, None), (3, 2)])
def test_gif_loop_count_is_plays(tmp_path, loop_count, netscape):
    # GIF's NETSCAPE block counts repeats after the first play; without the block a GIF plays once.
    image = Image.open(write(tmp_path, format="image/gif", loop_count=loop_count).files[0])
    assert image.info.get("loop") == netscape


@pytest.mark.parametrize("loop_count", [0, 1, 3])
def test_webp_loop_count_is_plays(tmp_path, loop_count):
    assert Image.open(write(tmp_path, format="image/webp", loop_count=loop_count).files[0]).info["loop"] == loop_count


@pytest.mark.parametrize("loop_count, frames", [(0, 6), (1, 6), (3, 18)])
def test_video_loop_count_repeats_the_clip(tmp_path, loop_count, frames):
    levels, _, _ = read_back(write(tmp_path, format="video/vp9-webm", loop_count=loop_count).files[0])
    assert len(levels) == frames


def test_odd_sizes_are_padded_for_subsampled_chroma(tmp_path):
    clip = torch.rand(2, 47, 63, 3)
    assert read_back(write(tmp_path, clip, format="video/h264-mp4").files[0])[1] == (64, 48)
    assert read_back(write(tmp_path, clip, format="video/h264-mp4", pix_fmt="yuv444p").files[0])[1] == (63, 47)


@pytest.mark.parametrize("options, field", [
    ({"format": "video/h264-mp4", "crf": 60}, "crf"),
    ({"format": "video/h264-mp4", "preset": "warp"}, "preset"),
    pytest.param({"format": "video/av1-webm", "pix_fmt": "yuv444p"}, "pix_fmt", marks=pytest.mark.skipif(
        "video/av1-webm" not in available_formats(), reason="no AV1 encoder in this FFmpeg")),
    ({"format": "video/avi"}, "format"),
    ({"format": "image/gif", "dither": "halftone"}, "dither"),
    ({"format": "image/webp", "webp_quality": 101}, "webp_quality"),
    ({"format": "image/gif", "frame_rate": 0}, "frame_rate"),
    ({"format": "image/gif", "loop_count": -1}, "loop_count"),
])
def test_bad_options_are_refused_before_writing(tmp_path, options, field):
    with pytest.raises(MediaError, match=field):
        write(tmp_path, **options)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name, side", [
    pytest.param("video/av1-webm", 32, marks=pytest.mark.skipif(
        "video/av1-webm" not in available_formats(), reason="no AV1 encoder in this FFmpeg")),
    ("video/h265-mp4", 64),
])
def test_encoders_refuse_frames_they_fail_on(tmp_path, name, side):
    with pytest.raises(MediaError, match=f"at least {side} pixels"):
        write(tmp_path, torch.rand(2, side - 16, 128, 3), format=name)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("frames", [1, 2, 3])
def test_h265_clips_shorter_than_its_reordering_delay_are_written(tmp_path, frames):
    levels, size, _ = read_back(write(tmp_path, torch.rand(frames, 64, 64, 3), format="video/h265-mp4").files[0])
    assert (len(levels), size) == (frames, (64, 64))


def test_a_failed_encode_leaves_no_file(tmp_path):
    class Failing(ImageFrames):
        def frames(self, order):
            yield from list(super().frames(order))[:2]
            raise RuntimeError("decoder ran out of memory")

    with pytest.raises(RuntimeError):
        combine(Failing(CLIP), str(tmp_path), "clip", CombineOptions(format="video/h264-mp4"))
    assert os.listdir(tmp_path) == []
