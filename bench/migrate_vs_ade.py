"""The frames of an AnimateDiff-Evolved v2 + context windows workflow against the frames of its conversion to
Tempo (POST /tempo/migrate), on one server that has both packs, on seeded random models at SD1.5's real channel
widths (the test fixtures use 320 channels at every level, which AnimateDiff-Evolved's motion model cannot
take). Measured by hand, not in CI: AnimateDiff-Evolved is not a dependency.

    bench/migrate_vs_ade.py /path/to/ComfyUI-AnimateDiff-Evolved [frames] [steps]

Prints, per context options node, the largest and the mean difference of the decoded frames in 8-bit levels."""
import json
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "tests", "harness"), os.path.join(HERE, "..", "tests", "fixtures")]
import comfy_server  # noqa: E402
from comfy_fixtures import saved_images  # noqa: E402
import models  # noqa: E402

CONTEXTS = {"ADE_StandardStaticContextOptions": {"context_length": 4, "context_overlap": 1},
            "ADE_StandardUniformContextOptions": {"context_length": 4, "context_stride": 1, "context_overlap": 1},
            "ADE_LoopedUniformContextOptions": {"context_length": 4, "context_stride": 1, "context_overlap": 1,
                                                "closed_loop": False}}


def ade_prompt(context, options, frames, steps):
    """Gen2: Load AnimateDiff Model -> Apply -> Use Evolved Sampling with context options -> KSampler -> PNGs."""
    nodes = {
        "1": ("CheckpointLoaderSimple", {"ckpt_name": models.CHECKPOINT}),
        "2": ("ADE_LoadAnimateDiffModel", {"model_name": "mm_sd_v15_v2.ckpt"}),
        "3": ("ADE_ApplyAnimateDiffModelSimple", {"motion_model": ["2", 0]}),
        "4": (context, {**options, "fuse_method": "pyramid"}),
        "5": ("ADE_UseEvolvedSampling", {"model": ["1", 0], "m_models": ["3", 0], "context_options": ["4", 0],
                                         "beta_schedule": "autoselect"}),
        "6": ("CLIPTextEncode", {"clip": ["1", 1], "text": "a paper boat on a pond"}),
        "7": ("CLIPTextEncode", {"clip": ["1", 1], "text": "blurry"}),
        "8": ("EmptyLatentImage", {"width": 64, "height": 64, "batch_size": frames}),
        "9": ("KSampler", {"model": ["5", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["8", 0],
                           "seed": 7, "steps": steps, "cfg": 7.0, "sampler_name": "euler", "scheduler": "normal",
                           "denoise": 1.0}),
        "10": ("VAEDecode", {"samples": ["9", 0], "vae": ["1", 2]}),
        "11": ("SaveImage", {"images": ["10", 0], "filename_prefix": "compare"}),
    }
    return {k: {"class_type": t, "inputs": i} for k, (t, i) in nodes.items()}


def frames_of(server, prompt):
    entry = server.run(prompt)
    if entry["status"]["status_str"] != "success":
        raise RuntimeError(json.dumps(comfy_server.execution_error(entry)))
    return np.stack(saved_images(server, entry)).astype(np.int16)


def full_size_models(models_dir):
    """The SD1.5 checkpoint and the v2 motion model at their released channel widths (320/640/1280)."""
    import comfy_host

    comfy_host.prepare()
    import checkpoints
    import motion_files

    for folder in ("checkpoints", "animatediff_models"):
        os.makedirs(os.path.join(models_dir, folder), exist_ok=True)
    checkpoints.write(os.path.join(models_dir, "checkpoints", models.CHECKPOINT), unet=checkpoints.SD15_RELEASED_UNET)
    motion_files.write_file(motion_files.make_motion_state_dict("v2"),
                            os.path.join(models_dir, "animatediff_models", "mm_sd_v15_v2.ckpt"))
    return models_dir


def main(ade_dir, frames=6, steps=2):
    base = tempfile.mkdtemp(prefix="tempo-vs-ade-")
    models_dir = full_size_models(os.path.join(base, "models_src"))
    comfy_server.prepare_base(base, models_dir)
    os.symlink(os.path.abspath(ade_dir), os.path.join(base, "custom_nodes", "ComfyUI-AnimateDiff-Evolved"))
    server = comfy_server.start(base, models_dir, os.path.join(base, "server.log"))
    try:
        for context, options in CONTEXTS.items():
            original = ade_prompt(context, options, frames, steps)
            converted = json.loads(server.request("/tempo/migrate", original))
            ade, tempo = frames_of(server, original), frames_of(server, converted["workflow"])
            diff = np.abs(ade - tempo)
            print(f"{context}: {frames} frames, {steps} steps: max {diff.max()} mean {diff.mean():.3f} levels")
    finally:
        server.stop()


if __name__ == "__main__":
    main(sys.argv[1], *map(int, sys.argv[2:]))
