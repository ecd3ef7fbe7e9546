"""Training schedules in ComfyUI's ModelSamplingDiscrete terms, and the override choices."""
import pytest

from motion.schedules import SCHEDULE_CHOICES, schedule_for, training_schedule

ANIMATEDIFF = {"sampling": "eps", "beta_schedule": "sqrt_linear", "linear_start": 0.00085, "linear_end": 0.012}


@pytest.mark.parametrize("variant", ["v1", "v2", "v3", "community"])
def test_sd15_modules_use_the_animatediff_schedule(variant):
    # ComfyUI's "sqrt_linear" is β linear from start to end: diffusers' "linear", which AnimateDiff trained with.
    assert training_schedule(variant) == ANIMATEDIFF


def test_sdxl_beta_ends_at_0_020_linear_in_sqrt_beta():
    assert training_schedule("sdxl_beta") == {"sampling": "eps", "beta_schedule": "linear", "linear_start": 0.00085,
                                              "linear_end": 0.020}


def test_hotshot_keeps_the_model_schedule_and_animatelcm_samples_lcm():
    assert training_schedule("hotshotxl") is None
    assert training_schedule("animatelcm") == {**ANIMATEDIFF, "sampling": "lcm"}


def test_choices():
    assert SCHEDULE_CHOICES[0] == "auto"
    assert schedule_for("auto", "sdxl_beta") == training_schedule("sdxl_beta")
    assert schedule_for("sqrt_linear (AnimateDiff)", "hotshotxl") == ANIMATEDIFF
    assert schedule_for("linear (AnimateDiff SDXL beta)", "v2")["linear_end"] == 0.020
    assert schedule_for("lcm (AnimateLCM)", "v3")["sampling"] == "lcm"
    assert schedule_for("model's own", "v2") is None
    assert all(choice == "auto" or schedule_for(choice, "v2") != "x" for choice in SCHEDULE_CHOICES)
    with pytest.raises(ValueError, match="expected one of auto"):
        schedule_for("cosine", "v2")


def test_returned_schedules_are_copies():
    training_schedule("v2")["linear_end"] = 1.0
    assert training_schedule("v2") == ANIMATEDIFF
