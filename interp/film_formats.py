"""The FILM files users have, and how each becomes the native module.

    v1.0.0  film_net_fp32.pt of ComfyUI-Frame-Interpolation, TorchScript: a conv is `<block>.0.weight`,
            except one without activation, which is the block itself: `<block>.weight`
    v1.0.2  film_net_fp16/fp32.pt of the port's releases v1.0.1+, TorchScript: `<block>.0.weight` (native)
    comfy   film_net_fp16.safetensors of ComfyUI core: `<block>.conv.weight`

No file runs code: a TorchScript archive is read as data (torchscript.py), its compiled code never loaded, and
plain pickles load weights-only. Every dimension of the network is read from the tensors' shapes. The depth of
the image pyramid is the one thing the weights cannot carry: TorchScript files keep it as the attribute
`pyramid_levels`, safetensors may keep it in their metadata, and otherwise it is FILM's trained 7.
"""
import os
import re
import zipfile

import torch

from . import torchscript
from .film import FILM, FilmConfig

FIRST_KEY = "extract.extract_sublevels.convs.0.0.0.weight"
LAYOUT_NAMES = {
    "v1.0.0": "TorchScript v1.0.0 (film_net_fp32.pt of ComfyUI-Frame-Interpolation)",
    "v1.0.2": "PyTorch port v1.0.1+ layout",
    "comfy": "ComfyUI core layout",
}
# Prefixes of other model files users keep next to FILM's, to say what a wrong file is.
FOREIGN = [
    ("model.diffusion_model.", "a Stable Diffusion checkpoint"),
    ("motion_modules.", "an AnimateDiff motion module"),
    ("lora_", "a LoRA"),
    ("lora.", "a LoRA"),
    ("first_stage_model.", "a VAE"),
    ("encoder.down", "a VAE"),
    ("control_model.", "a ControlNet"),
    ("text_model.", "a text encoder"),
    ("block0.", "a RIFE interpolation model"),
    ("flownet.", "a RIFE interpolation model"),
    ("ifnet.", "a RIFE interpolation model"),
    ("model.0.", "an ESRGAN-style upscale model"),
]


class FilmFormatError(ValueError):
    pass


def is_torchscript(path):
    """TorchScript archives are zips holding compiled code beside the tensors; torch.save zips hold none."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(name.endswith("/constants.pkl") or "/code/" in name for name in archive.namelist())


def read_file(path):
    """(tensors, pyramid_levels or None) from a TorchScript archive, a safetensors file or a plain pickle.

    None of them runs code: a TorchScript archive's compiled code is skipped and its data unpickled against an
    allowlist (torchscript.py); plain .pt/.pth/.ckpt pickles are read with weights_only=True.
    """
    if path.lower().endswith(".safetensors"):
        from safetensors import safe_open

        with safe_open(path, framework="pt") as f:
            levels = (f.metadata() or {}).get("pyramid_levels")
            return {key: f.get_tensor(key) for key in f.keys()}, int(levels) if levels else None
    if is_torchscript(path):
        return read_torchscript(path)
    if is_cut_zip(path):
        raise FilmFormatError(f"{path}: a zip archive without its end (central directory): the file is truncated "
                              "or damaged; download it again")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise FilmFormatError(f"{path}: not a TorchScript, safetensors or plain tensor file ({error})") from None
    if isinstance(data, dict) and isinstance(data.get("state_dict"), dict):
        data = data["state_dict"]
    if not isinstance(data, dict):
        raise FilmFormatError(f"{path}: holds a {type(data).__name__}, expected a dict of tensors")
    return data, None


def read_torchscript(path):
    try:
        tensors, attributes = torchscript.read_archive(path)
    except torchscript.ArchiveError as error:
        raise FilmFormatError(str(error)) from None
    levels = attributes.get("pyramid_levels")
    if levels is not None and (type(levels) is not int or levels < 1):
        raise FilmFormatError(f"{path}: its attribute pyramid_levels is {levels!r}, expected a positive integer")
    return tensors, levels


def is_cut_zip(path):
    """Zips start with a local file header; one that zipfile cannot open has lost its end."""
    with open(path, "rb") as f:
        return f.read(4) == b"PK\x03\x04" and not zipfile.is_zipfile(path)


def detect_layout(keys):
    if any(".conv." in key for key in keys):
        return "comfy"
    # Only v1.0.0 stores an activation-less conv as the block itself: `fuse.convs.3.0.weight`, `_convs.4.bias`.
    if any(re.fullmatch(r"fuse\.convs\.\d+\.0\.(weight|bias)|.*\._convs\.\d+\.(weight|bias)", key) for key in keys):
        return "v1.0.0"
    return "v1.0.2"


def to_native(state_dict):
    """Renames any layout's keys to the native (v1.0.2) names. Keys already native pass unchanged."""
    def rename(key):
        key = re.sub(r"\.conv\.", ".0.", key)
        key = re.sub(r"^(fuse\.convs\.\d+\.0)\.(weight|bias)$", r"\1.0.\2", key)
        return re.sub(r"^(.*\._convs\.\d+)\.(weight|bias)$", r"\1.0.\2", key)
    return {rename(key): value for key, value in state_dict.items()}


