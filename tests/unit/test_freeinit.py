"""sampling/freeinit.py: each low-pass filter against its formula, and the low/high frequency mix over (frames,
height, width) against a reference written the way the FreeInit authors define it (shifted spectra)."""
import math

import pytest
import torch

from sampling.freeinit import FILTERS, check_settings, fresh_seed, low_band, low_pass, mix

SHAPE = (5, 6, 8)  # frames, height, width: odd and even sizes, so the centre is exercised both ways


def coordinate(i, n):
    return 2 * i / n - 1


def formula(kind, spatial, temporal, order, t, h, w):
    """One filter value from the paper's formulas, written out per frequency."""
    frames, height, width = SHAPE
    d2 = ((spatial / temporal * coordinate(t, frames)) ** 2 + coordinate(h, height) ** 2
          + coordinate(w, width) ** 2)
    if kind == "gaussian":
        return math.exp(-d2 / (2 * spatial ** 2))
    if kind == "butterworth":
        return 1 / (1 + (d2 / spatial ** 2) ** order)
    if kind == "ideal":
        return 1.0 if d2 <= 2 * spatial else 0.0
    reach_s, reach_t = round(height // 2 * spatial), round(frames // 2 * temporal)
    inside = (abs(t - frames // 2 + 0.5) < reach_t and abs(h - height // 2 + 0.5) < reach_s
              and abs(w - width // 2 + 0.5) < reach_s)
    return 1.0 if inside else 0.0


@pytest.mark.parametrize("kind", FILTERS)
@pytest.mark.parametrize("spatial,temporal,order", [(0.25, 0.25, 4), (0.5, 0.3, 2), (0.8, 1.0, 1)])
def test_each_filter_is_its_formula(kind, spatial, temporal, order):
    got = low_pass(SHAPE, kind, spatial, temporal, order)
    want = torch.tensor([[[formula(kind, spatial, temporal, order, t, h, w) for w in range(SHAPE[2])]
                          for h in range(SHAPE[1])] for t in range(SHAPE[0])], dtype=torch.float64)
    assert got.shape == SHAPE
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", FILTERS)
def test_a_zero_stop_frequency_keeps_nothing(kind):
    assert not low_pass(SHAPE, kind, 0.0, 0.25).any()
    assert not low_pass(SHAPE, kind, 0.25, 0.0).any()


def reference_mix(low_from, high_from, mask):
    """The authors' formulation: shift both spectra, weigh by the centred mask and 1 - mask, unshift, invert."""
    dims = (0, 2, 3)
    m = mask[:, None].to(torch.float32)
    a = torch.fft.fftshift(torch.fft.fftn(low_from, dim=dims), dim=dims)
    b = torch.fft.fftshift(torch.fft.fftn(high_from, dim=dims), dim=dims)
    return torch.fft.ifftn(torch.fft.ifftshift(a * m + b * (1 - m), dim=dims), dim=dims).real


@pytest.mark.parametrize("kind", FILTERS)
def test_mix_is_the_reference_frequency_mix(kind):
    generator = torch.Generator().manual_seed(0)
    first, fresh = torch.randn(2, SHAPE[0], 4, *SHAPE[1:], generator=generator)
    mask = low_pass(SHAPE, kind, 0.4, 0.4)
    torch.testing.assert_close(mix(first, fresh, mask), reference_mix(first, fresh, mask), rtol=0, atol=1e-5)
    torch.testing.assert_close(low_band(first, mask), reference_mix(first, torch.zeros_like(first), mask),
                               rtol=0, atol=1e-5)


def test_mix_takes_the_low_band_of_the_first_and_the_high_band_of_the_fresh_noise_exactly():
    """With a 0/1 filter symmetric about the zero frequency (odd sizes, a box around the centre) the real result's
    every frequency is exactly the first pass's (inside) or the fresh noise's (outside)."""
    shape = (5, 7, 9)
    mask = torch.zeros(shape, dtype=torch.float64)
    mask[1:4, 1:6, 2:7] = 1  # centred on (2, 3, 4), the zero frequency of the shifted spectrum
    generator = torch.Generator().manual_seed(1)
    first, fresh = torch.randn(2, shape[0], 4, *shape[1:], generator=generator, dtype=torch.float64)
    dims = (0, 2, 3)
    spectrum = {name: torch.fft.fftshift(torch.fft.fftn(x, dim=dims), dim=dims).permute(1, 0, 2, 3)
                for name, x in (("out", mix(first, fresh, mask)), ("first", first), ("fresh", fresh))}
    low = mask.bool()
    torch.testing.assert_close(spectrum["out"][:, low], spectrum["first"][:, low], rtol=0, atol=1e-4)
    torch.testing.assert_close(spectrum["out"][:, ~low], spectrum["fresh"][:, ~low], rtol=0, atol=1e-4)


def test_mix_keeps_dtype_and_a_full_pass_filter_returns_the_first():
    first = torch.randn(3, 4, 8, 8, dtype=torch.float16)
    out = mix(first, torch.randn_like(first), torch.ones(3, 8, 8, dtype=torch.float64))
    assert out.dtype == torch.float16
    torch.testing.assert_close(out, first, rtol=0, atol=2e-3)


def test_fresh_noise_seeds_differ_per_pass_and_from_the_first_pass():
    seeds = [fresh_seed(7, i) for i in range(1, 5)]
    assert len(set(seeds + [7])) == 5 and all(0 <= s < 2 ** 64 for s in seeds)


@pytest.mark.parametrize("args,field", [((0, "box", 0.25, 0.25, 4), "freeinit_iterations"),
                                        ((2, "lanczos", 0.25, 0.25, 4), "freeinit_filter"),
                                        ((2, "box", -0.1, 0.25, 4), "freeinit_spatial"),
                                        ((2, "box", 0.25, float("nan"), 4), "freeinit_temporal"),
                                        ((2, "butterworth", 0.25, 0.25, 0), "freeinit_order")])
def test_bad_settings_name_the_input(args, field):
    with pytest.raises(ValueError, match=field):
        check_settings(*args)
