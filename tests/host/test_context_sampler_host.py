"""ContextWindowSampler on the host's real samplers, in-process.

Without a motion model every frame samples independently, so fusing windows must give exactly what one call over
all frames gives: any frame that got another frame's conditioning, hint or noise shows up as a difference."""
import comfy.model_management
import nodes as comfy_nodes
import pytest
import torch

import motion_files
from tempo.motion import load_motion_module
from tempo.sampling.guides import guide_noise
from tempo.sampling.noise import frame_noise, freenoise
from tempo.motion.patch import MotionSettings, attach
from tempo.nodes.context_sampler import ContextWindowSampler
from tempo.nodes.context_windows import TempoContextHandler, TempoWindow
from tempo.nodes.image_guides import ImageGuides
from tempo.nodes.prompt_schedule import PromptSchedule

OPTIONS = dict(context_length=8, context_overlap=2, context_stride=1, closed_loop=False, context_schedule="static",
               fuse_method="pyramid", freenoise=False, windows_per_batch=1)


def encode(clip, text):
    return comfy_nodes.CLIPTextEncode().encode(clip, text)[0]


def ksampler(model, positive, negative, frames, seed=3, steps=1, sampler="euler", latent=None):
    latent = latent or {"samples": torch.zeros(frames, 4, 8, 8)}
    return comfy_nodes.common_ksampler(model, seed, steps, 6.0, sampler, "normal", positive, negative,
                                       latent)[0]["samples"]


def windowed(model, positive, negative, frames, seed=3, steps=1, sampler="euler", latent=None, **options):
    latent = latent or {"samples": torch.zeros(frames, 4, 8, 8)}
    settings = OPTIONS | options
    return ContextWindowSampler().sample(model, positive, negative, latent, seed, steps, 6.0, sampler, "normal",
                                         1.0, **settings)[0]["samples"]


@pytest.fixture(scope="module")
def travel(checkpoint):
    _, clip, _ = checkpoint
    positive, negative, _ = PromptSchedule().encode(
        clip, '"0": "a red boat", "4": "a green tree", "9": "a blue car"', 10, "linear", negative="blurry")
    return positive, negative


def test_clip_within_one_window_is_exactly_ksampler(checkpoint):
    model, clip, _ = checkpoint
    pos, neg = encode(clip, "a boat"), encode(clip, "blurry")
    assert torch.equal(windowed(model, pos, neg, 4), ksampler(model, pos, neg, 4))
    assert windowed(model, pos, neg, 1).shape == (1, 4, 8, 8)


@pytest.fixture(scope="module")
def travel_reference(checkpoint, travel):
    return ksampler(checkpoint[0], *travel, 10)


@pytest.mark.parametrize("schedule", ["static", "looped"])
def test_per_frame_prompts_are_sliced_per_window(checkpoint, travel, travel_reference, schedule, monkeypatch):
    import comfy.utils

    model, _, _ = checkpoint
    positive, negative = travel
    progress = []
    monkeypatch.setattr(comfy.utils, "PROGRESS_BAR_HOOK", lambda value, total, preview, node_id=None:
                        progress.append((value, total)))
    # static: one window per model call; looped: its 4 windows in one call (the batched path)
    per_batch = 1 if schedule == "static" else 4
    out = windowed(model, positive, negative, 10, context_schedule=schedule, context_length=4, context_overlap=1,
                   windows_per_batch=per_batch)
    assert torch.allclose(out, travel_reference, atol=1e-4)
    windows = 3 if schedule == "static" else 4
    reports = list(range(per_batch, windows + 1, per_batch))
    assert [v for v, _ in progress] == reports + [windows]  # per window (or batch), then at the step's end
    assert {t for _, t in progress} == {windows}


