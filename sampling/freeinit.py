"""FreeInit (Wu et al., "FreeInit: Bridging Initialization Gap in Video Diffusion Models"): sample the clip, diffuse
the result back to the start of sampling with the same initial noise, keep the low spatio-temporal frequencies of
that and take the high ones from fresh noise, then sample again. Each pass gives the next one steadier low
frequencies, which is what a video model's training noise had and plain Gaussian noise lacks.

The start of a pass is latent * a + noise * s (a, s set by the model and the first sigma), and the frequency split
is linear, so mixing the diffused start equals sampling from the low band of the result, a = s scaling aside:
    start' = low(x0 * a + eps * s) + high(eta) * s = low(x0) * a + (low(eps) + high(eta)) * s.
A pass is therefore the host's sampler run on latent low(x0) with noise low(eps) + high(eta): eps is the first
pass's noise, re-used by every pass, eta fresh noise per pass. The split is over (frames, height, width) of the
whole clip, with low-pass filters given in centred frequency coordinates in [-1, 1), as the authors define them.
"""
import math

import torch
from einops import rearrange

FILTERS = ("butterworth", "gaussian", "ideal", "box")


def _centred_distance(frames, height, width, spatial, temporal):
    """Squared distance of each (frame, row, column) frequency from the centre of the shifted spectrum, the
    temporal axis stretched by spatial / temporal so that both stop frequencies fall at the same distance."""
    def axis(n):
        return torch.arange(n, dtype=torch.float64) * 2 / n - 1
    t, h, w = torch.meshgrid(axis(frames), axis(height), axis(width), indexing="ij")
    return (spatial / temporal * t) ** 2 + h ** 2 + w ** 2


def _box(frames, height, width, spatial, temporal):
    mask = torch.zeros(frames, height, width, dtype=torch.float64)
    reach_s, reach_t = round(height // 2 * spatial), round(frames // 2 * temporal)
    ct, ch, cw = frames // 2, height // 2, width // 2
    mask[max(0, ct - reach_t):ct + reach_t, max(0, ch - reach_s):ch + reach_s, max(0, cw - reach_s):cw + reach_s] = 1
    return mask


def low_pass(shape, kind="butterworth", spatial=0.25, temporal=0.25, order=4):
    """The low-pass filter (frames, height, width) in shifted (centred) frequency order. A stop frequency of 0
    keeps nothing."""
    frames, height, width = shape
    if spatial <= 0 or temporal <= 0:
        return torch.zeros(frames, height, width, dtype=torch.float64)
    if kind == "box":
        return _box(frames, height, width, spatial, temporal)
    d2 = _centred_distance(frames, height, width, spatial, temporal)
    if kind == "gaussian":
        return torch.exp(-d2 / (2 * spatial ** 2))
    if kind == "butterworth":
        return 1 / (1 + (d2 / spatial ** 2) ** order)
    if kind == "ideal":
        return (d2 <= 2 * spatial).to(torch.float64)
    raise ValueError(f"freeinit_filter {kind!r}: expected one of {', '.join(FILTERS)}")


def _split(x, mask):
    """x (frames, channels, height, width) filtered by mask (frames, height, width, centred) over frames, height
    and width. Unshifting the mask once equals shifting the spectrum before and after."""
    dims = (0, 2, 3)
    mask = rearrange(torch.fft.ifftshift(mask), "f h w -> f 1 h w").to(x.device)
    spectrum = torch.fft.fftn(x.to(torch.float32), dim=dims)
    return spectrum * mask


def low_band(x, mask):
    """The low frequencies of x (frames, channels, height, width), in x's dtype."""
    return torch.fft.ifftn(_split(x, mask), dim=(0, 2, 3)).real.to(x.dtype)


def mix(low_from, high_from, mask):
    """low_from's low frequencies with high_from's high ones (both (frames, channels, height, width))."""
    mixed = _split(low_from, mask) + _split(high_from, 1 - mask)
    return torch.fft.ifftn(mixed, dim=(0, 2, 3)).real.to(low_from.dtype)


def filter_for(latent, kind, spatial, temporal, order):
    frames, _, height, width = latent.shape
    return low_pass((frames, height, width), kind, spatial, temporal, order)


FRESH_SEED_OFFSET = 0x632BE59BD9B4E019  # a seed stream per pass of its own, never the first pass's noise


def fresh_seed(seed, iteration):
    """The seed of the fresh noise of pass `iteration` (1 is the second pass)."""
    return (seed + iteration * FRESH_SEED_OFFSET) % 2 ** 64


def check_settings(iterations, kind, spatial, temporal, order):
    if iterations < 1:
        raise ValueError(f"freeinit_iterations {iterations}: expected at least 1 (1 samples once, FreeInit off)")
    if kind not in FILTERS:
        raise ValueError(f"freeinit_filter {kind!r}: expected one of {', '.join(FILTERS)}")
    for name, value in (("freeinit_spatial", spatial), ("freeinit_temporal", temporal)):
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} {value}: expected a stop frequency of 0 or more (1 is the highest)")
    if order < 1:
        raise ValueError(f"freeinit_order {order}: expected at least 1")
