"""Frame sources and play order: IMAGE frames are views (no second copy of the clip), LATENT frames are decoded a
chunk at a time, ping-pong and repeats are index lists; frame rates are exact fractions."""
from fractions import Fraction

import pytest
import torch

from media import CombineOptions, DecodedFrames, ImageFrames, MediaError, combine, load_video
from media.frames import play_order, spread
from media.rates import to_fraction


@pytest.mark.parametrize("count, pingpong, repeats, expected", [
    (4, False, 1, [0, 1, 2, 3]),
    (4, True, 1, [0, 1, 2, 3, 2, 1]),
    (3, True, 2, [0, 1, 2, 1, 0, 1, 2, 1]),
    (2, True, 1, [0, 1]),
    (1, True, 3, [0, 0, 0]),
])
def test_play_order(count, pingpong, repeats, expected):
    assert play_order(count, pingpong, repeats) == expected


def test_spread_includes_both_ends():
    assert spread(100, 4) == [0, 33, 66, 99] and spread(3, 16) == [0, 1, 2]


def test_image_frames_are_views_of_the_batch():
    images = torch.rand(5, 8, 8, 3)
    base = images.untyped_storage().data_ptr()
    assert all(frame.untyped_storage().data_ptr() == base for frame in ImageFrames(images).frames([0, 4, 2]))


class CountingVAE:
    """Stands in for a VAE: a latent (4, h, w) decodes to an (8h, 8w, 3) image of its mean; records batch sizes."""

    def __init__(self):
        self.batches = []

    def __call__(self, latents):
        self.batches.append(latents.shape[0])
        level = latents.mean(dim=(1, 2, 3))[:, None, None, None]
        return level.expand(-1, latents.shape[2] * 8, latents.shape[3] * 8, 3).clone()


def test_latents_are_decoded_in_chunks_and_match_the_image_path(tmp_path):
    latents = torch.linspace(0.1, 0.9, 10)[:, None, None, None].expand(10, 4, 4, 6).contiguous()
    vae = CountingVAE()
    options = CombineOptions("video/h264-mp4", pingpong=True)
    from_latents = combine(DecodedFrames(latents, vae, chunk=4), str(tmp_path), "lat", options)
    from_images = combine(ImageFrames(vae(latents)), str(tmp_path), "img", options)
    vae.batches.pop()  # the full decode made for the comparison
    assert max(vae.batches) <= 4 and sum(vae.batches) >= 18  # 18 frames played, never 10 at once
    a, b = (load_video(r.files[0]).images for r in (from_latents, from_images))
    assert a.shape == (18, 32, 48, 3) and torch.equal(a, b)


def test_the_gif_palette_samples_latents_across_the_clip(tmp_path):
    vae = CountingVAE()
    combine(DecodedFrames(torch.rand(40, 4, 2, 2), vae, chunk=8), str(tmp_path), "g", CombineOptions("image/gif"))
    assert vae.batches[0] == 16 and max(vae.batches) <= 16  # one sample batch, then chunks of 8


@pytest.mark.parametrize("bad, message", [
    (ImageFrames, "images: expected an IMAGE batch"), (lambda t: DecodedFrames(t, None), "latent: expected"),
])
def test_wrong_shapes_are_refused(bad, message):
    with pytest.raises(MediaError, match=message):
        bad(torch.zeros(2, 3))


@pytest.mark.parametrize("fps, fraction", [
    (23.976, Fraction(24000, 1001)), (23.98, Fraction(24000, 1001)), (29.97, Fraction(30000, 1001)),
    (59.94, Fraction(60000, 1001)), (24, Fraction(24)), (12.5, Fraction(25, 2)), (8, Fraction(8)),
    (Fraction(30000, 1001), Fraction(30000, 1001)), (0.5, Fraction(1, 2)),
])
def test_frame_rates_are_exact_fractions(fps, fraction):
    assert to_fraction(fps) == fraction


def test_a_non_positive_rate_is_refused():
    with pytest.raises(MediaError, match="frame_rate"):
        to_fraction(0)
