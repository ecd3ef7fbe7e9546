"""prompts/schedule.py and prompts/blend.py: every syntax, every error, and the blend arithmetic."""
import math

import pytest
import torch

from prompts.blend import blend, common_length, pad_tokens, slerp
from prompts.schedule import ScheduleError, join_prompt, parse_schedule


def by_prompt(schedule, frame):
    """{prompt text: weight} for one frame."""
    return {schedule.prompts[p]: w for p, w in schedule.frames[frame]}


def test_a1111_travel_with_head_and_tail_lines():
    text = "masterpiece, 1girl,\nsolo\n0: smiling\n4: blinking\n6: smirking\nbest quality\nhigh detail"
    s = parse_schedule(text, 8)
    assert s.prompts == ["masterpiece, 1girl, solo, smiling, best quality, high detail",
                         "masterpiece, 1girl, solo, blinking, best quality, high detail",
                         "masterpiece, 1girl, solo, smirking, best quality, high detail"]
    assert by_prompt(s, 0) == {s.prompts[0]: 1.0}
    assert by_prompt(s, 2) == {s.prompts[0]: 0.5, s.prompts[1]: 0.5}
    assert by_prompt(s, 5) == {s.prompts[1]: 0.5, s.prompts[2]: 0.5}
    assert by_prompt(s, 7) == {s.prompts[2]: 1.0}


def test_a1111_text_between_keyframes_is_an_error_at_its_line():
    with pytest.raises(ScheduleError) as e:
        parse_schedule("0: cat\nstray words\n4: dog", 8)
    assert (e.value.line, e.value.column) == (2, 1)
    assert "expected a keyframe line" in str(e.value) and "stray words" in str(e.value)


def test_plain_prompt_is_one_prompt_for_every_frame():
    s = parse_schedule("a paper boat, (pond:1.2)", 5, pre_text="film still", app_text="4k")
    assert s.prompts == ["film still, a paper boat, (pond:1.2), 4k"]
    assert all(parts == [(0, 1.0)] for parts in s.frames) and len(s.frames) == 5


@pytest.mark.parametrize("text", [
    '"0": "cat",\n"8": "dog"',
    '{"0": "cat", "8": "dog"}',
    '{\n  "0" :"cat",\n  "8" :"dog",\n}\n',
    '"0": "cat"\n"8": "dog",,',
    '0: "cat",\n8: "dog"',
])
def test_keyframe_format_with_and_without_braces_and_trailing_commas(text):
    s = parse_schedule(text, 9, pre_text="pre", app_text="app")
    assert s.prompts == ["pre, cat, app", "pre, dog, app"]
    assert by_prompt(s, 4) == {"pre, cat, app": 0.5, "pre, dog, app": 0.5}
    assert by_prompt(s, 8) == {"pre, dog, app": 1.0}


def test_linear_blend_is_truly_linear():
    s = parse_schedule('"0": "a", "10": "b"', 11)
    for i in range(11):
        w = by_prompt(s, i)
        assert math.isclose(w.get("b", 0.0), i / 10) and math.isclose(sum(w.values()), 1.0)


def test_frames_before_first_keyframe_hold_it_and_after_last_hold_last():
    s = parse_schedule('"3": "a", "5": "b"', 8)
    assert [by_prompt(s, i) for i in (0, 2, 3)] == [{"a": 1.0}] * 3
    assert by_prompt(s, 4) == {"a": 0.5, "b": 0.5}
    assert [by_prompt(s, i) for i in (5, 7)] == [{"b": 1.0}] * 2


def test_hold_stops_blending_until_the_next_keyframe():
    s = parse_schedule('"0:": "a", "4": "b", "8": "c"', 9)
    assert [by_prompt(s, i) for i in range(4)] == [{"a": 1.0}] * 4
    assert by_prompt(s, 6) == {"b": 0.5, "c": 0.5}
    a1111 = parse_schedule("0:: a\n4: b\n8: c", 9)
    assert a1111.frames == s.frames


def test_range_is_unblended_inside_and_blends_out_from_its_last_frame():
    s = parse_schedule('"0:4": "a", "7": "b"', 8)
    assert [by_prompt(s, i) for i in range(4)] == [{"a": 1.0}] * 4
    assert by_prompt(s, 4) == {"a": 0.75, "b": 0.25}  # 1 of the 4 steps from frame 3 to frame 7
    assert by_prompt(s, 7) == {"b": 1.0}
    assert parse_schedule("0:4: a\n7: b", 8).frames == s.frames


def test_negative_and_fractional_indexes():
    s = parse_schedule('"0": "a", "-1": "b"', 9)
    assert by_prompt(s, 4) == {"a": 0.5, "b": 0.5} and by_prompt(s, 8) == {"b": 1.0}
    s = parse_schedule('"0": "a", "0.5": "b", "1.0": "c"', 9)
    assert by_prompt(s, 4) == {"b": 1.0} and by_prompt(s, 8) == {"c": 1.0}
    assert by_prompt(s, 2) == {"a": 0.5, "b": 0.5}
    s = parse_schedule('"0:-2": "a", "-1": "b"', 6)  # frames 0..3 unblended
    assert [by_prompt(s, i) for i in range(4)] == [{"a": 1.0}] * 4
    s = parse_schedule('"0:0.5": "a", "1.0": "b"', 8)  # frames 0..3
    assert by_prompt(s, 3) == {"a": 1.0} and "b" in by_prompt(s, 4)


def test_same_prompt_twice_is_one_prompt():
    s = parse_schedule('"0": "a", "4": "b", "8": "a"', 9)
    assert s.prompts == ["a", "b"]


