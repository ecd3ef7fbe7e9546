"""A ComfyUI models folder of generated fixtures under the file names users have.

Each file is generated once from a seed and cached in $TEMPO_HOME/fixtures; a models folder is a set of
symlinks to the cache, so example workflows run unchanged on fixtures and on a user's real models.
Nothing here is real: the weights are seeded random numbers in the released layouts.
"""
import os
import subprocess
import sys

HARNESS = os.path.dirname(os.path.abspath(__file__))
FIXTURES_CODE = os.path.join(os.path.dirname(HARNESS), "fixtures")
sys.path.insert(0, FIXTURES_CODE)
from cache import cached  # noqa: E402

CHECKPOINT = "v1-5-pruned-emaonly.safetensors"
# file name users have -> layout in tests/fixtures/motion_files.py
MOTION_MODELS = {
    "mm_sd_v15_v2.ckpt": "v2",
    "mm_sd_v15.ckpt": "v1",
    "v3_sd15_mm.ckpt": "v3",
}


def _build_checkpoint(sdxl):
    def build(path):
        # The generator reads key layouts off ComfyUI's own modules, so it needs a host-ready process.
        code = ("import sys; path, sdxl = sys.argv[3], sys.argv[4] == '1'; sys.path[:0] = sys.argv[1:3]; "
                "import comfy_host; comfy_host.prepare(); import checkpoints; checkpoints.write(path, sdxl=sdxl)")
        subprocess.run([os.environ["TEMPO_PYTHON"], "-c", code, HARNESS, FIXTURES_CODE, path, str(int(sdxl))],
                       check=True, cwd=os.environ["TEMPO_COMFYUI"], stdout=subprocess.DEVNULL)
    return build


def _build_motion(layout):
    def build(path):
        import motion_files

        sd = motion_files.make_motion_state_dict(layout, channels=320)
        motion_files.write_file(sd, path)
    return build


MOTION_LORAS = ["v2_lora_ZoomIn.ckpt", "v2_lora_PanLeft.ckpt"]


def _build_lora(seed):
    def build(path):
        import motion_files

        motion_files.write_file(motion_files.make_motion_lora_state_dict(channels=320, rank=4, seed=seed), path)
    return build


def checkpoint_path():
    return cached("sd15-fixture-v1.safetensors", _build_checkpoint(sdxl=False))


def sdxl_unet_path():
    return cached("sdxl-unet-fixture-v1.safetensors", _build_checkpoint(sdxl=True))


def motion_path(name):
    layout = MOTION_MODELS[name]
    return cached(f"motion-{layout}-320{os.path.splitext(name)[1]}", _build_motion(layout))


def lora_path(name):
    seed = MOTION_LORAS.index(name)
    return cached(f"motion-lora-{seed}-320.ckpt", _build_lora(seed))


def populate(models_dir):
    """Fills models_dir with links to the fixtures; returns it."""
    _link(checkpoint_path(), models_dir, "checkpoints", CHECKPOINT)
    for name in MOTION_MODELS:
        _link(motion_path(name), models_dir, "animatediff_models", name)
    for name in MOTION_LORAS:
        _link(lora_path(name), models_dir, "animatediff_motion_lora", name)
    return models_dir


def _link(target, models_dir, folder, name):
    os.makedirs(os.path.join(models_dir, folder), exist_ok=True)
    link = os.path.join(models_dir, folder, name)
    if not os.path.lexists(link):
        os.symlink(target, link)


# ---- the files the example workflows name, beyond populate()'s (example_workflows/, scripts/build_examples.py) ----

def _in_host(call):
    """A builder that runs `call(path)` of tests/fixtures/example_files.py (or another fixture module) in a
    host-ready subprocess: those generators read key layouts off ComfyUI's own modules."""
    module, function = call.split(".")

    def build(path):
        code = ("import sys; path = sys.argv[3]; sys.path[:0] = sys.argv[1:3]; import comfy_host; "
                f"comfy_host.prepare(); import {module}; {module}.{function}(path)")
        subprocess.run([os.environ["TEMPO_PYTHON"], "-c", code, HARNESS, FIXTURES_CODE, path], check=True,
                       cwd=os.environ["TEMPO_COMFYUI"], stdout=subprocess.DEVNULL)
    return build


