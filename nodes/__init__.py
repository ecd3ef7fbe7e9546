"""Collects the node classes of every nodes/ module. A module is listed here only once its nodes work."""
import importlib

_MODULES = ["motion_model", "sparsectrl", "prompt_schedule", "context_sampler", "image_guides", "video", "routes",
            "interpolate", "migrate_route"]

NODE_CLASS_MAPPINGS = {}
NODE_DISPLAY_NAME_MAPPINGS = {}
for _name in _MODULES:
    _module = importlib.import_module(f".{_name}", __name__)
    NODE_CLASS_MAPPINGS.update(_module.NODE_CLASS_MAPPINGS)
    NODE_DISPLAY_NAME_MAPPINGS.update(_module.NODE_DISPLAY_NAME_MAPPINGS)
