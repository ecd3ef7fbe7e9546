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
from .rife import RIFE

FLOW = "flow"
CROSSFADE = "crossfade"


class ModelMethod:
    """A method backed by a module: the driver computes on its device and in its dtype."""

    @property
    def device(self):
        return next(self.model.parameters()).device

    @property
    def dtype(self):
        return next(self.model.parameters()).dtype


class FilmMethod(ModelMethod):
    def __init__(self, model):
        self.model = model
        self.min_size = model.config.min_size
        self.prepare = model.pyramids
        self.motion = model.flows
        self.between = model.synthesize


class RifeMethod(ModelMethod):
    """RIFE with its run options. A frame's state is the frame padded for the cascade and its features."""
    min_size = 1  # RIFE pads to the size it needs itself, with zeros as its own tools do

    def __init__(self, model, scale=1.0, ensemble=False):
        model.check(scale, ensemble)
        self.model, self.scale, self.ensemble = model, scale, ensemble
        self.size = None

    def prepare(self, frames):
        self.size = frames.shape[-2:]  # every frame of a clip has one size
        padded = self.model.pad(frames, self.scale)
        features = self.model.features(padded)
        return [padded] if features is None else [padded, features]

    def motion(self, a, b):
        return None

    def between(self, a, b, motion, t):
        features = (a[1], b[1]) if len(a) > 1 else (None, None)
        out = self.model.cascade(a[0], b[0], *features, t, self.scale, self.ensemble)
        return out[..., :self.size[0], :self.size[1]]


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
    """A FILM or RIFE module, "flow", "crossfade", or anything that already has the three calls."""
    if isinstance(method, FILM):
        return FilmMethod(method)
    if isinstance(method, RIFE):
        return RifeMethod(method)
    if method == FLOW:
        return OpticalFlow()
    if method == CROSSFADE:
        return Crossfade()
    if all(hasattr(method, name) for name in ("prepare", "motion", "between", "min_size")):
        return method
    raise ValueError(f"unknown interpolation method {method!r}: expected a FILM or RIFE model, {FLOW!r} or "
                     f"{CROSSFADE!r}")
