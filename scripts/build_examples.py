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


def base(g, motion="mm_sd_v15_v2.ckpt", ckpt=models.CHECKPOINT):
    """Checkpoint -> Load Motion Module, and the two prompts. Returns (model, clip, vae, positive, negative)."""
    loader = g.add("CheckpointLoaderSimple", ckpt_name=ckpt)
    model = g.add("LoadMotionModule", model=out(loader), model_name=motion, motion_scale=1.0, effect=1.0,
                  beta_schedule="auto")
    positive = g.add("CLIPTextEncode", clip=out(loader, 1), text=POSITIVE)
    negative = g.add("CLIPTextEncode", clip=out(loader, 1), text=NEGATIVE)
    return out(model), out(loader, 1), out(loader, 2), out(positive), out(negative)


def video(g, images, prefix, fmt="video/h264-mp4", frame_rate=8.0):
    return g.add("TempoVideoCombine", images=images, frame_rate=frame_rate, loop_count=0,
                 filename_prefix=f"Tempo/{prefix}", format=fmt)


def txt2vid():
    g = Graph()
    model, _, vae, positive, negative = base(g)
    latent = g.add("EmptyLatentImage", width=512, height=512, batch_size=16)
    sampled = g.add("KSampler", model=model, positive=positive, negative=negative, latent_image=out(latent),
                    seed=42, steps=20, cfg=7.5, sampler_name="euler", scheduler="normal", denoise=1.0)
    video(g, out(g.add("VAEDecode", samples=out(sampled), vae=vae)), "txt2vid")
    return g, ("txt2vid: 16 frames with AnimateDiff v2",
               "The stock KSampler samples a batch of 16 latents; Load Motion Module makes them one clip.\n\n"
               "Put mm_sd_v15_v2.ckpt in models/animatediff_models. The motion model sees up to 32 frames at "
               "once; for longer clips use the context-window example. beta_schedule 'auto' picks the schedule "
               "the motion model was trained with.")


EXAMPLES = {"txt2vid": txt2vid}


def main():
    base_dir = tempfile.mkdtemp(prefix="tempo-examples-")
    models_dir = models.populate(os.path.join(base_dir, "models-fixtures"))
    comfy = comfy_server.start(base_dir, models_dir, os.path.join(base_dir, "comfyui.log"))
    try:
        object_info = comfy.get_json("/object_info")
    finally:
        comfy.stop()
    os.makedirs(EXAMPLES_DIR, exist_ok=True)
    for name, build in EXAMPLES.items():
        graph, note = build()
        with open(os.path.join(EXAMPLES_DIR, f"{name}.json"), "w") as f:
            json.dump(to_ui(graph.nodes, object_info, [note]), f, indent=1)
            f.write("\n")
        print(f"wrote example_workflows/{name}.json")


if __name__ == "__main__":
    main()
