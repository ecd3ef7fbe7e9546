#!/usr/bin/env bash
# On the GPU machine, in the checkout with .device/ carried (scripts/prepare_device.sh): installs the carried
# wheels beside the image's own packages (its python3 holds CUDA torch) and runs bench/device_check.py, whose
# table it also writes to $OUT/device_check.txt when the device tool provides OUT. Arguments go to the check.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
site=/tmp/tempo-site
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" \
    "$here"/.device/wheels/*.whl
export PYTHONPATH=$site PYTHONUNBUFFERED=1 TEMPO_PYTHON=$(command -v python3) TEMPO_COMFYUI=$here/.device/ComfyUI \
    TEMPO_HOME=/tmp/tempo
# Fails at once, naming the module, if the image lacks one the host, the pack or the tests import.
python3 - <<'PY'
import importlib.util
names = ("av", "torchsde", "einops", "safetensors", "numpy", "cv2", "psutil", "scipy", "transformers", "tokenizers",
         "yaml", "PIL", "aiohttp", "tqdm", "torchvision", "pytest", "pytest_timeout")
missing = [name for name in names if importlib.util.find_spec(name) is None]
if missing:
    raise SystemExit("missing on this machine, add its wheel to scripts/prepare_device.sh: " + ", ".join(missing))
PY
cd "$here"
python3 -P bench/device_check.py "$@" | tee "${OUT:-/tmp}/device_check.txt"
