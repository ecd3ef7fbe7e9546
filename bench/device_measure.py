"""The rows of bench/device_check.py that run inside one host process: ComfyUI prepared here with the flags given
(the default device, or --lowvram), the pack imported as `tempo`, the UNet and motion model computed in the
precision the sizes name (their files are fp16). Prints one JSON object per row:
{"row", "values": [[measurement, value, unit], ...], "took"}.

    device_measure.py --sizes JSON [--host-args "--lowvram"] --row b:motion --row c:context --row d:film
"""
import argparse
import functools
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.dirname(HERE)
sys.path[:0] = [HERE, os.path.join(CHECKOUT, "tests", "harness"), os.path.join(CHECKOUT, "tests", "fixtures")]


def synchronize(device):
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(call, device):
    synchronize(device)
    start = time.perf_counter()
    call()
    synchronize(device)
    return time.perf_counter() - start


def reset_peak(device):
    import torch

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    else:
        with open("/proc/self/clear_refs", "w") as f:  # "5" resets VmHWM to the current resident set
            f.write("5")


def peak(device):
    """(MiB, unit): the GPU's peak allocation since reset_peak, or this process's peak resident set on the CPU."""
    import torch

    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20, "MiB VRAM"
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024, "MiB RSS"


class Models:
    """The UNet (released SD1.5 widths, or the fixture's), the v2 motion model attached to it, and random
    conditioning (no text encoder needed)."""

    def __init__(self, sizes):
        import comfy.model_management
        import comfy.sd
        import torch

        self.device = comfy.model_management.get_torch_device()
        self.plain = comfy.sd.load_diffusion_model(unet_file(sizes["unet"]))
        self.motion_path = motion_file(sizes["motion_channels"])
        generator = torch.Generator().manual_seed(0)
        self.positive, self.negative = ([[torch.randn(1, 77, 768, generator=generator), {}]] for _ in range(2))

    @functools.cached_property
    def motion(self):
        """Loaded on first use, so that the plain model's peak memory does not hold the motion model."""
        import folder_paths
        from tempo.nodes.motion_model import LoadMotionModule

        folder_paths.folder_names_and_paths["animatediff_models"] = ([os.path.dirname(self.motion_path)], {".ckpt"})
        name = os.path.basename(self.motion_path)
        return LoadMotionModule().load(self.plain, name, 1.0, 1.0, "auto")["result"][0]


def unet_file(name):
    import checkpoints
    from cache import cached

    config = {"released": checkpoints.SD15_RELEASED_UNET, "fixture": checkpoints.UNET}[name]
    return cached(f"sd15-unet-{name}-fp16.safetensors",
                  lambda partial: checkpoints.write(partial, unet=config, encoders=False))


def motion_file(channels):
    """v2 in fp16, as released: the manifest's shapes (channels None) or `channels` at every level."""
    import motion_files
    import torch
    from cache import cached

    if channels is None:
        return motion_files.real_size_file("v2")
    sd = lambda: motion_files.make_motion_state_dict("v2", channels=channels, dtype=torch.float16)  # noqa: E731
    return cached(f"motion-v2-{channels}-fp16.ckpt", lambda partial: motion_files.write_file(sd(), partial))


