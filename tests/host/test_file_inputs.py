"""File names from prompts, as the nodes resolve them in-process: names that lead out of their folder are refused
with the input's name, whichever way they arrive (a linked value skips the host's list check at queue time)."""
import inspect
import os
import shutil

import folder_paths
import models
import pytest

from tempo.nodes.files import FileInputError
from tempo.nodes.interpolate import FILMInterpolate
from tempo.nodes.motion_model import ApplyMotionLoRA, LoadMotionModule
from tempo.nodes.video import LoadVideo


@pytest.fixture
def folders(tmp_path, monkeypatch):
    """input/, output/ and temp/ under tmp_path, a clip in input/, one beside it, and links leading out."""
    for name in ("input", "output", "temp"):
        (tmp_path / name).mkdir()
    monkeypatch.setattr(folder_paths, "get_input_directory", lambda: str(tmp_path / "input"))
    monkeypatch.setattr(folder_paths, "get_output_directory", lambda: str(tmp_path / "output"))
    monkeypatch.setattr(folder_paths, "get_temp_directory", lambda: str(tmp_path / "temp"))
    (tmp_path / "input" / "clip.mp4").write_bytes(b"not read")
    (tmp_path / "output" / "made.mp4").write_bytes(b"not read")
    (tmp_path / "secret.mp4").write_bytes(b"not read")
    os.symlink(tmp_path / "secret.mp4", tmp_path / "input" / "link.mp4")
    os.symlink(tmp_path, tmp_path / "input" / "up")
    return tmp_path


def escapes(root):
    return [str(root / "secret.mp4"), "../secret.mp4", "sub/../../secret.mp4", "link.mp4", "up/secret.mp4",
            "../secret.mp4 [output]", "../../secret.mp4 [temp]", "link.mp4 [input]"]


def test_load_video_refuses_every_name_leading_out_of_its_folder(folders):
    for name in escapes(folders):
        answer = LoadVideo.VALIDATE_INPUTS(video=name)
        assert answer is not True and answer.startswith(f"video: {name!r} leads outside"), (name, answer)
        with pytest.raises(FileInputError, match="^video: .* leads outside"):
            LoadVideo().load(name, 0.0, 0, 1, 0, "none", 0, 0)


def test_load_video_keeps_comfyui_annotated_names_each_in_its_own_folder(folders):
    assert LoadVideo.VALIDATE_INPUTS(video="clip.mp4") is True
    assert LoadVideo.VALIDATE_INPUTS(video="made.mp4 [output]") is True
    assert LoadVideo.VALIDATE_INPUTS(video="clip.mp4 [input]") is True
    assert "no file named 'made.mp4'" in LoadVideo.VALIDATE_INPUTS(video="made.mp4")
    assert LoadVideo.VALIDATE_INPUTS(video=None) is True  # linked: checked when the node runs


def test_load_video_leaves_the_other_inputs_to_the_hosts_range_checks():
    # A **kwargs in VALIDATE_INPUTS would make the host skip min/max/list checks of every input.
    assert inspect.getfullargspec(LoadVideo.VALIDATE_INPUTS).varkw is None


@pytest.fixture
def model_folders(tmp_path, monkeypatch):
    models.populate(str(tmp_path))
    models.link_film(str(tmp_path))
    for name in ("animatediff_models", "animatediff_motion_lora", "frame_interpolation"):
        monkeypatch.setitem(folder_paths.folder_names_and_paths, name,
                            ([str(tmp_path / name)], {".ckpt", ".pt", ".safetensors"}))
    return tmp_path


@pytest.mark.parametrize("call", ["motion", "lora", "film"])
def test_model_names_leading_out_are_refused_not_looked_up_inside(checkpoint, model_folders, call):
    # ComfyUI's get_full_path would read "../x" as "x" inside the folder and load it: a name that says one file
    # and loads another. The file exists under the plain name, so only the refusal stops it.
    motion = LoadMotionModule().load(checkpoint[0], "mm_sd_v15_v2.ckpt", 1.0, 1.0, "auto")["result"][0]
    runs = {"motion": ("model_name", "mm_sd_v15_v2.ckpt",
                       lambda name: LoadMotionModule().load(checkpoint[0], name, 1.0, 1.0, "auto")),
            "lora": ("lora_name", "v2_lora_ZoomIn.ckpt", lambda name: ApplyMotionLoRA().apply(motion, name, 1.0)),
            "film": ("method", models.FILM, lambda name: FILMInterpolate().interpolate(None, 2, name, "", False))}
    input_name, existing, run = runs[call]
    folder = model_folders / {"motion": "animatediff_models", "lora": "animatediff_motion_lora",
                              "film": "frame_interpolation"}[call]
    for name in (f"../{existing}", f"sub/../../{existing}", str(folder / existing)):
        with pytest.raises(FileInputError, match=f"^{input_name}: .* leads outside the model folder"):
            run(name)


def test_symlinked_models_are_followed_as_comfyui_does(model_folders, checkpoint):
    # Every fixture model is a link into the cache, as users link models kept on another disk.
    assert os.path.islink(model_folders / "animatediff_models" / "mm_sd_v15_v2.ckpt")
    assert LoadMotionModule().load(checkpoint[0], "mm_sd_v15_v2.ckpt", 1.0, 1.0, "auto")["result"][0]
    shutil.rmtree(model_folders / "animatediff_models")
    with pytest.raises(FileInputError, match="^model_name: no file named 'mm_sd_v15_v2.ckpt'"):
        LoadMotionModule().load(checkpoint[0], "mm_sd_v15_v2.ckpt", 1.0, 1.0, "auto")
