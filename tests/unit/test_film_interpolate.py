"""The interpolation driver: counts and exact times, work done once per frame and per pair, recursive midpoints,
loop, batching, padding of small frames, errors, progress and interrupts; and the weightless flow method
against crossfade on a moving scene."""
import os
import sys
import weakref

import pytest
import torch
import torch.nn.functional as F

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(TESTS, "fixtures"), os.path.join(os.path.dirname(TESTS), "bench")]
import film_files  # noqa: E402
import film_scene  # noqa: E402

from interp import MIDPOINTS, interpolate, load_film, output_count  # noqa: E402
from interp.interpolate import Padding  # noqa: E402
from interp.methods import Crossfade  # noqa: E402
from interp.timing import exact_schedule, midpoint_schedule, step_time  # noqa: E402


pytestmark = pytest.mark.usefixtures("one_thread")


class Recorder(Crossfade):
    """Crossfade that counts the frames it prepares and the pairs it measures, and notes every time asked."""

    def __init__(self):
        self.prepared, self.pairs, self.times = 0, 0, []
        self.states, self.most_alive = [], 0  # weak references to the memory of every prepared state

    def prepare(self, frames):
        self.prepared += len(frames)
        state = super().prepare(frames.clone())  # memory of its own, so that its lifetime is the driver's
        # The storage, not the tensor: the driver keeps views of the state, and the memory lives while any does.
        self.states += [weakref.ref(t.untyped_storage()) for t in state]
        self.most_alive = max(self.most_alive, sum(ref() is not None for ref in self.states))
        return state

    def motion(self, a, b):
        self.pairs += len(a[0])
        return super().motion(a, b)

    def between(self, a, b, motion, t):
        self.times += t.flatten().tolist()
        return super().between(a, b, motion, t)


def ramp(count, height=8, width=8):
    """Frame i is flat at 0.1·i, so a crossfade in-between's value tells exactly which time it was made at."""
    return (torch.arange(count, dtype=torch.float32) * 0.1).view(-1, 1, 1, 1).expand(count, height, width, 3)


def film(config="small"):
    return load_film(film_files.cached_film_file("v1.0.2", config))


@pytest.mark.parametrize("multiplier", [2, 3, 4, 5])
@pytest.mark.parametrize("loop", [False, True])
def test_every_in_between_is_at_exactly_k_over_m(multiplier, loop):
    frames, method = ramp(4), Recorder()
    out = interpolate(frames, method, multiplier, loop=loop)
    assert len(out) == output_count(4, multiplier, loop) == (4 * multiplier if loop else 3 * multiplier + 1)
    for k, frame in enumerate(out):
        pair, step = divmod(k, multiplier)
        start, end = 0.1 * pair, 0.1 * ((pair + 1) % 4)
        assert torch.allclose(frame, torch.tensor(start + (end - start) * step / multiplier), atol=1e-6)
    # Exact mode: every frame prepared once (loop reuses frame 0), one motion per pair, times k/m (the nearest
    # fp32 to it, the compute dtype here).
    assert method.prepared == 4 and method.pairs == (4 if loop else 3)
    assert sorted(set(method.times)) == [torch.tensor(k / multiplier).item() for k in range(1, multiplier)]


@pytest.mark.parametrize("mode", ["exact", MIDPOINTS])
def test_a_frame_is_let_go_once_its_pairs_are_done(mode):
    """The memory bound: a frame's state (FILM's feature pyramid) is freed before the next frame is prepared,
    so at most the pair and the frame being prepared are held, whatever the clip's length."""
    method = Recorder()
    interpolate(ramp(6), method, 4, mode=mode)
    # bisection also prepares the midpoint it makes, while the pair is still held
    assert method.most_alive == (3 if mode == MIDPOINTS else 2), method.most_alive


@pytest.mark.parametrize("batch_size", [2, 3, 5])
def test_batched_pairs_give_the_same_frames_with_the_same_work(batch_size):
    frames = torch.rand(6, 20, 24, 3, generator=torch.Generator().manual_seed(0))
    one, many = Recorder(), Recorder()
    for loop in (False, True):
        expected = interpolate(frames, one, 3, loop=loop)
        assert torch.equal(interpolate(frames, many, 3, loop=loop, batch_size=batch_size), expected)
    assert (many.prepared, many.pairs) == (one.prepared, one.pairs)


def test_recursive_midpoints_bisect_from_made_frames():
    assert midpoint_schedule(4) == [(2, 0, 4), (1, 0, 2), (3, 2, 4)]
    assert [step_time(s) for s in midpoint_schedule(8)] == [0.5] * 7
    assert [step_time(s) for s in midpoint_schedule(3)] == [1 / 3, 0.5]
    assert exact_schedule(3) == [(1, 0, 3), (2, 0, 3)]
    for multiplier in (2, 3, 4, 5):
        method = Recorder()
        out = interpolate(ramp(3), method, multiplier, mode=MIDPOINTS, loop=True)
        expected = interpolate(ramp(3), Crossfade(), multiplier, loop=True)
        assert torch.allclose(out, expected, atol=1e-6)
        steps = midpoint_schedule(multiplier)
        assert method.pairs == 3 * len(steps)  # each bisection step is its own pair
        # Made frames are prepared only when a later step reads them.
        reused = {slot for slot, _, _ in steps} & {end for _, lo, hi in steps for end in (lo, hi)}
        assert method.prepared == 3 + 3 * len(reused)


