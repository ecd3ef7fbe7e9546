"""Motion effect: 0 (everywhere, per frame, or outside start/end percent) skips the module's compute, and a
per-frame effect blends each frame of each video with exactly its own value."""
import contextlib

import pytest
import torch

from motion_sampling import FRAMES, motion, sample
from tempo.motion.patch import Attachment, MotionLayer, MotionSettings, attach, run_motion_layer

POSITION = "down_blocks.0.motion_modules.0"


@pytest.fixture(scope="module")
def mm():
    return motion()


@contextlib.contextmanager
def counting(motion_model):
    """Counts forward calls of every motion module of motion_model."""
    calls = []
    hooks = [module.register_forward_hook(lambda *_: calls.append(1)) for _, module in motion_model.positions()]
    try:
        yield calls
    finally:
        for hook in hooks:
            hook.remove()


def module_calls(checkpoint, mm, steps=2, **settings):
    model, clip, _ = checkpoint
    with counting(mm) as calls:
        sample(attach(model, mm, MotionSettings(**settings)), clip, steps=steps)
    return len(calls)


def test_effect_zero_and_steps_outside_the_range_run_no_module(checkpoint, mm):
    full = module_calls(checkpoint, mm, effect=1.0)
    assert full == 2 * len(mm.positions())  # two steps, cond and uncond in one call each
    assert module_calls(checkpoint, mm, effect=0.5) == full
    assert module_calls(checkpoint, mm, effect=0.0) == 0
    assert module_calls(checkpoint, mm, effect=[0.0, 0.0]) == 0  # a per-frame list that is 0 on every frame
    assert module_calls(checkpoint, mm, start_percent=1.0, end_percent=1.0) == 0
    assert 0 < module_calls(checkpoint, mm, steps=4, start_percent=0.5) < 2 * full


def run_layer(mm, effect, videos=2):
    layer = MotionLayer(POSITION, Attachment(mm, MotionSettings(effect=effect)))
    x = torch.randn(videos * FRAMES, 320, 4, 4, generator=torch.Generator().manual_seed(5))
    with counting(mm) as calls:
        out = run_motion_layer(layer, x, None, None, {"cond_or_uncond": list(range(videos))})
    return x, out, len(calls)


def test_each_frame_of_each_video_gets_its_own_effect(mm):
    effect = [0.0, 0.25, 1.0, 0.6]
    x, out, _ = run_layer(mm, effect)
    with torch.no_grad():
        full = mm.get_submodule(POSITION)(x, FRAMES)
    for row in range(x.shape[0]):
        e = effect[row % FRAMES]
        assert torch.allclose(out[row], torch.lerp(x[row], full[row], e), atol=1e-5), (row, e)


def test_a_per_frame_effect_of_zero_everywhere_returns_the_input_without_running(mm):
    x, out, calls = run_layer(mm, [0.0] * FRAMES)
    assert calls == 0 and out is x
