"""The A1111 AnimateDiff extension's generation settings (PNG/GIF infotext) -> a Tempo UI-format workflow.

The infotext is the prompt, a "Negative prompt:" line and a last line of "Key: value" pairs, among them
AnimateDiff: "model: ..., video_length: ..., fps: ..., closed_loop: ..., batch_size: ..., stride: ...,
overlap: ..., interp: ..., interp_x: ..." (older versions wrote the pairs unquoted, starting with enable: True).
The extension samples in looped uniform windows of batch_size frames and averages them (flat)."""
import re

from .interpolation import FILM_FILE, MAX_MULTIPLIER, choose_method
from .layout import api_to_ui
from .report import Report
from .targets import FALLBACK

PARAM = re.compile(r'\s*([\w][\w \-/+.]*):\s*("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)')
AD_KEYS = {"enable", "model", "video_length", "fps", "loop_number", "closed_loop", "batch_size", "stride", "overlap",
           "interp", "interp_x", "freeinit_enable", "latent_power", "latent_scale", "latent_power_last",
           "latent_scale_last", "mm_hash", "version", "request_id", "format"}
# A1111 sampler name -> (ComfyUI sampler, scheduler when the name carries one)
SAMPLERS = {"euler a": "euler_ancestral", "euler": "euler", "lms": "lms", "heun": "heun", "dpm2": "dpm_2",
            "dpm2 a": "dpm_2_ancestral", "dpm++ 2s a": "dpmpp_2s_ancestral", "dpm++ 2m": "dpmpp_2m",
            "dpm++ sde": "dpmpp_sde", "dpm++ 2m sde": "dpmpp_2m_sde", "dpm++ 3m sde": "dpmpp_3m_sde",
            "dpm fast": "dpm_fast", "dpm adaptive": "dpm_adaptive", "ddim": "ddim", "unipc": "uni_pc", "lcm": "lcm",
            "ddpm": "ddpm", "restart": "euler"}
SCHEDULERS = {"karras": "karras", "exponential": "exponential", "sgm uniform": "sgm_uniform", "simple": "simple",
              "normal": "normal", "ddim": "ddim_uniform", "beta": "beta", "automatic": "normal", "uniform": "normal"}
USED = {"Steps", "Sampler", "Schedule type", "CFG scale", "Seed", "Size", "Model", "AnimateDiff"}
IGNORED = {"Model hash", "Version", "VAE hash", "TI hashes", "Lora hashes", "Module", "Token merging ratio"}


def parse_infotext(text):
    """(prompt, negative prompt, {key: value}) of an A1111 infotext."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("a1111: expected the infotext (prompt, Negative prompt: line, Steps: ... line) as text")
    lines = text.strip().splitlines()
    params = {}
    if PARAM.match(lines[-1]) and lines[-1].lstrip().startswith("Steps:"):
        params = {k.strip(): _unquote(v) for k, v in PARAM.findall(lines.pop())}
    prompt, negative, target = [], [], None
    for line in lines:
        if line.startswith("Negative prompt:"):
            target = negative
            line = line[len("Negative prompt:"):].strip()
        (negative if target is negative else prompt).append(line)
    return "\n".join(prompt).strip(), "\n".join(negative).strip(), params


def _unquote(value):
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\n", "\n")
    return value


def animatediff_settings(params):
    """The AnimateDiff block as a dict (quoted block, or the older unquoted pairs among the top-level ones)."""
    block = params.get("AnimateDiff", "")
    settings = {k.strip(): v.strip() for k, v in PARAM.findall(block) if ":" not in v} if ":" in block else {}
    settings.update({k: v for k, v in params.items() if k in AD_KEYS and k not in settings})
    if block and ":" not in block:
        settings.setdefault("enable", block)
    return settings


def _int(value, default):
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


def _float(value, default):
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _choice(object_info, node, name, wanted, report, field):
    """wanted, or the server's choice with the same stem (file extensions differ between installs)."""
    spec = object_info.get(node, {}).get("input", {}).get("required", {}).get(name)
    choices = spec[0] if spec and isinstance(spec[0], list) else []
    if not choices or wanted in choices:
        return wanted
    stem = wanted.rsplit(".", 1)[0].lower()
    same = [c for c in choices if c.rsplit(".", 1)[0].lower().rsplit("/", 1)[-1] == stem.rsplit("/", 1)[-1]]
    if same:
        return same[0]
    report.approximated(field, "A1111 infotext", f"{wanted!r} is not on this server; put it in the models folder")
    return wanted


