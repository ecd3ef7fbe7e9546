"""ComfyUI-Frame-Interpolation's FILM VFI and RIFE VFI -> FILM Interpolate.

FILM VFI makes each pair's in-betweens by recursive bisection from the nearest frames already made, which is
FILM Interpolate's "recursive midpoints"; its film_net_fp32.pt is a file FILM Interpolate loads. RIFE has no
Tempo counterpart: FILM (or optical flow without FILM weights) stands in, at the exact times k/m RIFE uses."""

FILM_FILE = "film_net_fp32.pt"
MAX_MULTIPLIER = 16
FLOW = "flow (no weights)"


def _method(conv, wanted):
    """wanted if the server lists it, else the first FILM file it lists, else optical flow."""
    spec = conv.object_info.get("TempoFILMInterpolate", {}).get("input", {}).get("required", {}).get("method")
    choices = spec[0] if spec and isinstance(spec[0], list) else []
    if wanted in choices or not choices:
        return wanted
    films = [c for c in choices if not c.endswith("(no weights)")]
    return films[0] if films else FLOW


def interpolate(conv, node):
    get = node.inputs.get
    multiplier = int(get("multiplier", 2))
    if multiplier < 2:
        conv.remove(node, {0: get("frames")})
        conv.report.mapped(node.id, node.type)
        conv.report.note(node.id, node.type, "multiplier 1 adds no frames: the frames pass straight through")
        return
    if multiplier > MAX_MULTIPLIER:
        conv.report.approximated(node.id, node.type, f"multiplier {multiplier}: Tempo's maximum {MAX_MULTIPLIER}")
        multiplier = MAX_MULTIPLIER
    film = node.type == "FILM VFI"
    method = _method(conv, get("ckpt_name", FILM_FILE) if film else FILM_FILE)
    if not film:
        conv.report.approximated(node.id, node.type, f"RIFE is not in Tempo: {method} makes the in-betweens at "
                                 f"the same times k/m")
    elif method != get("ckpt_name", FILM_FILE):
        conv.report.approximated(node.id, node.type, f"{get('ckpt_name')!r} is not in models/frame_interpolation "
                                 f"or models/film: {method} used")
    inputs = {"images": get("frames"), "multiplier": multiplier, "method": method,
              "mode": "recursive midpoints" if film else "exact times k/m", "loop": False,
              "batch_size": get("batch_size")}
    new_id = conv.replace(node, "TempoFILMInterpolate", inputs)
    conv.report.mapped(node.id, node.type, f"{new_id}:TempoFILMInterpolate")
    if conv.linked(node, "optional_interpolation_states"):
        conv.report.approximated(node.id, node.type, "optional_interpolation_states (frames to skip): every pair "
                                 "is interpolated")
    conv.report.note(node.id, node.type, "clear_cache_after_n_frames: not needed (FILM Interpolate frees memory "
                     "per pair)")


HANDLERS = {"FILM VFI": interpolate, "RIFE VFI": interpolate}
