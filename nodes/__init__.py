"""Collects the node classes of every nodes/ module. A module is listed here only once its nodes work."""
import importlib

_MODULES = ["motion_model", "prompt_schedule", "context_sampler", "video", "routes", "interpolate", "migrate_route"]

NODE_CLASS_MAPPINGS = {}
NODE_DISPLAY_NAME_MAPPINGS = {}
for _name in _MODULES:
    _module = importlib.import_module(f".{_name}", __name__)
    NODE_CLASS_MAPPINGS.update(_module.NODE_CLASS_MAPPINGS)
    NODE_DISPLAY_NAME_MAPPINGS.update(_module.NODE_DISPLAY_NAME_MAPPINGS)
