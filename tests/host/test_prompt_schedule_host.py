"""PromptSchedule with the host's CLIP (its use by the stock KSampler is tested over HTTP, tests/server)."""
import nodes as comfy_nodes
import torch

from tempo.nodes.prompt_schedule import PromptEncoder, PromptSchedule, scheduled_conditioning
from tempo.prompts.schedule import parse_schedule


def clip_text_encode(clip, text):
    return comfy_nodes.CLIPTextEncode().encode(clip, text)[0]


def test_keyframes_are_exactly_clip_text_encode_and_halfway_is_the_mean(checkpoint):
    _, clip, _ = checkpoint
    positive, negative, described = PromptSchedule().encode(
        clip, '"0": "a (red:1.3) boat", "4": "a blue boat"', 5, "linear", negative="blurry")
    cond, extras = positive[0]
    red, red_extras = clip_text_encode(clip, "a (red:1.3) boat")[0]
    blue, blue_extras = clip_text_encode(clip, "a blue boat")[0]
    assert cond.shape == (5, 77, 768) and extras["pooled_output"].shape == (5, 768)
    assert torch.equal(cond[0], red[0]) and torch.equal(cond[4], blue[0])
    assert torch.allclose(cond[2], (red[0] + blue[0]) / 2, atol=1e-5)
    pooled = extras["pooled_output"]
    assert torch.allclose(pooled[2], (red_extras["pooled_output"][0] + blue_extras["pooled_output"][0]) / 2,
                          atol=1e-5)
    neg = negative[0][0]
    assert neg.shape[0] == 5 and torch.equal(neg[3], clip_text_encode(clip, "blurry")[0][0][0])
    assert "0.5 * 'a (red:1.3) boat'" in described.splitlines()[2]


def test_prompts_of_different_lengths_are_padded_not_crashing(checkpoint):
    _, clip, _ = checkpoint
    long_prompt = ", ".join(["a very detailed paper boat on a pond"] * 12)  # > 77 tokens: two chunks
    positive, _, _ = PromptSchedule().encode(clip, f'"0": "short", "2": "{long_prompt}"', 3, "slerp")
    cond = positive[0][0]
    assert cond.shape == (3, 154, 768)
    short = clip_text_encode(clip, "short")[0][0]
    assert torch.equal(cond[0, :77], short[0]) and torch.equal(cond[0, 77:], short[0])
    assert torch.equal(cond[2], clip_text_encode(clip, long_prompt)[0][0][0])


def test_each_distinct_prompt_is_encoded_once(checkpoint):
    _, clip, _ = checkpoint
    encoder = PromptEncoder(clip)
    schedule = parse_schedule('"0": "a", "8": "b", "16": "a", "24": "b", "31": "c"', 32)
    scheduled_conditioning(encoder, schedule)
    scheduled_conditioning(encoder, parse_schedule("b", 32))
    assert encoder.calls == 3
