"""Load SparseCtrl (file -> CONTROL_NET for the stock Apply ControlNet nodes) and Sparse Keyframes (images placed at
chosen frames, the rest masked out)."""
import logging
import os
import weakref

import folder_paths
import torch

from ..motion.errors import MotionModelError
from .files import model_file
from .motion_model import register_folder
from .sparse_control import load_sparsectrl

register_folder("controlnet", "controlnet")  # where users keep SparseCtrl files, beside their image ControlNets
_loaded = weakref.WeakValueDictionary()


class LoadSparseCtrl:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"sparsectrl_name": (folder_paths.get_filename_list("controlnet"), {
            "tooltip": "AnimateDiff v3 SparseCtrl from models/controlnet (v3_sd15_sparsectrl_rgb.ckpt or "
                       "_scribble.ckpt; .ckpt or .safetensors). RGB needs the VAE on the apply node."})}}

    RETURN_TYPES = ("CONTROL_NET",)
    OUTPUT_TOOLTIPS = ("Apply with the stock Apply ControlNet node; place keyframes with Sparse Keyframes.",)
    FUNCTION = "load"
    CATEGORY = "Tempo/motion"
    DESCRIPTION = ("Loads an AnimateDiff v3 SparseCtrl model as a ControlNet: keyframe images (RGB) or sketches "
                   "(scribble) at a few frames guide the whole clip.")

    def load(self, sparsectrl_name):
        path = model_file(("controlnet",), sparsectrl_name, "sparsectrl_name")
        key = (os.path.realpath(path), os.path.getmtime(path))
        control = _loaded.get(key)
        if control is None:
            control, motion_model = load_sparsectrl(path)
            logging.info("Tempo: SparseCtrl %s (%s) with %s", control.variant, sparsectrl_name,
                         motion_model.describe())
            _loaded[key] = control
        return (control,)


def parse_indices(text, frames):
    """'0, 8, 15' -> [0, 8, 15]; negative indices count from the end (-1 is the last frame)."""
    indices = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            index = int(part)
        except ValueError:
            raise MotionModelError(f"Sparse Keyframes: indices: {part!r} is not a whole number; expected frame "
                                   f"numbers like '0, 8, -1'") from None
        if not -frames <= index < frames:
            raise MotionModelError(f"Sparse Keyframes: indices: frame {index} is outside 0..{frames - 1} "
                                   f"(or -{frames}..-1 from the end) of {frames} frames")
        indices.append(index % frames)
    if len(set(indices)) != len(indices):
        raise MotionModelError(f"Sparse Keyframes: indices: {text!r} names a frame twice")
    return indices


class SparseKeyframes:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "sparsectrl": ("CONTROL_NET", {"tooltip": "From Load SparseCtrl."}),
            "images": ("IMAGE", {"tooltip": "The keyframes, in the order of the indices."}),
            "indices": ("STRING", {"default": "0, -1", "tooltip": "Frame of each image, comma-separated; "
                                                                  "negative counts from the end (-1: last)."}),
            "frames": ("INT", {"default": 16, "min": 1, "max": 10000, "tooltip": "Frames in the clip."}),
        }}

    RETURN_TYPES = ("CONTROL_NET", "IMAGE", "MASK")
    RETURN_NAMES = ("sparsectrl", "image", "mask")
    OUTPUT_TOOLTIPS = ("The SparseCtrl with the keyframe mask; connect it and image to Apply ControlNet.",
                       "One image per frame: the keyframes at their frames, black elsewhere.",
                       "1 on the keyframes, 0 elsewhere, one per frame.")
    FUNCTION = "place"
    CATEGORY = "Tempo/motion"
    DESCRIPTION = "Places keyframe images at chosen frames of the clip for SparseCtrl; the other frames are masked out."

    def place(self, sparsectrl, images, indices, frames):
        if not hasattr(sparsectrl, "with_keyframes"):
            raise MotionModelError("Sparse Keyframes: sparsectrl is not a SparseCtrl; load it with Load SparseCtrl")
        chosen = parse_indices(indices, frames)
        if len(chosen) != images.shape[0]:
            raise MotionModelError(f"Sparse Keyframes: {images.shape[0]} images but {len(chosen)} indices "
                                   f"({indices!r}); give one index per image")
        placed = torch.zeros((frames,) + tuple(images.shape[1:]), dtype=images.dtype)
        keyframes = torch.zeros(frames)
        placed[chosen] = images
        keyframes[chosen] = 1.0
        mask = keyframes.view(frames, 1, 1).expand(frames, *images.shape[1:3]).contiguous()
        return sparsectrl.with_keyframes(keyframes), placed, mask


NODE_CLASS_MAPPINGS = {"TempoLoadSparseCtrl": LoadSparseCtrl, "TempoSparseKeyframes": SparseKeyframes}
NODE_DISPLAY_NAME_MAPPINGS = {"TempoLoadSparseCtrl": "Load SparseCtrl", "TempoSparseKeyframes": "Sparse Keyframes"}