def test_film_in_the_driver_equals_calling_the_model():
    model = film()
    frames = torch.rand(3, 64, 72, 3, generator=torch.Generator().manual_seed(1))
    out = interpolate(frames, model, 3)
    x = frames.permute(0, 3, 1, 2)
    with torch.no_grad():
        for pair in range(2):
            for step in (1, 2):
                made = model(x[pair:pair + 1], x[pair + 1:pair + 2], torch.full((1, 1), step / 3)).clamp(0, 1)
                assert (out[pair * 3 + step] - made[0].permute(1, 2, 0)).abs().max() < 1e-5
    assert (interpolate(frames, model, 3, batch_size=2) - out).abs().max() < 1e-5
    assert (interpolate(frames, model, 2, mode=MIDPOINTS) - interpolate(frames, model, 2)).abs().max() < 1e-6


def test_frames_below_the_minimum_are_reflect_padded_and_cropped_back():
    model = film()
    frames = torch.rand(2, 40, 50, 3, generator=torch.Generator().manual_seed(2))
    out = interpolate(frames, model, 2)
    assert out.shape == (3, 40, 50, 3) and torch.equal(out[::2], frames)
    padded = F.pad(frames.permute(0, 3, 1, 2), [7, 7, 12, 12], mode="reflect")
    with torch.no_grad():
        made = model(padded[:1], padded[1:], torch.full((1, 1), 0.5)).clamp(0, 1)[0, :, 12:52, 7:57]
    assert (out[1] - made.permute(1, 2, 0)).abs().max() < 1e-5
    # Tinier than one reflection can reach, down to a single pixel.
    for height, width in ((5, 3), (1, 1)):
        padding = Padding(height, width, 64)
        x = torch.rand(1, 3, height, width)
        assert padding.pad(x).shape == (1, 3, 64, 64) and torch.equal(padding.crop(padding.pad(x)), x)
    assert interpolate(torch.rand(2, 5, 3, 3), model, 2).shape == (3, 5, 3, 3)


def test_reduced_precision_runs_close_to_fp32():
    model = film()
    frames = torch.rand(2, 64, 64, 3, generator=torch.Generator().manual_seed(3))
    reference = interpolate(frames, model, 2)
    half = interpolate(frames, model.to(torch.bfloat16), 2)
    assert half.dtype == torch.float32 and (half - reference).abs().mean() < 0.02


def test_bad_input_is_explained():
    with pytest.raises(ValueError, match=r"frame 2 is 12×10 .* but frame 0 is 16×10 .*same size"):
        interpolate([torch.rand(10, 16, 3), torch.rand(10, 16, 3), torch.rand(10, 12, 3)], "crossfade", 2)
    with pytest.raises(ValueError, match=r"\(N,H,W,3\) RGB images, got shape \(2, 8, 8, 4\)"):
        interpolate(torch.rand(2, 8, 8, 4), "crossfade", 2)
    with pytest.raises(ValueError, match="multiplier must be a whole number"):
        interpolate(torch.rand(2, 8, 8, 3), "crossfade", 0)
    with pytest.raises(ValueError, match="unknown interpolation method 'rife'"):
        interpolate(torch.rand(2, 8, 8, 3), "rife", 2)
    assert torch.equal(interpolate(ramp(1), "crossfade", 3), ramp(1))  # one frame: nothing between


def test_progress_reports_pairs_and_interrupt_stops_between_them():
    reports = []
    interpolate(ramp(6), "crossfade", 2, batch_size=2, progress=lambda done, total: reports.append((done, total)))
    assert reports == [(2, 5), (4, 5), (5, 5)]

    class Stop(Exception):
        pass

    checks = []

    def interrupt():
        checks.append(1)
        if len(checks) == 3:
            raise Stop

    method = Recorder()
    with pytest.raises(Stop):
        interpolate(ramp(6), method, 2, interrupt=interrupt)
    assert method.pairs == 1  # stopped before the second pair's work


def psnr(made, truth):
    return (10 * torch.log10(1 / (made - truth).square().mean())).item()


def test_flow_beats_crossfade_on_a_moving_scene():
    clip = torch.from_numpy(film_scene.clip(7, 128, 128))
    kept, dropped = clip[::2], clip[1::2]
    scores = {method: psnr(interpolate(kept, method, 2)[1::2], dropped) for method in ("flow", "crossfade")}
    assert scores["flow"] >= scores["crossfade"] + 3, scores


def test_flow_follows_a_translation():
    texture = torch.from_numpy(film_scene.background(48, 64))[:48, :96]
    frames = torch.stack([texture[:, 8:72], texture[:, 4:68], texture[:, 0:64]])  # moving right 4 px a frame
    out = interpolate(frames[::2], "flow", 2)
    inner = (slice(4, -4), slice(12, -12))
    assert (out[1][inner] - frames[1][inner]).abs().mean() < 0.01
    assert torch.allclose(interpolate(frames[:1].expand(2, -1, -1, -1), "flow", 3)[1], frames[0], atol=1e-5)
