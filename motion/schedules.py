"""The sampling schedule each motion model was trained with, in the terms of ComfyUI's ModelSamplingDiscrete.

A schedule is a dict: `sampling` is the prediction type ("eps", or "lcm" for ComfyUI's distilled LCM sampling),
the rest are ModelSamplingDiscrete's `sampling_settings`. ComfyUI names beta schedules as the ldm code does:
"sqrt_linear" has β linear from linear_start to linear_end (diffusers calls that "linear"), "linear" has √β
linear (diffusers "scaled_linear"), which is SD1.5's and SDXL's own schedule. None keeps the image model's
schedule untouched. Sampling with a schedule the motion model was not trained with washes colours out.
"""
SQRT_LINEAR = {"sampling": "eps", "beta_schedule": "sqrt_linear", "linear_start": 0.00085, "linear_end": 0.012}
# AnimateDiff's SDXL branch: diffusers "scaled_linear" with β ending at 0.020 instead of SDXL's 0.012.
SDXL_BETA = {"sampling": "eps", "beta_schedule": "linear", "linear_start": 0.00085, "linear_end": 0.020}
# AnimateLCM samples with LCM over the AnimateDiff training schedule (its LCMScheduler uses diffusers "linear").
LCM = {"sampling": "lcm", "beta_schedule": "sqrt_linear", "linear_start": 0.00085, "linear_end": 0.012}

TRAINING = {"v1": SQRT_LINEAR, "v2": SQRT_LINEAR, "v3": SQRT_LINEAR, "community": SQRT_LINEAR,
            "animatelcm": LCM, "sdxl_beta": SDXL_BETA, "hotshotxl": None}  # Hotshot-XL trained on SDXL's own

# Choices for a schedule override, "auto" first: the schedule the loaded variant was trained with.
SCHEDULE_CHOICES = ["auto", "sqrt_linear (AnimateDiff)", "linear (AnimateDiff SDXL beta)", "lcm (AnimateLCM)",
                    "model's own"]
OVERRIDES = dict(zip(SCHEDULE_CHOICES[1:], (SQRT_LINEAR, SDXL_BETA, LCM, None)))


def training_schedule(variant):
    schedule = TRAINING[variant]
    return None if schedule is None else dict(schedule)


def schedule_for(choice, variant):
    """The schedule for an override choice: "auto" is the variant's training schedule."""
    if choice == "auto":
        return training_schedule(variant)
    if choice not in OVERRIDES:
        raise ValueError(f"beta_schedule {choice!r}: expected one of {', '.join(SCHEDULE_CHOICES)}")
    schedule = OVERRIDES[choice]
    return None if schedule is None else dict(schedule)
