"""Writes example_workflows/*.json (UI format) from the short graph descriptions below.

The descriptions name only what differs from each node's defaults; a running server's /object_info supplies
the rest and the order of every widget, so the files load in the frontend exactly as if built on the canvas.
Run: scripts/install.sh, then $TEMPO_PYTHON -P scripts/build_examples.py (starts its own server on fixtures).
"""
import json
import os
import sys
import tempfile

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(CHECKOUT, "tests", "harness"))
import comfy_server  # noqa: E402
import models  # noqa: E402
from graphs import Graph, out  # noqa: E402
from ui_workflow import to_ui  # noqa: E402

EXAMPLES_DIR = os.path.join(CHECKOUT, "example_workflows")
POSITIVE = "a paper boat drifting on a calm pond, soft morning light, ripples, highly detailed"
NEGATIVE = "blurry, lowres, watermark, text"


def base(g, motion="mm_sd_v15_v2.ckpt", ckpt=models.CHECKPOINT, lora=None):
    """Checkpoint [-> an image-model LoRA (name, strength)] -> Load Motion Module, and the two prompts.
    Returns (model, clip, vae, positive, negative)."""
    loader = g.add("CheckpointLoaderSimple", ckpt_name=ckpt)
    model = out(loader)
    if lora:
        model = out(g.add("LoraLoaderModelOnly", model=model, lora_name=lora[0], strength_model=lora[1]))
    model = g.add("TempoLoadMotionModule", model=model, model_name=motion, motion_scale=1.0, effect=1.0,
                  beta_schedule="auto")
    positive = g.add("CLIPTextEncode", clip=out(loader, 1), text=POSITIVE)
    negative = g.add("CLIPTextEncode", clip=out(loader, 1), text=NEGATIVE)
    return out(model), out(loader, 1), out(loader, 2), out(positive), out(negative)


def video(g, images, prefix, fmt="video/h264-mp4", frame_rate=8.0):
    return g.add("TempoVideoCombine", images=images, frame_rate=frame_rate, loop_count=0,
                 filename_prefix=f"Tempo/{prefix}", format=fmt)


def ksampler(g, model, positive, negative, frames=16, size=512, **settings):
    """An empty latent clip sampled by the stock KSampler; settings override the examples' defaults."""
    latent = g.add("EmptyLatentImage", width=size, height=size, batch_size=frames)
    settings = dict(seed=42, steps=20, cfg=7.5, sampler_name="euler", scheduler="normal", denoise=1.0) | settings
    return g.add("KSampler", model=model, positive=positive, negative=negative, latent_image=out(latent), **settings)


def txt2vid():
    g = Graph()
    model, _, vae, positive, negative = base(g)
    sampled = ksampler(g, model, positive, negative)
    video(g, out(g.add("VAEDecode", samples=out(sampled), vae=vae)), "txt2vid")
    return g, ("txt2vid: 16 frames with AnimateDiff v2",
               "The stock KSampler samples a batch of 16 latents; Load Motion Module makes them one clip.\n\n"
               "Put mm_sd_v15_v2.ckpt in models/animatediff_models. The motion model sees up to 32 frames at "
               "once; for longer clips use the context-window example. beta_schedule 'auto' picks the schedule "
               "the motion model was trained with.")


def windows(g, model, positive, negative, latent, steps=20, cfg=7.5, denoise=1.0, seed=42, context_length=16,
            context_overlap=4, closed_loop=False, context_schedule="uniform", **optional):
    """ContextWindowSampler with the settings the examples share; optional: first_image, last_image, vae."""
    return g.add("TempoContextWindowSampler", model=model, positive=positive, negative=negative, latent_image=latent,
                 seed=seed, steps=steps, cfg=cfg, sampler_name="euler", scheduler="normal", denoise=denoise,
                 context_length=context_length, context_overlap=context_overlap, context_stride=1,
                 closed_loop=closed_loop, context_schedule=context_schedule, fuse_method="pyramid",
                 freenoise=False, windows_per_batch=0, **optional)


