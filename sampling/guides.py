"""First/last-frame image guides: the init latent each frame starts from."""
import torch

from .noise import frame_noise
from .windows import ContextError

# The img2img start/end frames of the A1111 AnimateDiff extension: the init latent of frame i (of F) is
#     init * a_i + last * b_i + noise * (1 - a_i - b_i),
# a_i = 1 - i^latent_power / latent_scale and b_i = 1 - (F-1-i)^latent_power_last / latent_scale_last, each at
# least 0; where a_i + b_i > 1 both are divided by their sum, and the first frame is the init alone, the last frame
# the last guide alone. Without a last guide b = 0 and nothing is normalised. `init` is the img2img input (there:
# the init image's latent on every frame), `noise` a fresh standard-normal latent: the extension draws it from the
# image's seed before the sampler draws its own noise, so it is not the sampler's noise, and the sampler then
# noises the blended init latent to the start of its denoise as it would any img2img input.

GUIDE_SEED_OFFSET = 0x9E3779B97F4A7C15  # a seed stream of its own, so the blend never reuses the sampler's noise


def keep_curve(frames, power, scale, field="latent_scale"):
    """How much of a guide frame i starts from: 1 - i^power / scale, at least 0."""
    if scale <= 0:
        raise ContextError(f"{field} {scale}: expected a positive number")
    return [max(0.0, 1.0 - (i ** power) / scale) for i in range(frames)]


def guide_weights(frames, power, scale, power_last=None, scale_last=None):
    """(a, b): per-frame weights of the init latent and of the last guide (b is None without a last guide)."""
    first = torch.tensor(keep_curve(frames, power, scale), dtype=torch.float64)
    if power_last is None:
        return first, None
    last = torch.tensor(keep_curve(frames, power_last, scale_last, "latent_scale_last")[::-1], dtype=torch.float64)
    total = first + last
    over = total > 1
    first[over] /= total[over]
    last[over] /= total[over]
    first[0], first[-1], last[0], last[-1] = 1.0, 0.0, 0.0, 1.0
    return first, last


def guide_noise(seed, frame_shape, frames, dtype=torch.float32):
    """The random latent the guides are blended with, in the model's scaled latent space, frame by frame."""
    return frame_noise((seed + GUIDE_SEED_OFFSET) % 2 ** 64, frame_shape, frames=frames, dtype=dtype)


def guided_latent(init, noise, last=None, power=1.0, scale=32.0, power_last=1.0, scale_last=32.0):
    """The blended init latent (F, C, H, W). init: (F or 1, C, H, W), the first guide or the img2img input;
    noise: (F, C, H, W) in the same latent space; last: (1, C, H, W) or None."""
    frames = noise.shape[0]
    first, back = guide_weights(frames, power, scale, *((power_last, scale_last) if last is not None else ()))
    shape = (-1,) + (1,) * (noise.ndim - 1)
    first = first.to(noise.dtype).view(shape)
    if back is None:
        return init * first + noise * (1 - first)
    back = back.to(noise.dtype).view(shape)
    return init * first + last * back + noise * (1 - first - back)
