"""The example workflows (example_workflows/*.json) as the server and browser tiers run them.

    EXAMPLES, load_example(name)             the files (workflow.to_api makes the API prompt of one)
    fixture_prompt(name, object_info, seed)  an example's API prompt with fixture sizes: 64x64, 2 steps, cfg 1,
                                             shorter clips
    write_inputs(input_dir)                  the images and the video the examples load from ComfyUI's input folder
    videos(comfy, entry)                     every video a finished prompt wrote, decoded
    run_and_check(comfy, name, prompt)       runs a prompt; checks it succeeds with clips of the expected frames
"""
import io
import json
import os

import av
import numpy as np

from comfy_server import CHECKOUT, execution_error
from workflow import to_api

EXAMPLES_DIR = os.path.join(CHECKOUT, "example_workflows")
EXAMPLES = sorted(name[:-5] for name in os.listdir(EXAMPLES_DIR) if name.endswith(".json"))

SIZE = 64
STEPS = 2
INPUT_FRAMES = 12  # frames of the fixture input video
INPUT_FILES = {"start_frame.png": ("image", 1), "end_frame.png": ("image", 2), "input_video.mp4": ("video", 0)}

# node type -> inputs replaced in every example (fixture sizes; the graph itself is left as the file has it).
# cfg 1 lets the host skip the unconditional pass, which halves the cost of every step.
FIXTURE_SIZES = {
    "EmptyLatentImage": {"width": SIZE, "height": SIZE},
    "KSampler": {"steps": STEPS, "cfg": 1.0},
    "TempoContextWindowSampler": {"steps": STEPS, "cfg": 1.0},
    "TempoLoadVideo": {"custom_width": SIZE, "custom_height": SIZE},
}
# example -> {node type: inputs}: shorter clips (still longer than their windows where the example has windows)
PER_EXAMPLE = {
    "txt2vid": {"EmptyLatentImage": {"batch_size": 6}},
    "long_clip_context_windows": {"EmptyLatentImage": {"batch_size": 10},
                                  "TempoContextWindowSampler": {"context_length": 4, "context_overlap": 1}},
    "prompt_travel": {"EmptyLatentImage": {"batch_size": 7},
                      "TempoContextWindowSampler": {"context_length": 4, "context_overlap": 1},
                      "TempoPromptSchedule": {"text": '"0": "a paper boat on a calm pond",\n"3": "a paper boat in the '
                                                 'rain",\n"6": "a paper boat in the snow"'}},
    "motion_lora": {"EmptyLatentImage": {"batch_size": 6}},
    "img2img_start_end": {"EmptyLatentImage": {"batch_size": 6}, "TempoContextWindowSampler": {"latent_scale": 6.0,
                                                                                         "latent_scale_last": 6.0}},
    "vid2vid_controlnet": {"TempoLoadVideo": {"frame_load_cap": 5},
                           "TempoContextWindowSampler": {"context_length": 3, "context_overlap": 1}},
    "sdxl": {"EmptyLatentImage": {"batch_size": 4}},
    "animatelcm": {"EmptyLatentImage": {"batch_size": 6}},
    "lightning_4step": {"EmptyLatentImage": {"batch_size": 6}},
    "film_x4_gif": {"EmptyLatentImage": {"batch_size": 4}},
    "seamless_loop": {"EmptyLatentImage": {"batch_size": 8},
                      "TempoContextWindowSampler": {"context_length": 4, "context_overlap": 1}},
    # keyframes on frames 0 and 9: windows of 4 (overlap 1) over 10 frames leave the middle ones without a keyframe
    "sparsectrl_keyframes": {"EmptyLatentImage": {"batch_size": 10}, "TempoSparseKeyframes": {"frames": 10},
                             "TempoContextWindowSampler": {"context_length": 4, "context_overlap": 1}},
}


def load_example(name):
    with open(os.path.join(EXAMPLES_DIR, f"{name}.json")) as f:
        return json.load(f)


# ---- fixture runs ----------------------------------------------------------------------------------------------

def fixture_prompt(name, object_info, seed=None, steps=STEPS):
    prompt = to_api(load_example(name), object_info)
    for node in prompt.values():
        for table in (FIXTURE_SIZES, PER_EXAMPLE.get(name, {})):
            node["inputs"].update(table.get(node["class_type"], {}))
        if "steps" in FIXTURE_SIZES.get(node["class_type"], {}):
            node["inputs"]["steps"] = steps
        if seed is not None and "seed" in node["inputs"]:
            node["inputs"]["seed"] = seed
    return prompt


def write_inputs(input_dir):
    import example_files  # tests/fixtures, on sys.path through models

    for name, (kind, seed) in INPUT_FILES.items():
        path = os.path.join(input_dir, name)
        if kind == "image":
            example_files.write_image(path, seed=seed, size=SIZE)
        else:
            example_files.write_video(path, frames=INPUT_FRAMES, size=SIZE)


def expected_frames(prompt):
    """Frames the clip should have: the latent batch or the frames Load Video reads, times FILM's multiplier."""
    frames = None
    for node in prompt.values():
        if node["class_type"] == "EmptyLatentImage":
            frames = node["inputs"]["batch_size"]
        elif node["class_type"] == "TempoLoadVideo":
            cap = node["inputs"]["frame_load_cap"]
            frames = min(cap, INPUT_FRAMES) if cap else INPUT_FRAMES
    assert frames is not None, "no frame source in the prompt"
    for node in prompt.values():
        if node["class_type"] == "TempoFILMInterpolate":
            m = node["inputs"]["multiplier"]
            frames = frames * m if node["inputs"]["loop"] else (frames - 1) * m + 1
    return frames


def decode(data):
    with av.open(io.BytesIO(data)) as container:
        return np.stack([frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)])


def videos(comfy, entry):
    """(node id, preview entry, frames) of every video or GIF the prompt wrote."""
    found = []
    for node_id, output in entry["outputs"].items():
        for item in output.get("videos", []) + output.get("gifs", []):
            found.append((node_id, item, decode(comfy.view(item["filename"], item["subfolder"], item["type"]))))
    return found


def run_and_check(comfy, name, prompt, timeout=300):
    """Runs the prompt; checks it succeeded and wrote clips of the expected frames that change from frame to frame.
    Returns the clips (frames x SIZE x SIZE x 3, uint8)."""
    entry = comfy.run(prompt, timeout=timeout)
    assert entry["status"]["status_str"] == "success", execution_error(entry)
    produced = videos(comfy, entry)
    assert produced, f"{name}: no video in the outputs {list(entry['outputs'])}"
    frames = expected_frames(prompt)
    for _, _, clip in produced:
        assert clip.shape[1:] == (SIZE, SIZE, 3), (name, clip.shape)
        assert len(clip) == frames, (name, len(clip), frames)
        steps = np.abs(np.diff(clip.astype(np.int16), axis=0)).mean(axis=(1, 2, 3))
        assert steps.max() > 0.5, f"{name}: the frames do not change"
    return [clip for _, _, clip in produced]