def what_it_is(keys):
    for prefix, kind in FOREIGN:
        if any(key.startswith(prefix) or f".{prefix}" in key for key in keys):
            return kind
    sample = ", ".join(sorted(keys)[:3]) or "no tensors"
    return f"an unknown model ({len(keys)} tensors: {sample}, ...)"


def read_config(state_dict, pyramid_levels=None):
    """The network's dimensions from the native-named tensors' shapes."""
    def count(pattern):
        n = 0
        while pattern.format(n) in state_dict:
            n += 1
        return n

    def width(key):
        return state_dict[key].shape[0]

    def estimator(prefix):
        return count(prefix + "._convs.{}.0.weight") - 2, width(prefix + "._convs.0.0.weight")

    specialized = [estimator(f"predict_flow._predictors.{i}")
                   for i in range(count("predict_flow._predictors.{}._convs.0.0.weight"))]
    # The port stores specialized estimators and fusion blocks coarse to fine; the config lists fine to coarse.
    flow = specialized[::-1] + [estimator("predict_flow._predictor")]
    fusion = [width(f"fuse.convs.{k}.0.0.weight") for k in range(count("fuse.convs.{}.0.0.weight"))]
    return FilmConfig(
        filters=width(FIRST_KEY),
        sub_levels=count("extract.extract_sublevels.convs.{}.0.0.weight"),
        flow_convs=tuple(convs for convs, _ in flow),
        flow_filters=tuple(filters for _, filters in flow),
        fusion_filters=tuple(fusion[::-1]),
        pyramid_levels=pyramid_levels or 7,
    )


def load_film(source, pyramid_levels=None):
    """A FILM module (fp32, CPU, eval) from a file path or a state dict in any of the three layouts.

    pyramid_levels overrides what the file says (see the module docstring)."""
    name = os.fspath(source) if isinstance(source, (str, os.PathLike)) else "state dict"
    if isinstance(source, (str, os.PathLike)):
        state_dict, stored_levels = read_file(name)
    else:
        state_dict, stored_levels = dict(source), None
    layout = detect_layout(state_dict)
    state_dict = to_native(state_dict)
    if FIRST_KEY not in state_dict or "fuse.output_conv.weight" not in state_dict:
        raise FilmFormatError(f"{name}: not a FILM model; it looks like {what_it_is(list(state_dict))}")
    try:
        model = FILM(read_config(state_dict, pyramid_levels or stored_levels))
    except (KeyError, IndexError) as error:
        raise FilmFormatError(f"{name}: a FILM-like file ({LAYOUT_NAMES[layout]}) without {error}") from None
    problems = mismatches(state_dict, model.state_dict())
    if problems:
        raise FilmFormatError(f"{name}: a FILM-like file ({LAYOUT_NAMES[layout]}) whose tensors do not fit the "
                              f"network its shapes describe: {'; '.join(problems)}")
    model.load_state_dict({key: value.float() for key, value in state_dict.items()})
    model.layout = layout
    model.source = name
    return model.eval().requires_grad_(False)


def mismatches(found, expected):
    problems = [f"missing {key} {tuple(expected[key].shape)}" for key in sorted(expected.keys() - found.keys())]
    problems += [f"unexpected {key}" for key in sorted(found.keys() - expected.keys())]
    problems += [f"{key} is {tuple(found[key].shape)}, expected {tuple(value.shape)}"
                 for key, value in expected.items() if key in found and found[key].shape != value.shape]
    return problems[:5] + ([f"and {len(problems) - 5} more"] if len(problems) > 5 else [])


def describe(model):
    c = model.config
    params = sum(p.numel() for p in model.parameters())
    return (f"FILM from {os.path.basename(model.source)} ({LAYOUT_NAMES[model.layout]}): {params / 1e6:.1f}M "
            f"parameters, filters {c.filters}, pyramid {c.pyramid_levels} levels, fusion {c.fusion_levels}, "
            f"flow filters {list(c.flow_filters)}")
