"""Motion LoRAs (v2_lora_ZoomIn.ckpt and the like): low-rank updates of the temporal attention projections.

`P.attention_blocks.a.processor.to_q_lora.down.weight` [r, C] and its `up.weight` [C, r] update
`P.attention_blocks.a.to_q.weight` (`to_out_lora` updates `to_out.0.weight`): W <- W + strength * (up @ down),
with no division by the rank and biases untouched. The rank is read from the shapes. Applying LoRAs one after
another adds their updates.

The updates stay low-rank: a model with LoRAs shares every base weight with the model it came from and holds only
the LoRAs' factors, as buffers of the updated projections (so the host moves them to the device with the
weights); each projection forms W + sum(strength_i * up_i @ down_i) when it runs. A chain of LoRAs then costs
about the LoRA files' size, instead of a full copy of every updated weight per LoRA.
"""
import re

import torch
import torch.nn.functional as F
from torch import nn

from .errors import MotionModelError
from .files import read_state_dict
from .formats import MODULE_KEY, looks_like
from .model import MotionModel

LORA_KEY = re.compile(r"(?:^|\.)((?:(?:down_blocks|up_blocks)\.\d+|mid_block)\.motion_modules\.\d+\..+)"
                      r"\.processor\.(to_q|to_k|to_v|to_out)_lora\.(down|up)\.weight$")


class LoRALinear(nn.Module):
    """A projection with low-rank updates: weight and bias are the base model's, the factors are buffers."""

    def __init__(self, linear, updates):
        """updates: [(strength, up [C_out, r], down [r, C_in])], applied in order."""
        super().__init__()
        self.weight, self.bias = linear.weight, linear.bias
        self.strengths = [strength for strength, _, _ in updates]
        for i, (_, up, down) in enumerate(updates):
            self.register_buffer(f"lora_up_{i}", up)
            self.register_buffer(f"lora_down_{i}", down)

    def updates(self):
        return [(strength, getattr(self, f"lora_up_{i}"), getattr(self, f"lora_down_{i}"))
                for i, strength in enumerate(self.strengths)]

    def merged_weight(self, dtype=None, device=None):
        """W + sum(strength_i * up_i @ down_i), summed in fp32 on `device` (the weight's by default), returned
        in `dtype` (the weight's by default)."""
        weight = self.weight.to(device=device, dtype=torch.float32)
        for strength, up, down in self.updates():
            weight = torch.addmm(weight, up.to(weight), down.to(weight), alpha=strength)
        return weight.to(dtype or self.weight.dtype)

    def forward(self, x):
        # Formed where and in the dtype x is: the host does not know this layer, so under partial loading it may
        # stay on the offload device, and the weight may be stored in fp8 while the model computes in fp16.
        bias = None if self.bias is None else self.bias.to(x)
        return F.linear(x, self.merged_weight(x.dtype, x.device), bias)


def apply_motion_lora(module, source, strength):
    """A new MotionModel: `module` with the LoRA at `source` (path or state dict) added at `strength`.

    Every base tensor and the factors of LoRAs applied before are shared with `module`, which is left unchanged;
    the new model holds this LoRA's factors (on the weights' device) in addition."""
    sd, name = read_state_dict(source)
    label = name or "state dict"
    targets = lora_targets(sd, label)
    skeleton = MotionModel.skeleton(module.layout, module.source, module.operations)
    base = module.state_dict()
    weights = {key: base[key] for key in skeleton.state_dict()}
    if not any(target in weights for target in targets):
        key, target = next((key, target) for target, (key, _, _) in targets.items())
        raise MotionModelError(f"{label}: none of its keys fits this motion model ({module.describe()}): its first "
                               f"key {key} updates {target}, which the model does not have")
    updates = lora_updates(module)
    for target, (key, down, up) in targets.items():
        weight = weights.get(target)
        if weight is None:
            continue  # e.g. the mid-block entries of a v2 LoRA on a model without a mid block
        if up.shape[0] != weight.shape[0] or down.shape[1] != weight.shape[1]:
            raise MotionModelError(f"{label}: {key} and its pair give a {up.shape[0]}x{down.shape[1]} update, "
                                   f"expected {weight.shape[0]}x{weight.shape[1]} for {target}")
        updates.setdefault(target, []).append((strength, up.to(weight.device), down.to(weight.device)))
    model = skeleton.assign(weights)
    for target, target_updates in updates.items():
        parent, _, child = target.removesuffix(".weight").rpartition(".")
        projection = model.get_submodule(parent)
        setattr(projection, child, LoRALinear(getattr(projection, child), target_updates))
    return model


def lora_updates(model):
    """{name of each updated weight: its [(strength, up, down)]} of a model with LoRAs applied."""
    return {f"{name}.weight": module.updates() for name, module in model.named_modules()
            if isinstance(module, LoRALinear)}


def merged_state_dict(model):
    """The model's state dict with every LoRA merged into its weight, as a model loaded from merged weights."""
    merged = {f"{name}.weight": module.merged_weight() for name, module in model.named_modules()
              if isinstance(module, LoRALinear)}
    return {key: merged.get(key, tensor) for key, tensor in model.state_dict().items() if ".lora_" not in key}


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
