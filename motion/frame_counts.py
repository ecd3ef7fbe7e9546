"""Inputs that must have one entry per latent frame, or one for all frames. For any other count the host
silently repeats or truncates (conds are repeated to the batch size, ControlNet hints broadcast to it), which
for a clip means frames quietly get another frame's prompt or hint. The conds are the host's converted conds
(dicts with "cross_attn", "pooled_output", "control"), read by key, so this module needs no ComfyUI import."""


class FrameCountError(ValueError):
    """A per-frame input whose count does not match the latent's frames; the message names the input."""


def check_count(count, frames, what):
    if count not in (1, frames):
        raise FrameCountError(f"{what} has {count} entries but the latent has {frames} frames: expected 1 (the "
                              f"same for every frame) or {frames} (one per frame)")


def check_conds(conds, frames):
    """conds: {"positive": [cond dict, ...], "negative": [...]}, as the host's sampler holds them."""
    for name, cond_list in conds.items():
        for cond in cond_list or []:
            for key in ("cross_attn", "pooled_output"):
                if cond.get(key) is not None:
                    check_count(cond[key].shape[0], frames, f"{name} conditioning ({key})")
            control = cond.get("control")
            while control is not None:
                hint = getattr(control, "cond_hint_original", None)
                if hint is not None:
                    check_count(hint.shape[0], frames, f"the ControlNet hint image on {name}")
                control = getattr(control, "previous_controlnet", None)
