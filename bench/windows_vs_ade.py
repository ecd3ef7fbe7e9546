"""Bit-exactness in context windows: a clip longer than one window (48 frames, static windows of 16 overlapping by
4, pyramid fusing, cfg 7) through Tempo's Context Window Sampler and through AnimateDiff-Evolved's static context
options, on bench/motion_speed.py's full-size SD1.5 + v2 (random weights), the same noise and prompts. Prints
whether the latents are equal. AnimateDiff-Evolved is not a dependency: export it into a scratch folder (see
motion_speed.py).

    $TEMPO_PYTHON -P bench/windows_vs_ade.py /tmp/ade [--frames 48] [--size 64] [--steps 2]
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import motion_speed  # noqa: E402

LENGTH, OVERLAP = 16, 4


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("ade", help="a ComfyUI-AnimateDiff-Evolved folder")
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=2)
    args = parser.parse_args()
    sys.path[:0] = [os.path.join(motion_speed.TESTS, "harness"), os.path.join(motion_speed.TESTS, "fixtures")]
    import comfy_host

    comfy_host.prepare()
    comfy_host.import_pack(motion_speed.CHECKOUT)
    import comfy.sample
    import motion_files
    import torch
    from tempo.nodes.context_sampler import ContextWindowSampler

    modes, conds = motion_speed.models(args.ade)
    peer = sys.modules["ade_peer"].NODE_CLASS_MAPPINGS
    options = peer["ADE_StandardStaticContextOptions"]().create_options(LENGTH, OVERLAP, fuse_method="pyramid")[0]
    name = os.path.basename(motion_files.real_size_file("v2"))
    motion = peer["ADE_LoadAnimateDiffModel"]().load_motion_model(name)[0]
    m_models = peer["ADE_ApplyAnimateDiffModelSimple"]().apply_motion_model(motion)[0]
    ade = peer["ADE_UseEvolvedSampling"]().use_evolved_sampling(modes["plain"], "autoselect", m_models,
                                                                context_options=options)[0]
    latent = torch.zeros(args.frames, 4, args.size // 8, args.size // 8)
    noise = comfy.sample.prepare_noise(latent, motion_speed.SEED)
    theirs = comfy.sample.sample(ade, noise, args.steps, motion_speed.CFG, "euler", "normal", *conds, latent,
                                 seed=motion_speed.SEED, disable_pbar=True)
    ours = ContextWindowSampler().sample(
        modes["tempo"], *conds, {"samples": latent}, motion_speed.SEED, args.steps, motion_speed.CFG, "euler",
        "normal", 1.0, context_length=LENGTH, context_overlap=OVERLAP, context_stride=1, closed_loop=False,
        context_schedule="static", fuse_method="pyramid", freenoise=False, windows_per_batch=1)[0]["samples"]
    same = torch.equal(ours, theirs)
    print(f"{args.frames} frames at {args.size}x{args.size}, static windows {LENGTH}/{OVERLAP}, pyramid, "
          f"{args.steps} steps, cfg {motion_speed.CFG}: latents tempo vs ade "
          f"{'bit-identical' if same else 'DIFFER'} (max |diff| {(ours - theirs).abs().max().item():.3g})")


if __name__ == "__main__":
    main()
