#!/usr/bin/env bash
# The README's main job: a real ComfyUI server renders example_workflows/txt2vid.json to a video.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$here/scripts/install.sh")"
exec "$TEMPO_PYTHON" -P "$here/scripts/demo.py" "$@"
