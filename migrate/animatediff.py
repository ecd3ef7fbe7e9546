"""AnimateDiff-Evolved -> Load Motion Module (+ Apply Motion LoRA) and, where its MODEL samples in context
windows, Context Window Sampler in place of the KSampler.

Gen1 loaders carry everything on one node; gen2 splits it over Load AnimateDiff Model -> Apply AnimateDiff
Model -> Use Evolved Sampling. Both collapse into one Load Motion Module; the settings nodes they read (context
options, motion LoRAs, sample settings, multivals) are merged into the nodes written."""
from .conversion import New
from .ui_format import is_value

ENTRIES = {"ADE_AnimateDiffLoaderGen1", "ADE_AnimateDiffLoaderWithContext", "AnimateDiffLoaderV1",
           "ADE_AnimateDiffLoaderV1Advanced", "ADE_UseEvolvedSampling"}
SETTINGS_NODES = {"ADE_ApplyAnimateDiffModel", "ADE_ApplyAnimateDiffModelSimple", "ADE_LoadAnimateDiffModel",
                  "ADE_AnimateDiffLoRALoader", "ADE_AnimateDiffSamplingSettings", "ADE_MultivalDynamic",
                  "ADE_MultivalDynamicFloatInput", "ADE_MultivalDynamicFloats", "ADE_StandardStaticContextOptions",
                  "ADE_StandardUniformContextOptions", "ADE_LoopedUniformContextOptions",
                  "ADE_AnimateDiffUniformContextOptions", "ADE_BatchedContextOptions"}
# context options node -> Tempo context_schedule (the legacy "uniform" node is ADE's looped uniform)
SCHEDULES = {"ADE_StandardStaticContextOptions": "static", "ADE_StandardUniformContextOptions": "uniform",
             "ADE_LoopedUniformContextOptions": "looped", "ADE_AnimateDiffUniformContextOptions": "looped",
             "ADE_BatchedContextOptions": "batched"}
FUSE_METHODS = ("pyramid", "flat", "overlap-linear", "relative")
MAX_STRIDE = 8
# AnimateDiff-Evolved beta_schedule -> Load Motion Module beta_schedule, when it is the same schedule
BETAS = {"sqrt_linear (AnimateDiff)": "sqrt_linear (AnimateDiff)", "sqrt_linear": "sqrt_linear (AnimateDiff)",
         "linear (AnimateDiff-SDXL)": "linear (AnimateDiff SDXL beta)", "linear (HotshotXL/default)": "model's own",
         "linear": "model's own", "use existing": "model's own", "lcm >> sqrt_linear": "lcm (AnimateLCM)"}
LCM_BETAS = {"lcm", "lcm[100_ots]", "lcm[25_ots]", "lcm avg(sqrt_linear,linear)"}


def beta_schedule(conv, node, value, model_name):
    if value in (None, "autoselect"):
        if "lcm" in str(model_name).lower():
            conv.report.approximated(node.id, node.type, "beta_schedule autoselect: for AnimateLCM, "
                                     "AnimateDiff-Evolved picks 'lcm' over SD's own β (linear); Tempo's auto uses "
                                     "LCM over the AnimateDiff training β (sqrt_linear)")
        return "auto"
    if value in BETAS:
        return BETAS[value]
    if value in LCM_BETAS:
        conv.report.approximated(node.id, node.type, f"beta_schedule {value!r}: Tempo's nearest is "
                                 f"'lcm (AnimateLCM)' (LCM over sqrt_linear β)")
        return "lcm (AnimateLCM)"
    conv.report.approximated(node.id, node.type, f"beta_schedule {value!r} has no Tempo equivalent; auto (the motion "
                             f"model's training schedule) used")
    return "auto"


# ---- settings nodes ---------------------------------------------------------------------------------------------

def _ignored(conv, node, names, what):
    for name in names:
        if conv.linked(node, name):
            conv.report.approximated(node.id, node.type, f"{name}: {what} not converted (left out)")


