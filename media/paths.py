"""Output file names from a filename_prefix, kept inside the output folder."""
import os
import re
from dataclasses import dataclass

from .errors import MediaError


@dataclass(frozen=True)
class OutputName:
    folder: str      # absolute folder the files go in
    subfolder: str   # that folder relative to the root, "/"-separated ("" for the root itself)
    base: str        # "<name>_<counter:05>": files are base + extension, a PNG sequence is a folder named base

    def path(self, extension):
        return os.path.join(self.folder, f"{self.base}.{extension}")


def split_prefix(filename_prefix):
    """("sub/folders", "name") of a prefix like "animations/run1/clip"; refuses prefixes that would leave the
    output folder, so a shared server cannot be made to write anywhere else."""
    prefix = filename_prefix.strip().replace("\\", "/")  # a Windows-style prefix means the same folders
    parts = prefix.split("/")
    if not prefix or os.path.isabs(prefix) or re.match(r"^[A-Za-z]:", prefix):
        raise MediaError(f"filename_prefix {filename_prefix!r}: expected a relative name like 'animations/clip' "
                         f"inside the output folder")
    if ".." in parts:
        raise MediaError(f"filename_prefix {filename_prefix!r}: '..' would leave the output folder; "
                         f"use a name like 'animations/clip'")
    if not parts[-1]:
        raise MediaError(f"filename_prefix {filename_prefix!r}: ends with a folder; add a file name after the '/'")
    folders = [part for part in parts[:-1] if part not in ("", ".")]
    return "/".join(folders), parts[-1]


def reserve(root, filename_prefix):
    """The next free OutputName for filename_prefix under root: counters continue after the highest one any
    file or folder named "<name>_<digits>" already uses, so earlier outputs are never overwritten."""
    subfolder, name = split_prefix(filename_prefix)
    root = os.path.abspath(root)
    folder = os.path.join(root, *subfolder.split("/")) if subfolder else root
    # The lexical checks above hold already, but a subfolder that is a symlink can still lead elsewhere, so the
    # resolved paths are compared (root's own links resolved too: the output folder may itself be one).
    real_root = os.path.realpath(root)
    if os.path.commonpath((real_root, os.path.realpath(folder))) != real_root:
        raise MediaError(f"filename_prefix {filename_prefix!r}: leads outside the output folder {root} through a "
                         f"symbolic link; expected a name inside it")
    os.makedirs(folder, exist_ok=True)
    taken = re.compile(re.escape(name) + r"_(\d{5,})(?:\.|$)")
    used = [int(m.group(1)) for m in map(taken.match, os.listdir(folder)) if m]
    return OutputName(folder, subfolder, f"{name}_{max(used, default=0) + 1:05}")
