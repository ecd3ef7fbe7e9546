"""Where the frames being written come from, and in which order they play.

Writers pull one (H, W, 3) float frame at a time in play order, so ping-pong and repeats are index lists, never
copies of the clip, and a clip decoded from latents exists a chunk at a time."""
import numpy as np
import torch

from .errors import MediaError


def play_order(count, pingpong=False, repeats=1):
    """Frame indexes as played: forward, then (ping-pong) back without repeating either end frame, so that a
    looping player shows no stutter at the turns; the whole sequence `repeats` times."""
    once = list(range(count))
    if pingpong:
        once += range(count - 2, 0, -1)
    return once * max(1, repeats)


def spread(count, k):
    """Up to k indexes spread evenly over range(count), first and last included."""
    if count <= k:
        return list(range(count))
    return [round(i * (count - 1) / (k - 1)) for i in range(k)]


def to_uint8(frame):
    """An (H, W, C) float frame in [0, 1] as an (H, W, 3) uint8 array, for the RGB formats (GIF, WebP, PNG).
    In numpy, single-threaded, for the reason colour.to_frame gives."""
    return np.rint(np.clip(frame[..., :3].to("cpu", torch.float32).numpy(), 0.0, 1.0) * 255.0).astype(np.uint8)


class ImageFrames:
    """An IMAGE batch (N, H, W, C) float in [0, 1]: frames are views of it."""

    def __init__(self, images):
        if images.ndim != 4 or images.shape[0] == 0 or images.shape[-1] < 3:
            raise MediaError(f"images: expected an IMAGE batch (frames, height, width, 3), got {tuple(images.shape)}")
        self.images = images

    def __len__(self):
        return self.images.shape[0]

    def frames(self, order):
        for index in order:
            yield self.images[index]

    def sample(self, k):
        return [self.images[i] for i in spread(len(self), k)]


class DecodedFrames:
    """LATENT frames turned into images by `decode` (e.g. a VAE) `chunk` frames at a time, so that long clips are
    written without the whole IMAGE batch in memory. Frames played twice (ping-pong, repeats) are decoded twice:
    decoding costs time, holding the clip costs memory that long clips do not have."""

    def __init__(self, latents, decode, chunk=16):
        if latents.ndim != 4 or latents.shape[0] == 0:
            raise MediaError(f"latent: expected per-frame latents (frames, channels, height, width), "
                             f"got {tuple(latents.shape)}")
        self.latents, self.decode, self.chunk = latents, decode, chunk

    def __len__(self):
        return self.latents.shape[0]

    def frames(self, order):
        order = list(order)
        for start in range(0, len(order), self.chunk):
            yield from self.decode(self.latents[order[start:start + self.chunk]])

    def sample(self, k):
        return list(self.decode(self.latents[spread(len(self), k)]))
