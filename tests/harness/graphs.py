"""API-format prompts for the server tests, built from small pieces so each test states only what it varies."""
import json

from models import CHECKPOINT


class Graph:
    """An API-format prompt under construction: add() returns the new node's id; out(id, slot) links to it."""

    def __init__(self):
        self.nodes = {}

    def add(self, class_type, **inputs):
        node_id = str(len(self.nodes) + 1)
        self.nodes[node_id] = {"class_type": class_type, "inputs": inputs}
        return node_id

    def prompt(self):
        return json.loads(json.dumps(self.nodes))


def out(node_id, slot=0):
    return [node_id, slot]


def txt2vid(frames=8, size=64, motion=None, steps=3, seed=1, save=True, prefix="tempo_test", loras=(),
            **motion_options):
    """Checkpoint -> [LoadMotionModule] -> KSampler over a batch of `frames` latents -> VAEDecode -> SaveImage
    (PreviewImage, into the temp folder, with save=False)."""
    g = Graph()
    ckpt = g.add("CheckpointLoaderSimple", ckpt_name=CHECKPOINT)
    model = out(ckpt)
    if motion is not None:
        options = dict(motion_scale=1.0, effect=1.0, beta_schedule="auto") | motion_options
        model = out(g.add("TempoLoadMotionModule", model=model, model_name=motion, **options))
        for lora_name, strength in loras:
            model = out(g.add("TempoApplyMotionLoRA", model=model, lora_name=lora_name, strength=strength))
    positive = g.add("CLIPTextEncode", clip=out(ckpt, 1), text="a paper boat drifting on a pond")
    negative = g.add("CLIPTextEncode", clip=out(ckpt, 1), text="blurry")
    latent = g.add("EmptyLatentImage", width=size, height=size, batch_size=frames)
    sampled = g.add("KSampler", model=model, positive=out(positive), negative=out(negative),
                    latent_image=out(latent), seed=seed, steps=steps, cfg=7.0, sampler_name="euler",
                    scheduler="normal", denoise=1.0)
    images = g.add("VAEDecode", samples=out(sampled), vae=out(ckpt, 2))
    if save:
        g.add("SaveImage", images=out(images), filename_prefix=prefix)
    else:
        g.add("PreviewImage", images=out(images))
    return g
