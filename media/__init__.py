"""Video in and out for Tempo, with PyAV and Pillow only (no ComfyUI): VideoCombine's writer and LoadVideo's
reader. The host imports this as tempo.media, the unit tests as media, hence relative imports throughout."""
from .combine import CombineOptions, Combined, combine
from .decode import Loaded, load_video
from .errors import MediaError
from .fit import RESIZE_MODES
from .formats import CHROMA, FORMATS, PRESETS, available_formats
from .frames import DecodedFrames, ImageFrames
from .gif import DITHERS

__all__ = ["CombineOptions", "Combined", "combine", "Loaded", "load_video", "MediaError", "RESIZE_MODES", "CHROMA",
           "FORMATS", "PRESETS", "available_formats", "DecodedFrames", "ImageFrames", "DITHERS"]
