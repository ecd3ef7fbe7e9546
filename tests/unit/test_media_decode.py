"""LoadVideo: rate conversion, skip, every-nth, cap, resize by crop or pad, memory refusal and unreadable files."""
import av
import pytest
import torch

from media import CombineOptions, ImageFrames, MediaError, combine, load_video
from media.fit import plan_fit

FRAMES, FPS = 20, 10
# Frame i is a flat grey of level 8 + 12*i, so every loaded frame says which source frame it is.
CLIP = ((8 + 12 * torch.arange(FRAMES, dtype=torch.float32)) / 255)[:, None, None, None].expand(
    FRAMES, 40, 72, 3).contiguous()


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("decode"))
    return combine(ImageFrames(CLIP), root, "src", CombineOptions("video/h264-mp4", frame_rate=FPS)).files[0]


def sources(images):
    return [round((float(frame[16:24, 32:40].mean()) * 255 - 8) / 12) for frame in images]


def test_everything_loads_as_written(video):
    loaded = load_video(video)
    assert loaded.images.shape == (FRAMES, 40, 72, 3) and loaded.images.dtype == torch.float32
    assert sources(loaded.images) == list(range(FRAMES)) and loaded.fps == FPS


def test_skip_every_nth_and_cap(video):
    loaded = load_video(video, skip_first_frames=3, select_every_nth=2, frame_load_cap=5)
    assert sources(loaded.images) == [3, 5, 7, 9, 11] and loaded.fps == FPS / 2


@pytest.mark.parametrize("rate, expected", [
    (5, list(range(0, FRAMES, 2))),                        # half the rate: every other frame
    (20, [i // 2 for i in range(2 * FRAMES)]),             # double: each frame shown twice
    (7.5, [int(k * FPS / 7.5 + 1e-9) for k in range(15)]),  # uneven: the frame on screen at each instant
])
def test_force_rate_drops_or_repeats_frames(video, rate, expected):
    loaded = load_video(video, force_rate=rate)
    assert sources(loaded.images) == expected and loaded.fps == rate


def test_options_apply_after_the_rate_change(video):
    loaded = load_video(video, force_rate=5, skip_first_frames=2, select_every_nth=1, frame_load_cap=3)
    assert sources(loaded.images) == [4, 6, 8]


def test_skipping_past_the_end_is_refused(video):
    with pytest.raises(MediaError, match="skip_first_frames=20 leaves none of its 20 frames"):
        load_video(video, skip_first_frames=20)


@pytest.mark.parametrize("option", [{"select_every_nth": 0}, {"frame_load_cap": -1}, {"force_rate": -1}])
def test_negative_options_are_refused(video, option):
    with pytest.raises(MediaError, match=next(iter(option))):
        load_video(video, **option)


@pytest.mark.parametrize("mode, width, height, size, scaled, crop, offset", [
    ("none", 0, 0, (72, 40), (72, 40), (0, 0), (0, 0)),
    ("crop", 0, 0, (72, 40), (72, 40), (0, 0), (0, 0)),
    ("crop", 70, 0, (64, 32), (70, 39), (3, 3), (0, 0)),      # cover 70x39, centre 64x32 of it
    ("pad", 70, 0, (72, 40), (70, 39), (0, 0), (1, 0)),       # fit 70x39, centred in 72x40
    ("pad", 64, 64, (64, 64), (64, 36), (0, 0), (0, 14)),     # letterbox: 14 black rows above and below
    ("crop", 64, 64, (64, 64), (115, 64), (25, 0), (0, 0)),   # fill the square, lose the sides
    ("none", 32, 32, (32, 32), (32, 32), (0, 0), (0, 0)),     # exactly what was asked: stretched
])
def test_fit_plans(mode, width, height, size, scaled, crop, offset):
    fit = plan_fit(72, 40, width, height, mode)
    assert (fit.size, fit.scaled, fit.crop, fit.offset) == (size, scaled, crop, offset)


def test_pad_leaves_a_black_border_and_keeps_the_picture(video):
    images = load_video(video, resize="pad", width=64, height=64, frame_load_cap=2).images
    assert images.shape == (2, 64, 64, 3)
    assert images[:, :14].abs().max() == 0 and images[:, -14:].abs().max() == 0
    assert sources(images[:, 14:50]) == [0, 1]


def test_crop_gives_multiples_of_eight(video):
    images = load_video(video, resize="crop", width=70, frame_load_cap=1).images
    assert images.shape == (1, 32, 64, 3) and abs(float(images[0].mean()) * 255 - 8) < 3


def test_a_load_that_cannot_fit_is_refused_with_its_size(video):
    with pytest.raises(MediaError) as error:
        load_video(video, memory_limit=1000)
    message = str(error.value)
    assert video in message and "20 frames of 72x40" in message and "GiB" in message
    assert "frame_load_cap" in message and "select_every_nth" in message


def test_the_memory_check_counts_only_the_frames_chosen(video):
    one_frame = 72 * 40 * 3 * 4
    assert load_video(video, frame_load_cap=2, memory_limit=2 * one_frame).images.shape[0] == 2
    with pytest.raises(MediaError, match="3 frames"):
        load_video(video, frame_load_cap=3, memory_limit=2 * one_frame)


@pytest.mark.parametrize("content", [b"", b"not a video at all\n" * 100, bytes(range(256)) * 64])
def test_unreadable_files_name_the_file(tmp_path, content):
    path = tmp_path / "broken.mp4"
    path.write_bytes(content)
    with pytest.raises(MediaError, match="broken.mp4"):
        load_video(str(path))


def test_a_missing_file_names_the_file(tmp_path):
    with pytest.raises(MediaError, match="missing.mp4"):
        load_video(str(tmp_path / "missing.mp4"))


def test_a_file_without_video_is_refused(tmp_path):
    path = str(tmp_path / "sound.m4a")
    with av.open(path, "w") as container:
        stream = container.add_stream("aac", rate=8000)
        frame = av.AudioFrame.from_ndarray(torch.zeros(1, 1024).numpy(), format="fltp", layout="mono")
        frame.sample_rate = 8000
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with pytest.raises(MediaError, match="sound.m4a: has no video stream"):
        load_video(path)


@pytest.mark.parametrize("name", ["image/gif", "video/vp9-webm", "video/prores-mov"])
def test_gifs_and_other_containers_load(tmp_path, name):
    path = combine(ImageFrames(CLIP), str(tmp_path), "src", CombineOptions(name, frame_rate=FPS)).files[0]
    loaded = load_video(path, select_every_nth=5)
    assert sources(loaded.images) == [0, 5, 10, 15] and abs(loaded.fps - FPS / 5) < 0.05


def test_a_gif_at_a_rate_its_delays_cannot_hold_loads_at_its_average_rate(tmp_path):
    # 12 fps is 8.33 hundredths of a second: the delays alternate 8 and 9, and FFmpeg alone reports 12.5.
    path = combine(ImageFrames(CLIP), str(tmp_path), "src", CombineOptions("image/gif", frame_rate=12)).files[0]
    assert abs(load_video(path).fps - 12) < 0.1


def test_a_stream_ffmpeg_cannot_decode_is_named_as_such(tmp_path):
    # FFmpeg has no animated WebP decoder: the file opens, its frames do not decode.
    path = combine(ImageFrames(CLIP[:3]), str(tmp_path), "anim", CombineOptions("image/webp")).files[0]
    with pytest.raises(MediaError, match="anim_00001.webp: FFmpeg cannot decode its webp video"):
        load_video(path)
