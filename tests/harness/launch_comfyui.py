"""Starts ComfyUI's own main.py in this process, after comfy_host.prepare() (see host.py for why).

Usage: python launch_comfyui.py <ComfyUI dir> [ComfyUI arguments...]
"""
import os
import runpy
import sys

import comfy_host

if __name__ == "__main__":
    comfy_dir = comfy_host.prepare(sys.argv[1], sys.argv[2:])
    sys.path.remove(os.path.dirname(os.path.abspath(__file__)))  # leave only ComfyUI's own import roots
    os.chdir(comfy_dir)
    runpy.run_path(sys.argv[0], run_name="__main__")
