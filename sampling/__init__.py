"""Sampling a clip in plain PyTorch: context windows, per-frame noise and FreeNoise, first/last-frame guides and
FreeInit. Nothing here imports ComfyUI; nodes/context_windows.py and nodes/context_sampler.py adapt it."""