def multival(conv, owner, name, into):
    """(value, per-frame text) for a scale/effect multival input; value may be a link to a float."""
    source = conv.upstream(owner, name)
    if source is None:
        return None, None
    conv.consume(source, into)
    if conv.linked(source, "mask_optional"):
        conv.report.approximated(source.id, source.type, "mask_optional: per-pixel values are not supported; "
                                 "the float value is used everywhere")
    if source.type in ("ADE_MultivalDynamic", "ADE_MultivalDynamicFloatInput"):
        value = source.inputs.get("float_val", 1.0)
        return (value if is_value(value) else conv.final(value)), None
    floats = source.inputs.get("floats")
    if source.type == "ADE_MultivalDynamicFloats" and isinstance(floats, list):
        return None, ", ".join(str(f) for f in floats)
    conv.report.approximated(source.id, source.type, f"{name}: not readable from {source.type}; 1.0 used")
    return None, None


def motion_loras(conv, owner):
    """The motion LoRA loaders chained into owner's motion_lora input, first loaded first."""
    chain = []
    node = conv.upstream(owner, "motion_lora")
    while node is not None and node.type == "ADE_AnimateDiffLoRALoader":
        chain.append(node)
        node = conv.upstream(node, "prev_motion_lora")
    if node is not None:
        conv.report.approximated(owner.id, owner.type, f"motion_lora from {node.type}: not converted")
    return chain[::-1]


def context_settings(conv, node):
    """Context Window Sampler inputs from a context options node (None without one)."""
    options = conv.upstream(node, "context_options")
    if options is None:
        return None
    conv.consume(options, None, "context windows carried into the sampler(s) of this model")
    if options.type not in SCHEDULES:
        conv.report.not_converted(options.id, options.type, "this kind of context options has no Tempo equivalent; "
                                  "the clip is sampled as one window")
        return None
    get = options.inputs.get
    legacy = options.type == "ADE_AnimateDiffUniformContextOptions"
    settings = {"context_length": get("context_length", 16), "context_overlap": get("context_overlap", 4),
                "context_stride": get("context_stride", 1), "closed_loop": bool(get("closed_loop", False)),
                "context_schedule": SCHEDULES[options.type],
                "fuse_method": get("fuse_method", "flat" if legacy else "pyramid")}
    if options.type == "ADE_BatchedContextOptions":
        settings.update(context_overlap=0, context_stride=1, fuse_method="flat")
    if options.type == "ADE_StandardStaticContextOptions":
        settings["context_stride"] = 1
    _check_context(conv, options, settings)
    return settings


def _check_context(conv, options, settings):
    note = lambda text: conv.report.approximated(options.id, options.type, text)  # noqa: E731
    if settings["fuse_method"] not in FUSE_METHODS:
        note(f"fuse_method {settings['fuse_method']!r}: not in Tempo; pyramid used")
        settings["fuse_method"] = "pyramid"
    if settings["context_stride"] > MAX_STRIDE:
        note(f"context_stride {settings['context_stride']}: Tempo's maximum {MAX_STRIDE} used")
        settings["context_stride"] = MAX_STRIDE
    if options.inputs.get("use_on_equal_length"):
        note("use_on_equal_length: a clip as long as the window is sampled as one window")
    if options.inputs.get("start_percent", 0.0) or options.inputs.get("guarantee_steps", 1) != 1:
        note("start_percent / guarantee_steps: windows apply from the first step")
    _ignored(conv, options, ["prev_context"], "chained context options (only this one is used)")
    _ignored(conv, options, ["view_opts"], "view options")