def motion_row(models, sizes):
    """Seconds per step and peak memory of 16 frames with and without the motion model."""
    import comfy.sample
    import torch

    latent = torch.zeros(sizes["frames"], 4, sizes["size"] // 8, sizes["size"] // 8)
    noise = comfy.sample.prepare_noise(latent, 0)

    def run(model, steps):
        comfy.sample.sample(model, noise, steps, 7.0, "euler", "normal", models.positive, models.negative, latent,
                            seed=0, disable_pbar=True)

    results = {}
    for name in ("plain", "motion"):
        reset_peak(models.device)
        model = getattr(models, name)
        run(model, 1)  # loads the weights onto the device, warms the kernels
        step = min(timed(lambda: run(model, sizes["steps"]), models.device) for _ in range(sizes["repeats"]))
        results[name] = step / sizes["steps"], *peak(models.device)
    (plain, plain_peak, unit), (motion, motion_peak, _) = results["plain"], results["motion"]
    return [["plain step", plain, "s/step"], ["motion step", motion, "s/step"],
            ["motion overhead", motion / plain, "ratio"], ["plain peak", plain_peak, unit],
            ["motion peak", motion_peak, unit], ["motion peak / plain peak", motion_peak / plain_peak, "ratio"]]


def context_row(models, sizes):
    """Context Window Sampler over the long clip: one window per model call vs all windows in one call."""
    from context_common import sample
    from tempo.sampling.windows import context_windows

    frames, length, overlap = sizes["context_frames"], sizes["context_length"], sizes["context_overlap"]
    count = len(context_windows(frames, length, overlap, schedule="static"))
    values = []
    for name, per_batch in (("windows one per call", 1), (f"windows batched ({count} per call)", count)):
        windows = dict(context_length=length, context_overlap=overlap, windows_per_batch=per_batch)

        def run(steps):
            sample(models.motion, models.positive, models.negative, frames, sizes["size"], steps, windows)

        run(1)
        step = min(timed(lambda: run(sizes["steps"]), models.device) for _ in range(sizes["repeats"]))
        values.append([name, step / sizes["steps"], "s/step"])
    values.append(["batched speed-up", values[0][1] / values[1][1], "ratio"])
    return values


def film_row(models, sizes):
    """FILM frames/s: the native module vs the TorchScript file's own forward, same weights, in the precision."""
    import film_files
    import torch
    from tempo.interp import load_film

    dtype = {"fp16": torch.float16, "fp32": torch.float32}[sizes["precision"]]
    device, size = models.device, sizes["film_size"]
    path = film_files.cached_film_file("v1.0.2", sizes["film_config"])
    nets = {"native": load_film(path).to(device, dtype),
            "torchscript": film_files.run_own_file(path).to(device, dtype).eval()}
    generator = torch.Generator().manual_seed(0)
    x0, x1 = (torch.rand(1, 3, size, size, generator=generator).to(device, dtype) for _ in range(2))
    t = torch.full((1, 1), 0.5, device=device, dtype=dtype)
    best = {}
    with torch.inference_mode():
        for net in (nets["torchscript"], nets["torchscript"], nets["native"]):  # the JIT profiles, then optimizes
            net(x0, x1, t)
        for repeat in range(sizes["film_repeats"]):
            for name in sorted(nets, reverse=repeat % 2 == 1):  # neither always runs first
                seconds = timed(lambda: nets[name](x0, x1, t), device)
                best[name] = min(best.get(name, seconds), seconds)
        difference = (nets["native"](x0, x1, t) - nets["torchscript"](x0, x1, t)).abs().max().item()
    return [["native", 1 / best["native"], "frames/s"], ["torchscript", 1 / best["torchscript"], "frames/s"],
            ["native / torchscript", best["torchscript"] / best["native"], "ratio"],
            ["max |native - torchscript|", difference, "in [0, 1]"]]


ROWS = {"motion": motion_row, "context": context_row, "film": film_row}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", required=True, help="JSON: device_check.py's SIZES entry")
    parser.add_argument("--host-args", default="", help="ComfyUI's flags, e.g. --lowvram or --cpu")
    parser.add_argument("--row", action="append", required=True, help="LETTER:KIND, KIND one of " + ", ".join(ROWS))
    args = parser.parse_args()
    import comfy_host

    comfy_host.prepare(argv=tuple(args.host_args.split()))
    comfy_host.import_pack(CHECKOUT)
    import half_precision

    sizes = json.loads(args.sizes)
    with half_precision.computing_in(sizes["precision"]):
        start = time.perf_counter()
        models = Models(sizes)
        load = ["model load", time.perf_counter() - start, "s"]
        for spec in args.row:
            letter, kind = spec.split(":")
            start = time.perf_counter()
            values = ROWS[kind](models, sizes)
            values, load = ([load] if load else []) + values, None  # the first row carries the load time
            print(json.dumps({"row": letter, "values": values, "took": time.perf_counter() - start}), flush=True)


if __name__ == "__main__":
    main()
