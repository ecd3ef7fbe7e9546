"""motion/context.py: window lists for every schedule, per-frame noise, FreeNoise, the guidance curve."""
import itertools

import pytest
import torch

from motion.context import (SCHEDULES, ContextError, context_windows, frame_noise, freenoise, guided_latent,
                            keep_curve, step_fraction)

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
    base = frame_noise(1, (2, 2, 2), frames=20)
    out = freenoise(base, 8, 2, seed=1)
    assert not torch.equal(out, base)
    for start in range(8, 20, 6):
        n = min(6, 20 - start)
        block = {tuple(f.flatten().tolist()) for f in out[start:start + n]}
        source = {tuple(f.flatten().tolist()) for f in out[start - 8:start - 8 + n]}
        assert block == source
    assert torch.equal(freenoise(base[:8], 8, 2, seed=1), base[:8])


# ---- guidance ------------------------------------------------------------------------------------------------

def test_keep_curve_is_one_minus_power_over_scale():
    assert keep_curve(4, 1.0, 4.0) == [1.0, 0.75, 0.5, 0.25]
    assert keep_curve(3, 2.0, 8.0) == [1.0, 1 - 1 / 8, 1 - 4 / 8]
    assert keep_curve(3, 1.0, 1.0) == [1.0, 0.0, 0.0]
    with pytest.raises(ContextError, match="latent_scale"):
        keep_curve(3, 1.0, 0.0)


def test_guided_latent_keeps_the_guides_at_the_ends():
    latent = torch.zeros(5, 4, 2, 2)
    first, last = torch.ones(1, 4, 2, 2), -torch.ones(1, 4, 2, 2)
    out = guided_latent(latent, first, last, power=1.0, scale=4.0)
    assert torch.equal(out[0], first[0]) and torch.equal(out[4], last[0])
    only_first = guided_latent(latent, first, None, power=1.0, scale=4.0)
    assert torch.allclose(only_first[:, 0, 0, 0], torch.tensor([1.0, 0.75, 0.5, 0.25, 0.0]))
