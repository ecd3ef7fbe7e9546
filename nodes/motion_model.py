"""LoadMotionModule: MODEL + AnimateDiff motion model file -> MODEL that animates a batch of frames."""
import logging
import os
import weakref

import comfy.ops
import folder_paths

from ..motion import apply_motion_lora, load_motion_module
from ..motion.errors import MotionModelError
from ..motion.formats import VARIANTS
from ..motion.patch import MotionSettings, attach, get_attachment
from ..motion.per_frame import parse_per_frame
from ..motion.schedules import SCHEDULE_CHOICES, schedule_for
from .files import model_file

MODEL_EXTENSIONS = {".ckpt", ".pt", ".pth", ".safetensors"}


def register_folder(name, legacy_subfolder):
    """Adds models/<name> (the folder AnimateDiff-Evolved users already have) and, when present, the folder
    inside an AnimateDiff-Evolved install, keeping entries extra_model_paths.yaml made, with model extensions."""
    folder_paths.add_model_folder_path(name, os.path.join(folder_paths.models_dir, name), is_default=True)
    for custom_nodes in folder_paths.get_folder_paths("custom_nodes"):
        legacy = os.path.join(custom_nodes, "ComfyUI-AnimateDiff-Evolved", legacy_subfolder)
        if os.path.isdir(legacy):
            folder_paths.add_model_folder_path(name, legacy)
    paths, extensions = folder_paths.folder_names_and_paths[name]
    folder_paths.folder_names_and_paths[name] = (paths, set(extensions) | MODEL_EXTENSIONS)


register_folder("animatediff_models", "models")
register_folder("animatediff_motion_lora", "motion_lora")

# One loaded copy per file version and dtype, alive as long as any patched MODEL still uses it.
_loaded = weakref.WeakValueDictionary()


def load_cached(path, model, variant="auto"):
    """The motion model for `model`'s UNet: built from the host's layer classes for that UNet, stored in the
    UNet's storage dtype and computed in its compute dtype, so the host loads, casts and offloads it alike."""
    storage, compute, operations = unet_layers(model)
    key = (os.path.realpath(path), os.path.getmtime(path), storage, compute, operations, variant)
    motion_model = _loaded.get(key)
    if motion_model is None:
        motion_model = load_motion_module(path, variant, operations).stored_in(storage, compute)
        _loaded[key] = motion_model
    return motion_model


def unet_layers(model):
    """(storage dtype, compute dtype, layer classes) of the UNet, chosen as the host chose them for it."""
    base = model.model
    storage, compute = base.get_dtype(), base.manual_cast_dtype
    fp8 = base.model_config.optimizations.get("fp8", False)
    operations = comfy.ops.pick_operations(storage, compute, load_device=model.load_device, fp8_optimizations=fp8)
    return storage, compute or storage, operations


