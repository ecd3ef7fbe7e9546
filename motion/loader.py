"""load_motion_module: a file or state dict -> MotionModel whose tensors are the file's own.

The model is built on the meta device and then takes the loaded tensors as its parameters, so nothing is
initialised, nothing is copied, and the file's dtype is kept. Memory-mapped files are read only as the
tensors are first used.
"""
from pathlib import Path

from torch import nn

from .errors import MotionModelError
from .files import read_state_dict
from .formats import check_shapes, read_motion_file
from .model import MotionModel


def load_motion_module(source, variant="auto", operations=nn):
    """source: a path (.safetensors, .ckpt, .pth, .pt) or a state dict; variant: "auto" (told from the contents)
    or the variant to use (motion.formats.VARIANTS); operations: the layer classes (see MotionModule). Raises
    MotionModelError (a ValueError; MotionModelNotFound is also a FileNotFoundError) naming the file and what was
    expected."""
    sd, name = read_state_dict(source)
    label = name or "state dict"
    layout, motion = read_motion_file(sd, label, variant)
    return build_motion_model(layout, motion, label, source=Path(source) if name else None, operations=operations)


def build_motion_model(layout, motion, label, source=None, operations=nn):
    """The MotionModel of `layout` holding the tensors `motion` (AnimateDiff names); label names the file."""
    model = MotionModel.skeleton(layout, source=source, operations=operations)
    expected = model.state_dict()
    dtype = _weights_dtype(motion, label)
    # .to is the tensor itself when the dtype already matches, which is every tensor of a usual file.
    motion = {key: tensor.to(dtype) for key, tensor in motion.items()}
    for key, tensor in expected.items():
        if key.endswith("pos_encoder.pe") and key not in motion:
            motion[key] = tensor.to(dtype)  # the skeleton's sinusoid, at the length the variant was trained with
    check_shapes({key: tensor.shape for key, tensor in expected.items()}, motion, label)
    return model.assign(motion)


def _weights_dtype(motion, label):
    """The dtype of the bulk of the weights; stray tensors in another dtype (a fp32 pe table) follow it."""
    dtype = max(motion.values(), key=lambda tensor: tensor.numel()).dtype
    if not dtype.is_floating_point:
        raise MotionModelError(f"{label}: weights of dtype {dtype}, expected float32, float16 or bfloat16")
    return dtype
