"""FILMInterpolate: IMAGE frames -> the same clip at a multiple of its frame rate, made by FILM or RIFE weights or,
with no weights at all, by optical flow or crossfade. The work is interp.interpolate; this is the ComfyUI side."""
import logging
import os

import comfy.model_management
import comfy.model_patcher
import comfy.utils
import folder_paths
import torch

from ..interp import CROSSFADE, EXACT, FLOW, MIDPOINTS, RIFE, RifeMethod, interpolate, load_interpolator
from ..interp import describe as describe_film
from ..interp.rife_formats import describe as describe_rife
from .files import model_file

# ComfyUI core keeps its FILM files in models/frame_interpolation; models/film and models/rife are folders many
# users made, and ComfyUI-Frame-Interpolation keeps its RIFE files in its own ckpts/rife.
FOLDERS = ("frame_interpolation", "film", "rife")
RIFE_SCALES = [1.0, 0.5, 0.25, 2.0, 4.0]
EXTENSIONS = {".pt", ".pth", ".ckpt", ".safetensors"}
WEIGHTLESS = {"flow (no weights)": FLOW, "crossfade (no weights)": CROSSFADE}
MODES = {"exact times k/m": EXACT, "recursive midpoints": MIDPOINTS}


def register_folders():
    """Adds the folders ComfyUI does not know yet; entries it or extra_model_paths.yaml made stay as they are."""
    for name in FOLDERS:
        if name not in folder_paths.folder_names_and_paths:
            folder_paths.folder_names_and_paths[name] = ([os.path.join(folder_paths.models_dir, name)], EXTENSIONS)
    for custom_nodes in folder_paths.get_folder_paths("custom_nodes"):
        pack = os.path.join(custom_nodes, "ComfyUI-Frame-Interpolation", "ckpts", "rife")
        if os.path.isdir(pack):
            folder_paths.add_model_folder_path("rife", pack)


register_folders()


def film_files():
    return sorted({name for folder in FOLDERS for name in folder_paths.get_filename_list(folder)})


# The last FILM or RIFE file loaded, as (path, mtime, dtype) -> the ModelPatcher through which the host's memory
# manager loads it: rerunning a workflow reuses it, replacing the file on disk reloads it.
_loaded = {}


def load_cached(path, dtype):
    """The model stored in the dtype it computes in, on the offload device until the host loads it."""
    key = (os.path.realpath(path), os.path.getmtime(path), dtype)
    if key not in _loaded:
        _loaded.clear()
        model = load_interpolator(path).to(dtype)
        describe = describe_rife if isinstance(model, RIFE) else describe_film
        logging.info("Tempo: %s", describe(model))
        offload = comfy.model_management.unet_offload_device()
        _loaded[key] = comfy.model_patcher.ModelPatcher(model.to(offload), offload_device=offload,
                                                        load_device=comfy.model_management.get_torch_device())
    return _loaded[key]


def compute_dtype(device):
    """The dtype the host would compute a model in on this device (on a CPU it answers fp32)."""
    if comfy.model_management.should_use_fp16(device):
        return torch.float16
    return torch.bfloat16 if comfy.model_management.should_use_bf16(device) else torch.float32


class FILMInterpolate:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "images": ("IMAGE", {
                    "tooltip": "The frames, in order, all of one size. Frames smaller than the method needs "
                               "(64 px for FILM, 16 px for flow) are reflect-padded for the computation and "
                               "cropped back; larger frames are used at their exact size, never padded."}),
                "multiplier": ("INT", {
                    "default": 2, "min": 2, "max": 16,
                    "tooltip": "Frame-rate factor m: m - 1 new frames between each pair, (N - 1)·m + 1 frames "
                               "in all (N·m with loop). 2 turns 8 fps into 16 fps."}),
                "method": (film_files() + list(WEIGHTLESS), {
                    "tooltip": "A FILM model from models/frame_interpolation or models/film (film_net_fp32.pt "
                               "of ComfyUI-Frame-Interpolation, the port's later .pt files, or ComfyUI's "
                               "film_net_fp16.safetensors), a RIFE 4.5+ model (rife47.pth, rife49.pth, ... from "
                               "models/rife, models/frame_interpolation or ComfyUI-Frame-Interpolation's "
                               "ckpts/rife; much faster than FILM), or a method that needs no weights: optical "
                               "flow (OpenCV DIS, occlusion-aware) or a plain crossfade."}),
                "mode": (list(MODES), {
                    "tooltip": "exact times k/m: every new frame straight from its pair at t = k/m, one flow "
                               "per pair. recursive midpoints: each new frame from its two nearest frames "
                               "already made, at their middle, as FILM's own tool does; the times are still "
                               "k/m."}),
                "loop": ("BOOLEAN", {
                    "default": False,
                    "tooltip": "Also make the frames from the last frame back to the first, so the clip "
                               "repeats without a jump."}),
            },
            "optional": {
                "batch_size": ("INT", {
                    "default": 1, "min": 1, "max": 64,
                    "tooltip": "Pairs computed together. More is faster on a GPU and takes more memory; "
                               "the frames are the same."}),
                "rife_scale": (RIFE_SCALES, {
                    "default": 1.0,
                    "tooltip": "RIFE only: the resolution its flows are estimated at, relative to the frames. "
                               "0.5 for 4K frames or very large motion, 2 for small frames with fine motion."}),
                "ensemble": ("BOOLEAN", {
                    "default": False,
                    "tooltip": "RIFE 4.5 to 4.20 only: also run each flow block on the pair reversed in time and "
                               "average the two; steadier, about twice the time. Later releases dropped it."}),
            },
        }

    RETURN_TYPES = ("IMAGE",)
    OUTPUT_TOOLTIPS = ("The clip at m times the frame rate; the input frames are kept unchanged at every m-th "
                       "place.",)
    FUNCTION = "interpolate"
    CATEGORY = "Tempo/interpolation"
    DESCRIPTION = ("Raises a clip's frame rate by making the frames in between: with FILM (Frame Interpolation "
                   "for Large Motion) weights, or with no weights by optical flow or crossfade. Any multiplier, "
                   "exact timing, optional looping back to the first frame.")

    def interpolate(self, images, multiplier, method, mode, loop, batch_size=1, rife_scale=1.0, ensemble=False):
        device = comfy.model_management.get_torch_device()
        dtype = compute_dtype(device)
        if method in WEIGHTLESS:
            chosen = WEIGHTLESS[method]
        else:
            patcher = load_cached(model_file(FOLDERS, method, "method"), dtype)
            # Counted with the host's models: it frees others when memory is short, and offloads this one when
            # another needs the room or the user frees memory. Its layers cannot be cast per call: all or nothing.
            comfy.model_management.load_models_gpu([patcher], force_full_load=True)
            chosen = patcher.model
            if isinstance(chosen, RIFE):
                chosen = RifeMethod(chosen, float(rife_scale), ensemble)
        pairs = len(images) if loop else len(images) - 1
        bar = comfy.utils.ProgressBar(max(pairs, 1))
        try:
            frames = interpolate(images, chosen, multiplier, mode=MODES[mode], loop=loop, batch_size=batch_size,
                                 device=device, dtype=dtype, progress=lambda done, total: bar.update_absolute(done),
                                 interrupt=comfy.model_management.throw_exception_if_processing_interrupted)
        finally:
            del chosen
            comfy.model_management.soft_empty_cache()
        return (frames,)


NODE_CLASS_MAPPINGS = {"TempoFILMInterpolate": FILMInterpolate}
NODE_DISPLAY_NAME_MAPPINGS = {"TempoFILMInterpolate": "FILM Interpolate"}
