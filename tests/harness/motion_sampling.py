"""Sampling a few frames with ComfyUI's own sampler and small motion models, for the host-tier motion tests."""
import comfy.sample
import torch

import motion_files
from tempo.motion import load_motion_module

FRAMES = 4


def conditioning(clip, text):
    return clip.encode_from_tokens_scheduled(clip.tokenize(text))


def sample(model, clip, frames=FRAMES, seed=3, steps=2, latent=None, cfg=5.0):
    latent = torch.zeros(frames, 4, 8, 8) if latent is None else latent
    noise = comfy.sample.prepare_noise(latent, seed)
    return comfy.sample.sample(model, noise, steps, cfg, "euler", "normal", conditioning(clip, "a boat"),
                               conditioning(clip, "blurry"), latent, denoise=1.0, seed=seed)


def motion(layout="v2", **kw):
    return load_motion_module(motion_files.make_motion_state_dict(layout, channels=320, **kw)).float()
