"""PromptSchedule and ContextWindowSampler through a real server, driven over HTTP like the frontend does."""
import io
import os

import numpy as np
import pytest
from comfy_server import execution_error
from PIL import Image
from graphs import Graph, out
import models

MOTION = "mm_sd_v15_v2.ckpt"
WINDOWS = dict(context_length=8, context_overlap=2, context_stride=1, closed_loop=False, context_schedule="uniform",
               fuse_method="pyramid", freenoise=False, windows_per_batch=0)


def base(g, frames, size=64):
    ckpt = g.add("CheckpointLoaderSimple", ckpt_name=models.CHECKPOINT)
    latent = g.add("EmptyLatentImage", width=size, height=size, batch_size=frames)
    return ckpt, latent


def schedule(g, ckpt, text, frames):
    node = g.add("TempoPromptSchedule", clip=out(ckpt, 1), text=text, frames=frames, interpolation="linear",
                 pre_text="", app_text="", negative="blurry")
    return out(node, 0), out(node, 1)


def plain(g, ckpt, text):
    return (out(g.add("CLIPTextEncode", clip=out(ckpt, 1), text=text)),
            out(g.add("CLIPTextEncode", clip=out(ckpt, 1), text="blurry")))


def ksampler(g, model, positive, negative, latent, steps=1, seed=5):
    return g.add("KSampler", model=model, positive=positive, negative=negative, latent_image=out(latent), seed=seed,
                 steps=steps, cfg=7.0, sampler_name="euler", scheduler="normal", denoise=1.0)


def windowed(g, model, positive, negative, latent, steps=1, seed=5, **options):
    return g.add("TempoContextWindowSampler", model=model, positive=positive, negative=negative,
                 latent_image=out(latent), seed=seed, steps=steps, cfg=7.0, sampler_name="euler",
                 scheduler="normal", denoise=1.0, **(WINDOWS | options))


def save(g, ckpt, sampled, prefix):
    g.add("SaveImage", images=out(g.add("VAEDecode", samples=out(sampled), vae=out(ckpt, 2))), filename_prefix=prefix)


def run(comfy, g):
    """Runs the graph; returns {SaveImage filename_prefix: frames as an int array}."""
    entry = comfy.run(g.prompt())
    assert entry["status"]["status_str"] == "success", execution_error(entry)
    by_prefix = {}
    for output in entry["outputs"].values():
        for image in sorted(output.get("images", []), key=lambda i: i["filename"]):
            data = comfy.view(image["filename"], image["subfolder"], image["type"])
            prefix = image["filename"].rsplit("_", 2)[0]
            by_prefix.setdefault(prefix, []).append(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))
    return {prefix: np.stack(frames).astype(int) for prefix, frames in by_prefix.items()}


def test_prompt_schedule_drives_the_stock_ksampler(comfy):
    """No motion model: frames sample independently, so frame 0 is the first prompt's image, the last frame the
    last prompt's image."""
    frames = 4
    g = Graph()
    ckpt, latent = base(g, frames)
    save(g, ckpt, ksampler(g, out(ckpt), *schedule(g, ckpt, "0: a red boat\n3: a green tree", frames), latent),
         "sched_ks")
    for text, prefix in (("a red boat", "only_a"), ("a green tree", "only_b")):
        save(g, ckpt, ksampler(g, out(ckpt), *plain(g, ckpt, text), latent), prefix)
    images = run(comfy, g)
    travel, only_a, only_b = images["sched_ks"], images["only_a"], images["only_b"]
    assert np.abs(travel[0] - only_a[0]).max() <= 1
    assert np.abs(travel[3] - only_b[3]).max() <= 1
    assert np.abs(travel[3] - only_a[3]).mean() > 1.0


def test_travel_over_24_frames_in_windows_with_a_motion_model(comfy):
    frames = 24
    g = Graph()
    ckpt, latent = base(g, frames)
    model = out(g.add("TempoLoadMotionModule", model=out(ckpt), model_name=MOTION, motion_scale=1.0, effect=1.0,
                      beta_schedule="auto"))
    text = '"0": "a paper boat on a pond",\n"23": "a red sports car in a city",'
    # All four windows of each clip in one model call (windows_per_batch), so the test stays cheap on CPU.
    options = dict(context_schedule="static", windows_per_batch=4)
    save(g, ckpt, windowed(g, model, *schedule(g, ckpt, text, frames), latent, **options), "travel")
    save(g, ckpt, windowed(g, model, *plain(g, ckpt, "a paper boat on a pond"), latent, **options), "constant")
    images = run(comfy, g)
    travel, constant = images["travel"], images["constant"]
    assert len(travel) == len(constant) == frames
    moves = [np.abs(a - b).mean() for a, b in zip(travel, travel[1:])]
    assert min(moves) > 0.1, moves
    # Same seed and noise: the schedule changes the clip more where its prompt departs further from the constant.
    departure = [np.abs(t - c).mean() for t, c in zip(travel, constant)]
    assert np.mean(departure[-4:]) > 2 * np.mean(departure[:4]), departure


