"""POST /tempo/prompt_schedule/validate: what Prompt Schedule's status line asks while the user types."""
import json
import urllib.error

import pytest

ROUTE = "/api/tempo/prompt_schedule/validate"
SCHEDULE = '"0": "a paper boat on a calm pond",\n"8": "a paper boat in heavy rain",\n'


def ask(comfy, body, path=ROUTE):
    try:
        return 200, json.loads(comfy.request(path, body))
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_a_valid_schedule_gives_frames_keyframes_and_prompts(comfy):
    status, answer = ask(comfy, {"text": SCHEDULE, "frames": 16, "negative": "blurry"})
    assert status == 200
    assert answer == {"ok": True, "frames": 16, "keyframes": 2, "prompts": 2, "negative_keyframes": 0}


def test_the_route_answers_without_the_api_prefix_too(comfy):
    assert ask(comfy, {"text": SCHEDULE, "frames": 16}, "/tempo/prompt_schedule/validate")[1]["ok"]


@pytest.mark.parametrize("body, field, line, words", [
    ({"text": SCHEDULE + '"24": "stars",', "frames": 16}, "text", 3, "past the last frame"),
    ({"text": '"0": "a boat",\n"4" "rain"', "frames": 16}, "text", 2, 'expected ":"'),
    ({"text": SCHEDULE, "frames": 16, "negative": '"0": "blurry",\n"99": "dark"'}, "negative", 2, "past the last"),
    ({"text": "0: a boat\n20: rain", "frames": 16}, "text", 2, "past the last frame"),
])
def test_errors_name_the_input_line_and_column(comfy, body, field, line, words):
    status, answer = ask(comfy, body)
    assert status == 200 and answer["ok"] is False, answer
    error = answer["error"]
    assert error["input"] == field and error["line"] == line and error["column"] >= 1, error
    assert error["message"].startswith(f"{field}, line {line}, column {error['column']}:"), error
    assert words in error["message"], error


def test_the_same_text_as_the_node_accepts_runs(comfy):
    """pre_text and app_text change the prompts, not the keyframes; holds and ranges count as keyframes."""
    status, answer = ask(comfy, {"text": "0:: calm\n8: rain\n-1: snow", "frames": 24, "pre_text": "a boat",
                                 "app_text": "detailed"})
    assert status == 200 and answer["ok"] and answer["keyframes"] == 3 and answer["prompts"] == 3, answer


@pytest.mark.parametrize("body, words", [
    ([1, 2], "JSON object"),
    ({"text": 5, "frames": 16}, "text: expected str"),
    ({"text": "", "frames": "16"}, "frames: expected int"),
    ({"text": "", "frames": 0}, "frames: expected 1 to"),
])
def test_malformed_requests_get_400_with_the_reason(comfy, body, words):
    status, answer = ask(comfy, body)
    assert status == 400 and words in answer["error"], answer
