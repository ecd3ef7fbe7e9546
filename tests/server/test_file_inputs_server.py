"""Every file a prompt names stays inside the ComfyUI folder it belongs to: names leading out (absolute, '..',
symlinks) are refused when the prompt is queued (HTTP 400, node_errors naming the input), and an output prefix
through a symlinked subfolder writes nothing outside. The files outside are made on the server's disk here,
as someone with the machine's files would."""
import os
import uuid

import pytest

from comfy_server import PromptRejected, execution_error
from graphs import Graph, out, txt2vid
from models import FILM
from video_graphs import combine, load_video


@pytest.fixture(scope="module")
def clip_name(comfy):
    """A short MP4 written by Video Combine into output/ (its name, for 'name [output]')."""
    g = Graph()
    frames = g.add("EmptyImage", width=64, height=64, batch_size=3, color=0x446688)
    node = combine(g, out(frames), prefix=f"source_{uuid.uuid4().hex[:8]}")
    entry = comfy.run(g.prompt())
    assert entry["status"]["status_str"] == "success", execution_error(entry)
    return entry["outputs"][node]["videos"][0]["filename"]


@pytest.fixture(scope="module")
def outside(comfy, clip_name):
    """The clip copied beside input/ (in the base folder), and links to it from inside input/: one to the file,
    one to the folder holding it."""
    tag = uuid.uuid4().hex[:8]
    secret = os.path.join(comfy.base, f"secret_{tag}.mp4")
    with open(os.path.join(comfy.base, "output", clip_name), "rb") as source, open(secret, "wb") as target:
        target.write(source.read())
    input_dir = os.path.join(comfy.base, "input")
    os.symlink(secret, os.path.join(input_dir, f"link_{tag}.mp4"))
    os.symlink(comfy.base, os.path.join(input_dir, f"up_{tag}"))
    return {"absolute": secret, "dotdot": f"../secret_{tag}.mp4", "file link": f"link_{tag}.mp4",
            "folder link": f"up_{tag}/secret_{tag}.mp4", "dotdot [output]": f"../secret_{tag}.mp4 [output]",
            "dotdot [temp]": f"../secret_{tag}.mp4 [temp]"}


def rejection(comfy, prompt):
    """The node_errors of a prompt the server refused at queue time."""
    with pytest.raises(PromptRejected) as rejected:
        comfy.queue(prompt)
    return rejected.value.body["node_errors"]


@pytest.mark.parametrize("kind", ["absolute", "dotdot", "file link", "folder link", "dotdot [output]",
                                  "dotdot [temp]"])
def test_load_video_names_leading_out_of_the_input_folder_are_refused_at_queue_time(comfy, outside, kind):
    g = Graph()
    node = load_video(g, outside[kind])
    g.add("PreviewImage", images=out(node))
    (error,) = rejection(comfy, g.prompt())[node]["errors"]
    assert error["extra_info"]["input_name"] == "video"
    assert error["details"].startswith(f"video - video: {outside[kind]!r} leads outside"), error


def test_annotated_names_load_from_their_own_folder(comfy, clip_name):
    g = Graph()
    node = load_video(g, f"{clip_name} [output]")
    g.add("PreviewAny", source=out(node, 1))
    entry = comfy.run(g.prompt())
    assert entry["status"]["status_str"] == "success", execution_error(entry)


def test_load_video_still_gets_the_hosts_range_checks(comfy, clip_name):
    g = Graph()
    node = load_video(g, f"{clip_name} [output]", select_every_nth=0)
    g.add("PreviewImage", images=out(node))
    (error,) = rejection(comfy, g.prompt())[node]["errors"]
    assert error["type"] == "value_smaller_than_min" and error["extra_info"]["input_name"] == "select_every_nth"


# input -> (model folder, a file in it); the names sent reach that file from outside the folder.
MODEL_FILES = {"model_name": ("animatediff_models", "mm_sd_v15_v2.ckpt"),
               "lora_name": ("animatediff_motion_lora", "v2_lora_ZoomIn.ckpt"),
               "method": ("frame_interpolation", FILM)}


def model_graph(input_name, name):
    """A prompt reading the model file `name` through input_name, and the class of the node that reads it."""
    if input_name == "model_name":
        return txt2vid(frames=2, motion=name, save=False), "TempoLoadMotionModule"
    if input_name == "lora_name":
        return txt2vid(frames=2, motion="mm_sd_v15_v2.ckpt", save=False, loras=[(name, 1.0)]), "TempoApplyMotionLoRA"
    g = Graph()
    frames = g.add("EmptyImage", width=64, height=64, batch_size=2, color=0)
    film = g.add("TempoFILMInterpolate", images=out(frames), multiplier=2, method=name, mode="exact times k/m",
                 loop=False)
    g.add("PreviewImage", images=out(film))
    return g, "TempoFILMInterpolate"


@pytest.mark.parametrize("input_name", list(MODEL_FILES))
@pytest.mark.parametrize("how", ["dotdot", "absolute"])
def test_model_names_leading_out_are_refused_at_queue_time(comfy, models_dir, input_name, how):
    # The host's own list check refuses these (the nodes take their names from the folder listing); a name
    # arriving by a link skips it and meets nodes/files.py when the node runs (tests/host/test_file_inputs.py).
    folder, existing = MODEL_FILES[input_name]
    name = f"../{folder}/{existing}" if how == "dotdot" else os.path.join(models_dir, folder, existing)
    g, class_type = model_graph(input_name, name)
    node = next(node_id for node_id, spec in g.nodes.items() if spec["class_type"] == class_type)
    errors = rejection(comfy, g.prompt())[node]["errors"]
    assert [error["extra_info"]["input_name"] for error in errors] == [input_name]
    assert f"'{name}'" in errors[0]["details"], errors


def test_a_prefix_through_a_symlinked_output_subfolder_writes_nothing_outside(comfy, tmp_path):
    link = f"leak_{uuid.uuid4().hex[:8]}"
    os.symlink(tmp_path, os.path.join(comfy.base, "output", link))
    g = Graph()
    frames = g.add("EmptyImage", width=32, height=32, batch_size=2, color=0x336699)
    combine(g, out(frames), "image/gif", prefix=f"{link}/clip")
    error = execution_error(comfy.run(g.prompt()))
    assert error and error["exception_message"].startswith(f"filename_prefix '{link}/clip': leads outside"), error
    assert os.listdir(tmp_path) == []