def long_clip():
    g = Graph()
    model, _, vae, positive, negative = base(g)
    latent = g.add("EmptyLatentImage", width=512, height=512, batch_size=64)
    sampled = windows(g, model, positive, negative, out(latent))
    # Video Combine decodes the latents a few frames at a time: 64 decoded frames never sit in RAM at once.
    g.add("TempoVideoCombine", latent=out(sampled), vae=vae, frame_rate=8.0, loop_count=0,
          filename_prefix="Tempo/long_clip", format="video/h264-mp4")
    return g, ("Long clip: 64 frames in context windows",
               "A motion model sees 16 frames at once (32 at most). Context Window Sampler samples any number of "
               "frames in overlapping 16-frame windows and fuses them every step, so the 64 frames are one "
               "coherent clip.\n\n"
               "context_overlap: frames shared by neighbouring windows (more = smoother seams, slower). "
               "context_schedule 'uniform' shifts the windows every step so seams never stay on the same frames. "
               "For a longer clip just raise the batch size of Empty Latent Image.\n\n"
               "Video Combine takes the latents and the VAE directly and decodes a few frames at a time.\n"
               "Models: mm_sd_v15_v2.ckpt in models/animatediff_models.")


TRAVEL = ('"0": "a paper boat on a calm pond, soft morning light",\n'
          '"12": "a paper boat on a pond in heavy rain, dark clouds",\n'
          '"24": "a paper boat on a frozen pond, snow falling, blue dusk",\n')


def prompt_travel():
    g = Graph()
    loader = g.add("CheckpointLoaderSimple", ckpt_name=models.CHECKPOINT)
    model = g.add("TempoLoadMotionModule", model=out(loader), model_name="mm_sd_v15_v2.ckpt", motion_scale=1.0,
                  effect=1.0, beta_schedule="auto")
    latent = g.add("EmptyLatentImage", width=512, height=512, batch_size=32)
    schedule = g.add("TempoPromptSchedule", clip=out(loader, 1), text=TRAVEL, frames=32, interpolation="linear",
                     pre_text="masterpiece, best quality", app_text="highly detailed", negative=NEGATIVE,
                     latent=out(latent))
    sampled = windows(g, out(model), out(schedule, 0), out(schedule, 1), out(latent))
    video(g, out(g.add("VAEDecode", samples=out(sampled), vae=out(loader, 2))), "prompt_travel")
    return g, ("Prompt travel: the prompt changes over 32 frames",
               "Prompt Schedule turns keyframed prompts into one conditioning per frame; between two keyframes "
               "the prompts are blended, so the boat drifts from morning light into rain and then snow.\n\n"
               "Write keyframes as \"frame\": \"prompt\" pairs or A1111 lines (12: prompt). A frame may be "
               "negative (-1 is the last) or a fraction (0.5 is halfway). pre_text / app_text go before / after "
               "every prompt. The node shows the frame count, or the error with its line and column, as you type.\n"
               "\nThe latent is connected, so the schedule takes its frame count from it. Context Window Sampler "
               "slices the per-frame conditioning per window.\nModels: mm_sd_v15_v2.ckpt.")


def motion_lora():
    g = Graph()
    model, _, vae, positive, negative = base(g)
    zoom = g.add("TempoApplyMotionLoRA", model=model, lora_name="v2_lora_ZoomIn.ckpt", strength=1.0)
    pan = g.add("TempoApplyMotionLoRA", model=out(zoom), lora_name="v2_lora_PanLeft.ckpt", strength=0.5)
    sampled = ksampler(g, out(pan), positive, negative)
    video(g, out(g.add("VAEDecode", samples=out(sampled), vae=vae)), "motion_lora")
    return g, ("Motion LoRA: camera moves (zoom in, then pan left)",
               "Apply Motion LoRA merges a camera-move LoRA into the motion model. They stack: here a full zoom in "
               "plus half a pan to the left. A negative strength reverses the move (zoom out, pan right).\n\n"
               "Motion LoRAs were trained on the v2 motion model: use them with mm_sd_v15_v2.ckpt.\n"
               "Files: v2_lora_ZoomIn.ckpt, v2_lora_PanLeft.ckpt (and TiltUp, RollingClockwise, ...) in "
               "models/animatediff_motion_lora.")


