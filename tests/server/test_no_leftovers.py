"""After animation workflows, whether they finish, fail or are interrupted, a plain txt2img with the same
checkpoint returns exactly what a fresh server returns."""
import os
import time

import numpy as np
import pytest
import comfy_server
from comfy_fixtures import ARTIFACTS, saved_images
from graphs import txt2vid
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
