import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "harness"))
from comfy_fixtures import ARTIFACTS, comfy, comfy_args, models_dir, saved_images  # noqa: E402,F401
