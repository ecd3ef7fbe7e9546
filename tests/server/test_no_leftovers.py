"""After animation workflows (plain, in context windows, with ControlNet in windows, FILM), whether they finish,
fail or are interrupted, a plain txt2img with the same checkpoint returns exactly what a fresh server returns."""
import os
import time

import numpy as np
import pytest
import comfy_server
import models
from comfy_fixtures import ARTIFACTS, saved_images
from graphs import Graph, out, txt2vid
from comfy_server import execution_error


def txt2img(comfy, prefix):
    entry = comfy.run(txt2vid(frames=1, seed=11, prefix=prefix).prompt())
    assert entry["status"]["status_str"] == "success", execution_error(entry)
    return np.stack(saved_images(comfy, entry))


@pytest.fixture(scope="module")
def fresh_image(tmp_path_factory, models_dir):
    base = str(tmp_path_factory.mktemp("fresh"))
    fresh = comfy_server.start(base, models_dir, os.path.join(ARTIFACTS, f"server-fresh-{os.getpid()}.log"))
    try:
        return txt2img(fresh, "fresh")
    finally:
        fresh.stop()


def test_after_an_animation(comfy, fresh_image):
    assert comfy.run(txt2vid(frames=4, motion="mm_sd_v15.ckpt", prefix="v1anim").prompt())["status"][
        "status_str"] == "success"
    assert np.array_equal(txt2img(comfy, "after_animation"), fresh_image)


def test_after_an_exception(comfy, fresh_image):
    # 40 frames in one call is more than the v2 module's 32 trained positions: it fails during sampling.
    entry = comfy.run(txt2vid(frames=40, motion="mm_sd_v15_v2.ckpt", save=False).prompt())
    error = execution_error(entry)
    assert error and "Context Window Sampler" in error["exception_message"], error
    assert np.array_equal(txt2img(comfy, "after_exception"), fresh_image)


def test_after_an_interrupt(comfy, fresh_image):
    prompt_id = comfy.queue(txt2vid(frames=16, size=128, steps=50, motion="mm_sd_v15_v2.ckpt",
                                    save=False).prompt())
    deadline = time.time() + 120
    while not comfy.get_json("/queue")["queue_running"] and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(3)  # well into sampling
    comfy.interrupt()
    entry = comfy.wait(prompt_id)
    assert entry["status"]["status_str"] == "error"
    assert np.array_equal(txt2img(comfy, "after_interrupt"), fresh_image)


def test_a_replaced_motion_attachment_leaves_nothing_for_the_host_to_hunt(comfy):
    """Each new motion_scale makes a new patched model and drops the last one, while the loaded motion model
    stays cached: the host must not find a model whose patcher died before it (its 'memory leak' check)."""
    for scale in (0.9, 1.1, 1.2):
        entry = comfy.run(txt2vid(frames=2, steps=1, motion="mm_sd_v15_v2.ckpt", motion_scale=scale,
                                  save=False).prompt())
        assert entry["status"]["status_str"] == "success", execution_error(entry)
    assert "Potential memory leak detected with model MotionModel" not in comfy.tail(200000)


def succeeds(comfy, g):
    entry = comfy.run(g.prompt())
    assert entry["status"]["status_str"] == "success", execution_error(entry)


def windowed_clip(g, frames=10, hints=None):
    """Checkpoint + v2 motion model -> Context Window Sampler (windows of 8, overlap 2) -> preview; hints (an
    IMAGE link, one per frame) go through the host's ControlNet nodes. Returns the checkpoint node."""
    ckpt = g.add("CheckpointLoaderSimple", ckpt_name=models.CHECKPOINT)
    motion = g.add("TempoLoadMotionModule", model=out(ckpt), model_name="mm_sd_v15_v2.ckpt", motion_scale=1.0,
                   effect=1.0, beta_schedule="auto")
    positive = out(g.add("CLIPTextEncode", clip=out(ckpt, 1), text="a paper boat drifting on a pond"))
    negative = out(g.add("CLIPTextEncode", clip=out(ckpt, 1), text="blurry"))
    if hints is not None:
        control = g.add("ControlNetLoader", control_net_name=models.CONTROLNET)
        applied = g.add("ControlNetApplyAdvanced", positive=positive, negative=negative, control_net=out(control),
                        image=hints, strength=1.0, start_percent=0.0, end_percent=1.0)
        positive, negative = out(applied, 0), out(applied, 1)
    latent = g.add("EmptyLatentImage", width=64, height=64, batch_size=frames)
    sampled = g.add("TempoContextWindowSampler", model=out(motion), positive=positive, negative=negative,
                    latent_image=out(latent), seed=3, steps=2, cfg=7.0, sampler_name="euler", scheduler="normal",
                    denoise=1.0, context_length=8, context_overlap=2, context_stride=1, closed_loop=False,
                    context_schedule="uniform", fuse_method="pyramid", freenoise=False, windows_per_batch=0)
    g.add("PreviewImage", images=out(g.add("VAEDecode", samples=out(sampled), vae=out(ckpt, 2))))
    return ckpt


def test_after_context_windows(comfy, fresh_image):
    g = Graph()
    windowed_clip(g)
    succeeds(comfy, g)
    assert np.array_equal(txt2img(comfy, "after_windows"), fresh_image)


@pytest.fixture(scope="module")
def controlnet(models_dir):
    folder = os.path.join(models_dir, "controlnet")
    os.makedirs(folder, exist_ok=True)
    link = os.path.join(folder, models.CONTROLNET)
    if not os.path.lexists(link):
        os.symlink(models.controlnet_path(), link)


def test_after_controlnet_in_windows(comfy, fresh_image, controlnet):
    g = Graph()
    hints = g.add("EmptyImage", width=64, height=64, batch_size=10, color=0xFFFFFF)
    windowed_clip(g, hints=out(hints))
    succeeds(comfy, g)
    assert np.array_equal(txt2img(comfy, "after_controlnet"), fresh_image)


def test_after_film_interpolation(comfy, fresh_image):
    g = Graph()
    frames = g.add("EmptyImage", width=64, height=64, batch_size=3, color=0x3366CC)
    film = g.add("TempoFILMInterpolate", images=out(frames), multiplier=2, method=models.FILM,
                 mode="exact times k/m", loop=False)
    g.add("PreviewImage", images=out(film))
    succeeds(comfy, g)
    assert np.array_equal(txt2img(comfy, "after_film"), fresh_image)
