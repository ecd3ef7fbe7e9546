"""AnimateDiff motion modules in plain PyTorch: loading every released layout, the module math, motion LoRAs
and the sampling schedule each model was trained with. Nothing here imports ComfyUI except patch.py."""
from .errors import MotionModelError, MotionModelNotFound
from .loader import load_motion_module
from .lora import apply_motion_lora
from .model import MotionModel

__all__ = ["MotionModel", "MotionModelError", "MotionModelNotFound", "apply_motion_lora", "load_motion_module"]
