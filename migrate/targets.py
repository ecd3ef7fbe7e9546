"""The nodes a conversion writes, as /object_info entries, for when the caller has no server to ask.

A running server's /object_info (the route passes its own) always wins: it knows the files in the model folders
and every optional input of this version. This table only needs what a canvas node is built from: the inputs in
order, which are widgets, their defaults, and the outputs. Written "name:TYPE=default", optional inputs after
"|"; a combo is COMBO with its default as the only choice ("~" stands for a space)."""
import json

_TABLE = {
    "TempoLoadMotionModule": ("model:MODEL model_name:COMBO= motion_scale:FLOAT=1.0 effect:FLOAT=1.0 "
                              "beta_schedule:COMBO=auto | start_percent:FLOAT=0.0 end_percent:FLOAT=1.0 "
                              "motion_scale_per_frame:STRING= effect_per_frame:STRING= variant:COMBO=auto", "MODEL"),
    "TempoApplyMotionLoRA": ("model:MODEL lora_name:COMBO= strength:FLOAT=1.0", "MODEL"),
    "TempoContextWindowSampler": (
        "model:MODEL positive:CONDITIONING negative:CONDITIONING latent_image:LATENT seed:INT=0 steps:INT=20 "
        "cfg:FLOAT=8.0 sampler_name:COMBO=euler scheduler:COMBO=normal denoise:FLOAT=1.0 context_length:INT=16 "
        "context_overlap:INT=4 context_stride:INT=1 closed_loop:BOOLEAN=false context_schedule:COMBO=uniform "
        "fuse_method:COMBO=pyramid freenoise:BOOLEAN=false windows_per_batch:INT=0 | first_image:IMAGE "
        "last_image:IMAGE vae:VAE latent_power:FLOAT=1.0 latent_scale:FLOAT=32.0 latent_power_last:FLOAT=1.0 "
        "latent_scale_last:FLOAT=32.0 freeinit_iterations:INT=1 freeinit_filter:COMBO=butterworth "
        "freeinit_order:INT=4 freeinit_spatial:FLOAT=0.25 freeinit_temporal:FLOAT=0.25", "LATENT"),
    "TempoPromptSchedule": ("clip:CLIP text:STRING= frames:INT=16 interpolation:COMBO=linear | pre_text:STRING= "
                            "app_text:STRING= negative:STRING= latent:LATENT",
                            "positive:CONDITIONING negative:CONDITIONING schedule:STRING"),
    "TempoFILMInterpolate": ("images:IMAGE multiplier:INT=2 method:COMBO= "
                             "mode:COMBO=exact~times~k/m loop:BOOLEAN=false | batch_size:INT=1 "
                             "rife_scale:COMBO=1.0 ensemble:BOOLEAN=false", "IMAGE"),
    "TempoVideoCombine": ("frame_rate:FLOAT=8.0 loop_count:INT=0 filename_prefix:STRING=Tempo "
                          "format:COMBO= pingpong:BOOLEAN=false save_output:BOOLEAN=true | "
                          "images:IMAGE latent:LATENT vae:VAE audio:AUDIO crf:INT=19 preset:COMBO=medium "
                          "pix_fmt:COMBO=yuv420p dither:COMBO=floyd_steinberg webp_quality:INT=90", "filenames:STRING"),
    "TempoLoadVideo": ("video:UPLOAD= force_rate:FLOAT=0.0 skip_first_frames:INT=0 select_every_nth:INT=1 "
                       "frame_load_cap:INT=0 resize:COMBO=none custom_width:INT=0 custom_height:INT=0",
                       "images:IMAGE frame_count:INT fps:FLOAT audio:AUDIO"),
    "CheckpointLoaderSimple": ("ckpt_name:COMBO=", "MODEL CLIP VAE"),
    "CLIPTextEncode": ("text:STRING= clip:CLIP", "CONDITIONING"),
    "EmptyLatentImage": ("width:INT=512 height:INT=512 batch_size:INT=1", "LATENT"),
    "KSampler": ("model:MODEL seed:INT=0 steps:INT=20 cfg:FLOAT=8.0 sampler_name:COMBO=euler "
                 "scheduler:COMBO=normal positive:CONDITIONING negative:CONDITIONING latent_image:LATENT "
                 "denoise:FLOAT=1.0", "LATENT"),
    "VAEDecode": ("samples:LATENT vae:VAE", "IMAGE"),
    "VAEEncode": ("pixels:IMAGE vae:VAE", "LATENT"),
    "ControlNetLoader": ("control_net_name:COMBO=", "CONTROL_NET"),
    "DiffControlNetLoader": ("model:MODEL control_net_name:COMBO=", "CONTROL_NET"),
    "ControlNetApplyAdvanced": ("positive:CONDITIONING negative:CONDITIONING control_net:CONTROL_NET image:IMAGE "
                                "strength:FLOAT=1.0 start_percent:FLOAT=0.0 end_percent:FLOAT=1.0 | vae:VAE",
                                "positive:CONDITIONING negative:CONDITIONING"),
}


def _spec(text):
    name, _, kind = text.partition(":")
    kind, has_default, default = kind.partition("=")
    default = default.replace("~", " ")
    if kind in ("COMBO", "UPLOAD"):
        extra = {"video_upload": True} if kind == "UPLOAD" else {}
        return name, [[_choice(default)] if default else [], extra]
    if not has_default:
        return name, [kind]
    value = {"INT": int, "FLOAT": float, "STRING": str, "BOOLEAN": json.loads}[kind](default) if default else ""
    return name, [kind, {"default": value}]


def _choice(text):
    """Combo choices are strings, except numeric ones (FILM Interpolate's rife_scale)."""
    try:
        return float(text)
    except ValueError:
        return text


def _entry(inputs, outputs):
    required, _, optional = inputs.partition("|")
    outs = [o.rpartition(":") for o in outputs.split()]
    return {"input": {"required": dict(map(_spec, required.split())), "optional": dict(map(_spec, optional.split()))},
            "output": [kind for _, _, kind in outs], "output_name": [name or kind for name, _, kind in outs]}


FALLBACK = {name: _entry(*row) for name, row in _TABLE.items()}