def img2img_start_end():
    g = Graph()
    model, _, vae, positive, negative = base(g)
    first = g.add("LoadImage", image="start_frame.png")
    last = g.add("LoadImage", image="end_frame.png")
    latent = g.add("EmptyLatentImage", width=512, height=512, batch_size=16)
    sampled = windows(g, model, positive, negative, out(latent), denoise=0.85, first_image=out(first),
                      last_image=out(last), vae=vae, latent_power=1.0, latent_scale=16.0, latent_power_last=1.0,
                      latent_scale_last=16.0)
    video(g, out(g.add("VAEDecode", samples=out(sampled), vae=vae)), "start_end")
    return g, ("img2img: a clip from a start image to an end image",
               "Context Window Sampler encodes first_image and last_image with the VAE and builds the starting "
               "latents as the A1111 AnimateDiff extension does: frame i starts from first * a + last * b + "
               "noise * (1 - a - b), a = 1 - i^latent_power / latent_scale fading from the first frame and b the "
               "same from the last frame with latent_power_last / latent_scale_last. The motion model fills in "
               "the motion. With the stock KSampler, Image Guides (Tempo) makes the same starting latents.\n"
               "\nlatent_scale: over how many frames a guide fades (16 = the whole clip); latent_power shapes the "
               "fade. denoise below 1 keeps the guides' composition: lower keeps more.\n\n"
               "Put your two images in ComfyUI's input folder (or use the upload buttons). Images of another size "
               "are scaled to the latent's. Models: mm_sd_v15_v2.ckpt.")


def vid2vid_controlnet():
    g = Graph()
    model, _, vae, positive, negative = base(g)
    clip = g.add("TempoLoadVideo", video="input_video.mp4", force_rate=0.0, skip_first_frames=0,
                 select_every_nth=1, frame_load_cap=16, resize="crop", custom_width=512, custom_height=512)
    edges = g.add("Canny", image=out(clip), low_threshold=0.4, high_threshold=0.8)
    controlnet = g.add("ControlNetLoader", control_net_name=models.CONTROLNET)
    applied = g.add("ControlNetApplyAdvanced", positive=positive, negative=negative, control_net=out(controlnet),
                    image=out(edges), strength=0.8, start_percent=0.0, end_percent=1.0, vae=vae)
    latent = g.add("VAEEncode", pixels=out(clip), vae=vae)
    sampled = windows(g, model, out(applied, 0), out(applied, 1), out(latent), denoise=0.7)
    g.add("TempoVideoCombine", images=out(g.add("VAEDecode", samples=out(sampled), vae=vae)), audio=out(clip, 3),
          frame_rate=8.0, loop_count=0, filename_prefix="Tempo/vid2vid", format="video/h264-mp4")
    return g, ("vid2vid with ControlNet (Canny edges)",
               "Load Video reads 16 frames of input_video.mp4 (from ComfyUI's input folder; the button uploads "
               "one) cropped to 512x512. Each frame's Canny edges guide a ControlNet, one hint per frame, and the "
               "frames themselves, VAE-encoded, are re-sampled at denoise 0.7 in context windows: the motion "
               "model keeps the new frames consistent while the edges keep the original's shapes.\n\n"
               "Lower denoise keeps more of the original look; raise frame_load_cap (0 = all) for longer clips. "
               "The video's sound is copied to the result.\n"
               "Models: control_v11p_sd15_canny_fp16.safetensors in models/controlnet, mm_sd_v15_v2.ckpt.")


def sdxl():
    g = Graph()
    model, _, vae, positive, negative = base(g, motion="mm_sdxl_v10_beta.ckpt", ckpt=models.SDXL_CHECKPOINT)
    sampled = ksampler(g, model, positive, negative, size=1024, steps=25, cfg=7.0)
    video(g, out(g.add("VAEDecode", samples=out(sampled), vae=vae)), "sdxl")
    return g, ("SDXL: AnimateDiff SDXL beta",
               "The same nodes animate SDXL: Load Motion Module detects the SDXL motion model and attaches it at "
               "SDXL's block positions; beta_schedule 'auto' selects the schedule it was trained with.\n\n"
               "mm_sdxl_v10_beta.ckpt was trained at 1024x1024 on 16 frames. Hotshot-XL "
               "(hsxl_temporal_layers.f16.safetensors) works the same way: it was trained on 8 frames at "
               "512x512, so use a batch of 8, or Context Window Sampler with context_length 8.\n\n"
               "Models: sd_xl_base_1.0.safetensors in models/checkpoints, mm_sdxl_v10_beta.ckpt in "
               "models/animatediff_models.")