def test_schedule_errors_name_line_and_column_over_http(comfy):
    g = Graph()
    ckpt, latent = base(g, 8)
    positive, negative = schedule(g, ckpt, '"0": "a boat",\n"12": "a car"', 8)
    save(g, ckpt, ksampler(g, out(ckpt), positive, negative, latent), "bad")
    entry = comfy.run(g.prompt())
    error = execution_error(entry)
    assert error is not None
    assert "text, line 2, column 2" in error["exception_message"]
    assert "past the last frame" in error["exception_message"]


@pytest.mark.parametrize("sampler", ["KSampler", "TempoContextWindowSampler"])
def test_count_mismatch_is_an_error_over_http(comfy, sampler):
    """A 10-frame schedule on an 8-frame latent: the host would repeat or cut the prompts silently."""
    g = Graph()
    ckpt, latent = base(g, 8)
    model = out(g.add("TempoLoadMotionModule", model=out(ckpt), model_name=MOTION, motion_scale=1.0, effect=1.0,
                      beta_schedule="auto"))
    positive, negative = schedule(g, ckpt, '"0": "a boat",\n"9": "a car"', 10)
    sample = ksampler if sampler == "KSampler" else windowed
    save(g, ckpt, sample(g, model, positive, negative, latent), "mismatch")
    error = execution_error(comfy.run(g.prompt()))
    assert error is not None and error["node_type"] == sampler
    assert "positive conditioning (cross_attn) has 10 entries but the latent has 8 frames" in \
        error["exception_message"], error["exception_message"]


@pytest.fixture(scope="module")
def controlnet_name(models_dir):
    path = models.controlnet_path()
    folder = os.path.join(models_dir, "controlnet")
    os.makedirs(folder, exist_ok=True)
    link = os.path.join(folder, "control_sd15_fixture.safetensors")
    if not os.path.lexists(link):
        os.symlink(path, link)
    return "control_sd15_fixture.safetensors"


def test_stock_controlnet_apply_works_inside_windows(comfy, controlnet_name):
    """A video of hints through the host's own ControlNetLoader and ControlNetApplyAdvanced: sampled in windows,
    each frame gets its own hint, so (without a motion model) the clip equals one KSampler call over all frames."""
    frames = 8
    g = Graph()
    ckpt, latent = base(g, frames)
    hints = g.add("VAEDecode", samples=out(ksampler(g, out(ckpt), *plain(g, ckpt, "stripes"), latent, seed=9)),
                  vae=out(ckpt, 2))
    control = g.add("ControlNetLoader", control_net_name=controlnet_name)
    positive, negative = plain(g, ckpt, "a paper boat")
    applied = g.add("ControlNetApplyAdvanced", positive=positive, negative=negative, control_net=out(control),
                    image=out(hints), strength=1.0, start_percent=0.0, end_percent=1.0)
    save(g, ckpt, ksampler(g, out(ckpt), out(applied, 0), out(applied, 1), latent), "cn_ks")
    save(g, ckpt, windowed(g, out(ckpt), out(applied, 0), out(applied, 1), latent, context_length=6,
                           context_schedule="static"), "cn_windows")
    save(g, ckpt, ksampler(g, out(ckpt), positive, negative, latent), "cn_none")
    images = run(comfy, g)
    reference, in_windows, without = images["cn_ks"], images["cn_windows"], images["cn_none"]
    assert len(in_windows) == frames
    assert np.abs(reference - without).mean() > 1.0  # the ControlNet changes the frames
    assert np.abs(in_windows - reference).max() <= 2


def test_freeinit_over_http_with_windows_and_freenoise(comfy):
    """FreeInit's inputs reach the sampler through the API: one iteration is the sampler without them, bit for bit;
    a second pass (re-initialised noise) gives another clip of the same length."""
    frames = 12
    g = Graph()
    ckpt, latent = base(g, frames)
    model = out(g.add("TempoLoadMotionModule", model=out(ckpt), model_name=MOTION, motion_scale=1.0, effect=1.0,
                      beta_schedule="auto"))
    prompts = plain(g, ckpt, "a paper boat on a pond")
    options = dict(context_schedule="static", freenoise=True, windows_per_batch=2)
    save(g, ckpt, windowed(g, model, *prompts, latent, **options), "without")
    save(g, ckpt, windowed(g, model, *prompts, latent, freeinit_iterations=1, **options), "once")
    save(g, ckpt, windowed(g, model, *prompts, latent, freeinit_iterations=2, freeinit_filter="gaussian",
                           **options), "twice")
    images = run(comfy, g)
    assert len(images["twice"]) == frames
    assert np.array_equal(images["once"], images["without"])
    assert not np.array_equal(images["twice"], images["once"])