def _sampler(params, report):
    name = params.get("Sampler", "Euler a")
    lowered = name.lower()
    scheduler = SCHEDULERS.get(params.get("Schedule type", "").lower(), "normal")
    for suffix in ("karras", "exponential"):
        if lowered.endswith(" " + suffix):
            lowered, scheduler = lowered[: -len(suffix) - 1], suffix
    sampler = SAMPLERS.get(lowered)
    if sampler is None:
        report.approximated("Sampler", "A1111 infotext", f"sampler {name!r} is not in ComfyUI; euler_ancestral used")
        sampler = "euler_ancestral"
    report.mapped("Sampler", "A1111 infotext", f"{sampler} / {scheduler}")
    return sampler, scheduler


def from_a1111(text, object_info=None):
    """(UI-format workflow, report entries) for an A1111 AnimateDiff infotext."""
    info = {**FALLBACK, **(object_info or {})}
    report = Report()
    prompt, negative, params = parse_infotext(text)
    ad = animatediff_settings(params)
    if not ad:
        raise ValueError("a1111: no AnimateDiff settings in the infotext (expected an 'AnimateDiff: ...' entry "
                         "on its last line)")
    graph = _graph(prompt, negative, params, ad, info, report)
    _report_rest(params, ad, report)
    return api_to_ui(graph, info), report.entries()


def _graph(prompt, negative, params, ad, info, report):
    width, _, height = params.get("Size", "512x512").partition("x")
    length = _int(ad.get("batch_size"), 16)
    frames = _int(ad.get("video_length"), 0) or length
    overlap = _int(ad.get("overlap"), -1)
    overlap = length // 4 if overlap < 0 else overlap
    sampler, scheduler = _sampler(params, report)
    model = params.get("Model", "v1-5-pruned-emaonly")
    ckpt = _choice(info, "CheckpointLoaderSimple", "ckpt_name", model + ".safetensors", report, "Model")
    motion = _choice(info, "TempoLoadMotionModule", "model_name", ad.get("model", "mm_sd_v15_v2.ckpt"), report,
                     "AnimateDiff model")
    closed = ad.get("closed_loop", "N")
    g = {"1": ("CheckpointLoaderSimple", {"ckpt_name": ckpt}),
         "2": ("TempoLoadMotionModule", {"model": ["1", 0], "model_name": motion, "motion_scale": 1.0,
                                         "effect": 1.0, "beta_schedule": "auto"}),
         "3": ("TempoPromptSchedule", {"clip": ["1", 1], "text": prompt, "frames": frames,
                                       "interpolation": "linear", "negative": negative}),
         "4": ("EmptyLatentImage", {"width": _int(width, 512), "height": _int(height, 512), "batch_size": frames}),
         "5": ("TempoContextWindowSampler", {
             "model": ["2", 0], "positive": ["3", 0], "negative": ["3", 1], "latent_image": ["4", 0],
             "seed": _int(params.get("Seed"), 0), "steps": _int(params.get("Steps"), 20),
             "cfg": _float(params.get("CFG scale"), 7.0), "sampler_name": sampler, "scheduler": scheduler,
             "denoise": 1.0, "context_length": length, "context_overlap": min(overlap, length - 1),
             "context_stride": max(1, min(_int(ad.get("stride"), 1), 8)), "closed_loop": closed != "N",
             "context_schedule": "looped", "fuse_method": "flat", "freenoise": False, "windows_per_batch": 0,
             **_freeinit(ad), **_guides(ad)}),
         "6": ("VAEDecode", {"samples": ["5", 0], "vae": ["1", 2]})}
    images = ["6", 0]
    if ad.get("interp", "Off") not in ("Off", "", None):
        g["7"] = ("TempoFILMInterpolate", {"images": images, "multiplier": _multiplier(frames, ad, report),
                                           "method": choose_method(info, FILM_FILE), "mode": "recursive midpoints",
                                           "loop": False})
        images = ["7", 0]
    g["8"] = ("TempoVideoCombine", {"images": images, "frame_rate": _float(ad.get("fps"), 8.0),
                                    "loop_count": _int(ad.get("loop_number"), 0), "filename_prefix": "AnimateDiff",
                                    "format": "image/gif", "pingpong": False, "save_output": True})
    _report_animatediff(ad, closed, report)
    report.note("Seed", "A1111 infotext", "A1111 draws its noise on the GPU by default and ComfyUI on the CPU: the "
                "same seed gives other noise, so the frames differ")
    report.mapped("Seed", "A1111 infotext", "5:TempoContextWindowSampler")
    return {k: {"class_type": t, "inputs": i} for k, (t, i) in g.items()}


