"""ContextWindowSampler: a KSampler that samples any number of frames in overlapping context windows.

The windows run through the host's own context-window hook (model_options["context_handler"]), extended by
nodes/context_windows.py; every host sampler and scheduler works. Initial noise is drawn per frame from the seed,
so a frame's noise never depends on the window settings. With freeinit_iterations > 1 the clip is sampled
again from FreeInit's re-initialised noise (sampling/freeinit.py), the progress bar counting every pass.
"""
import comfy.context_windows
import comfy.model_management
import comfy.sample
import comfy.samplers
import comfy.utils
import latent_preview
import torch

from comfy.sampler_helpers import convert_cond

from ..sampling import freeinit
from ..sampling.noise import frame_noise
from ..sampling.noise import freenoise as free_noise
from ..sampling.windows import SCHEDULES
from ..motion.frame_counts import check_conds
from .context_windows import FUSE_METHODS, TempoContextHandler
from .image_guides import SETTINGS, apply_guides


class WindowProgress:
    """One progress bar for the node across FreeInit passes: advances per window, with a preview image at the end
    of every step. `done_steps` counts the steps of the passes already finished."""

    def __init__(self, model, steps, passes=1):
        self.steps = steps
        self.passes = passes
        self.done_steps = 0
        self.windows = 1
        self.pbar = comfy.utils.ProgressBar(steps * passes)
        self.previewer = latent_preview.get_previewer(model.load_device, model.model.latent_format)

    def _total(self):
        return self.steps * self.passes * self.windows

    def window(self, step, done, windows):
        self.windows = windows
        self.pbar.update_absolute((self.done_steps + step) * windows + done, self._total())

    def step(self, step, x0, x, total_steps):
        self.steps = total_steps
        preview = None
        if self.previewer is not None:
            preview = self.previewer.decode_latent_to_preview_image("JPEG", x0)
        self.pbar.update_absolute((self.done_steps + step + 1) * self.windows, self._total(), preview)


FREEINIT_SETTINGS = {
    "freeinit_iterations": ("INT", {"default": 1, "min": 1, "max": 10,
                                    "tooltip": "FreeInit: sampling passes. 1 samples once (off). Each further pass "
                                               "restarts from the low frequencies of the last result, diffused "
                                               "with the same initial noise, and fresh noise's high frequencies: "
                                               "steadier motion, at the cost of one more sampling per pass."}),
    "freeinit_filter": (list(freeinit.FILTERS), {"default": "butterworth",
                                                 "tooltip": "FreeInit low-pass filter over frames x height x "
                                                            "width: butterworth (smooth, with order), gaussian, "
                                                            "ideal (sharp sphere), box."}),
    "freeinit_order": ("INT", {"default": 4, "min": 1, "max": 16,
                               "tooltip": "Order of the butterworth filter: higher cuts more sharply."}),
    "freeinit_spatial": ("FLOAT", {"default": 0.25, "min": 0.0, "max": 1.0, "step": 0.01,
                                   "tooltip": "FreeInit spatial stop frequency (1 is the highest): more keeps "
                                              "more of the last result's layout, less takes more of the noise."}),
    "freeinit_temporal": ("FLOAT", {"default": 0.25, "min": 0.0, "max": 1.0, "step": 0.01,
                                    "tooltip": "FreeInit temporal stop frequency (1 is the highest): more keeps "
                                               "more of the last result's motion."}),
}


def freeinit_start(model, samples, noise, fresh, mask):
    """(noise, latent) a FreeInit pass samples from: the first pass's noise with the fresh noise's high band, and
    the low band of the last result, filtered in the model's latent space (see sampling/freeinit.py)."""
    latent_format = model.get_model_object("latent_format")
    low = freeinit.low_band(latent_format.process_in(samples), mask)
    return freeinit.mix(noise, fresh, mask), latent_format.process_out(low)