def test_window_conditioning_slices_model_conds_and_is_built_once():
    """The host slices only top-level tensors at dim 0; model_conds (cross-attention, SDXL's y) must be sliced
    too, and a window's slice is reused on later steps."""
    import comfy.conds

    handler = TempoContextHandler(4, 1, schedule="static")
    per_frame = torch.arange(10.0).view(10, 1, 1).expand(10, 3, 2)
    conds = [{"model_conds": {"c_crossattn": comfy.conds.CONDCrossAttn(per_frame),
                              "y": comfy.conds.CONDRegular(torch.arange(10.0).view(10, 1)),
                              "constant": comfy.conds.CONDRegular(torch.zeros(1, 4))}, "uuid": 1}]
    x = torch.zeros(10, 4, 2, 2)
    window = TempoWindow([3, 4, 5, 6])
    resized = handler.get_resized_cond(conds, x, window)
    model_conds = resized[0]["model_conds"]
    assert model_conds["c_crossattn"].cond[:, 0, 0].tolist() == [3, 4, 5, 6]
    assert model_conds["y"].cond[:, 0].tolist() == [3, 4, 5, 6]
    assert model_conds["constant"].cond.shape == (1, 4)
    assert conds[0]["model_conds"]["c_crossattn"].cond.shape[0] == 10  # the input is left whole
    assert handler.get_resized_cond(conds, x, TempoWindow([3, 4, 5, 6])) is resized
    assert handler.stats["cond_slices_built"] == 1 and handler.stats["cond_slices_reused"] == 1
    handler.slice_budget = 1  # long clips: slices past the memory budget are dropped and rebuilt when needed
    handler.get_resized_cond(conds, x, TempoWindow([0, 1, 2, 3]))
    assert handler.get_resized_cond(conds, x, window) is not resized
    assert handler.stats["cond_slices_built"] == 3


@pytest.mark.parametrize("sampler, steps", [("euler_ancestral", 1), ("dpmpp_2s_ancestral", 2), ("dpmpp_2m", 1),
                                            ("lcm", 1)])
def test_every_host_sampler_works_in_windows(checkpoint, sampler, steps):
    """dpmpp_2s_ancestral evaluates the model between two sigmas, where the host's step lookup fails."""
    model, clip, _ = checkpoint
    pos, neg = encode(clip, "a boat"), encode(clip, "blurry")
    out = windowed(model, pos, neg, 3, sampler=sampler, context_schedule="uniform", context_length=2,
                   context_overlap=1, steps=steps, windows_per_batch=2)
    assert torch.allclose(out, ksampler(model, pos, neg, 3, sampler=sampler, steps=steps), atol=1e-4)


def test_interrupt_stops_within_one_window(checkpoint, travel, monkeypatch):
    import tempo.nodes.context_sampler as context_sampler

    model, _, _ = checkpoint
    positive, negative = travel
    seen = []

    def interrupt(self, step, done, windows):
        seen.append(done)
        comfy.model_management.interrupt_current_processing(True)

    monkeypatch.setattr(context_sampler.WindowProgress, "window", interrupt)
    try:
        with pytest.raises(comfy.model_management.InterruptProcessingException):
            windowed(model, positive, negative, 10, context_length=4, context_overlap=1)
    finally:
        comfy.model_management.interrupt_current_processing(False)
    assert seen == [1]


@pytest.fixture(scope="module")
def animated(checkpoint):
    model, _, _ = checkpoint
    mm = load_motion_module(motion_files.make_motion_state_dict("v2", channels=320)).float()
    return attach(model, mm, MotionSettings())


def test_motion_model_sees_one_window_per_video_and_batching_windows_changes_nothing(checkpoint, animated,
                                                                                       monkeypatch):
    _, clip, _ = checkpoint
    pos, neg = encode(clip, "a boat"), encode(clip, "blurry")
    mm = animated.get_attachment("tempo_motion").motion_model
    module = mm.get_submodule("down_blocks.0.motion_modules.0")
    forward = module.forward
    seen = []
    monkeypatch.setattr(module, "forward", lambda x, f, **kw: seen.append((x.shape[0], f)) or forward(x, f, **kw))
    one_by_one = windowed(animated, pos, neg, 6, steps=1, context_length=4)
    assert seen and {f for _, f in seen} == {4} and {b for b, _ in seen} == {8}
    seen.clear()
    batched = windowed(animated, pos, neg, 6, steps=1, context_length=4, windows_per_batch=2)
    assert {f for _, f in seen} == {4} and max(b for b, _ in seen) == 16
    assert torch.allclose(batched, one_by_one, atol=1e-4)


