"""The SparseCtrl example over HTTP, checked for where its keyframes act: with static windows, changing the last
keyframe's image changes the frames of the window that holds it and leaves the frames of windows that never
see it bit for bit the same (saved as PNG, so no video codec mixes frames)."""
import os

import numpy as np
import pytest
from comfy_fixtures import saved_images
from comfy_server import execution_error
from example_runs import fixture_prompt, write_inputs
import models

FRAMES = 10
# Static windows of 4 with overlap 1 over 10 frames: [0-3], [3-6], [6-9]. After two steps the change made in
# [6-9] has reached frame 3 through [3-6]; frames 0-2 only ever see windows without the last keyframe.
UNTOUCHED, CHANGED = range(0, 3), range(6, FRAMES)


@pytest.fixture(scope="module")
def object_info(comfy, models_dir):
    models.populate_examples(models_dir)
    write_inputs(os.path.join(comfy.base, "input"))
    return comfy.get_json("/object_info")


def frames(comfy, object_info, last_image):
    prompt = fixture_prompt("sparsectrl_keyframes", object_info)
    by_type = {node["class_type"]: (node_id, node) for node_id, node in prompt.items()}
    assert by_type["TempoSparseKeyframes"][1]["inputs"]["frames"] == FRAMES
    by_type["TempoContextWindowSampler"][1]["inputs"]["context_schedule"] = "static"
    loads = sorted((node_id for node_id, node in prompt.items() if node["class_type"] == "LoadImage"),
                   key=lambda node_id: prompt[node_id]["inputs"]["image"] != "start_frame.png")
    prompt[loads[1]]["inputs"]["image"] = last_image
    del prompt[by_type["TempoVideoCombine"][0]]
    prompt["save"] = {"class_type": "SaveImage", "inputs": {"images": [by_type["VAEDecode"][0], 0],
                                                            "filename_prefix": "sparsectrl"}}
    entry = comfy.run(prompt, timeout=300)
    assert entry["status"]["status_str"] == "success", execution_error(entry)
    images = saved_images(comfy, entry)
    assert len(images) == FRAMES
    return np.stack(images).astype(np.int16)


def test_last_keyframe_reaches_only_the_windows_that_hold_it(comfy, object_info):
    original = frames(comfy, object_info, "end_frame.png")
    changed = frames(comfy, object_info, "start_frame.png")
    for f in UNTOUCHED:
        assert np.array_equal(original[f], changed[f]), f"frame {f} has no keyframe in its windows but changed"
    # Exact equality, not a threshold: the fixture VAE saturates most pixels, so a changed frame moves by a few
    # hundredths of a level on average (0.01 to 0.06 measured).
    for f in CHANGED:
        assert not np.array_equal(original[f], changed[f]), f"frame {f}'s window holds the keyframe: it must change"
