"""Frame interpolation in plain PyTorch: FILM (all three file layouts), RIFE 4.5+, weightless optical flow,
crossfade.

No ComfyUI here; nodes/interpolate.py adapts it. Imported as `interp` by the unit tests and as `tempo.interp`
by the host, so modules import each other relatively.
"""
from .film import FILM, FilmConfig
from .film_formats import FilmFormatError, describe, load_film
from .interpolate import interpolate
from .methods import CROSSFADE, FLOW, RifeMethod
from .rife import RIFE, RifeConfig
from .rife_formats import RifeFormatError, load_interpolator, load_rife
from .timing import EXACT, MIDPOINTS, output_count

__all__ = ["FILM", "FilmConfig", "FilmFormatError", "describe", "load_film", "interpolate", "CROSSFADE", "FLOW",
           "RifeMethod", "RIFE", "RifeConfig", "RifeFormatError", "load_interpolator", "load_rife", "EXACT",
           "MIDPOINTS", "output_count"]
