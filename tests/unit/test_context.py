"""sampling/: window lists for every schedule, per-frame noise, FreeNoise, the guidance curve."""
import itertools

import pytest
import torch

from sampling.guides import guide_noise, guide_weights, guided_latent, keep_curve
from sampling.noise import frame_noise, freenoise
from sampling.windows import (SCHEDULES, ContextError, context_windows, step_at, step_fraction,
                              windows_per_call)

SETTINGS = list(itertools.product(
    SCHEDULES, [1, 2, 5, 8, 9, 16, 17, 24, 31, 64], [4, 8, 16], [0, 1, 2, 3], [1, 2, 3], [False, True], range(5)))


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_every_frame_is_covered_and_windows_are_well_formed(schedule):
    for name, frames, length, overlap, stride, closed, step in SETTINGS:
        if name != schedule or overlap >= length:
            continue
        windows = context_windows(frames, length, overlap, stride, closed, schedule, step)
        covered = {i for w in windows for i in w}
        setting = (frames, length, overlap, stride, closed, step)
        assert covered == set(range(frames)), setting
        for w in windows:
            assert len(set(w)) == len(w) and all(0 <= i < frames for i in w), (setting, w)
            if schedule != "batched":
                assert len(w) == min(length, frames), (setting, w)
        assert len({tuple(w) for w in windows}) == len(windows), setting


def test_fewer_frames_than_the_window_and_one_frame_are_one_window():
    for schedule in SCHEDULES:
        assert context_windows(1, 16, 4, 1, True, schedule) == [[0]]
        assert context_windows(12, 16, 4, 2, True, schedule) == [list(range(12))]
        assert context_windows(16, 16, 4, 2, True, schedule) == [list(range(16))]


def test_static_windows():
    assert context_windows(24, 8, 2, schedule="static") == [
        list(range(0, 8)), list(range(6, 14)), list(range(12, 20)), list(range(16, 24))]
    assert context_windows(24, 8, 2, schedule="static", step=3) == context_windows(24, 8, 2, schedule="static")


def test_static_closed_loop_wraps_the_end_onto_the_start():
    windows = context_windows(24, 8, 2, closed_loop=True, schedule="static")
    assert windows[-1] == [18, 19, 20, 21, 22, 23, 0, 1]
    assert all(len(w) == 8 for w in windows)


def test_uniform_shifts_every_step_but_never_wraps():
    steps = [context_windows(24, 8, 2, schedule="uniform", step=s) for s in range(4)]
    assert steps[0] == context_windows(24, 8, 2, schedule="static")
    assert len({tuple(map(tuple, w)) for w in steps}) > 1
    for windows in steps:
        assert all(w == list(range(w[0], w[0] + 8)) for w in windows)


def test_looped_wraps_and_closed_loop_uniform_is_looped():
    windows = context_windows(24, 8, 2, schedule="looped", step=1)
    assert any(w[0] > w[-1] for w in windows)  # one window runs over the end into the start
    for step in range(4):
        assert context_windows(24, 8, 2, 1, True, "uniform", step) == context_windows(24, 8, 2, 1, False, "looped", step)


def test_batched_windows_do_not_overlap():
    assert context_windows(20, 8, 2, schedule="batched") == [list(range(0, 8)), list(range(8, 16)),
                                                              list(range(16, 20))]


def test_stride_adds_dilated_windows_that_fit():
    windows = context_windows(32, 8, 0, stride=2, schedule="static")
    assert [0, 2, 4, 6, 8, 10, 12, 14] in windows
    assert context_windows(12, 8, 0, stride=3, schedule="static") == context_windows(12, 8, 0, schedule="static")


def test_bad_settings_name_the_input():
    with pytest.raises(ContextError, match="context_overlap 8"):
        context_windows(24, 8, 8)
    with pytest.raises(ContextError, match="context_length 0"):
        context_windows(24, 0, 0)
    with pytest.raises(ContextError, match="context_schedule 'spiral'"):
        context_windows(24, 8, 0, schedule="spiral")


def test_step_fraction_spreads_evenly():
    assert [step_fraction(s) for s in range(5)] == [0.0, 0.5, 0.25, 0.75, 0.125]


# ---- noise ---------------------------------------------------------------------------------------------------

def test_step_at_counts_calls_between_two_sigmas_as_the_step_they_are_in():
    sigmas = [14.6, 7.0, 3.0, 1.0, 0.0]
    assert [step_at(sigmas, s) for s in (14.6, 7.0, 5.0, 3.0, 2.9, 1.0, 0.5)] == [0, 1, 1, 2, 2, 3, 3]


def test_windows_per_call_is_the_largest_count_that_fits():
    assert windows_per_call(10, lambda k: k <= 3) == 3
    assert windows_per_call(2, lambda k: True) == 2
    assert windows_per_call(40, lambda k: True) == 16
    assert windows_per_call(10, lambda k: False) == 1


def test_frame_noise_depends_only_on_seed_and_frame_index():
    short = frame_noise(3, (4, 5, 7), frames=4)  # 140 values per frame, not a multiple of 16
    long = frame_noise(3, (4, 5, 7), frames=24)
    assert torch.equal(long[:4], short)
    picked = frame_noise(3, (4, 5, 7), indexes=[5, 2])
    assert torch.equal(picked, long[[5, 2]])
    assert not torch.equal(frame_noise(4, (4, 5, 7), frames=4), short)