class ContextWindowSampler:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "model": ("MODEL", {"tooltip": "The model, usually with a motion model attached (Load Motion Module)."}),
                "positive": ("CONDITIONING", {"tooltip": "Conditioning for what to show: plain, or one entry per "
                                                         "frame from Prompt Schedule (sliced per window)."}),
                "negative": ("CONDITIONING", {"tooltip": "Conditioning for what to avoid; per-frame works too."}),
                "latent_image": ("LATENT", {"tooltip": "The frames to sample: an empty latent batch (batch size = "
                                                       "frames) or a video's latents for vid2vid with denoise < 1."}),
                "seed": ("INT", {"default": 0, "min": 0, "max": 0xffffffffffffffff, "control_after_generate": True,
                                 "tooltip": "Seed of the initial noise. Each frame's noise depends on the seed and "
                                            "its index only, so changing window settings keeps the same noise."}),
                "steps": ("INT", {"default": 20, "min": 1, "max": 10000, "tooltip": "Sampling steps."}),
                "cfg": ("FLOAT", {"default": 8.0, "min": 0.0, "max": 100.0, "step": 0.1, "round": 0.01,
                                  "tooltip": "Classifier-free guidance scale, as in KSampler."}),
                "sampler_name": (comfy.samplers.KSampler.SAMPLERS, {"tooltip": "The host's sampler; all work."}),
                "scheduler": (comfy.samplers.KSampler.SCHEDULERS, {"tooltip": "The host's noise schedule."}),
                "denoise": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 1.0, "step": 0.01,
                                      "tooltip": "1 samples from noise; lower keeps the input latents' structure "
                                                 "(img2img / vid2vid)."}),
                "context_length": ("INT", {"default": 16, "min": 1, "max": 256,
                                           "tooltip": "Frames per window: what the motion model was trained on, "
                                                      "16 for SD1.5 modules, 8 for SDXL ones. A clip no longer "
                                                      "than this is sampled as one window."}),
                "context_overlap": ("INT", {"default": 4, "min": 0, "max": 255,
                                            "tooltip": "Frames shared by neighbouring windows; more overlap gives "
                                                       "smoother seams and more windows. Below context_length."}),
                "context_stride": ("INT", {"default": 1, "min": 1, "max": 8,
                                           "tooltip": "1: windows of consecutive frames only. 2 or more adds "
                                                      "windows of every 2nd, 4th, ... frame, for coherence over "
                                                      "long clips, at the cost of more windows."}),
                "closed_loop": ("BOOLEAN", {"default": False,
                                            "tooltip": "Make the last frames blend into the first, for a clip "
                                                       "that loops seamlessly (windows wrap around the end)."}),
                "context_schedule": (list(SCHEDULES), {
                    "default": "uniform",
                    "tooltip": "static: fixed windows. uniform: windows shift every step, so seams never stay "
                               "on the same frames. looped: uniform with wrap-around (a looping clip). batched: "
                               "no overlap, fastest, seams show."}),
                "fuse_method": (FUSE_METHODS, {
                    "default": "pyramid",
                    "tooltip": "How overlapping windows are combined per frame: pyramid weighs a window's middle "
                               "frames most; flat averages; overlap-linear ramps only across the overlap."}),
                "freenoise": ("BOOLEAN", {"default": False,
                                          "tooltip": "FreeNoise: frames past the first window reuse earlier "
                                                     "frames' noise, shuffled, which keeps long clips coherent "
                                                     "(noise then depends on context_length and overlap)."}),
                "windows_per_batch": ("INT", {"default": 0, "min": 0, "max": 64,
                                              "tooltip": "Windows sampled together in one model call. 0: automatic "
                                                         "(as many as fit in free GPU memory; 1 on CPU)."}),
            },
            "optional": {
                "first_image": ("IMAGE", {"tooltip": "Optional guide of the first frame (needs vae), as the A1111 "
                                                     "AnimateDiff extension's img2img: frame i starts from "
                                                     "1 - i^latent_power/latent_scale of it, the rest noise. Use "
                                                     "denoise below 1."}),
                "last_image": ("IMAGE", {"tooltip": "Optional guide of the last frame, counted from the end with "
                                                    "latent_power_last / latent_scale_last."}),
                "vae": ("VAE", {"tooltip": "VAE to encode first_image / last_image."}),
                "latent_power": SETTINGS["latent_power"],
                "latent_scale": SETTINGS["latent_scale"],
                "latent_power_last": SETTINGS["latent_power_last"],
                "latent_scale_last": SETTINGS["latent_scale_last"],
                **FREEINIT_SETTINGS,
            },
        }

    RETURN_TYPES = ("LATENT",)
    OUTPUT_TOOLTIPS = ("The sampled frames.",)
    FUNCTION = "sample"
    CATEGORY = "Tempo/sampling"
    DESCRIPTION = ("Samples any number of frames in overlapping context windows that the motion model can see at "
                   "once, fusing the windows every step. Per-frame conditioning (Prompt Schedule) and ControlNet "
                   "hints with one image per frame are sliced per window. FreeInit (freeinit_iterations > 1) "
                   "samples again from the last result's low frequencies for steadier motion.")

    def sample(self, model, positive, negative, latent_image, seed, steps, cfg, sampler_name, scheduler, denoise,
               context_length, context_overlap, context_stride, closed_loop, context_schedule, fuse_method,
               freenoise, windows_per_batch, first_image=None, last_image=None, vae=None, latent_power=1.0,
               latent_scale=32.0, latent_power_last=1.0, latent_scale_last=32.0, freeinit_iterations=1,
               freeinit_filter="butterworth", freeinit_order=4, freeinit_spatial=0.25, freeinit_temporal=0.25):
        handler = TempoContextHandler(context_length, context_overlap, context_stride, closed_loop,
                                      context_schedule, fuse_method, windows_per_batch)
        model = model.clone()
        model.model_options["context_handler"] = handler
        comfy.context_windows.create_prepare_sampling_wrapper(model)

        latent = comfy.sample.fix_empty_latent_channels(model, latent_image["samples"])
        frames = latent.shape[0]
        indexes = latent_image.get("batch_index") or list(range(frames))
        freeinit.check_settings(freeinit_iterations, freeinit_filter, freeinit_spatial, freeinit_temporal,
                                freeinit_order)

        def draw(noise_seed):
            noise = frame_noise(noise_seed, latent.shape[1:], indexes=list(indexes), dtype=latent.dtype)
            return free_noise(noise, context_length, context_overlap, noise_seed) if freenoise else noise

        noise = draw(seed)
        check_conds({"positive": convert_cond(positive), "negative": convert_cond(negative)}, frames)
        if first_image is not None or last_image is not None:
            latent = apply_guides(model, vae, latent, seed, first_image, last_image, latent_power, latent_scale,
                                  latent_power_last, latent_scale_last, node="Context Window Sampler")

        progress = WindowProgress(model, steps, freeinit_iterations)
        handler.on_window = progress.window

        def run(noise, latent):
            return comfy.sample.sample(model, noise, steps, cfg, sampler_name, scheduler, positive, negative, latent,
                                       denoise=denoise, noise_mask=latent_image.get("noise_mask"),
                                       callback=progress.step, disable_pbar=not comfy.utils.PROGRESS_BAR_ENABLED,
                                       seed=seed)

        samples = run(noise, latent)
        mask = freeinit.filter_for(latent, freeinit_filter, freeinit_spatial, freeinit_temporal, freeinit_order)
        for iteration in range(1, freeinit_iterations):
            progress.done_steps += progress.steps
            samples = run(*freeinit_start(model, samples, noise, draw(freeinit.fresh_seed(seed, iteration)), mask))
        out = latent_image.copy()
        out["samples"] = samples
        return (out,)


NODE_CLASS_MAPPINGS = {"TempoContextWindowSampler": ContextWindowSampler}
NODE_DISPLAY_NAME_MAPPINGS = {"TempoContextWindowSampler": "Context Window Sampler"}
