"""POST /tempo/migrate on a real server: the other packs' fixture workflows converted with this server's own
node definitions, then validated and run over HTTP on the fixture models (64 px, 1 step, a few frames)."""
import json
import os
import sys
import urllib.error
import urllib.request

import pytest
from comfy_server import execution_error
from example_runs import expected_frames, videos, write_inputs
import models
from workflow import to_api

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures"))
import peer_workflows  # noqa: E402

# Appended, so that the harness's modules stay first: migrate/ is plain Python and imports nothing of ComfyUI.
sys.path.append(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from migrate.targets import FALLBACK  # noqa: E402

DECODED_FORMATS = ("image/gif", "video/h264-mp4", "video/vp9-webm")  # the outputs the test decodes and counts
A1111 = """a paper boat on a pond
Negative prompt: blurry
Steps: 1, Sampler: Euler, CFG scale: 1, Seed: 3, Size: 64x64, Model: v1-5-pruned-emaonly, AnimateDiff: "model: \
mm_sd_v15_v2.ckpt, video_length: 6, fps: 8, loop_number: 0, closed_loop: N, batch_size: 4, stride: 1, overlap: 1, \
interp: FILM, interp_x: 2\""""


@pytest.fixture(scope="module")
def object_info(comfy, models_dir):
    models.populate_examples(models_dir)
    write_inputs(os.path.join(comfy.base, "input"))
    return comfy.get_json("/object_info")


def post(comfy, body):
    """(status, answer) of POST /api/tempo/migrate; body bytes are sent as they are."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(comfy.url + "/api/tempo/migrate", data, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def run_and_count(comfy, prompt):
    entry = comfy.run(prompt)
    assert entry["status"]["status_str"] == "success", execution_error(entry)
    [combine] = [n for n in prompt.values() if n["class_type"] == "TempoVideoCombine"]
    if combine["inputs"]["format"] in DECODED_FORMATS:
        [(_, _, frames)] = videos(comfy, entry)
        made = expected_frames(prompt)
        assert len(frames) == (2 * made - 2 if combine["inputs"]["pingpong"] else made)
    return entry


@pytest.mark.parametrize("name", peer_workflows.WORKFLOWS)
def test_converted_canvas_loads_validates_and_runs(comfy, object_info, name):
    status, answer = post(comfy, peer_workflows.WORKFLOWS[name]().ui())
    assert status == 200 and answer["format"] == "ui"
    assert all(entry["status"] in ("mapped", "approximated") for entry in answer["report"])
    prompt = to_api(answer["workflow"], object_info)  # every node type is on this server, every widget in place
    run_and_count(comfy, prompt)


def test_converted_api_prompt_runs(comfy, object_info):
    status, answer = post(comfy, peer_workflows.gen1_static_freenoise().api())
    assert status == 200 and answer["format"] == "api"
    assert {n["class_type"] for n in answer["workflow"].values()} <= set(object_info)
    run_and_count(comfy, answer["workflow"])


def test_a1111_infotext_runs(comfy, object_info):
    status, answer = post(comfy, {"a1111": A1111})
    assert status == 200
    prompt = to_api(answer["workflow"], object_info)
    film = [n for n in prompt.values() if n["class_type"] == "TempoFILMInterpolate"]
    assert film and film[0]["inputs"]["method"] == models.FILM  # the server's FILM file, found by the route
    run_and_count(comfy, prompt)


def declared(spec):
    """(type, default) of an /object_info input spec. A combo's choices vary by server; text defaults are example
    prompts, and every conversion writes its texts."""
    kind, options = spec[0], (spec[1] if len(spec) > 1 else {})
    if isinstance(kind, list) or kind == "COMBO":
        return "COMBO", None
    return kind, None if kind == "STRING" else options.get("default")


@pytest.mark.parametrize("node", sorted(FALLBACK))
def test_fallback_table_matches_this_version(object_info, node):
    """migrate/targets.py stands in for /object_info when the caller has no server, and a conversion leaves out
    any optional input the table lacks: its inputs must be this version's, in order, with the same defaults."""
    for section in ("required", "optional"):
        ours = FALLBACK[node]["input"][section]
        theirs = object_info[node]["input"].get(section, {})
        assert list(ours) == list(theirs), f"{node} {section} inputs"
        assert {k: declared(v) for k, v in ours.items()} == {k: declared(v) for k, v in theirs.items()}
    assert FALLBACK[node]["output"] == object_info[node]["output"]


@pytest.mark.parametrize("body, message", [(b"{not json", "expected a JSON body"), ([1, 2], "expected a workflow"),
                                           ({"a1111": 5}, "a1111: expected"), ({"1": {"inputs": {}}}, "expected a")])
def test_bad_requests_get_400_naming_what_was_expected(comfy, body, message):
    status, answer = post(comfy, body)
    assert status == 400 and message in answer["error"]