def test_frame_noise_is_the_stock_ksampler_noise_for_usual_sizes():
    generator = torch.manual_seed(11)
    stock = torch.randn((6, 4, 8, 8), generator=generator)
    assert torch.equal(frame_noise(11, (4, 8, 8), frames=6), stock)


def test_noise_does_not_depend_on_window_settings():
    """The window settings never reach the noise: the sampler's initial noise for a seed is one tensor, whatever
    the windows; FreeNoise is the one option that derives noise from them, and it leaves the first window alone."""
    base = frame_noise(5, (4, 8, 8), frames=24)
    for length, overlap in [(8, 0), (8, 2), (16, 4)]:
        shuffled = freenoise(base, length, overlap, seed=5)
        assert torch.equal(shuffled[:length], base[:length])


def test_freenoise_reuses_the_previous_window_noise_shuffled():
    """FreeNoise: past the first window, each block of d = length - overlap frames takes the noise of the frames
    one window earlier, in an order shuffled by randperm from a generator seeded with the seed, one draw per
    block; a block may take noise that an earlier block already took (it reads the rescheduled frames)."""
    length, overlap, frames, seed = 8, 2, 23, 1
    base = frame_noise(seed, (2, 2, 2), frames=frames)
    out = freenoise(base, length, overlap, seed=seed)
    source = list(range(frames))  # which frame of base each output frame's noise is
    generator = torch.Generator().manual_seed(seed)
    for start in range(length, frames, length - overlap):
        n = min(length - overlap, frames - start)
        order = torch.randperm(n, generator=generator).tolist()
        assert order != sorted(order)  # this seed shuffles every block
        source[start:start + n] = [source[start - length + k] for k in order]
    for frame, expected in enumerate(source):
        assert torch.equal(out[frame], base[expected]), frame
    assert torch.equal(freenoise(base[:8], 8, 2, seed=1), base[:8])


# ---- guidance ------------------------------------------------------------------------------------------------
# The A1111 AnimateDiff extension's img2img frames, written out per frame from its formula.

def reference_weights(frames, power, scale, power_last=None, scale_last=None):
    a = [max(0.0, 1 - i ** power / scale) for i in range(frames)]
    if power_last is None:
        return a, [0.0] * frames
    b = [max(0.0, 1 - (frames - 1 - i) ** power_last / scale_last) for i in range(frames)]
    for i in range(frames):
        if a[i] + b[i] > 1:
            a[i], b[i] = a[i] / (a[i] + b[i]), b[i] / (a[i] + b[i])
    a[0], a[-1], b[0], b[-1] = 1.0, 0.0, 0.0, 1.0
    return a, b


def test_keep_curve_is_one_minus_power_over_scale():
    assert keep_curve(4, 1.0, 4.0) == [1.0, 0.75, 0.5, 0.25]
    assert keep_curve(3, 2.0, 8.0) == [1.0, 1 - 1 / 8, 1 - 4 / 8]
    assert keep_curve(3, 1.0, 1.0) == [1.0, 0.0, 0.0]
    with pytest.raises(ContextError, match="latent_scale"):
        keep_curve(3, 1.0, 0.0)


@pytest.mark.parametrize("frames, power, scale, power_last, scale_last",
                         [(6, 1.0, 4.0, 1.0, 4.0), (16, 1.0, 32.0, 2.0, 10.0), (9, 0.5, 3.0, 1.5, 40.0),
                          (5, 1.0, 2.0, None, None)])
def test_guide_weights_are_the_extensions(frames, power, scale, power_last, scale_last):
    first, last = guide_weights(frames, power, scale, power_last, scale_last)
    a, b = reference_weights(frames, power, scale, power_last, scale_last)
    assert torch.allclose(first, torch.tensor(a, dtype=torch.float64))
    assert torch.allclose(last if last is not None else torch.zeros(frames, dtype=torch.float64),
                          torch.tensor(b, dtype=torch.float64))


def test_guided_latent_blends_guides_and_noise_per_frame():
    frames = 6
    generator = torch.Generator().manual_seed(4)
    init, last = torch.randn(1, 4, 2, 2, generator=generator), torch.randn(1, 4, 2, 2, generator=generator)
    noise = torch.randn(frames, 4, 2, 2, generator=generator)
    out = guided_latent(init, noise, last, power=1.0, scale=3.0, power_last=2.0, scale_last=9.0)
    a, b = reference_weights(frames, 1.0, 3.0, 2.0, 9.0)
    for i in range(frames):
        expected = init[0] * a[i] + last[0] * b[i] + noise[i] * (1 - a[i] - b[i])
        assert torch.allclose(out[i], expected, atol=1e-6), i
    assert torch.equal(out[0], init[0]) and torch.allclose(out[-1], last[0])
    # without a last guide: the init latent fades into the noise alone, the last frame included
    video = torch.randn(frames, 4, 2, 2, generator=generator)
    only_first = guided_latent(video, noise, None, power=1.0, scale=4.0)
    a, _ = reference_weights(frames, 1.0, 4.0)
    for i in range(frames):
        assert torch.allclose(only_first[i], video[i] * a[i] + noise[i] * (1 - a[i]), atol=1e-6), i


def test_guide_noise_is_seeded_and_never_the_samplers_noise():
    noise = guide_noise(7, (4, 2, 2), 5)
    assert torch.equal(noise, guide_noise(7, (4, 2, 2), 5))
    assert not torch.equal(noise, frame_noise(7, (4, 2, 2), frames=5))
    assert not torch.equal(noise, guide_noise(8, (4, 2, 2), 5))