def freenoise(conv, node):
    settings = conv.upstream(node, "sample_settings")
    if settings is None:
        return False
    conv.consume(settings, None, "noise type carried into the sampler(s) of this model")
    get = settings.inputs.get
    noise_type = get("noise_type", "default")
    if noise_type not in ("default", "FreeNoise"):
        conv.report.approximated(settings.id, settings.type, f"noise_type {noise_type!r}: default noise used")
    if get("seed_gen", "comfy") not in ("comfy", "comfy [gpu]") or get("batch_offset", 0) or get("seed_offset", 0):
        conv.report.approximated(settings.id, settings.type, "seed_gen / batch_offset / seed_offset: Tempo draws "
                                 "the stock KSampler's noise (comfy, no offsets)")
    _ignored(conv, settings, ["noise_layers", "iteration_opts", "custom_cfg", "sigma_schedule", "image_inject",
                              "ancestral_opts", "seed_override"], "sample setting")
    if conv.linked(settings, "iteration_opts"):
        conv.report.note(settings.id, settings.type, "FreeInit (iteration_opts) does not exist in Tempo yet")
    return noise_type == "FreeNoise"


# ---- entry nodes ------------------------------------------------------------------------------------------------

def convert_entry(conv, node):
    """Converts one AnimateDiff entry node (a gen1 loader or Use Evolved Sampling)."""
    motion = node
    if node.type == "ADE_UseEvolvedSampling":
        motion = conv.upstream(node, "m_models")
        if motion is not None and motion.type not in ("ADE_ApplyAnimateDiffModel", "ADE_ApplyAnimateDiffModelSimple"):
            conv.report.not_converted(node.id, node.type, f"m_models from {motion.type}: not converted")
            motion = None
    if motion is None:
        conv.remove(node, {0: node.inputs.get("model")})
        conv.report.mapped(node.id, node.type)
        conv.report.note(node.id, node.type, "no motion model attached: only its context options are carried over")
        _windows(conv, node)
        return
    last = _motion_module(conv, node, motion)
    if node.type == "AnimateDiffLoaderV1" or node.type == "ADE_AnimateDiffLoaderV1Advanced":
        conv.rewire[(node.id, 1)] = node.inputs.get("latents")  # these loaders passed the latents through
    conv.rewire[(node.id, 0)] = New(last, 0)
    _windows(conv, node)


def _motion_module(conv, entry, motion):
    """Writes Load Motion Module (under the entry's id) and the LoRA chain after it; returns the last id."""
    get = motion.inputs.get
    load = motion
    if motion is not entry:
        load = conv.upstream(motion, "motion_model")
    model_name = load.inputs.get("model_name") if load is not None else None
    if model_name is None:
        conv.report.approximated(entry.id, entry.type, "no motion model file is connected; choose one in Load "
                                 "Motion Module")
    new_id = conv.replace(entry, "TempoLoadMotionModule", {
        "model": entry.inputs.get("model"), "model_name": model_name,
        "beta_schedule": beta_schedule(conv, entry, entry.inputs.get("beta_schedule"), model_name),
        "start_percent": get("start_percent", 0.0), "end_percent": get("end_percent", 1.0)})
    scale, scale_frames = multival(conv, motion, "scale_multival", new_id)
    effect, effect_frames = multival(conv, motion, "effect_multival", new_id)
    if isinstance(effect, (int, float)) and effect > 1:
        conv.report.approximated(entry.id, entry.type, f"effect {effect}: Tempo's effect stops at 1")
        effect = 1.0
    strengths = {"motion_scale": get("motion_scale", 1.0) if scale is None else scale,
                 "effect": 1.0 if effect is None else effect,
                 "motion_scale_per_frame": scale_frames, "effect_per_frame": effect_frames}
    conv.emitted[new_id][1].update({k: v for k, v in strengths.items() if v is not None})
    conv.report.mapped(entry.id, entry.type, f"{new_id}:TempoLoadMotionModule")
    if motion is not entry:
        conv.consume(motion, new_id)
        if load is not None:
            conv.consume(load, new_id)
        if conv.linked(motion, "prev_m_models"):
            conv.report.approximated(motion.id, motion.type, "prev_m_models: Tempo attaches one motion model; "
                                     "the others are left out")
    _entry_notes(conv, entry, motion, load)
    last = new_id
    for lora in motion_loras(conv, motion):
        name = lora.inputs.get("name", lora.inputs.get("lora_name"))
        last = conv.emit("TempoApplyMotionLoRA", {"model": New(last, 0), "lora_name": name,
                                                  "strength": lora.inputs.get("strength", 1.0)}, entry.id)
        conv.consume(lora, last)
        conv.report.mapped(entry.id, entry.type, f"{last}:TempoApplyMotionLoRA")
    return last


