"""LoadMotionModule through a real server: registration, animation, and bad input."""
import numpy as np
import pytest
from comfy_fixtures import saved_images
from graphs import txt2vid
from comfy_server import PromptRejected, execution_error

FRAMES = 8


def test_every_node_is_described(comfy):
    info = comfy.get_json("/object_info")
    ours = {name: node for name, node in info.items() if node["category"].startswith("Tempo/")}
    assert "TempoLoadMotionModule" in ours
    for name, node in ours.items():
        assert node["display_name"], name
        assert node["description"], name
        for group in ("required", "optional"):
            for input_name, spec in node["input"].get(group, {}).items():
                assert len(spec) > 1 and spec[1].get("tooltip"), f"{name}.{input_name} has no tooltip"


@pytest.fixture(scope="module")
def animated(comfy):
    entry = comfy.run(txt2vid(frames=FRAMES, motion="mm_sd_v15_v2.ckpt", prefix="anim").prompt())
    assert entry["status"]["status_str"] == "success", execution_error(entry)
    return entry


def test_animation_has_every_frame_and_they_move(comfy, animated):
    frames = saved_images(comfy, animated)
    assert len(frames) == FRAMES
    diffs = [np.abs(a.astype(int) - b.astype(int)).mean() for a, b in zip(frames, frames[1:])]
    assert min(diffs) > 0.5, diffs


def test_motion_module_changes_the_result(comfy, animated):
    plain = comfy.run(txt2vid(frames=FRAMES, prefix="plain").prompt())
    assert plain["status"]["status_str"] == "success", execution_error(plain)
    with_motion = np.stack(saved_images(comfy, animated)).astype(int)
    without = np.stack(saved_images(comfy, plain)).astype(int)
    assert np.abs(with_motion - without).mean() > 1.0


def test_missing_model_is_refused_by_name_and_server_keeps_serving(comfy):
    with pytest.raises(PromptRejected) as rejected:
        comfy.queue(txt2vid(motion="no_such_motion_model.ckpt").prompt())
    assert "no_such_motion_model.ckpt" in str(rejected.value)
    ok = comfy.run(txt2vid(frames=2, save=False).prompt())
    assert ok["status"]["status_str"] == "success"


@pytest.mark.parametrize("name, expected", [
    ("truncated_motion.ckpt", "truncated_motion.ckpt"),
    ("checkpoint_not_motion.safetensors", "checkpoint"),
])
def test_bad_motion_file_names_the_file(comfy, name, expected):
    entry = comfy.run(txt2vid(frames=2, motion=name, save=False).prompt())
    error = execution_error(entry)
    assert error is not None and expected in error["exception_message"], error
    assert name in error["exception_message"]
    ok = comfy.run(txt2vid(frames=2, save=False).prompt())
    assert ok["status"]["status_str"] == "success"


def test_stacked_motion_loras_change_the_clip(comfy, animated):
    entry = comfy.run(txt2vid(frames=FRAMES, motion="mm_sd_v15_v2.ckpt", prefix="lora",
                              loras=[("v2_lora_ZoomIn.ckpt", 1.0), ("v2_lora_PanLeft.ckpt", -0.5)]).prompt())
    assert entry["status"]["status_str"] == "success", execution_error(entry)
    with_loras = np.stack(saved_images(comfy, entry)).astype(int)
    assert np.abs(with_loras - np.stack(saved_images(comfy, animated)).astype(int)).mean() > 0.5


def test_motion_lora_without_motion_model_says_what_to_do(comfy):
    g = txt2vid(frames=2, save=False)
    sampler = next(node for node in g.nodes.values() if node["class_type"] == "KSampler")
    sampler["inputs"]["model"] = [g.add("TempoApplyMotionLoRA", model=["1", 0], lora_name="v2_lora_ZoomIn.ckpt",
                                             strength=1.0), 0]
    error = execution_error(comfy.run(g.prompt()))
    assert error and "Load Motion Module" in error["exception_message"], error
