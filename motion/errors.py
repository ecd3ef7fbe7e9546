"""The errors a motion model or motion LoRA file can raise; the nodes catch MotionModelError and show its text."""


class MotionModelError(ValueError):
    """A file that is not a usable motion model or motion LoRA, or a call it cannot serve; the message names the
    file (or the limit) and what was expected."""


class MotionModelNotFound(MotionModelError, FileNotFoundError):
    """The path names no file."""
