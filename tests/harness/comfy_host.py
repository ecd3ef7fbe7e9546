"""Prepares a Python process to import ComfyUI in-process (the host tier and the fixture generators).

PyPI's torchvision is built against CUDA and its compiled operators do not load beside the CPU torch the
install script uses; its import then fails looking up `torchvision::nms`. Declaring the two operators its
import registers kernels for lets it import (no Tempo or ComfyUI code calls them). This lives in the test
harness only: a user's ComfyUI has a working torchvision.
"""
import importlib.util
import os
import sys
from contextlib import contextmanager

import torch


def declare_torchvision_ops():
    try:
        torch.ops.torchvision.nms  # a working torchvision already registered it
        return
    except (AttributeError, RuntimeError):
        pass
    lib = torch.library.Library("torchvision", "DEF")
    lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    declare_torchvision_ops.lib = lib  # the definitions live as long as the Library object


def host_args():
    """ComfyUI's arguments for in-process hosts: `--cpu` unless TEMPO_COMFY_ARGS says otherwise (bench/device_check.py
    sets it to "" so the host tier runs on the GPU)."""
    return tuple(os.environ.get("TEMPO_COMFY_ARGS", "--cpu").split())


def prepare(comfy_dir=None, argv=None):
    """Makes `import comfy` work here as it does under ComfyUI's main.py with the given arguments (default:
    host_args()).

    Call it before anything imports comfy.cli_args, which parses sys.argv once, at import time."""
    comfy_dir = os.path.abspath(comfy_dir or os.environ["TEMPO_COMFYUI"])
    argv = host_args() if argv is None else argv
    declare_torchvision_ops()
    # comfy.cli_args parses sys.argv at import time.
    sys.argv = [os.path.join(comfy_dir, "main.py"), *argv]
    if comfy_dir not in sys.path:
        sys.path.insert(0, comfy_dir)
    import comfy.options

    comfy.options.enable_args_parsing()
    return comfy_dir


def import_pack(checkout=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))):
    """Imports the checkout as package `tempo`, the way ComfyUI imports a custom node folder (after prepare()).

    The checkout root itself never goes on sys.path: its nodes/ folder would shadow ComfyUI's nodes module."""
    spec = importlib.util.spec_from_file_location("tempo", os.path.join(checkout, "__init__.py"),
                                                  submodule_search_locations=[checkout])
    pack = importlib.util.module_from_spec(spec)
    sys.modules["tempo"] = pack
    spec.loader.exec_module(pack)
    return pack


@contextmanager
def model_folders(folders):
    """While open, ComfyUI looks for each kind of model only in the folder given: {kind: path}. The host's list of
    file extensions for each kind is kept."""
    import folder_paths

    saved = {kind: folder_paths.folder_names_and_paths[kind] for kind in folders}
    for kind, path in folders.items():
        folder_paths.folder_names_and_paths[kind] = ([str(path)], saved[kind][1])
    try:
        yield
    finally:
        folder_paths.folder_names_and_paths.update(saved)
