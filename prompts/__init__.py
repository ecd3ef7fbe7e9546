"""Prompt travel in plain Python/PyTorch: parsing schedules into per-frame prompt weights and blending the
encoded prompts. Nothing here imports ComfyUI; nodes/prompt_schedule.py adapts it."""
