#!/usr/bin/env bash
# Gathers into .device/ (git-ignored) what the GPU machine lacks for bench/device_check.py: ComfyUI's tree from
# $TEMPO_COMFYUI (no caches, tests, or tokenizers of model families the check never loads) and the Python 3.12
# manylinux wheels of what ComfyUI, the pack and pytest import that the machine's image does not hold.
# scripts/run_on_device.sh installs them there and runs the check; README says how to call it.
#
# Everything that travels (the working tree and .device/) must stay within 64 MiB. The whole import set beyond
# torch's own dependencies is 181 MB as cp312 wheels (opencv 61, av 36, scipy 35, numpy 17, transformers 14), so
# only what the device image lacks is carried: its package list (/work/.library/device/KINDS.md, "Python packages
# already there") holds the rest. run_on_device.sh checks every import first and names any that is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$here/scripts/install.sh")"
out=$here/.device
limit=$((64 * 1024 * 1024))
# Pinned to the host venv's versions (scripts/install.sh); the device's image has no av and no torchsde.
wheels="av==18.1.0 torchsde==0.2.6 trampoline==0.1.2"

rm -rf "$out"
mkdir -p "$out/wheels"
tar -C "$(dirname "$TEMPO_COMFYUI")" -c --exclude=__pycache__ --exclude='*.pyc' --exclude=.git \
    --exclude='ComfyUI/tests' --exclude='ComfyUI/tests-unit' --exclude='ComfyUI/script_examples' \
    --exclude='ComfyUI/custom_nodes/tempo' --exclude='ComfyUI/comfy/text_encoders/*_tokenizer' \
    "$(basename "$TEMPO_COMFYUI")" | tar -C "$out" -x
[ "$(basename "$TEMPO_COMFYUI")" = ComfyUI ] || mv "$out/$(basename "$TEMPO_COMFYUI")" "$out/ComfyUI"

# shellcheck disable=SC2086
python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform any -d "$out/wheels" $wheels 2>&1 | grep -v "is ignored" >&2 || true
# shellcheck disable=SC2086
[ "$(ls "$out/wheels" | wc -l)" = "$(echo $wheels | wc -w)" ] || { echo "prepare_device: no wheel of some of" \
    "$wheels in $out/wheels" >&2; exit 1; }

size() { du -sb "$@" | awk '{s += $1} END {print s}'; }
tree=$(cd "$here" && git ls-files -co --exclude-standard -z | xargs -0 du -cb | tail -1 | cut -f1)
comfy=$(size "$out/ComfyUI")
wheel_bytes=$(size "$out/wheels")
total=$((tree + comfy + wheel_bytes))
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
echo "ComfyUI $(mib "$comfy"), wheels $(mib "$wheel_bytes"), .device $(mib $((comfy + wheel_bytes)))," \
     "working tree $(mib "$tree"): $(mib "$total") travels of 64 MiB"
[ "$total" -le "$limit" ] || { echo "prepare_device: over the 64 MiB the device tool carries" >&2; exit 1; }
