"""Outputs written under a temporary name beside their final one and renamed when complete, so that a file (or
PNG-sequence folder) under a finished output's name is always whole: an interrupted or failed write leaves
nothing, and players, previews and the next run's counter never meet half a file."""
import os
import shutil
from contextlib import contextmanager


def partial_name(path, folder=False):
    """path with ".partial" before its extension, which picks the container format when the file is opened."""
    if folder:
        return path + ".partial"
    stem, extension = os.path.splitext(path)
    return f"{stem}.partial{extension}"


@contextmanager
def staged(path, folder=False):
    """Yields the temporary name to write; renames it to path when the block ends normally, deletes it when the
    block raises (an interrupt included)."""
    partial = partial_name(path, folder)
    try:
        yield partial
    except BaseException:
        _remove(partial)
        raise
    os.replace(partial, path)


def _remove(path):
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.remove(path)