def animatelcm():
    g = Graph()
    model, _, vae, positive, negative = base(g, motion="AnimateLCM_sd15_t2v.ckpt", lora=(models.LCM_LORA, 0.8))
    sampled = ksampler(g, model, positive, negative, steps=8, cfg=1.5, sampler_name="lcm", scheduler="sgm_uniform")
    video(g, out(g.add("VAEDecode", samples=out(sampled), vae=vae)), "animatelcm")
    return g, ("AnimateLCM: 16 frames in 8 steps",
               "AnimateLCM is distilled for few-step sampling: the lcm sampler, sgm_uniform scheduler, 4 to 8 "
               "steps and a low cfg (1 to 2). beta_schedule 'auto' switches the model to LCM sampling over the "
               "AnimateDiff schedule, as AnimateLCM was trained.\n\n"
               "Its image-model LoRA (strength 0.6 to 1.0) keeps frames sharp at so few steps.\n"
               "Models: AnimateLCM_sd15_t2v.ckpt in models/animatediff_models, AnimateLCM_sd15_t2v_lora.safetensors "
               "in models/loras.")


def lightning():
    g = Graph()
    model, _, vae, positive, negative = base(g, motion="animatediff_lightning_4step_comfyui.safetensors")
    sampled = ksampler(g, model, positive, negative, steps=4, cfg=1.0, sampler_name="euler", scheduler="sgm_uniform")
    video(g, out(g.add("VAEDecode", samples=out(sampled), vae=vae)), "lightning")
    return g, ("AnimateDiff-Lightning: 16 frames in 4 steps",
               "AnimateDiff-Lightning is the v2 motion model distilled for 1, 2, 4 or 8 steps. Sample it the way "
               "its authors give: the step count in its file name, cfg 1, the euler sampler and the sgm_uniform "
               "scheduler. beta_schedule 'auto' keeps the v2 schedule it was trained with, and Load Motion Module "
               "shows the settings for the file you pick.\n\n"
               "cfg 1 ignores the negative prompt. With the 8-step file set steps to 8; the 2-step file also does "
               "well with 3. Any SD1.5 checkpoint works; motion LoRAs at strength 0.7 to 0.8 add stronger motion.\n"
               "Models: animatediff_lightning_4step_comfyui.safetensors (or the _diffusers file) in "
               "models/animatediff_models.")


def film_x4_gif():
    g = Graph()
    model, _, vae, positive, negative = base(g)
    sampled = ksampler(g, model, positive, negative)
    images = g.add("VAEDecode", samples=out(sampled), vae=vae)
    smooth = g.add("TempoFILMInterpolate", images=out(images), multiplier=4, method=models.FILM, mode="exact times k/m",
                   loop=False, batch_size=1)
    video(g, out(smooth), "film_x4", fmt="image/gif", frame_rate=32.0)
    return g, ("FILM x4 -> GIF: 16 frames become 61 at 32 fps",
               "FILM Interpolate makes 3 new frames between every pair of sampled frames (multiplier 4): "
               "16 frames at 8 fps become 61 frames at 32 fps, the same length in time and much smoother. "
               "Video Combine writes a looping GIF (set loop_count for a fixed number of plays).\n\n"
               "Interpolation is much cheaper than sampling more frames. No FILM file? method 'flow (no "
               "weights)' uses optical flow instead.\n"
               "Models: film_net_fp32.pt (from ComfyUI-Frame-Interpolation) in models/frame_interpolation or "
               "models/film; mm_sd_v15_v2.ckpt.")


def seamless_loop():
    g = Graph()
    model, _, vae, positive, negative = base(g)
    latent = g.add("EmptyLatentImage", width=512, height=512, batch_size=32)
    sampled = windows(g, model, positive, negative, out(latent), closed_loop=True, context_schedule="looped")
    images = g.add("VAEDecode", samples=out(sampled), vae=vae)
    smooth = g.add("TempoFILMInterpolate", images=out(images), multiplier=2, method=models.FILM, mode="exact times k/m",
                   loop=True, batch_size=1)
    video(g, out(smooth), "seamless_loop", frame_rate=16.0)
    return g, ("Seamless loop: closed-loop windows + FILM loop mode",
               "Context Window Sampler with closed_loop on and the 'looped' schedule lets windows wrap around "
               "the end of the clip, so the last frames are sampled together with the first ones and flow into "
               "them.\n\nFILM Interpolate with loop on also makes the frames between the last frame and the "
               "first: 32 frames become 64 at 16 fps and the clip repeats without a jump. Video Combine loops "
               "it forever (loop_count 0).\n"
               "Models: mm_sd_v15_v2.ckpt, film_net_fp32.pt in models/frame_interpolation.")


