"""ComfyUI-Frame-Interpolation's FILM VFI and RIFE VFI -> FILM Interpolate.

FILM VFI makes each pair's in-betweens by recursive bisection from the nearest frames already made, which is
FILM Interpolate's "recursive midpoints"; its film_net_fp32.pt is a file FILM Interpolate loads. RIFE VFI asks
RIFE for each in-between at its time k/m, which is "exact times k/m"; FILM Interpolate loads the same RIFE 4.5+
files (rife47.pth, ...) and takes RIFE VFI's scale_factor and ensemble."""

FILM_FILE = "film_net_fp32.pt"
MAX_MULTIPLIER = 16
FLOW = "flow (no weights)"


def method_choices(object_info):
    """FILM Interpolate's method list on the server, [] when the caller has no server."""
    spec = object_info.get("TempoFILMInterpolate", {}).get("input", {}).get("required", {}).get("method")
    return spec[0] if spec and isinstance(spec[0], list) else []


def is_rife(name):
    return "rife" in name.lower()


def choose_method(object_info, wanted):
    """wanted if the server lists it (or there is no list); else a file of the same family it lists, then any
    file, then optical flow."""
    choices = method_choices(object_info)
    if wanted in choices or not choices:
        return wanted
    files = [c for c in choices if not c.endswith("(no weights)")]
    same = [c for c in files if is_rife(c) == is_rife(wanted)]
    return (same or files or [FLOW])[0]


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
    wanted = get("ckpt_name", FILM_FILE if film else "rife47.pth")
    method = choose_method(conv.object_info, wanted)
    if method != wanted:
        conv.report.approximated(node.id, node.type, f"{wanted!r} is not in Tempo's interpolation model folders "
                                 f"(models/frame_interpolation, models/film, models/rife): {method} used")
    inputs = {"images": get("frames"), "multiplier": multiplier, "method": method,
              "mode": "recursive midpoints" if film else "exact times k/m", "loop": False,
              "batch_size": get("batch_size")}
    if not film:
        inputs.update(rife_scale=float(get("scale_factor", 1.0)), ensemble=bool(get("ensemble", False)))
        conv.report.note(node.id, node.type, "fast_mode: only RIFE 4.0-4.3 have the refinement it skips; Tempo "
                         "loads 4.5 and later. dtype: Tempo computes in the precision ComfyUI picks for the device")
    new_id = conv.replace(node, "TempoFILMInterpolate", inputs)
    conv.report.mapped(node.id, node.type, f"{new_id}:TempoFILMInterpolate")
    if conv.linked(node, "optional_interpolation_states"):
        conv.report.approximated(node.id, node.type, "optional_interpolation_states (frames to skip): every pair "
                                 "is interpolated")
    conv.report.note(node.id, node.type, "clear_cache_after_n_frames: not needed (FILM Interpolate frees memory "
                     "per pair)")


HANDLERS = {"FILM VFI": interpolate, "RIFE VFI": interpolate}
