"""GIF: a palette for the whole clip, three dithers, and gifsicle only when it is installed."""
import os
import stat

import numpy as np
import pytest
import torch
from PIL import Image

from media import DITHERS, CombineOptions, ImageFrames, combine
from media.gif import Quantizer, build_palette
from media.staged import partial_name


def frames_of(path):
    image = Image.open(path)
    frames = []
    for index in range(image.n_frames):
        image.seek(index)
        frames.append(np.array(image.convert("RGB"), dtype=np.int16))
    return frames


def test_the_palette_sees_colours_that_only_late_frames_have(tmp_path):
    clip = torch.zeros(12, 16, 16, 3)
    clip[-1, ..., 0] = 1.0  # only the last frame is red
    path = combine(ImageFrames(clip), str(tmp_path), "g", CombineOptions("image/gif")).files[0]
    assert (frames_of(path)[-1] == (255, 0, 0)).all()


def test_the_transparent_index_is_never_drawn():
    palette = build_palette([torch.rand(16, 16, 3)])
    indexes = Quantizer(palette, "floyd_steinberg")((np.random.default_rng(0).random((16, 16, 3)) * 255)
                                                    .astype(np.uint8))
    assert palette.shape == (255, 3) and indexes.max() < 255


@pytest.mark.parametrize("dither", DITHERS)
def test_every_dither_writes_the_clip(tmp_path, dither):
    clip = torch.rand(3, 16, 16, 3)
    path = combine(ImageFrames(clip), str(tmp_path), "g", CombineOptions("image/gif", dither=dither)).files[0]
    assert len(frames_of(path)) == 3


def test_dithers_track_shades_between_palette_colours():
    greys = np.linspace(0, 255, 16).round().astype(np.uint8)  # a palette far coarser than the ramp
    palette = np.concatenate([np.repeat(greys[:, None], 3, 1), np.full((255 - 16, 3), 255, np.uint8)])
    ramp = np.broadcast_to(np.arange(256, dtype=np.uint8)[None, :, None], (32, 256, 3)).copy()

    def banding(dither):  # mean distance of each column's average from the shade it should show
        shown = palette[Quantizer(palette, dither)(ramp)][..., 0].astype(np.float32)
        return np.abs(shown.mean(axis=0) - np.arange(256)).mean()

    assert banding("bayer") < 0.7 * banding("none")
    assert banding("floyd_steinberg") < 0.5 * banding("none")


def fake_gifsicle(folder, log):
    script = folder / "gifsicle"
    script.write_text(f"#!/bin/sh\necho \"$@\" >> {log}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_gifsicle_optimises_in_place_when_installed(tmp_path, monkeypatch):
    (tmp_path / "bin").mkdir()
    log = tmp_path / "calls.txt"
    fake_gifsicle(tmp_path / "bin", log)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    path = combine(ImageFrames(torch.rand(2, 8, 8, 3)), str(tmp_path), "g", CombineOptions("image/gif")).files[0]
    # Optimised before it takes its final name, which only ever names a finished file.
    assert log.read_text().split() == ["--batch", "-O3", partial_name(path)]


def test_without_gifsicle_the_gif_is_written_as_is(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no gifsicle on it
    path = combine(ImageFrames(torch.rand(2, 8, 8, 3)), str(tmp_path), "g", CombineOptions("image/gif")).files[0]
    assert Image.open(path).n_frames == 2
