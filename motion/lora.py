"""Motion LoRAs (v2_lora_ZoomIn.ckpt and the like): low-rank updates of the temporal attention projections.

`P.attention_blocks.a.processor.to_q_lora.down.weight` [r, C] and its `up.weight` [C, r] update
`P.attention_blocks.a.to_q.weight` (`to_out_lora` updates `to_out.0.weight`): W <- W + strength * (up @ down),
with no division by the rank and biases untouched. The rank is read from the shapes. Applying LoRAs one after
another adds their updates.
"""
import re

import torch

from .errors import MotionModelError
from .files import read_state_dict
from .formats import MODULE_KEY, looks_like
from .model import MotionModel

LORA_KEY = re.compile(r"(?:^|\.)((?:(?:down_blocks|up_blocks)\.\d+|mid_block)\.motion_modules\.\d+\..+)"
                      r"\.processor\.(to_q|to_k|to_v|to_out)_lora\.(down|up)\.weight$")


def apply_motion_lora(module, source, strength):
    """A new MotionModel: `module` with the LoRA at `source` (path or state dict) merged at `strength`.

    Only the updated weights are new tensors (merged in fp32, stored in the module's dtype); every other tensor
    is shared with `module`, which is left unchanged."""
    sd, name = read_state_dict(source)
    label = name or "state dict"
    targets = lora_targets(sd, label)
    weights = module.state_dict()
    if not any(target in weights for target in targets):
        key, target = next((key, target) for target, (key, _, _) in targets.items())
        raise MotionModelError(f"{label}: none of its keys fits this motion model ({module.describe()}): its first "
                               f"key {key} updates {target}, which the model does not have")
    for target, (key, down, up) in targets.items():
        weight = weights.get(target)
        if weight is None:
            continue  # e.g. the mid-block entries of a v2 LoRA on a model without a mid block
        if up.shape[0] != weight.shape[0] or down.shape[1] != weight.shape[1]:
            raise MotionModelError(f"{label}: {key} and its pair give a {up.shape[0]}x{down.shape[1]} update, "
                                   f"expected {weight.shape[0]}x{weight.shape[1]} for {target}")
        up, down = (t.to(weight.device, torch.float32) for t in (up, down))
        weights[target] = torch.addmm(weight.float(), up, down, alpha=strength).to(weight.dtype)
    return MotionModel.skeleton(module.layout, module.source).assign(weights)


def lora_targets(sd, label="state dict"):
    """{name of the updated weight: (first LoRA key, down, up)} for a motion LoRA's state dict."""
    halves = {}
    for key, tensor in sd.items():
        match = LORA_KEY.search(key)
        if match is None:
            continue
        prefix, projection, half = match.groups()
        target = f"{prefix}.{projection}{'.0' if projection == 'to_out' else ''}.weight"
        halves.setdefault(target, {"key": key})[half] = tensor
    if not halves:
        what = ("it is a motion model, not a motion LoRA" if any(MODULE_KEY.search(key) for key in sd)
                else looks_like(list(sd)))
        raise MotionModelError(f"{label}: not a motion LoRA: {what}. Expected keys such as `down_blocks.0.motion_"
                               f"modules.0.temporal_transformer.transformer_blocks.0.attention_blocks.0.processor."
                               f"to_q_lora.down.weight`.")
    targets = {}
    for target, found in halves.items():
        if "down" not in found or "up" not in found:
            raise MotionModelError(f"{label}: {found['key']} has no {'up' if 'down' in found else 'down'} "
                                   f"counterpart; a motion LoRA holds both halves of every update")
        down, up = found["down"], found["up"]
        if down.ndim != 2 or up.ndim != 2 or down.shape[0] != up.shape[1]:
            raise MotionModelError(f"{label}: {found['key']}: down {list(down.shape)} and up {list(up.shape)}, "
                                   f"expected [r, C] and [C, r] with the same rank r")
        targets[target] = (found["key"], down, up)
    return targets
