"""Reading a weights file into a flat dict of tensors, without copying them and without running its code.

Pickles (.ckpt, .pth, .pt) load with `weights_only=True`, memory-mapped when they are in torch's zip format;
safetensors files are memory-mapped by the safetensors library. Either way the tensors are copy-on-write views
of the file's pages, so loading reads nothing up front and holds one copy at most. The container is told by
its first bytes, not its extension, because users rename files.
"""
import pickle
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from .errors import MotionModelError, MotionModelNotFound

ZIP_MAGIC = b"PK\x03\x04"


def read_state_dict(source):
    """Returns (flat dict of tensors, file name or None) for a path or an in-memory state dict.

    A `state_dict` (or SparseCtrl's `controlnet`) wrapper is opened; entries that are not tensors
    (e.g. `animatediff_config`) are dropped."""
    if isinstance(source, dict):
        return _tensors(source), None
    path = Path(source)
    if not path.is_file():
        raise MotionModelNotFound(f"{path}: no such file")
    with open(path, "rb") as f:
        head = f.read(9)
    # A safetensors file starts with the 8-byte length of its JSON header.
    if head[8:9] == b"{":
        return _tensors(_read_safetensors(path)), path.name
    return _tensors(_read_pickle(path, mmap=head.startswith(ZIP_MAGIC))), path.name


def _tensors(sd):
    for wrapper in ("state_dict", "controlnet"):
        if isinstance(sd.get(wrapper), dict):
            sd = sd[wrapper]
    return {key: value for key, value in sd.items() if isinstance(value, torch.Tensor)}


def _read_safetensors(path):
    try:
        return load_file(path)
    except SafetensorError as error:
        raise _corrupt(path, error) from None


def _read_pickle(path, mmap):
    try:
        sd = torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except pickle.UnpicklingError as error:
        if "Weights only load failed" in str(error):
            raise MotionModelError(
                f"{path.name}: refused to load: the file holds code that would run on loading "
                f"({_unsupported_global(error)}), and a motion model holds only tensors. Get the file from its "
                f"original source, or convert it to .safetensors where you trust it.") from None
        raise _corrupt(path, error) from None
    # torch.load hands a file named .safetensors to safetensors, hence its error here too.
    except (RuntimeError, EOFError, ValueError, OSError, SafetensorError) as error:
        raise _corrupt(path, error) from None
    if not isinstance(sd, dict):
        raise MotionModelError(f"{path.name}: holds a {type(sd).__name__}, expected a dict of tensors")
    return sd


def _unsupported_global(error):
    """The line of torch's refusal that names the offending global, e.g. `Unsupported global: GLOBAL os.system`."""
    lines = str(error).splitlines()
    return next((line.strip() for line in lines if "GLOBAL" in line), lines[0])


def _corrupt(path, error):
    first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
    return MotionModelError(f"{path.name}: truncated or corrupt ({path.stat().st_size} bytes: {first_line}); "
                            f"expected a complete .safetensors or torch file. Download it again.")
