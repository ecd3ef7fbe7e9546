"""Starts ComfyUI's own main.py in this process, after comfy_host.prepare() (see host.py for why).

Usage: python launch_comfyui.py [--precision bf16|fp16|fp8] <ComfyUI dir> [ComfyUI arguments...]

--precision passes that precision's host flags and makes the CPU claim to compute in it, as a GPU does
(tests/harness/half_precision.py), before ComfyUI's main runs.
"""
import os
import runpy
import sys

import comfy_host


def prepare_in(precision, comfy_dir, argv):
    import half_precision

    comfy_dir = comfy_host.prepare(comfy_dir, [*argv, *half_precision.PRECISIONS[precision][1]])
    for target, attribute, value in half_precision.host_settings(precision):
        setattr(target, attribute, value)
    return comfy_dir


if __name__ == "__main__":
    if sys.argv[1] == "--precision":
        comfy_dir = prepare_in(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        comfy_dir = comfy_host.prepare(sys.argv[1], sys.argv[2:])
    sys.path.remove(os.path.dirname(os.path.abspath(__file__)))  # leave only ComfyUI's own import roots
    os.chdir(comfy_dir)
    runpy.run_path(sys.argv[0], run_name="__main__")
