"""Every example workflow, as a user queues it: the UI-format file converted to an API prompt with /object_info,
run over HTTP on the fixture models, its video downloaded through /view and decoded.

The only changes to a file are fixture sizes (64x64, 2 steps, cfg 1, shorter clips: example_runs.py), applied to
the API prompt by node type, so the run stays short on two CPU cores. Each example's run time is written to
test-artifacts/example_timings.txt (measured, never asserted).
"""
import os
import time

import pytest
from comfy_fixtures import ARTIFACTS
from comfy_server import execution_error
from example_runs import (EXAMPLES, EXAMPLES_DIR, expected_frames, fixture_prompt, load_example, run_and_check,
                          videos, write_inputs)
import models
from workflow import to_api


def cpu_seconds(pid):
    """CPU time (user + system) a process has used so far, from /proc: run costs without other load's noise."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture(scope="module")
def object_info(comfy, models_dir):
    """Links every model the examples name into the server's models folder and puts their input files in its
    input folder; /object_info read afterwards lists them, as on a user's machine."""
    models.populate_examples(models_dir)
    write_inputs(os.path.join(comfy.base, "input"))
    return comfy.get_json("/object_info")


@pytest.fixture(scope="module")
def timings():
    measured = {}
    yield measured
    if measured:
        with open(os.path.join(ARTIFACTS, "example_timings.txt"), "w") as f:
            f.write("example\twall s\tserver CPU s\n")
            for name, (wall, cpu) in measured.items():
                f.write(f"{name}\t{wall:.1f}\t{cpu:.1f}\n")


def test_every_issue_example_is_there():
    assert set(EXAMPLES) >= {"txt2vid", "long_clip_context_windows", "prompt_travel", "motion_lora",
                             "img2img_start_end", "vid2vid_controlnet", "sdxl", "animatelcm", "lightning_4step",
                             "film_x4_gif", "seamless_loop", "sparsectrl_keyframes"}


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_has_a_note_and_user_defaults(name):
    workflow = load_example(name)
    notes = [n for n in workflow["nodes"] if n["type"] in ("Note", "MarkdownNote")]
    assert notes and all(len(n["widgets_values"][0]) > 100 for n in notes), "every example explains itself"
    ids = [n["id"] for n in workflow["nodes"]]
    assert len(ids) == len(set(ids)) and workflow["last_node_id"] == max(ids)
    assert workflow["last_link_id"] == max((link[0] for link in workflow["links"]), default=0)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_links_are_listed_at_both_ends(name):
    """As the frontend saves a graph: its workflow validation reports (and patches) every link missing at one end."""
    workflow = load_example(name)
    nodes = {n["id"]: n for n in workflow["nodes"]}
    for link_id, origin, slot, target, target_slot, _kind in workflow["links"]:
        assert link_id in nodes[origin]["outputs"][slot]["links"], (name, link_id)
        assert nodes[target]["inputs"][target_slot]["link"] == link_id, (name, link_id)
    listed = sorted(i for n in nodes.values() for o in n.get("outputs", []) for i in o["links"] or [])
    assert listed == sorted(link[0] for link in workflow["links"]), name
    assert os.path.exists(os.path.join(EXAMPLES_DIR, f"{name}.jpg")), "the template browser shows <name>.jpg"


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_runs_over_http(comfy, object_info, timings, name):
    prompt = fixture_prompt(name, object_info)
    start, cpu = time.monotonic(), cpu_seconds(comfy.process.pid)
    run_and_check(comfy, name, prompt)
    timings[name] = (time.monotonic() - start, cpu_seconds(comfy.process.pid) - cpu)


def test_ten_mixed_prompts_queued_back_to_back_all_complete(comfy, object_info):
    """Ten prompts of five examples queued at once, each with its own seed (so nothing comes from the cache but
    the loaded models): every one finishes with its video."""
    mixed = [name for name in ("txt2vid", "prompt_travel", "motion_lora", "animatelcm", "img2img_start_end")
             if name in EXAMPLES]
    queued = []
    for i in range(10):
        name = mixed[i % len(mixed)]
        prompt = fixture_prompt(name, object_info, seed=1000 + i)
        for node in prompt.values():
            if node["class_type"] == "EmptyLatentImage" and name != "prompt_travel":
                node["inputs"]["batch_size"] = 4
        queued.append((name, prompt, comfy.queue(prompt)))
    for name, prompt, prompt_id in queued:
        entry = comfy.wait(prompt_id, timeout=300)
        assert entry["status"]["status_str"] == "success", (name, execution_error(entry))
        produced = videos(comfy, entry)
        assert produced and len(produced[0][2]) == expected_frames(prompt), name


def test_object_info_describes_every_input_of_every_tempo_node(object_info):
    ours = {name: node for name, node in object_info.items() if node["category"].startswith("Tempo/")}
    assert {"TempoLoadMotionModule", "TempoApplyMotionLoRA", "TempoPromptSchedule", "TempoContextWindowSampler", "TempoVideoCombine",
            "TempoLoadVideo", "TempoFILMInterpolate"} <= set(ours)
    missing = []
    for name, node in ours.items():
        for field in ("display_name", "description"):
            if not node.get(field):
                missing.append(f"{name}: {field}")
        for group in ("required", "optional"):
            for input_name, spec in node["input"].get(group, {}).items():
                if not (len(spec) > 1 and spec[1].get("tooltip")):
                    missing.append(f"{name}.{input_name}: tooltip")
    assert not missing, missing


def test_every_example_node_and_model_exists(object_info):
    for name in EXAMPLES:
        prompt = to_api(load_example(name), object_info)
        for node_id, node in prompt.items():
            declared = object_info[node["class_type"]]["input"]
            for group in ("required", "optional"):
                for input_name, spec in declared.get(group, {}).items():
                    value = node["inputs"].get(input_name)
                    if isinstance(spec[0], list) and value is not None and not isinstance(value, list):
                        assert value in spec[0], f"{name}: node {node_id} {input_name}={value!r} is not offered"
