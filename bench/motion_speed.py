"""CPU time per sampling step of full-size SD1.5 (seeded random weights, 320/640/1280 channels) as a plain KSampler
on a batch of images, with Tempo's v2 motion module on as many frames, and with AnimateDiff-Evolved's when its
folder is given; whether Tempo's and AnimateDiff-Evolved's latents are bit-identical; the FLOPs of a UNet call with
the motion modules over one without.

All modes run in one process on the same weights, conditioning and noise, interleaved, best of --repeats: the
machine is shared, so each step is timed in process CPU time, between two sampler callbacks (no load or patch
time). AnimateDiff-Evolved is not a dependency: export it into a scratch folder, never into the checkout, e.g.
    git -C <its repo> archive HEAD | tar -x -C /tmp/ade
    $TEMPO_PYTHON -P bench/motion_speed.py [/tmp/ade] [--size 256] [--frames 16] [--profile 25]
--profile N prints the N most expensive operators (self CPU time of one step) of Tempo and of the peer.
"""
import argparse
import importlib.util
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.dirname(HERE)
TESTS = os.path.join(CHECKOUT, "tests")
SEED, CFG = 0, 7.0


def full_size_checkpoint():
    """SD1.5's real channel widths; the test fixture's 320 at every level cannot take a full-size motion model."""
    import checkpoints
    from cache import cached

    return cached("sd15-full-size-fixture-v1.safetensors",
                  lambda path: checkpoints.write(path, unet=checkpoints.SD15_RELEASED_UNET))


def import_peer(folder):
    """AnimateDiff-Evolved imported as ComfyUI imports a custom node folder; its model folders go to a scratch
    models_dir, not the host's."""
    import folder_paths

    folder_paths.models_dir = tempfile.mkdtemp(prefix="tempo-speed-models-")
    spec = importlib.util.spec_from_file_location("ade_peer", os.path.join(folder, "__init__.py"),
                                                  submodule_search_locations=[folder])
    pack = importlib.util.module_from_spec(spec)
    sys.modules["ade_peer"] = pack
    spec.loader.exec_module(pack)
    return pack.NODE_CLASS_MAPPINGS


def models(ade_folder):
    """{mode: ModelPatcher} sharing one UNet, and the positive and negative conditioning."""
    import comfy.sd
    import folder_paths
    import motion_files
    from tempo.nodes.motion_model import LoadMotionModule

    unet, clip, _, _ = comfy.sd.load_checkpoint_guess_config(full_size_checkpoint())
    motion_path = motion_files.real_size_file("v2")
    name = os.path.basename(motion_path)
    peer = import_peer(ade_folder) if ade_folder else None  # before our folder: its import registers its own
    folder_paths.add_model_folder_path("animatediff_models", os.path.dirname(motion_path))
    modes = {"plain": unet, "tempo": LoadMotionModule().load(unet, name, 1.0, 1.0, "auto")["result"][0]}
    if peer:
        motion = peer["ADE_LoadAnimateDiffModel"]().load_motion_model(name)[0]
        m_models = peer["ADE_ApplyAnimateDiffModelSimple"]().apply_motion_model(motion)[0]
        modes["ade"] = peer["ADE_UseEvolvedSampling"]().use_evolved_sampling(unet, "autoselect", m_models)[0]
    conds = [clip.encode_from_tokens_scheduled(clip.tokenize(text)) for text in ("a paper boat on a pond", "blurry")]
    return modes, conds


def sample(model, conds, noise, steps, marks=None):
    import comfy.sample

    callback = None if marks is None else lambda *_: marks.append(time.process_time())
    return comfy.sample.sample(model, noise, steps, CFG, "euler", "normal", *conds, noise.new_zeros(noise.shape),
                               seed=SEED, callback=callback, disable_pbar=True)


def unet_flops(model, conds, noise):
    """FLOPs of one sampling step with Euler: one UNet call on the cond and uncond batch."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        sample(model, conds, noise, 1)
    return counter.get_total_flops()


def best_step_seconds(modes, conds, noise, repeats, steps):
    """Per mode: the least process CPU time between consecutive step callbacks over all repeats, and its latents."""
    best, latents = {}, {}
    for _ in range(repeats):
        for mode, model in modes.items():
            marks = []
            latents[mode] = sample(model, conds, noise, steps, marks)
            step = min(b - a for a, b in zip(marks, marks[1:]))
            best[mode] = min(best.get(mode, step), step)
    return best, latents


def profile(model, conds, noise, rows):
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    sample(model, conds, noise, 1)
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        sample(model, conds, noise, 1)
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("ade", nargs="?", help="a ComfyUI-AnimateDiff-Evolved folder (skipped if not given)")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=3, help="steps per timed sampling run (at least 2)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--profile", type=int, default=0, metavar="ROWS")
    args = parser.parse_args()
    sys.path[:0] = [os.path.join(TESTS, "harness"), os.path.join(TESTS, "fixtures")]
    import comfy_host

    comfy_host.prepare()
    comfy_host.import_pack(CHECKOUT)
    import comfy.sample
    import torch

    torch.set_num_threads(args.threads)
    modes, conds = models(args.ade)
    noise = comfy.sample.prepare_noise(torch.zeros(args.frames, 4, args.size // 8, args.size // 8), SEED)
    if args.profile:
        for mode in modes.keys() - {"plain"}:
            table = profile(modes[mode], conds, noise, args.profile)
            print(f"--- {mode}: one step, operators by self CPU time\n{table}")
        return
    flops = {mode: unet_flops(model, conds, noise) for mode, model in modes.items()}  # also the warm-up
    seconds, latents = best_step_seconds(modes, conds, noise, args.repeats, args.steps)
    print(f"full-size SD1.5 + v2 (random weights), {args.frames} frames at {args.size}x{args.size}, cfg {CFG} "
          f"(UNet batch {2 * args.frames}), {args.threads} thread(s); CPU s/step, best of {args.repeats}:")
    print("  " + ", ".join(f"{mode} {s:.2f}" for mode, s in seconds.items()))
    print(f"  tempo/plain {seconds['tempo'] / seconds['plain']:.3f}x")
    if "ade" in modes:
        same = torch.equal(latents["tempo"], latents["ade"])
        print(f"  ade/plain {seconds['ade'] / seconds['plain']:.3f}x, "
              f"tempo/ade {seconds['tempo'] / seconds['ade']:.3f}x; "
              f"latents tempo vs ade: {'bit-identical' if same else 'DIFFER'}"
              f" (max |diff| {(latents['tempo'] - latents['ade']).abs().max().item():.3g})")
    print(f"FLOPs per UNet call: motion/plain {flops['tempo'] / flops['plain']:.3f}x "
          f"({flops['tempo'] / 1e12:.2f} vs {flops['plain'] / 1e12:.2f} TFLOP)"
          + (f", ade/plain {flops['ade'] / flops['plain']:.3f}x" if "ade" in flops else ""))


if __name__ == "__main__":
    main()
