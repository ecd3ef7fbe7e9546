"""AUDIO is muxed in the same pass as the video (AAC in MP4, Opus in WebM, PCM in MOV), cut at the video's end,
and comes back from LoadVideo for the span of the frames loaded."""
import math

import av
import pytest
import torch

from media import CombineOptions, ImageFrames, combine, load_video

RATE = 12
CLIP = torch.rand(12, 32, 32, 3)  # one second at 12 fps


def tone(seconds, channels=2, sample_rate=44100, amplitude=0.5):
    t = torch.arange(int(seconds * sample_rate)) / sample_rate
    wave = amplitude * torch.sin(2 * math.pi * 440 * t)
    return {"waveform": wave[None, None].repeat(1, channels, 1), "sample_rate": sample_rate}


def audio_stream(path):
    """(codec name, channels, seconds of sound, RMS level)"""
    with av.open(path) as container:
        stream = container.streams.audio[0]
        samples = torch.cat([torch.from_numpy(frame.to_ndarray().astype("float32")).reshape(-1, frame.samples)
                             for frame in container.decode(stream)], dim=1)
        if stream.codec_context.name.startswith("pcm_s16"):
            samples = samples / 32768
        return (stream.codec_context.name, stream.codec_context.channels, samples.shape[1] / stream.sample_rate,
                float(samples[:, samples.shape[1] // 4:-samples.shape[1] // 4].pow(2).mean().sqrt()))


@pytest.mark.parametrize("name, codec", [("video/h264-mp4", "aac"), ("video/vp9-webm", "opus"),
                                         ("video/prores-mov", "pcm_s16le")])
def test_audio_is_muxed_and_cut_at_the_video_end(tmp_path, name, codec):
    result = combine(ImageFrames(CLIP), str(tmp_path), "av", CombineOptions(name, frame_rate=RATE), audio=tone(3))
    found, channels, seconds, rms = audio_stream(result.files[0])
    assert (found, channels) == (codec, 2)
    assert abs(seconds - 1.0) < 0.05  # encoder priming and padding are a few ms
    assert abs(rms - 0.5 / math.sqrt(2)) < 0.02


@pytest.mark.parametrize("name", ["video/h264-mp4", "video/vp9-webm"])
def test_rates_an_encoder_lacks_are_resampled(tmp_path, name):
    result = combine(ImageFrames(CLIP), str(tmp_path), "av", CombineOptions(name, frame_rate=RATE),
                     audio=tone(1, sample_rate=22000))
    _, _, seconds, rms = audio_stream(result.files[0])
    assert abs(seconds - 1.0) < 0.05 and abs(rms - 0.5 / math.sqrt(2)) < 0.02


def test_shorter_audio_is_kept_whole_and_mono_stays_mono(tmp_path):
    result = combine(ImageFrames(CLIP), str(tmp_path), "av", CombineOptions("video/h264-mp4", frame_rate=RATE),
                     audio=tone(0.5, channels=1))
    _, channels, seconds, _ = audio_stream(result.files[0])
    assert channels == 1 and abs(seconds - 0.5) < 0.05


def test_formats_without_sound_warn_and_write_the_animation(tmp_path, caplog):
    result = combine(ImageFrames(CLIP), str(tmp_path), "av", CombineOptions("image/gif"), audio=tone(1))
    assert result.files[0].endswith(".gif") and "carries no sound" in caplog.text


def test_load_video_returns_the_sound_of_the_frames_it_loads(tmp_path):
    clip = torch.rand(24, 32, 32, 3)  # two seconds
    path = combine(ImageFrames(clip), str(tmp_path), "av", CombineOptions("video/h264-mp4", frame_rate=RATE),
                   audio=tone(2)).files[0]
    loaded = load_video(path, skip_first_frames=6, select_every_nth=2, frame_load_cap=6)
    assert loaded.images.shape[0] == 6 and loaded.fps == RATE / 2
    waveform = loaded.audio["waveform"]
    assert loaded.audio["sample_rate"] == 44100 and waveform.shape[:2] == (1, 2)
    assert abs(waveform.shape[2] / 44100 - 1.0) < 0.01  # 6 frames at 6 fps
    assert abs(float(waveform.pow(2).mean().sqrt()) - 0.5 / math.sqrt(2)) < 0.02


def test_load_video_without_sound_returns_none(tmp_path):
    path = combine(ImageFrames(CLIP), str(tmp_path), "av", CombineOptions("video/h264-mp4")).files[0]
    assert load_video(path).audio is None
