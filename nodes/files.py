"""File names that prompts send, kept inside the ComfyUI folders they name a file of. A prompt is text that
anyone who can reach the server may send; its names must never open a file elsewhere on the machine."""
import os
import re

import folder_paths


class FileInputError(ValueError):
    """A file name from a prompt that names no allowed file; the message names the input and the value."""


def inside(folder, path):
    """Whether path is folder or below it once every symlink is resolved (folder's own too, so an input folder
    that is itself a link to another disk still works)."""
    root = os.path.realpath(folder)
    return os.path.commonpath((root, os.path.realpath(path))) == root


def input_file(name, input_name):
    """The path of `name` in the input folder, or of `name [output]` / `[temp]` / `[input]` in that folder as
    ComfyUI's own loaders read them. folder_paths joins such names as they come, so an absolute name, '..' or a
    symlink leading out would reach any file: those are refused."""
    relative, folder = folder_paths.annotated_filepath(name)
    folder = folder or folder_paths.get_input_directory()
    path = os.path.join(folder, relative)
    if not inside(folder, path):
        raise FileInputError(f"{input_name}: {name!r} leads outside the folder {folder}; expected the name of a "
                             f"file inside it")
    if not os.path.isfile(path):
        raise FileInputError(f"{input_name}: no file named {name!r} in {folder}")
    return path


def model_file(folders, name, input_name):
    """The path of `name` in the first of the folder_paths model folders `folders` that holds it.

    Absolute names and '..' are refused rather than looked up inside the folder, as folder_paths.get_full_path
    would quietly do. Symlinks inside a model folder are followed, as ComfyUI does for every model: they are how
    models kept on another disk are shared, and only someone with access to the machine's files can make one."""
    parts = name.replace("\\", "/").split("/")
    if os.path.isabs(name) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        raise FileInputError(f"{input_name}: {name!r} leads outside the model folder; expected a name from "
                             f"the list, relative to {folders[0]}")
    for folder in folders:
        path = folder_paths.get_full_path(folder, name)
        if path is not None:
            return path
    searched = [path for folder in folders for path in folder_paths.get_folder_paths(folder)]
    raise FileInputError(f"{input_name}: no file named {name!r} in {searched}")

