"""PromptSchedule: CLIP + schedule text + frame count -> per-frame CONDITIONING (one entry per frame).

The output works with the stock KSampler (latent batch = frames) and with ContextWindowSampler, which slices it
per window. Prompts go through the host's own tokenizer and encoder, so weights like (word:1.2) and embeddings
behave as in CLIPTextEncode.
"""
import torch

from ..prompts.blend import METHODS, blend, common_length, pad_tokens
from ..prompts.schedule import parse_schedule

EXAMPLE = '"0": "a paper boat on a calm pond",\n"8": "a paper boat in heavy rain",\n'


class PromptEncoder:
    """Encodes each distinct prompt once for the lifetime of the object (one node execution)."""

    def __init__(self, clip):
        self.clip = clip
        self.cache = {}
        self.calls = 0

    def __call__(self, text):
        if text not in self.cache:
            self.calls += 1
            encoded = self.clip.encode_from_tokens_scheduled(self.clip.tokenize(text))
            if len(encoded) != 1:
                raise ValueError(f"PromptSchedule: this CLIP carries scheduled hooks ({len(encoded)} encodings per "
                                 f"prompt); expected a CLIP without CLIP hook keyframes")
            cond, extras = encoded[0]
            self.cache[text] = (cond, dict(extras))
        return self.cache[text]


def scheduled_conditioning(encoder, schedule, method="linear"):
    """CONDITIONING with one row per frame: the schedule's prompts encoded, padded to one token length and
    blended per frame; every per-prompt tensor in the extras (the pooled output) is blended the same way."""
    encoded = [encoder(p) for p in schedule.prompts]
    length = common_length([cond.shape[1] for cond, _ in encoded])
    stacked = torch.cat([pad_tokens(cond, length) for cond, _ in encoded])
    cond = blend(stacked, schedule.frames, method)
    extras = dict(encoded[0][1])
    for key, value in encoded[0][1].items():
        values = [e.get(key) for _, e in encoded]
        if (isinstance(value, torch.Tensor) and value.ndim >= 1 and value.shape[0] == 1
                and all(isinstance(v, torch.Tensor) and v.shape == value.shape for v in values)):
            extras[key] = blend(torch.cat(values), schedule.frames, method)
    return [[cond, extras]]


class PromptSchedule:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "clip": ("CLIP", {"tooltip": "The text encoder, as for CLIPTextEncode."}),
                "text": ("STRING", {
                    "multiline": True, "default": EXAMPLE,
                    "tooltip": "The schedule. Keyframes as \"frame\": \"prompt\" pairs (braces and trailing commas "
                               "optional), or A1111 prompt travel lines N: prompt with head lines before and tail "
                               "lines after. A frame may be negative (-1 is the last), a fraction (0.5 is halfway), "
                               "a range a:b (b excluded, no blending inside) or a hold a: (no blending until the "
                               "next keyframe). Prompt weights (word:1.2) and embeddings work as in CLIPTextEncode."}),
                "frames": ("INT", {
                    "default": 16, "min": 1, "max": 100000,
                    "tooltip": "Frames in the clip: the latent batch size. A keyframe past the last frame is an "
                               "error. Ignored when a latent is connected."}),
                "interpolation": (list(METHODS), {
                    "default": "linear",
                    "tooltip": "How frames between two keyframes blend the two prompts: linear (halfway is "
                               "exactly half of each) or slerp (spherical, keeps the embedding's length)."}),
            },
            "optional": {
                "pre_text": ("STRING", {"multiline": True, "default": "",
                                        "tooltip": "Text put before every keyframe's prompt."}),
                "app_text": ("STRING", {"multiline": True, "default": "",
                                        "tooltip": "Text put after every keyframe's prompt."}),
                "negative": ("STRING", {
                    "multiline": True, "default": "",
                    "tooltip": "Negative prompt: plain text for every frame, or a schedule in the same syntax."}),
                "latent": ("LATENT", {"tooltip": "Optional: takes the frame count from this latent batch."}),
            },
        }

    RETURN_TYPES = ("CONDITIONING", "CONDITIONING", "STRING")
    RETURN_NAMES = ("positive", "negative", "schedule")
    OUTPUT_TOOLTIPS = ("One conditioning row per frame, for KSampler (batch = frames) or ContextWindowSampler.",
                       "The negative prompt, one row per frame.",
                       "Each frame's prompts and weights, as text, to check the schedule.")
    FUNCTION = "encode"
    CATEGORY = "Tempo/prompt"
    DESCRIPTION = ("Prompt travel: encodes a schedule of prompts into conditioning with one entry per frame, "
                   "blending prompts between keyframes. Each distinct prompt is encoded once; prompts of "
                   "different lengths are padded to a common length.")

    def encode(self, clip, text, frames, interpolation, pre_text="", app_text="", negative="", latent=None):
        if latent is not None:
            frames = int(latent["samples"].shape[0])
        positive = parse_schedule(text, frames, pre_text, app_text, source="text")
        negative_schedule = parse_schedule(negative, frames, source="negative")
        encoder = PromptEncoder(clip)
        return (scheduled_conditioning(encoder, positive, interpolation),
                scheduled_conditioning(encoder, negative_schedule, interpolation),
                positive.describe())


NODE_CLASS_MAPPINGS = {"TempoPromptSchedule": PromptSchedule}
NODE_DISPLAY_NAME_MAPPINGS = {"TempoPromptSchedule": "Prompt Schedule"}
