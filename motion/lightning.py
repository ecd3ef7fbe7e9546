"""AnimateDiff-Lightning (ByteDance, 2024): the v2 motion model distilled for 1, 2, 4 or 8 sampling steps.

A Lightning file is a v2 file (same layout, same math, trained on the same v2 beta schedule), so it loads as v2
and nothing about its computation depends on its name. The name tells only how its authors say to sample it:
their step count, cfg 1, the Euler sampler and ComfyUI's sgm_uniform scheduler (diffusers: Euler with
"trailing" timestep spacing over the v2 "linear" betas). The node reports that beside the variant.
"""
import re

NAME = re.compile(r"animatediff_lightning_(\d+)step", re.IGNORECASE)
SAMPLING = {"cfg": 1.0, "sampler_name": "euler", "scheduler": "sgm_uniform"}


def lightning_steps(name):
    """The step count a Lightning file was distilled for, from its released name; None for other files."""
    match = NAME.search(name or "")
    return int(match.group(1)) if match else None


def sampling_note(steps):
    return (f"AnimateDiff-Lightning {steps}-step: sample with {steps} steps, cfg {SAMPLING['cfg']:g}, "
            f"sampler {SAMPLING['sampler_name']}, scheduler {SAMPLING['scheduler']}")
