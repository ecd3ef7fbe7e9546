"""Motion effect: 0 (everywhere, per frame, or outside start/end percent) skips the module's compute, and a
per-frame effect blends each frame of each video with exactly its own value."""
import contextlib

import pytest
import torch

from motion_sampling import FRAMES, motion, sample
from tempo.motion.patch import Attachment, MotionLayer, MotionSettings, attach, get_attachment, run_motion_layer

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


def module_calls(checkpoint, mm, **settings):
    model, clip, _ = checkpoint
    with counting(mm) as calls:
        sample(attach(model, mm, MotionSettings(**settings)), clip, steps=1)
    return len(calls)


def test_effect_zero_runs_no_module_while_sampling(checkpoint, mm):
    assert module_calls(checkpoint, mm, effect=1.0) == len(mm.positions())  # cond and uncond in one call
    assert module_calls(checkpoint, mm, effect=0.0) == 0
    assert module_calls(checkpoint, mm, effect=[0.0, 0.0]) == 0  # a per-frame list that is 0 on every frame


def run_layer(mm, settings, videos=2, sigma=None):
    """(input, output, motion-module calls) of one MotionLayer call on `videos` videos of FRAMES frames."""
    layer = MotionLayer(POSITION, Attachment(mm, settings))
    x = torch.randn(videos * FRAMES, 320, 4, 4, generator=torch.Generator().manual_seed(5))
    options = {"cond_or_uncond": list(range(videos))} | ({} if sigma is None else {"sigmas": torch.tensor([sigma])})
    with counting(mm) as calls:
        out = run_motion_layer(layer, x, None, None, options)
    return x, out, len(calls)


@pytest.mark.parametrize("effect,runs", [(1.0, True), (0.5, True), (0.0, False), ([0.0, 0.5], True)])
@pytest.mark.parametrize("percent,inside", [(0.1, False), (0.5, True), (0.9, False)])
def test_the_module_runs_only_with_an_effect_inside_start_end_percent(checkpoint, mm, effect, runs, percent,
                                                                       inside):
    patched = attach(checkpoint[0], mm, MotionSettings(effect=effect, start_percent=0.25, end_percent=0.75))
    sigma = patched.get_model_object("model_sampling").percent_to_sigma(percent)
    x, out, calls = run_layer(mm, get_attachment(patched).settings, sigma=sigma)
    assert calls == (1 if runs and inside else 0)
    assert (out is x) == (calls == 0)


def test_each_frame_of_each_video_gets_its_own_effect(mm):
    effect = [0.0, 0.25, 1.0, 0.6]
    x, out, _ = run_layer(mm, MotionSettings(effect=effect))
    with torch.no_grad():
        full = mm.get_submodule(POSITION)(x, FRAMES)
    for row in range(x.shape[0]):
        e = effect[row % FRAMES]
        assert torch.allclose(out[row], torch.lerp(x[row], full[row], e), atol=1e-5), (row, e)


def test_a_per_frame_effect_of_zero_everywhere_returns_the_input_without_running(mm):
    x, out, calls = run_layer(mm, MotionSettings(effect=[0.0] * FRAMES))
    assert calls == 0 and out is x