def _entry_notes(conv, entry, motion, load):
    _ignored(conv, motion, ["ad_keyframes", "per_block"], "AnimateDiff keyframes / per-block settings")
    _ignored(conv, entry, ["ad_settings", "motion_model_settings"], "motion model settings (PE stretch, "
                                                                    "attention strengths)")
    if load is not None and load is not motion:
        _ignored(conv, load, ["ad_settings"], "motion model settings (PE stretch, attention strengths)")
    if entry.inputs.get("apply_v2_models_properly") is False:
        conv.report.approximated(entry.id, entry.type, "apply_v2_models_properly off: Tempo always applies v2 "
                                 "models properly")
    if entry.inputs.get("unlimited_area_hack"):
        conv.report.approximated(entry.id, entry.type, "unlimited_area_hack: not needed in Tempo; left out")


def _windows(conv, node):
    """Records the sampler settings this entry's MODEL asks for (context windows, FreeNoise)."""
    if node.type == "ADE_AnimateDiffLoaderV1Advanced":
        get = node.inputs.get
        settings = {"context_length": get("context_length", 16), "context_overlap": get("context_overlap", 4),
                    "context_stride": min(get("context_stride", 1), MAX_STRIDE),
                    "closed_loop": bool(get("closed_loop", False)), "context_schedule": "looped",
                    "fuse_method": "flat"}
    else:
        settings = context_settings(conv, node)
    noise = freenoise(conv, node)
    if settings is None:
        if noise:
            conv.report.approximated(node.id, node.type, "FreeNoise needs context windows; left out")
        return
    settings["freenoise"] = noise
    conv.windowed[node.id] = settings
    conv.sources_of[node.id] = [n.id for n in (conv.upstream(node, "context_options"),
                                               conv.upstream(node, "sample_settings")) if n is not None]


# ---- samplers ---------------------------------------------------------------------------------------------------

SAMPLER_INPUTS = ("model", "positive", "negative", "latent_image", "seed", "steps", "cfg", "sampler_name",
                  "scheduler", "denoise")


def window_entry(conv, sampler):
    """The AnimateDiff entry node with window settings whose MODEL this sampler samples with, through model
    patches (None if there is none)."""
    link, seen = sampler.inputs.get("model"), set()
    while link is not None and not is_value(link):
        link = conv.source.origin(link)
        if link is None or link.node in seen:
            return None
        seen.add(link.node)
        if link.node in conv.windowed:
            return link.node
        upstream = conv.node(link.node)
        link = upstream.inputs.get("model") if link.slot == 0 else None
    return None


def convert_samplers(conv):
    used = set()
    for node_id, node_type in conv.source.types.items():
        if node_id in conv.removed:
            continue
        node = conv.node(node_id)
        entry = window_entry(conv, node) if "model" in node.inputs else None
        if entry is None:
            continue
        used.add(entry)
        if node_type != "KSampler":
            conv.report.not_converted(node_id, node_type, "samples a model with AnimateDiff context windows; only "
                                      "KSampler is converted to Context Window Sampler, so this one samples the "
                                      "whole clip as one window")
            continue
        inputs = {name: node.inputs.get(name) for name in SAMPLER_INPUTS} | conv.windowed[entry]
        new_id = conv.replace(node, "TempoContextWindowSampler", inputs)
        conv.report.mapped(node_id, node_type, f"{new_id}:TempoContextWindowSampler")
        conv.report.note(node_id, node_type, "context windows of the AnimateDiff model it samples")
        for settings_id in conv.sources_of.get(entry, []):
            conv.report.mapped(settings_id, conv.source.types[settings_id], f"{new_id}:TempoContextWindowSampler")
    for entry in set(conv.windowed) - used:
        conv.report.approximated(entry, conv.source.types[entry], "context windows: no KSampler samples this "
                                 "model, so they are left out")
