"""Image Guides (Tempo): the A1111 AnimateDiff extension's img2img start/end frames for any sampler. The blend
itself is sampling.guides.guided_latent; Context Window Sampler runs the same code through apply_guides."""
import comfy.sample
import comfy.utils
import torch

from ..sampling.guides import guide_noise, guided_latent

SETTINGS = {
    "latent_power": ("FLOAT", {"default": 1.0, "min": 0.1, "max": 10.0, "step": 0.1,
                               "tooltip": "Shape of the first guide's fade: frame i keeps "
                                          "1 - i^latent_power / latent_scale of it; higher keeps it longer, then "
                                          "drops faster."}),
    "latent_scale": ("FLOAT", {"default": 32.0, "min": 1.0, "max": 10000.0, "step": 1.0,
                               "tooltip": "Frames (to the power latent_power) over which the first guide fades "
                                          "into noise."}),
    "latent_power_last": ("FLOAT", {"default": 1.0, "min": 0.1, "max": 10.0, "step": 0.1,
                                    "tooltip": "latent_power for the last guide, counted from the last frame."}),
    "latent_scale_last": ("FLOAT", {"default": 32.0, "min": 1.0, "max": 10000.0, "step": 1.0,
                                    "tooltip": "latent_scale for the last guide, counted from the last frame."}),
}


def encode_guide(vae, image, latent, name):
    """A guide IMAGE of one frame encoded to one latent frame of the latent's size."""
    if image.shape[0] != 1:
        raise ValueError(f"{name} has {image.shape[0]} images: expected one (the guide of one frame)")
    height, width = latent.shape[-2] * 8, latent.shape[-1] * 8
    pixels = image[:, :, :, :3]
    if pixels.shape[1] != height or pixels.shape[2] != width:
        pixels = comfy.utils.common_upscale(pixels.movedim(-1, 1), width, height, "bilinear", "center").movedim(1, -1)
    return vae.encode(pixels).to(latent.dtype)


def apply_guides(model, vae, latent, seed, first_image=None, last_image=None, latent_power=1.0, latent_scale=32.0,
                 latent_power_last=1.0, latent_scale_last=32.0, node="Image Guides"):
    """The guided init latent (F, C, H, W) in ComfyUI's LATENT space. Without first_image the latent itself is
    the init latent (the extension's img2img input)."""
    if vae is None and (first_image is not None or last_image is not None):
        raise ValueError(f"{node}: first_image / last_image need the vae input connected, to encode them")
    init = encode_guide(vae, first_image, latent, "first_image") if first_image is not None else latent
    last = encode_guide(vae, last_image, latent, "last_image") if last_image is not None else None
    # The extension draws standard-normal noise in the model's scaled latent space; a LATENT is unscaled.
    noise = guide_noise(seed, latent.shape[1:], latent.shape[0], dtype=torch.float32)
    noise = model.get_model_object("latent_format").process_out(noise).to(latent.dtype)
    return guided_latent(init, noise, last, latent_power, latent_scale, latent_power_last, latent_scale_last)


class ImageGuides:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "model": ("MODEL", {"tooltip": "The model to sample with: its latent scale sets the noise's."}),
                "vae": ("VAE", {"tooltip": "VAE to encode the guide images."}),
                "latent": ("LATENT", {"tooltip": "The frames (batch size = frames); without first_image these "
                                                 "latents are what the first frames keep."}),
                "seed": ("INT", {"default": 0, "min": 0, "max": 0xffffffffffffffff, "control_after_generate": True,
                                 "tooltip": "Seed of the noise the guides fade into (a stream of its own, never "
                                            "the sampler's noise for the same seed)."}),
                **SETTINGS,
            },
            "optional": {
                "first_image": ("IMAGE", {"tooltip": "Guide of the first frame (one image)."}),
                "last_image": ("IMAGE", {"tooltip": "Guide of the last frame (one image)."}),
            },
        }

    RETURN_TYPES = ("LATENT",)
    OUTPUT_TOOLTIPS = ("The guided frames, for a sampler with denoise below 1.",)
    FUNCTION = "guide"
    CATEGORY = "Tempo/sampling"
    DESCRIPTION = ("img2img start/end frames as the A1111 AnimateDiff extension makes them: frame i starts from "
                   "the first image * a + the last image * b + noise * (1 - a - b), a fading from the first frame "
                   "and b from the last. Sample the result with KSampler (or Context Window Sampler) at denoise "
                   "below 1.")

    def guide(self, model, vae, latent, seed, latent_power, latent_scale, latent_power_last, latent_scale_last,
              first_image=None, last_image=None):
        samples = comfy.sample.fix_empty_latent_channels(model, latent["samples"])
        out = latent.copy()
        out["samples"] = apply_guides(model, vae, samples, seed, first_image, last_image, latent_power,
                                      latent_scale, latent_power_last, latent_scale_last)
        return (out,)


NODE_CLASS_MAPPINGS = {"TempoImageGuides": ImageGuides}
NODE_DISPLAY_NAME_MAPPINGS = {"TempoImageGuides": "Image Guides (Tempo)"}
