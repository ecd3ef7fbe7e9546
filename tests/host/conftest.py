"""Host tier: ComfyUI imported in this process, the pack imported the way ComfyUI imports a custom node.

The checkout root is never put on sys.path here: the pack's nodes/ folder would shadow ComfyUI's nodes module.
"""
import importlib.util
import os
import sys

import pytest

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECKOUT = os.path.dirname(TESTS)
sys.path[:0] = [os.path.join(TESTS, "harness"), os.path.join(TESTS, "fixtures")]

import comfy_host  # noqa: E402

comfy_host.prepare()
import comfy.sd  # noqa: E402


def import_pack():
    spec = importlib.util.spec_from_file_location("tempo", os.path.join(CHECKOUT, "__init__.py"),
                                                  submodule_search_locations=[CHECKOUT])
    pack = importlib.util.module_from_spec(spec)
    sys.modules["tempo"] = pack
    spec.loader.exec_module(pack)
    return pack


pack = import_pack()


@pytest.fixture(scope="session")
def checkpoint():
    import models

    model, clip, vae, _ = comfy.sd.load_checkpoint_guess_config(models.checkpoint_path())
    return model, clip, vae


@pytest.fixture(scope="session")
def sdxl_unet():
    import models

    return comfy.sd.load_diffusion_model(models.sdxl_unet_path())
