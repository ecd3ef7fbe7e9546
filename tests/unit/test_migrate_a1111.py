"""migrate.from_a1111: the A1111 AnimateDiff extension's infotext -> a Tempo workflow with the same settings."""
import os
import sys

import pytest

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TESTS, "harness"))

from migrate import from_a1111  # noqa: E402
from migrate.targets import FALLBACK  # noqa: E402
from workflow import to_api  # noqa: E402

# As the extension writes it (the AnimateDiff block quoted), with prompt travel lines.
INFOTEXT = """masterpiece, best quality
0: a paper boat on a pond
8: a paper boat in the rain
Negative prompt: blurry, lowres
Steps: 25, Sampler: DPM++ 2M Karras, CFG scale: 7.5, Seed: 1234, Size: 512x768, Model hash: 6ce0161689, \
Model: v1-5-pruned-emaonly, Clip skip: 2, AnimateDiff: "model: mm_sd_v15_v2.ckpt, video_length: 24, fps: 12, \
loop_number: 2, closed_loop: N, batch_size: 16, stride: 2, overlap: -1, interp: FILM, interp_x: 3, \
freeinit_enable: False, mm_hash: 69ed0f5f", Version: v1.7.0"""
# An older version: the pairs unquoted, starting with enable.
OLD = """a cat
Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 5, Size: 512x512, Model: dreamshaper_8, AnimateDiff: enable: \
True, model: mm_sd_v15.ckpt, video_length: 16, fps: 8, loop_number: 0, closed_loop: R-P, batch_size: 16, stride: 1, \
overlap: 4, interp: Off, interp_x: 10"""


def prompt_of(text):
    workflow, report = from_a1111(text)
    prompt = to_api(workflow, FALLBACK)
    return {node["class_type"]: node["inputs"] for node in prompt.values()}, {e["node"]: e for e in report}


def test_settings_carried():
    nodes, report = prompt_of(INFOTEXT)
    assert nodes["CheckpointLoaderSimple"]["ckpt_name"] == "v1-5-pruned-emaonly.safetensors"
    assert nodes["TempoLoadMotionModule"]["model_name"] == "mm_sd_v15_v2.ckpt"
    assert nodes["EmptyLatentImage"] == {"width": 512, "height": 768, "batch_size": 24}
    schedule = nodes["TempoPromptSchedule"]
    assert schedule["text"].splitlines() == ["masterpiece, best quality", "0: a paper boat on a pond",
                                             "8: a paper boat in the rain"]
    assert (schedule["negative"], schedule["frames"]) == ("blurry, lowres", 24)
    sampler = nodes["TempoContextWindowSampler"]
    assert {k: sampler[k] for k in ("seed", "steps", "cfg", "sampler_name", "scheduler", "context_length",
                                    "context_overlap", "context_stride", "closed_loop", "context_schedule",
                                    "fuse_method")} == {
        "seed": 1234, "steps": 25, "cfg": 7.5, "sampler_name": "dpmpp_2m", "scheduler": "karras",
        "context_length": 16, "context_overlap": 4, "context_stride": 2, "closed_loop": False,
        "context_schedule": "looped", "fuse_method": "flat"}
    # Deforum's FILM count: round((24·3 - 24) / 23) = 2 in-betweens per pair
    assert nodes["TempoFILMInterpolate"]["multiplier"] == 3
    combine = nodes["TempoVideoCombine"]
    assert (combine["frame_rate"], combine["loop_count"], combine["images"]) == (12.0, 2, ["7", 0])
    assert report["Clip skip"]["status"] == "not converted"
    assert "Model hash" not in report and "Version" not in report


def test_older_unquoted_block():
    nodes, report = prompt_of(OLD)
    assert nodes["TempoLoadMotionModule"]["model_name"] == "mm_sd_v15.ckpt"
    sampler = nodes["TempoContextWindowSampler"]
    assert (sampler["sampler_name"], sampler["scheduler"], sampler["closed_loop"], sampler["context_overlap"]) == \
        ("euler_ancestral", "normal", True, 4)
    assert "TempoFILMInterpolate" not in nodes
    assert nodes["TempoVideoCombine"]["images"] == ["6", 0]
    assert report["AnimateDiff"]["status"] == "approximated"  # closed_loop R-P


@pytest.mark.parametrize("text", ["", "a cat\nSteps: 20, Sampler: Euler a, Seed: 1", 7])
def test_not_an_animatediff_infotext(text):
    with pytest.raises(ValueError, match="a1111"):
        from_a1111(text)


def test_freeinit_on_gets_the_extensions_defaults():
    nodes, report = prompt_of(INFOTEXT.replace("freeinit_enable: False", "freeinit_enable: True"))
    sampler = nodes["TempoContextWindowSampler"]
    assert {k: v for k, v in sampler.items() if k.startswith("freeinit_")} == {
        "freeinit_iterations": 3, "freeinit_filter": "butterworth", "freeinit_order": 4, "freeinit_spatial": 0.25,
        "freeinit_temporal": 0.25}
    assert report["AnimateDiff"]["status"] == "approximated"
    off, _ = prompt_of(INFOTEXT)
    assert off["TempoContextWindowSampler"]["freeinit_iterations"] == 1


def test_img2img_latent_power_and_scale_go_to_the_sampler():
    text = INFOTEXT.replace("mm_hash:", "latent_power: 1.5, latent_scale: 16, latent_power_last: 2, "
                                        "latent_scale_last: 8, mm_hash:")
    nodes, report = prompt_of(text)
    sampler = nodes["TempoContextWindowSampler"]
    assert (sampler["latent_power"], sampler["latent_scale"], sampler["latent_power_last"],
            sampler["latent_scale_last"]) == (1.5, 16.0, 2.0, 8.0)
    assert any("first_image" in note for note in report["AnimateDiff"]["notes"])
