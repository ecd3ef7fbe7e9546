"""Starts ComfyUI's own main.py in this process, after one fix-up the test machines need.

PyPI's torchvision is built against CUDA and its compiled operators do not load beside the CPU torch the
install script uses; its import then fails looking up `torchvision::nms`. Declaring the two operators its
import registers kernels for lets it import (no Tempo or ComfyUI code calls them). This lives in the
test harness only: a user's ComfyUI has a working torchvision.

Usage: python launch_comfyui.py <ComfyUI dir> [ComfyUI arguments...]
"""
import os
import runpy
import sys

import torch


def declare_torchvision_ops():
    try:
        torch.ops.torchvision.nms  # a working torchvision install already registered it
        return
    except (AttributeError, RuntimeError):
        pass
    lib = torch.library.Library("torchvision", "DEF")
    lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    declare_torchvision_ops.lib = lib  # the definitions live as long as the Library object


if __name__ == "__main__":
    comfy_dir = os.path.abspath(sys.argv[1])
    declare_torchvision_ops()
    sys.argv = [os.path.join(comfy_dir, "main.py")] + sys.argv[2:]
    sys.path[0] = comfy_dir
    os.chdir(comfy_dir)
    runpy.run_path(sys.argv[0], run_name="__main__")