def test_batched_windows_follow_each_windows_frames_in_per_frame_lists(checkpoint):
    """Several windows in one call: each video of the batch takes the per-frame scale and effect of its own
    window's frames, exactly as when the windows run one per call."""
    model, clip, _ = checkpoint
    pos, neg = encode(clip, "a boat"), encode(clip, "blurry")
    mm = load_motion_module(motion_files.make_motion_state_dict("v2", channels=320)).float()
    settings = MotionSettings(scale=[1.0, 1.5, 0.5, 2.0, 1.0, 0.2, 1.0, 1.3],
                              effect=[0.0, 0.2, 0.5, 1.0, 0.0, 1.0, 0.3, 0.8])
    animated = attach(model, mm, settings)
    options = dict(steps=1, context_length=4, context_overlap=1)
    one_by_one = windowed(animated, pos, neg, 8, **options)
    batched = windowed(animated, pos, neg, 8, windows_per_batch=3, **options)
    assert torch.allclose(batched, one_by_one, atol=1e-4)


def test_freenoise_and_guides_reach_the_sampler_exactly(checkpoint, animated, monkeypatch):
    """The noise and init latent the host sampler gets: FreeNoise's shuffled frame noise, and the latent blended
    with the encoded guides by the A1111 formula (what Image Guides gives KSampler, for the same seed)."""
    import comfy.sample

    _, clip, vae = checkpoint
    pos, neg = encode(clip, "a boat"), encode(clip, "blurry")
    first, last = guide_images()
    latent = {"samples": torch.zeros(6, 4, 8, 8)}
    seen = {}
    sample = comfy.sample.sample
    monkeypatch.setattr(comfy.sample, "sample", lambda model, noise, *a, **kw: seen.update(noise=noise, latent=a[6])
                        or sample(model, noise, *a, **kw))
    options = OPTIONS | dict(freenoise=True, context_length=4, context_overlap=1)
    settings = dict(latent_power=1.0, latent_scale=3.0, latent_power_last=2.0, latent_scale_last=5.0)
    out = ContextWindowSampler().sample(animated, pos, neg, latent, 3, 1, 6.0, "euler", "normal", 0.5, **options,
                                        first_image=first, last_image=last, vae=vae, **settings)[0]["samples"]
    assert out.shape == (6, 4, 8, 8) and torch.isfinite(out).all()
    assert torch.equal(seen["noise"], freenoise(frame_noise(3, (4, 8, 8), frames=6), 4, 1, 3))
    expected = ImageGuides().guide(animated, vae, latent, 3, first_image=first, last_image=last, **settings)[0]
    assert torch.equal(seen["latent"], expected["samples"])
    assert torch.allclose(seen["latent"], reference_guided(vae, first, last, 3, 6, 1.0, 3.0, 2.0, 5.0), atol=1e-5)
    with pytest.raises(ValueError, match="vae"):
        ContextWindowSampler().sample(animated, pos, neg, latent, 3, 1, 6.0, "euler", "normal", 0.5, **OPTIONS,
                                      first_image=first)


def guide_images():
    generator = torch.Generator().manual_seed(1)
    return torch.rand(1, 64, 64, 3, generator=generator), torch.rand(1, 64, 64, 3, generator=generator)


def reference_guided(vae, first, last, seed, frames, power, scale, power_last, scale_last):
    """The A1111 extension's init latent per frame, in ComfyUI's unscaled LATENT space (SD1.5: 0.18215)."""
    start, end = vae.encode(first[..., :3]), vae.encode(last[..., :3])
    a = [max(0.0, 1 - i ** power / scale) for i in range(frames)]
    b = [max(0.0, 1 - (frames - 1 - i) ** power_last / scale_last) for i in range(frames)]
    a, b = zip(*[(x / (x + y), y / (x + y)) if x + y > 1 else (x, y) for x, y in zip(a, b)])
    a, b = [1.0, *a[1:-1], 0.0], [0.0, *b[1:-1], 1.0]
    noise = guide_noise(seed, (4, 8, 8), frames) / 0.18215
    return torch.cat([start * a[i] + end * b[i] + noise[i:i + 1] * (1 - a[i] - b[i]) for i in range(frames)])


