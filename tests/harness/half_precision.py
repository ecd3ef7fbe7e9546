"""Makes ComfyUI's model management treat the CPU as a device that computes in bf16 or fp16, or stores the UNet
in fp8 and casts, the way a user's flags do on a GPU (`--bf16-unet --bf16-vae --bf16-text-enc`, the fp16 flags,
`--fp8_e4m3fn-unet`). Only the host is changed, never Tempo: the pack must follow whatever the host decides.

On a CPU the host answers "no" to should_use_fp16/bf16, so even with the flags it would cast every layer back to
fp32 (manual cast); saying "yes" for the chosen dtype makes it compute in that dtype, as on a GPU."""
from contextlib import contextmanager

import pytest
import torch

# name -> (the UNet's storage dtype, the host flags that select it, the half dtype the CPU claims to compute in)
PRECISIONS = {
    "fp32": (torch.float32, (), None),
    "bf16": (torch.bfloat16, ("--bf16-unet", "--bf16-vae", "--bf16-text-enc"), torch.bfloat16),
    "fp16": (torch.float16, ("--fp16-unet", "--fp16-vae", "--fp16-text-enc"), torch.float16),
    "fp8": (torch.float8_e4m3fn, ("--fp8_e4m3fn-unet",), None),  # stored in fp8, cast to what the CPU computes in
}


def host_settings(name):
    """(object, attribute, value) of every setting that makes the host store and compute as `name` says.

    Imports ComfyUI here, not at the top: the server launcher reads PRECISIONS before ComfyUI can be imported."""
    import comfy.model_management
    from comfy.cli_args import args

    _, flags, compute = PRECISIONS[name]
    settings = [(args, flag.lstrip("-").replace("-", "_"), True) for flag in flags]
    if compute is not None:
        settings += [(comfy.model_management, "should_use_fp16", lambda *a, **k: compute == torch.float16),
                     (comfy.model_management, "should_use_bf16", lambda *a, **k: compute == torch.bfloat16)]
    return settings


@contextmanager
def computing_in(name):
    """While open, models the host loads are stored and computed as `name` says."""
    with pytest.MonkeyPatch.context() as patch:
        for target, attribute, value in host_settings(name):
            patch.setattr(target, attribute, value)
        yield


def compute_dtype(model_patcher):
    """The dtype the host computes the UNet in (its storage dtype unless it casts)."""
    model = model_patcher.model
    return model.manual_cast_dtype or model.get_dtype()
