"""Widget layouts of the other packs' nodes: the names behind a saved node's widgets_values, per version.

Learnt from each pack's INPUT_TYPES across its history (facts only). A node type has one or more layouts; the
one with as many names as the saved values wins, else the longest is read as far as the values go (newer
versions append optional widgets, so older files are a prefix). "_" marks a value the frontend saves that is no
input (a seed's control mode, a preview). VideoHelperSuite saves a {name: value} object instead of a list."""
from .video import vhs_list_widgets

_CONTEXT_TAIL = ["fuse_method", "use_on_equal_length", "start_percent", "guarantee_steps"]
_FIZZ_WEIGHTS = ["pw_a", "pw_b", "pw_c", "pw_d"]

LAYOUTS = {
    # AnimateDiff-Evolved: loaders
    "ADE_AnimateDiffLoaderGen1": [["model_name", "beta_schedule"]],
    "ADE_AnimateDiffLoaderWithContext": [["model_name", "beta_schedule", "motion_scale", "apply_v2_models_properly"]],
    "AnimateDiffLoaderV1": [["model_name", "unlimited_area_hack", "beta_schedule"]],
    "ADE_AnimateDiffLoaderV1Advanced": [["model_name", "unlimited_area_hack", "context_length", "context_stride",
                                         "context_overlap", "context_schedule", "closed_loop", "beta_schedule"]],
    "ADE_UseEvolvedSampling": [["beta_schedule"]],
    "ADE_ApplyAnimateDiffModel": [["start_percent", "end_percent"]],
    "ADE_ApplyAnimateDiffModelSimple": [[]],
    "ADE_LoadAnimateDiffModel": [["model_name"]],
    "ADE_AnimateDiffLoRALoader": [["name", "strength"]],
    "ADE_MultivalDynamic": [["float_val"]],
    "ADE_MultivalDynamicFloatInput": [[], ["float_val"]],
    # AnimateDiff-Evolved: context options (the legacy uniform node is the old looped one)
    "ADE_StandardStaticContextOptions": [["context_length", "context_overlap", *_CONTEXT_TAIL]],
    "ADE_StandardUniformContextOptions": [["context_length", "context_stride", "context_overlap", *_CONTEXT_TAIL]],
    "ADE_LoopedUniformContextOptions": [["context_length", "context_stride", "context_overlap", "closed_loop",
                                         *_CONTEXT_TAIL]],
    "ADE_AnimateDiffUniformContextOptions": [["context_length", "context_stride", "context_overlap",
                                              "context_schedule", "closed_loop", *_CONTEXT_TAIL]],
    "ADE_BatchedContextOptions": [["context_length", "start_percent", "guarantee_steps"]],
    # seed_override is forceInput: older frontends saved a value for it, newer ones do not
    "ADE_AnimateDiffSamplingSettings": [["batch_offset", "noise_type", "seed_gen", "seed_offset",
                                         "adapt_denoise_steps"],
                                        ["batch_offset", "noise_type", "seed_gen", "seed_offset", "seed_override",
                                         "adapt_denoise_steps"]],
    # FizzNodes: pre_text, app_text and the pw_* weights are forceInput (saved by older frontends only)
    "BatchPromptSchedule": [["text", "max_frames", "print_output"],
                            ["text", "max_frames", "print_output", "start_frame", "end_frame"],
                            ["text", "max_frames", "print_output", "pre_text", "app_text", "start_frame", "end_frame"],
                            ["text", "max_frames", "print_output", "pre_text", "app_text", *_FIZZ_WEIGHTS],
                            ["text", "max_frames", "print_output", "pre_text", "app_text", "start_frame", "end_frame",
                             *_FIZZ_WEIGHTS]],
    "BatchPromptScheduleLatentInput": [["text", "print_output", "start_frame", "end_frame"],
                                       ["text", "print_output", "pre_text", "app_text", "start_frame", "end_frame",
                                        *_FIZZ_WEIGHTS]],
    "PromptSchedule": [["text", "max_frames", "print_output"],
                       ["text", "max_frames", "current_frame", "print_output"],
                       ["text", "max_frames", "current_frame", "print_output", "pre_text", "app_text",
                        *_FIZZ_WEIGHTS]],
    # ComfyUI-Frame-Interpolation
    "FILM VFI": [["ckpt_name", "clear_cache_after_n_frames", "multiplier"]],
    "RIFE VFI": [["ckpt_name", "clear_cache_after_n_frames", "multiplier", "fast_mode", "ensemble", "scale_factor",
                  "dtype", "torch_compile", "batch_size"]],
    # Advanced-ControlNet (v1 names, then the v2 / io-schema names)
    "ControlNetLoaderAdvanced": [["control_net_name"]],
    "ACN_ControlNetLoaderAdvanced": [["cnet"]],
    "DiffControlNetLoaderAdvanced": [["control_net_name"]],
    "ACN_DiffControlNetLoaderAdvanced": [["cnet"]],
    "ACN_AdvancedControlNetApply": [["strength", "start_percent", "end_percent"]],
    "ACN_AdvancedControlNetApply_v2": [["strength", "start_percent", "end_percent"]],
    "ACN_AdvancedControlNetApplySingle": [["strength", "start_percent", "end_percent"]],
    "ACN_AdvancedControlNetApplySingle_v2": [["strength", "start_percent", "end_percent"]],
    # host sampler, read to replace it
    "KSampler": [["seed", "_", "steps", "cfg", "sampler_name", "scheduler", "denoise"]],
}

# VideoHelperSuite's list-format saves (before it saved objects): read by value type in vhs_list_widgets.
VHS_TYPES = ("VHS_VideoCombine", "VHS_LoadVideo", "VHS_LoadVideoPath")


def _pick(layouts, count):
    return next((layout for layout in layouts if len(layout) == count), max(layouts, key=len))


def read_peer_widgets(node_type, values):
    """name -> value of a peer node's saved widgets, or None for a type this table does not know."""
    if isinstance(values, dict):
        return {k: v for k, v in values.items() if k != "videopreview"}
    if node_type in VHS_TYPES:
        return vhs_list_widgets(node_type, values or [])
    if node_type not in LAYOUTS:
        return None
    values = list(values or [])
    layout = _pick(LAYOUTS[node_type], len(values))
    return {name: value for name, value in zip(layout, values) if name != "_"}
