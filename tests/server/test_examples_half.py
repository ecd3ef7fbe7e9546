"""Every example workflow over HTTP on a server computing in bf16 or fp16 (the CPU claiming half precision as a GPU
does: tests/harness/half_precision.py), against the same prompt on the fp32 server.

One step instead of the fp32 examples' two keeps the extra servers' runs short (a CPU computes fp16 several times
slower than fp32); everything else is the fixture prompt of tests/server/test_examples.py. fp8 storage runs in the
host tier only (tests/host/test_half_precision.py): it computes in fp32 like the fp32 server, at its cost again."""
import os

import numpy as np
import pytest
from comfy_fixtures import ARTIFACTS
import comfy_server
from example_runs import EXAMPLES, fixture_prompt, run_and_check, write_inputs
import models

# Mean absolute difference from the fp32 frames, in 8-bit levels (the frames' spread is about 110 levels).
# Measured 2.2 to 3.4 in bf16 over the examples, 2.1 in fp16 (FILM's GIF 0.6 and 0.3): fp16 rounds 8 times finer
# than bf16 yet moves the frames about as much, so most of it is the lossy video codec deciding differently on
# slightly different frames. 8 is over twice the largest; NaN or overflow (black or flat frames) fails the checks
# of run_and_check, a half-precision bug that changes the picture moves it by tens of levels.
BOUND_LEVELS = 8.0


@pytest.fixture(scope="module", params=["bf16", "fp16"])
def half_comfy(request, tmp_path_factory, models_dir):
    models.populate_examples(models_dir)
    base = str(tmp_path_factory.mktemp(f"comfy-{request.param}"))
    log = os.path.join(ARTIFACTS, f"server-{os.getpid()}-{os.path.basename(base)}.log")
    server = comfy_server.start(base, models_dir, log, precision=request.param)
    write_inputs(os.path.join(base, "input"))
    yield request.param, server, server.get_json("/object_info")
    server.stop()


@pytest.fixture(scope="module")
def fp32_clips(comfy, models_dir):
    """example -> its clips on the fp32 server, run when a half-precision run first needs them."""
    models.populate_examples(models_dir)
    write_inputs(os.path.join(comfy.base, "input"))
    object_info = comfy.get_json("/object_info")
    cache = {}

    def clips(name):
        if name not in cache:
            cache[name] = run_and_check(comfy, name, fixture_prompt(name, object_info, steps=1))
        return cache[name]
    return clips


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_in_half_precision_stays_near_fp32(half_comfy, fp32_clips, name):
    precision, server, object_info = half_comfy
    clips = run_and_check(server, name, fixture_prompt(name, object_info, steps=1))
    references = fp32_clips(name)
    assert len(clips) == len(references)
    for clip, reference in zip(clips, references):
        levels = np.abs(clip.astype(np.float32) - reference).mean()
        print(f"\n{name} {precision} vs fp32: {levels:.2f} levels")
        assert levels <= BOUND_LEVELS, f"{name}: {precision} frames differ from fp32's by {levels:.1f} levels"