def _multiplier(frames, ad, report):
    """The extension hands FILM round((N·x - N) / (N - 1)) in-betweens per pair (Deforum's count)."""
    x = _int(ad.get("interp_x"), 10)
    inserted = round((frames * x - frames) / max(frames - 1, 1))
    multiplier = max(2, min(inserted + 1, MAX_MULTIPLIER))
    if multiplier != inserted + 1:
        report.approximated("interp", "A1111 infotext", f"interp_x {x}: multiplier {multiplier} (Tempo's range "
                            f"2-{MAX_MULTIPLIER})")
    report.mapped("interp", "A1111 infotext", "7:TempoFILMInterpolate")
    return multiplier


def _freeinit(ad):
    """The extension's FreeInit with its UI defaults, which its infotext does not record."""
    if str(ad.get("freeinit_enable", "False")) != "True":
        return {}
    return {"freeinit_iterations": 3, "freeinit_filter": "butterworth", "freeinit_order": 4,
            "freeinit_spatial": 0.25, "freeinit_temporal": 0.25}


def _guides(ad):
    """img2img's latent power and scale for the first and last frame, as the extension records them."""
    defaults = {"latent_power": 1.0, "latent_scale": 32.0, "latent_power_last": 1.0, "latent_scale_last": 32.0}
    return {name: _float(ad[name], default) for name, default in defaults.items() if name in ad}


def _report_animatediff(ad, closed, report):
    entry = ("AnimateDiff", "A1111 infotext")
    report.mapped(*entry, "2:TempoLoadMotionModule", "5:TempoContextWindowSampler", "8:TempoVideoCombine")
    if closed in ("R+P", "R-P", "A"):
        report.approximated(*entry, f"closed_loop {closed}: closed_loop on (the extension's variants of how the "
                            f"loop is closed and prompts travel are not distinguished)")
    if _freeinit(ad):
        report.approximated(*entry, "freeinit_enable: the infotext records only that FreeInit was on; the "
                            "extension's defaults are used (3 iterations, butterworth of order 4, spatial and "
                            "temporal stop 0.25)")
    if _guides(ad):
        report.approximated(*entry, "latent_power / latent_scale (first and last frame) are set on the sampler; "
                            "the init images are not in the infotext: connect them and the VAE to its first_image "
                            "and last_image")
    report.note(*entry, "windows: looped uniform, flat fuse, as the extension samples them")


def _report_rest(params, ad, report):
    for key, value in params.items():
        if key in USED or key in IGNORED or key in AD_KEYS:
            continue
        report.not_converted(key, "A1111 infotext", f"{key}: {value} is not carried over")
