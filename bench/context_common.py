"""Shared set-up for the context-window benchmarks: the host prepared in this process, the pack imported as
`tempo`, the fixture SD1.5 checkpoint with the v2 fixture motion model attached."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.dirname(HERE)
TESTS = os.path.join(CHECKOUT, "tests")


def peak_rss_mib():
    """VmHWM: this process's own peak resident set (ru_maxrss would carry the parent's over exec)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024


def setup(motion=True):
    sys.path[:0] = [os.path.join(TESTS, "harness"), os.path.join(TESTS, "fixtures")]
    import comfy_host

    comfy_host.prepare()
    comfy_host.import_pack(CHECKOUT)
    import comfy.sd
    import models
    from tempo.nodes.motion_model import LoadMotionModule

    model, clip, vae, _ = comfy.sd.load_checkpoint_guess_config(models.checkpoint_path())
    if motion:
        import folder_paths

        path = models.motion_path("mm_sd_v15_v2.ckpt")
        folder_paths.folder_names_and_paths["animatediff_models"] = ([os.path.dirname(path)], {".ckpt"})
        model = LoadMotionModule().load(model, os.path.basename(path), 1.0, 1.0, "auto")["result"][0]
    return model, clip, vae


def sample(model, positive, negative, frames, size, steps, windows=None, seed=0):
    """ContextWindowSampler over `frames` empty latents; windows=None samples them as one window."""
    import torch
    from tempo.nodes.context_sampler import ContextWindowSampler

    options = dict(context_length=frames, context_overlap=0, context_stride=1, closed_loop=False,
                   context_schedule="static", fuse_method="pyramid", freenoise=False, windows_per_batch=1)
    options.update(windows or {})
    latent = {"samples": torch.zeros(frames, 4, size // 8, size // 8)}
    return ContextWindowSampler().sample(model, positive, negative, latent, seed, steps, 7.0, "euler", "normal",
                                         1.0, **options)[0]["samples"]