def sparsectrl_keyframes():
    g = Graph()
    model, _, vae, positive, negative = base(g, motion="v3_sd15_mm.ckpt", lora=(models.ADAPTER, 1.0))
    first = g.add("LoadImage", image="start_frame.png")
    last = g.add("LoadImage", image="end_frame.png")
    keyframes = g.add("ImageBatch", image1=out(first), image2=out(last))
    sparsectrl = g.add("TempoLoadSparseCtrl", sparsectrl_name=models.SPARSECTRL_RGB)
    placed = g.add("TempoSparseKeyframes", sparsectrl=out(sparsectrl), images=out(keyframes), indices="0, -1",
                   frames=64)
    applied = g.add("ControlNetApplyAdvanced", positive=positive, negative=negative, control_net=out(placed),
                    image=out(placed, 1), strength=1.0, start_percent=0.0, end_percent=1.0, vae=vae)
    latent = g.add("EmptyLatentImage", width=512, height=512, batch_size=64)
    sampled = windows(g, model, out(applied, 0), out(applied, 1), out(latent))
    video(g, out(g.add("VAEDecode", samples=out(sampled), vae=vae)), "sparsectrl_keyframes")
    return g, ("SparseCtrl: 64 frames from a first and a last keyframe (AnimateDiff v3)",
               "AnimateDiff v3 with its two companion files: the domain adapter, an image-model LoRA applied with "
               "the stock LoRA loader before Load Motion Module, and SparseCtrl RGB, a ControlNet that takes "
               "keyframe images at a few frames and spreads them across the clip with its own motion modules.\n\n"
               "Sparse Keyframes puts the two images at frames 0 and -1 (the last) of 64 and masks the other frames "
               "out; the stock Apply ControlNet node applies it (strength, start/end percent) and needs the VAE, "
               "because SparseCtrl RGB reads VAE latents. Context Window Sampler gives each 16-frame window its own "
               "frames' keyframes; a window with none gets an empty mask, as in the original pipeline. Keep "
               "frames equal to the latent batch size. Indices like '0, 16, 32, -1' place more keyframes.\n\n"
               "Models: v3_sd15_mm.ckpt in models/animatediff_models, v3_sd15_adapter.ckpt in models/loras, "
               "v3_sd15_sparsectrl_rgb.ckpt in models/controlnet. Images: start_frame.png and end_frame.png in "
               "ComfyUI's input folder (or the upload buttons).")


EXAMPLES = {
    "txt2vid": txt2vid,
    "long_clip_context_windows": long_clip,
    "prompt_travel": prompt_travel,
    "motion_lora": motion_lora,
    "img2img_start_end": img2img_start_end,
    "vid2vid_controlnet": vid2vid_controlnet,
    "sdxl": sdxl,
    "animatelcm": animatelcm,
    "lightning_4step": lightning,
    "film_x4_gif": film_x4_gif,
    "seamless_loop": seamless_loop,
    "sparsectrl_keyframes": sparsectrl_keyframes,
}


NOTE_WIDTH = 400