class LoadMotionModule:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "model": ("MODEL", {"tooltip": "The SD1.5 or SDXL image model to animate."}),
                "model_name": (folder_paths.get_filename_list("animatediff_models"), {
                    "tooltip": "AnimateDiff motion model from models/animatediff_models (v1, v2, v3, AnimateLCM, "
                               "SDXL beta, Hotshot-XL; .ckpt, .pth or .safetensors). The variant is told from its "
                               "contents (see variant)."}),
                "motion_scale": ("FLOAT", {
                    "default": 1.0, "min": 0.0, "max": 10.0, "step": 0.01,
                    "tooltip": "Multiplies the temporal attention logits: above 1 sharpens how frames attend to "
                               "each other, below 1 softens it. 1 is the original model."}),
                "effect": ("FLOAT", {
                    "default": 1.0, "min": 0.0, "max": 1.0, "step": 0.01,
                    "tooltip": "Blend of each motion module's output with its input: 0 turns motion off, "
                               "1 is the full module."}),
                "beta_schedule": (SCHEDULE_CHOICES, {
                    "tooltip": "Sampling schedule. auto selects the one the motion model was trained with; "
                               "a wrong schedule washes colours out or greys frames."}),
            },
            "optional": {
                "start_percent": ("FLOAT", {"default": 0.0, "min": 0.0, "max": 1.0, "step": 0.001,
                                            "tooltip": "Fraction of sampling after which motion starts."}),
                "end_percent": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 1.0, "step": 0.001,
                                          "tooltip": "Fraction of sampling after which motion stops."}),
                "motion_scale_per_frame": ("STRING", {
                    "default": "", "tooltip": "Optional comma-separated motion scale per frame, replacing "
                                              "motion_scale; the last value holds for later frames."}),
                "effect_per_frame": ("STRING", {
                    "default": "", "tooltip": "Optional comma-separated effect per frame, replacing effect; "
                                              "the last value holds for later frames."}),
                # Last, so that workflows saved before it keep their widget values.
                "variant": (["auto", *VARIANTS], {
                    "default": "auto",
                    "tooltip": "auto tells the variant from the file's contents (never its name). Files that look "
                               "alike need it named: a community fine-tune has the v1 or v3 layout. The variant "
                               "sets the norms and the sampling schedule; the node's text says which was used."}),
            },
        }

    RETURN_TYPES = ("MODEL",)
    OUTPUT_TOOLTIPS = ("The model with the motion model attached; sample a batch of frames with it "
                       "(batch size = frames, up to the motion model's window length).",)
    FUNCTION = "load"
    CATEGORY = "Tempo/motion"
    DESCRIPTION = ("Attaches an AnimateDiff motion model to an image model, so that sampling a batch of latents "
                   "gives one coherent clip. The checkpoint itself is left untouched for other workflows.")

    def load(self, model, model_name, motion_scale, effect, beta_schedule, start_percent=0.0, end_percent=1.0,
             motion_scale_per_frame="", effect_per_frame="", variant="auto"):
        path = model_file(("animatediff_models",), model_name, "model_name")
        motion_model = load_cached(path, model, variant)
        logging.info("Tempo: %s", motion_model.describe())
        settings = MotionSettings(
            scale=parse_per_frame(motion_scale_per_frame, "motion_scale_per_frame") or motion_scale,
            effect=parse_per_frame(effect_per_frame, "effect_per_frame") or effect,
            start_percent=start_percent, end_percent=end_percent)
        patched = attach(model, motion_model, settings, schedule_for(beta_schedule, motion_model.variant))
        return {"ui": {"text": [motion_model.describe(), motion_model.layout.reason]}, "result": (patched,)}


class ApplyMotionLoRA:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "model": ("MODEL", {"tooltip": "A model with a motion model attached by Load Motion Module "
                                               "(or by a previous Apply Motion LoRA: LoRAs stack)."}),
                "lora_name": (folder_paths.get_filename_list("animatediff_motion_lora"), {
                    "tooltip": "Motion LoRA from models/animatediff_motion_lora (v2_lora_ZoomIn.ckpt, ...). "
                               "Trained on the v2 motion model."}),
                "strength": ("FLOAT", {"default": 1.0, "min": -10.0, "max": 10.0, "step": 0.01,
                                       "tooltip": "How much of the LoRA to add; negative reverses the motion."}),
            },
        }

    RETURN_TYPES = ("MODEL",)
    OUTPUT_TOOLTIPS = ("The model with the LoRA added to its motion model.",)
    FUNCTION = "apply"
    CATEGORY = "Tempo/motion"
    DESCRIPTION = ("Adds a motion LoRA (camera moves such as zoom, pan, tilt, roll) to the attached motion "
                   "model: W + strength * (up @ down). Chain several to stack them; each costs about its file's "
                   "size in memory.")

    def apply(self, model, lora_name, strength):
        attachment = get_attachment(model)
        if attachment is None:
            raise MotionModelError(f"Apply Motion LoRA ({lora_name}): the model has no motion model attached; "
                                   f"connect it after Load Motion Module")
        path = model_file(("animatediff_motion_lora",), lora_name, "lora_name")
        merged = apply_motion_lora(attachment.motion_model, path, strength)
        return (attach(model, merged, attachment.settings),)


NODE_CLASS_MAPPINGS = {"TempoLoadMotionModule": LoadMotionModule, "TempoApplyMotionLoRA": ApplyMotionLoRA}
NODE_DISPLAY_NAME_MAPPINGS = {"TempoLoadMotionModule": "Load Motion Module",
                              "TempoApplyMotionLoRA": "Apply Motion LoRA"}
