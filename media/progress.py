"""Progress and interrupt hooks for the frame loops, as plain callables: media/ knows no host, so the node passes
ComfyUI's progress bar and its interrupt check (which raises to stop the run)."""


def ignore(*_):
    """The hook when none is given."""


def watched(frames, total, progress=ignore, interrupt=ignore):
    """The frames unchanged, with interrupt() called before each is pulled from its source (decoding one can be
    the slow part) and progress(done, total) once the consumer comes back for the next, done with the last."""
    interrupt()
    for done, frame in enumerate(frames, 1):
        yield frame
        progress(done, total)
        interrupt()