def layout_notes(workflow, chars_per_line=58, line_height=18):
    """Makes each Note tall enough for its text, moving the notes below it down."""
    y = None
    for node in workflow["nodes"]:
        if node["type"] != "Note":
            continue
        text = node["widgets_values"][0]
        lines = sum(1 + len(line) // chars_per_line for line in text.split("\n"))
        # The frontend gives a node with a text box at least 400 px of width: the note reaches left of the graph.
        node["size"] = [NOTE_WIDTH, max(node["size"][1], 40 + lines * line_height)]
        node["pos"] = [-(NOTE_WIDTH - 340), node["pos"][1] if y is None else y]
        y = node["pos"][1] + node["size"][1] + 40
    return workflow


# Extra height some nodes need beyond a row per widget: text boxes, the schedule status line, Load Video's preview.
MULTILINE_HEIGHT = 64
EXTRA_HEIGHT = {"TempoPromptSchedule": 64, "TempoLoadVideo": 240, "LoadImage": 240}


def fit_nodes(workflow, object_info, gap=40):
    """Gives nodes with text boxes or previews the height they need and restacks each column without overlaps."""
    for node in workflow["nodes"]:
        info = object_info.get(node["type"])
        if info is None:
            continue
        declared = {**info["input"].get("required", {}), **info["input"].get("optional", {})}
        multiline = sum(1 for spec in declared.values()
                        if spec[0] == "STRING" and len(spec) > 1 and spec[1].get("multiline"))
        node["size"][1] += multiline * MULTILINE_HEIGHT + EXTRA_HEIGHT.get(node["type"], 0)
    columns = {}
    for node in workflow["nodes"]:
        if node["type"] != "Note":
            columns.setdefault(node["pos"][0], []).append(node)
    for nodes in columns.values():
        y = None
        for node in sorted(nodes, key=lambda n: n["pos"][1]):
            if y is not None:
                node["pos"] = [node["pos"][0], y]
            y = node["pos"][1] + node["size"][1] + gap
    return workflow


def ui_format(graph, note, object_info):
    """The UI-format file for a graph description, as the frontend itself would save it."""
    return fit_nodes(layout_notes(to_ui(graph.nodes, object_info, [note])), object_info)


LINK_COLOURS = {"MODEL": "#b39ddb", "CLIP": "#ffd500", "VAE": "#ff6e6e", "CONDITIONING": "#ffa931",
                "LATENT": "#ff9cf9", "IMAGE": "#64b5f6", "CONTROL_NET": "#00d78d", "AUDIO": "#4db6ac"}


def thumbnail(workflow, title, object_info, path, size=512):
    """The template browser's picture of an example (it asks for <name>.jpg beside <name>.json): the graph
    drawn as boxes and links, with the example's title."""
    from PIL import Image, ImageDraw, ImageFont

    nodes = {n["id"]: n for n in workflow["nodes"] if n["type"] != "Note"}
    left = min(n["pos"][0] for n in nodes.values())
    top = min(n["pos"][1] for n in nodes.values())
    right = max(n["pos"][0] + n["size"][0] for n in nodes.values())
    bottom = max(n["pos"][1] + n["size"][1] for n in nodes.values())
    margin, header = 16, 64
    scale = min((size - 2 * margin) / (right - left), (size - header - margin) / (bottom - top))
    x0 = (size - (right - left) * scale) / 2
    y0 = header + (size - header - margin - (bottom - top) * scale) / 2

    def at(x, y):
        return x0 + (x - left) * scale, y0 + (y - top) * scale

    image = Image.new("RGB", (size, size), "#202020")
    draw = ImageDraw.Draw(image)
    draw.text((margin, 14), title, fill="#f0f0f0", font=ImageFont.load_default(size=20))
    for _link_id, origin, slot, target, target_slot, kind in workflow["links"]:
        a, b = nodes[origin], nodes[target]
        (sx, sy) = at(a["pos"][0] + a["size"][0], a["pos"][1] + 40 + 26 * slot)
        (ex, ey) = at(b["pos"][0], b["pos"][1] + 40 + 26 * target_slot)
        # an S-curve like the canvas draws: level at both ends
        curve = [(sx + (ex - sx) * t, sy + (ey - sy) * (3 * t * t - 2 * t ** 3)) for t in (i / 16 for i in range(17))]
        draw.line(curve, fill=LINK_COLOURS.get(kind, "#9e9e9e"), width=3)
    font = ImageFont.load_default(size=max(9, int(26 * scale)))
    for node in nodes.values():
        (ax, ay), (bx, by) = at(*node["pos"]), at(node["pos"][0] + node["size"][0], node["pos"][1] + node["size"][1])
        draw.rounded_rectangle([ax, ay, bx, by], radius=6, fill="#353535", outline="#5a5a5a")
        name = object_info[node["type"]]["display_name"] or node["type"]
        while len(name) > 3 and draw.textlength(name, font=font) > bx - ax - 8:
            name = name[:-2].rstrip() + "…"
        draw.text((ax + 4, ay + 3), name, fill="#e0e0e0", font=font)
    image.save(path, quality=88)


def main():
    base_dir = tempfile.mkdtemp(prefix="tempo-examples-")
    models_dir = models.populate_examples(os.path.join(base_dir, "models-fixtures"))
    comfy = comfy_server.start(base_dir, models_dir, os.path.join(base_dir, "comfyui.log"))
    try:
        object_info = comfy.get_json("/object_info")
    finally:
        comfy.stop()
    os.makedirs(EXAMPLES_DIR, exist_ok=True)
    for name, build in EXAMPLES.items():
        graph, note = build()
        missing = sorted({n["class_type"] for n in graph.nodes.values()} - set(object_info))
        if missing:
            print(f"skipped example_workflows/{name}.json: {', '.join(missing)} not registered")
            continue
        with open(os.path.join(EXAMPLES_DIR, f"{name}.json"), "w") as f:
            workflow = ui_format(graph, note, object_info)
            json.dump(workflow, f, indent=1)
            f.write("\n")
        thumbnail(workflow, note[0], object_info, os.path.join(EXAMPLES_DIR, f"{name}.jpg"))
        print(f"wrote example_workflows/{name}.json")


if __name__ == "__main__":
    main()
