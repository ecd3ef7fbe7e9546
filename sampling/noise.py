"""Initial noise drawn per frame, so a frame's noise never depends on window settings, and FreeNoise."""
import torch


def frame_noise(seed, frame_shape, frames=None, indexes=None, dtype=torch.float32):
    """Initial noise, one frame at a time from one generator seeded with `seed`: frame i's noise depends only on
    the seed, i and the frame shape (not on the frame count or any window setting). `indexes` picks frames by
    index (a latent's batch_index); otherwise frames 0..frames-1. For frame sizes that are a multiple of 16 values
    this is exactly the noise the stock KSampler draws for the whole batch."""
    if indexes is None:
        indexes = list(range(frames))
    generator = torch.Generator().manual_seed(seed)
    drawn = {}
    for i in range(max(indexes) + 1):
        noise = torch.randn((1, *frame_shape), generator=generator, dtype=dtype)
        if i in indexes:
            drawn[i] = noise
    return torch.cat([drawn[i] for i in indexes])


def freenoise(noise, length, overlap, seed):
    """FreeNoise rescheduling: past the first window, each block of d = length - overlap frames reuses the noise
    of the frames one window earlier, shuffled, so every window sees the same noise statistics and long clips stay
    coherent. Returns a new tensor; clips no longer than one window are returned unchanged."""
    frames = noise.shape[0]
    if frames <= length:
        return noise
    advance = max(1, length - overlap)
    generator = torch.Generator().manual_seed(seed)
    out = noise.clone()
    for start in range(length, frames, advance):
        n = min(advance, frames - start)
        source = torch.arange(start - length, start - length + n)
        out[start:start + n] = out[source[torch.randperm(n, generator=generator)]]
    return out
