"""FreeInit in Context Window Sampler on the host's real sampler: one pass is today's output bit for bit; further
passes sample from exactly the noise and latent the method prescribes, with windows, FreeNoise and guides; the
progress bar counts every pass."""
import comfy.sample
import comfy.utils
import nodes as comfy_nodes
import pytest
import torch

import motion_files
from tempo.motion import load_motion_module
from tempo.motion.patch import MotionSettings, attach
from tempo.nodes.context_sampler import ContextWindowSampler
from tempo.sampling.freeinit import fresh_seed, low_band, low_pass, mix
from tempo.sampling.noise import frame_noise, freenoise

WINDOWS = dict(context_length=4, context_overlap=1, context_stride=1, closed_loop=False, context_schedule="static",
               fuse_method="pyramid", freenoise=True, windows_per_batch=1)
FRAMES, SEED = 10, 3


@pytest.fixture(scope="module")
def animated(checkpoint):
    model, _, _ = checkpoint
    mm = load_motion_module(motion_files.make_motion_state_dict("v2", channels=320)).float()
    return attach(model, mm, MotionSettings())


@pytest.fixture(scope="module")
def conds(checkpoint):
    _, clip, _ = checkpoint
    return tuple(comfy_nodes.CLIPTextEncode().encode(clip, text)[0] for text in ("a boat", "blurry"))


def run(model, conds, frames=FRAMES, steps=1, denoise=1.0, options=WINDOWS, **extra):
    latent = {"samples": torch.zeros(frames, 4, 8, 8)}
    return ContextWindowSampler().sample(model, *conds, latent, SEED, steps, 6.0, "euler", "normal", denoise,
                                         **options, **extra)[0]["samples"]


def recorded_calls(monkeypatch):
    calls = []
    sample = comfy.sample.sample

    def record(model, noise, *args, **kwargs):
        out = sample(model, noise, *args, **kwargs)
        calls.append(dict(noise=noise, latent=args[6], out=out))
        return out
    monkeypatch.setattr(comfy.sample, "sample", record)
    return calls


def test_one_iteration_is_todays_output_bit_for_bit(checkpoint, animated, conds):
    model = checkpoint[0]
    off = dict(freeinit_iterations=1, freeinit_filter="box", freeinit_spatial=0.6, freeinit_temporal=0.1)
    assert torch.equal(run(animated, conds, **off), run(animated, conds))
    single = comfy_nodes.common_ksampler(model, SEED, 1, 6.0, "euler", "normal", *conds,
                                         {"samples": torch.zeros(4, 4, 8, 8)})[0]["samples"]
    assert torch.equal(run(model, conds, frames=4, options=WINDOWS | dict(freenoise=False), **off), single)


@pytest.mark.parametrize("kind", ["butterworth", "gaussian"])
def test_second_pass_samples_from_the_low_band_of_the_first_and_fresh_high_frequencies(animated, conds, kind,
                                                                                     monkeypatch):
    calls = recorded_calls(monkeypatch)
    settings = dict(freeinit_iterations=2, freeinit_filter=kind, freeinit_order=3, freeinit_spatial=0.3,
                    freeinit_temporal=0.4)
    out = run(animated, conds, **settings)
    assert len(calls) == 2 and torch.equal(out, calls[1]["out"]) and torch.isfinite(out).all()
    first_noise = freenoise(frame_noise(SEED, (4, 8, 8), frames=FRAMES), 4, 1, SEED)
    assert torch.equal(calls[0]["noise"], first_noise)  # the first pass is today's
    mask = low_pass((FRAMES, 8, 8), kind, 0.3, 0.4, 3)
    fresh = freenoise(frame_noise(fresh_seed(SEED, 1), (4, 8, 8), frames=FRAMES), 4, 1, fresh_seed(SEED, 1))
    assert torch.equal(calls[1]["noise"], mix(first_noise, fresh, mask))
    scale = 0.18215  # SD1.5's latent scale: the split is done on the model's latents
    torch.testing.assert_close(calls[1]["latent"], low_band(calls[0]["out"] * scale, mask) / scale)
    assert not torch.allclose(out, calls[0]["out"], atol=1e-3)


def test_freeinit_with_guides_keeps_the_guided_first_pass(checkpoint, animated, conds, monkeypatch):
    _, _, vae = checkpoint
    first = torch.rand(1, 64, 64, 3, generator=torch.Generator().manual_seed(1))
    calls = recorded_calls(monkeypatch)
    guided = dict(first_image=first, vae=vae, latent_scale=4.0)
    today = run(animated, conds, denoise=0.6, **guided)
    out = run(animated, conds, denoise=0.6, freeinit_iterations=2, **guided)
    assert len(calls) == 3 and torch.equal(calls[1]["out"], today) and torch.equal(calls[0]["latent"],
                                                                                     calls[1]["latent"])
    assert torch.isfinite(out).all() and not torch.allclose(out, today, atol=1e-3)


def test_progress_bar_counts_every_pass(animated, conds, monkeypatch):
    progress = []
    monkeypatch.setattr(comfy.utils, "PROGRESS_BAR_HOOK", lambda value, total, preview, node_id=None:
                        progress.append((value, total)))
    run(animated, conds, steps=2, freeinit_iterations=3)
    windows, total = 3, 3 * 2 * 3  # 10 frames in windows of 4 overlapping by 1; 3 passes of 2 steps
    assert {t for _, t in progress} == {total}
    values = [v for v, _ in progress]
    assert values == sorted(values) and values[-1] == total
    assert set(range(windows, total + 1, windows)) <= set(values)  # every step of every pass ends on the bar