def test_image_guides_with_ksampler_start_near_the_first_and_end_near_the_last_guide(checkpoint, animated):
    _, clip, vae = checkpoint
    pos, neg = encode(clip, "a boat"), encode(clip, "blurry")
    first, last = guide_images()
    latent = {"samples": torch.zeros(6, 4, 8, 8)}
    guided = ImageGuides().guide(animated, vae, latent, 5, 1.0, 3.0, 1.0, 3.0, first_image=first,
                                 last_image=last)[0]
    assert torch.allclose(guided["samples"], reference_guided(vae, first, last, 5, 6, 1.0, 3.0, 1.0, 3.0),
                          atol=1e-5)
    out = comfy_nodes.common_ksampler(animated, 3, 2, 6.0, "euler", "normal", pos, neg, guided,
                                      denoise=0.2)[0]["samples"]
    start, end = vae.encode(first), vae.encode(last)
    assert (out[0] - start[0]).norm() < (out[0] - end[0]).norm()
    assert (out[-1] - end[0]).norm() < (out[-1] - start[0]).norm()


def test_counts_that_differ_from_the_frames_are_errors(checkpoint, animated, travel):
    """The host would repeat or truncate these silently; the error names the input and both counts."""
    import comfy.controlnet

    model, clip, vae = checkpoint
    pos, neg = encode(clip, "a boat"), encode(clip, "blurry")
    with pytest.raises(ValueError, match=r"positive conditioning \(cross_attn\) has 10 entries but the latent "
                                         r"has 8 frames"):
        windowed(model, *travel, 8)
    with pytest.raises(ValueError, match="positive conditioning .* 10 entries .* 8 frames"):
        ksampler(animated, *travel, 8)  # the stock KSampler on a model with a motion module
    control = comfy.controlnet.ControlBase()
    control.set_cond_hint(torch.zeros(3, 3, 64, 64))
    with pytest.raises(ValueError, match="ControlNet hint image on positive has 3 entries .* 6 frames"):
        windowed(model, [[pos[0][0], {**pos[0][1], "control": control}]], neg, 6)
    two = torch.zeros(2, 64, 64, 3)
    with pytest.raises(ValueError, match="first_image has 2 images"):
        windowed(model, pos, neg, 6, first_image=two, vae=vae)
    with pytest.raises(ValueError, match="last_image has 2 images"):
        ImageGuides().guide(model, vae, {"samples": torch.zeros(6, 4, 8, 8)}, 0, 1.0, 3.0, 1.0, 3.0,
                            last_image=two)
    mm = animated.get_attachment("tempo_motion").motion_model
    too_long = attach(model, mm, MotionSettings(effect=[1.0] * 7))
    with pytest.raises(ValueError, match="effect_per_frame has 7 values but the latent has 6 frames"):
        ksampler(too_long, pos, neg, 6)
    ksampler(attach(model, mm, MotionSettings(scale=[1.0, 1.2])), pos, neg, 6)  # shorter holds its last value


def test_sdxl_pooled_and_size_conditioning_per_frame_is_sliced_per_window(sdxl_unet):
    """SDXL's pooled output and size embedding reach the UNet as model_conds['y']: one row per frame must stay
    with its frame in every window. Cross-attention is the same for all frames here, so only y can differ."""
    frames = 6
    generator = torch.Generator().manual_seed(2)
    context = torch.randn(1, 77, 2048, generator=generator).expand(frames, -1, -1).contiguous()
    pooled = torch.randn(frames, 1280, generator=generator)
    positive = [[context, {"pooled_output": pooled, "width": 64, "height": 64}]]
    negative = [[torch.zeros(1, 77, 2048), {"pooled_output": torch.zeros(1, 1280)}]]
    reference = ksampler(sdxl_unet, positive, negative, frames)
    out = windowed(sdxl_unet, positive, negative, frames, context_length=4, context_overlap=2)
    assert torch.allclose(out, reference, atol=1e-4)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("fuse_method, per_batch", [("pyramid", 1), ("relative", 1), ("flat", 2)])
def test_windows_raise_no_warning(checkpoint, fuse_method, per_batch):
    """The host's window indexes with a list holding the index list: torch warns on every window and step."""
    model, clip, _ = checkpoint
    pos, neg = encode(clip, "a boat"), encode(clip, "blurry")
    out = windowed(model, pos, neg, 6, context_length=4, fuse_method=fuse_method, windows_per_batch=per_batch)
    assert out.shape == (6, 4, 8, 8)