def test_escapes_in_keyframe_strings():
    s = parse_schedule(r'"0": "a \"quoted\" word\\ and \u00e9"', 2)
    assert s.prompts == ['a "quoted" word\\ and \u00e9']


@pytest.mark.parametrize("text, frames, line, column, expected", [
    ('"0": "a",\n"24": "b"', 24, 2, 2, "past the last frame"),
    ("0: a\n30: b", 24, 2, 1, "past the last frame"),
    ('"0": "a",\n"-25": "b"', 24, 2, 2, "before the first frame"),
    ('"0": "a",\n"x": "b"', 24, 2, 2, "is not a frame index"),
    ('"0": "a",\n"1.5": "b"', 24, 2, 2, "outside the clip"),
    ('"0": "a"\n"8" "b"', 24, 2, 5, 'expected ":"'),
    ('"0": "a"\n"8": b', 24, 2, 6, "expected a prompt in double quotes"),
    ('"0": "a",\n"8": "b', 24, 2, 6, "no closing quote"),
    ('"0": "a" "8": "b"', 24, 1, 10, "expected a comma or a new line"),
    ('{"0": "a",\n"8": "b"\n', 24, 3, 1, "closing }"),
    ('{"0": "a"} x', 24, 1, 12, "nothing after the closing }"),
    ('"0": "a",\n"0": "b"', 24, 2, 2, "already has a keyframe"),
    ('"0:8": "a",\n"4": "b"', 24, 2, 2, "inside the range"),
    ('"8:4": "a"', 24, 1, 2, "covers no frame"),
    ('"0:25": "a"', 24, 1, 2, "ends past the clip"),
    ('"0": "a\\q"', 24, 1, 8, "unknown escape"),
])
def test_errors_name_line_column_and_what_was_expected(text, frames, line, column, expected):
    with pytest.raises(ScheduleError) as e:
        parse_schedule(text, frames, source="negative")
    assert (e.value.line, e.value.column) == (line, column), str(e.value)
    assert expected in str(e.value)
    assert str(e.value).startswith(f"negative, line {line}, column {column}: ")


def test_zero_frames_is_an_error():
    with pytest.raises(ScheduleError, match="at least 1 frame"):
        parse_schedule("a", 0)


def test_relative_indexes_landing_on_one_frame_keep_the_later_keyframe():
    s = parse_schedule('"0": "a", "-1": "b"', 1)  # a schedule written for a longer clip, previewed on 1 frame
    assert s.frames == [[(s.prompts.index("b"), 1.0)]]
    s = parse_schedule('"0": "a", "0.5": "b", "-1": "c"', 2)
    assert by_prompt(s, 0) == {"a": 1.0} and by_prompt(s, 1) == {"c": 1.0}


def test_join_prompt_drops_empty_parts_and_doubled_commas():
    assert join_prompt("a,", "", " b ", ",c", None) == "a, b, c"


# ---- blending ------------------------------------------------------------------------------------------------

def test_linear_halfway_is_half_of_each():
    enc = torch.randn(2, 3, 4)
    out = blend(enc, [[(0, 1.0)], [(0, 0.5), (1, 0.5)], [(1, 1.0)]])
    assert torch.equal(out[0], enc[0]) and torch.equal(out[2], enc[1])
    assert torch.allclose(out[1], (enc[0] + enc[1]) / 2, atol=1e-6)


def test_linear_blend_of_a_parsed_schedule_is_linear_per_frame():
    enc = torch.randn(2, 77, 8)
    s = parse_schedule('"0": "a", "8": "b"', 9)
    out = blend(enc, s.frames)
    for i in range(9):
        assert torch.allclose(out[i], enc[0] + (enc[1] - enc[0]) * (i / 8), atol=1e-5)


def test_slerp_keeps_norm_and_is_symmetric():
    a = torch.tensor([[1.0, 0.0]])
    b = torch.tensor([[0.0, 1.0]])
    mid = slerp(a, b, 0.5)
    assert torch.allclose(mid, torch.tensor([[math.sqrt(0.5), math.sqrt(0.5)]]), atol=1e-6)
    assert torch.allclose(slerp(a, b, 0.0), a) and torch.allclose(slerp(a, b, 1.0), b, atol=1e-6)
    quarter = slerp(a, b, 0.25)
    assert torch.allclose(quarter, torch.tensor([[math.cos(math.pi / 8), math.sin(math.pi / 8)]]), atol=1e-6)
    # parallel vectors fall back to linear, with no NaN
    assert torch.allclose(slerp(a, 2 * a, 0.5), 1.5 * a)


def test_slerp_frames_and_unknown_method():
    enc = torch.randn(2, 5, 8)
    out = blend(enc, [[(0, 1.0)], [(0, 0.5), (1, 0.5)]], "slerp")
    assert torch.equal(out[0], enc[0]) and torch.allclose(out[1], slerp(enc[0], enc[1], 0.5))
    with pytest.raises(ValueError, match="linear, slerp"):
        blend(enc, [[(0, 1.0)]], "cubic")


def test_padding_to_a_common_token_length():
    assert common_length([77, 154]) == 154
    assert common_length([154, 231]) == 462
    assert common_length([77 * 4, 77 * 5]) == 77 * 20
    assert common_length([77 * 5, 77 * 7]) == 77 * 7
    c = torch.randn(1, 77, 4)
    padded = pad_tokens(c, 154)
    assert padded.shape == (1, 154, 4) and torch.equal(padded[:, 77:], c)