SDXL_CHECKPOINT = "sd_xl_base_1.0.safetensors"
FILM = "film_net_fp32.pt"  # ComfyUI-Frame-Interpolation's file (TorchScript v1.0.0 layout)
RIFE = "rife47.pth"  # ComfyUI-Frame-Interpolation's default RIFE file (the 4.7 layout)
CONTROLNET = "control_v11p_sd15_canny_fp16.safetensors"
LCM_LORA = "AnimateLCM_sd15_t2v_lora.safetensors"
# file name users have -> layout in tests/fixtures/motion_files.py (channels of the fixture UNets: 320)
EXAMPLE_MOTION_MODELS = {
    "AnimateLCM_sd15_t2v.ckpt": "animatelcm",
    "mm_sdxl_v10_beta.ckpt": "sdxl_beta",
    "hsxl_temporal_layers.f16.safetensors": "hotshotxl",
}


# AnimateDiff-Lightning under both released names: one seeded v2 model, as ComfyUI's file and as diffusers'.
LIGHTNING = {"animatediff_lightning_4step_comfyui.safetensors": "comfyui",
             "animatediff_lightning_4step_diffusers.safetensors": "diffusers"}


def lightning_path(name):
    naming = LIGHTNING[name]

    def build(path):
        import motion_files

        sd = motion_files.make_motion_state_dict("v2", channels=320, seed=1)
        motion_files.write_file(motion_files.diffusers_names(sd) if naming == "diffusers" else sd, path)
    return cached(f"motion-lightning-{naming}-320.safetensors", build)


def example_motion_path(name):
    layout = EXAMPLE_MOTION_MODELS[name]
    return cached(f"motion-{layout}-320{os.path.splitext(name)[1]}", _build_motion(layout))


def sdxl_checkpoint_path():
    return cached("sdxl-checkpoint-fixture-v1.safetensors", _in_host("example_files.write_sdxl_checkpoint"))


def controlnet_path():
    # The same cache entry tests/server/test_context_server.py builds (one generator: controlnet_fixture.py).
    return cached("controlnet-sd15-320.safetensors", _in_host("controlnet_fixture.write"))


def lcm_lora_path():
    return cached("lora-sd15-attn-320.safetensors", _in_host("example_files.write_sd15_lora"))


ADAPTER = "v3_sd15_adapter.ckpt"  # AnimateDiff v3's domain adapter: an image-model LoRA in models/loras
SPARSECTRL_RGB = "v3_sd15_sparsectrl_rgb.ckpt"


def adapter_path():
    return cached("v3-adapter-sd15-320.ckpt", _in_host("example_files.write_v3_adapter"))


def sparsectrl_rgb_path():
    def build(path):
        import sparsectrl_files
        import torch

        sd = sparsectrl_files.make_state_dict("rgb", channels=320, dtype=torch.float16)
        sparsectrl_files.write_file(sd, path)
    return cached("sparsectrl-rgb-320.ckpt", build)


def link_film(models_dir):
    """FILM's file and RIFE's, in the folders users keep them in."""
    import film_files
    import rife_files

    _link(film_files.cached_film_file("v1.0.0", "small"), models_dir, "frame_interpolation", FILM)
    _link(rife_files.cached_rife_file("4.7", "small"), models_dir, "rife", RIFE)


def populate_examples(models_dir, sdxl=True):
    """populate() plus every model file the example workflows name (sdxl=False leaves out the 1.6 GB SDXL
    checkpoint, whose text encoders are real-size); returns models_dir."""
    populate(models_dir)
    for name in EXAMPLE_MOTION_MODELS:
        _link(example_motion_path(name), models_dir, "animatediff_models", name)
    for name in LIGHTNING:
        _link(lightning_path(name), models_dir, "animatediff_models", name)
    _link(controlnet_path(), models_dir, "controlnet", CONTROLNET)
    _link(lcm_lora_path(), models_dir, "loras", LCM_LORA)
    _link(adapter_path(), models_dir, "loras", ADAPTER)
    _link(sparsectrl_rgb_path(), models_dir, "controlnet", SPARSECTRL_RGB)
    link_film(models_dir)
    if sdxl:
        _link(sdxl_checkpoint_path(), models_dir, "checkpoints", SDXL_CHECKPOINT)
    return models_dir
