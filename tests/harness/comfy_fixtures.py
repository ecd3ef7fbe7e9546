"""Pytest fixtures shared by the server and browser tiers: one real ComfyUI per session on 127.0.0.1 with this
pack and the fixture models."""
import io
import os

import numpy as np
import pytest
from PIL import Image

import models
import comfy_server

ARTIFACTS = os.path.join(comfy_server.CHECKOUT, "test-artifacts")


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory):
    path = models.populate(str(tmp_path_factory.mktemp("models")))
    models.link_film(path)
    motion_dir = os.path.join(path, "animatediff_models")
    # Bad input users meet: a download cut short, and an image checkpoint in the motion folder.
    with open(models.motion_path("mm_sd_v15_v2.ckpt"), "rb") as f:
        data = f.read()
    with open(os.path.join(motion_dir, "truncated_motion.ckpt"), "wb") as f:
        f.write(data[: len(data) // 2])
    os.symlink(models.checkpoint_path(), os.path.join(motion_dir, "checkpoint_not_motion.safetensors"))
    return path


@pytest.fixture(scope="session")
def comfy_args():
    """Extra arguments of the ComfyUI command line; the browser tier's conftest serves each frontend with them."""
    return ()


@pytest.fixture(scope="session")
def comfy(tmp_path_factory, models_dir, comfy_args):
    os.makedirs(ARTIFACTS, exist_ok=True)
    base = str(tmp_path_factory.mktemp("comfy"))
    log = os.path.join(ARTIFACTS, f"server-{os.getpid()}-{os.path.basename(base)}.log")
    instance = comfy_server.start(base, models_dir, log, comfy_args)
    yield instance
    instance.stop()


def saved_images(comfy, entry):
    """Every image a finished prompt saved, downloaded through /view, as uint8 arrays."""
    frames = []
    for output in entry["outputs"].values():
        for image in output.get("images", []):
            data = comfy.view(image["filename"], image["subfolder"], image["type"])
            frames.append(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))
    return frames
