"""Host tier: ComfyUI imported in this process, the pack imported the way ComfyUI imports a custom node."""
import os
import sys

import pytest

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(TESTS, "harness"), os.path.join(TESTS, "fixtures")]

import comfy_host  # noqa: E402

comfy_host.prepare()
import comfy.sd  # noqa: E402

pack = comfy_host.import_pack()


@pytest.fixture(scope="session")
def checkpoint():
    import models

    model, clip, vae, _ = comfy.sd.load_checkpoint_guess_config(models.checkpoint_path())
    return model, clip, vae


@pytest.fixture(scope="module", params=["fp32", "bf16", "fp16", "fp8"])
def precision_checkpoint(request):
    """(precision name, model, clip, vae) of the fixture checkpoint loaded while the host computes in that
    precision (see tests/harness/half_precision.py); the host stays in it for the module's tests."""
    import half_precision
    import models

    with half_precision.computing_in(request.param):
        model, clip, vae, _ = comfy.sd.load_checkpoint_guess_config(models.checkpoint_path())
        yield request.param, model, clip, vae


@pytest.fixture(scope="session")
def sdxl_unet():
    import models

    return comfy.sd.load_diffusion_model(models.sdxl_unet_path())
