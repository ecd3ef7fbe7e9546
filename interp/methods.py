"""The ways to make an in-between, behind the three calls the driver makes:

    prepare(frames)          per-frame state: a list of (B, ...) tensors, made once per frame and shared by
                             both pairs the frame belongs to
    motion(a, b)             per-pair state from two prepared batches, made once per pair
    between(a, b, motion, t) the frames at times t (B,1) between them, (B,3,H,W), not clamped
    min_size                 smaller frames are padded up to it
"""
import torch

from .film import FILM
from .flow import OpticalFlow

FLOW = "flow"
CROSSFADE = "crossfade"


class FilmMethod:
    def __init__(self, model):
        self.model = model
        self.min_size = model.config.min_size
        self.prepare = model.pyramids
        self.motion = model.flows
        self.between = model.synthesize

    @property
    def device(self):
        return next(self.model.parameters()).device

    @property
    def dtype(self):
        return next(self.model.parameters()).dtype


class Crossfade:
    """Each in-between a weighted average of the pair: no motion at all, the baseline the others must beat."""
    min_size = 1

    def prepare(self, frames):
        return [frames]

    def motion(self, a, b):
        return None

    def between(self, a, b, motion, t):
        return torch.lerp(a[0], b[0], t.reshape(-1, 1, 1, 1).to(a[0].dtype))


def as_method(method):
    """A FILM module, "flow", "crossfade", or anything that already has the three calls."""
    if isinstance(method, FILM):
        return FilmMethod(method)
    if method == FLOW:
        return OpticalFlow()
    if method == CROSSFADE:
        return Crossfade()
    if all(hasattr(method, name) for name in ("prepare", "motion", "between", "min_size")):
        return method
    raise ValueError(f"unknown interpolation method {method!r}: expected a FILM model, {FLOW!r} or {CROSSFADE!r}")
