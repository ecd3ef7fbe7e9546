"""Output names: counters never overwrite, subfolders stay inside the output folder, bad prefixes say why."""
import os

import pytest
import torch

from media import CombineOptions, ImageFrames, MediaError, combine
from media.paths import reserve, split_prefix


def test_counters_continue_after_existing_outputs(tmp_path):
    assert reserve(str(tmp_path), "clip").base == "clip_00001"
    for name in ("clip_00007.mp4", "clip_00003.png", "clipper_00099.mp4", "clip_notes.txt"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "clip_00011").mkdir()  # a PNG sequence folder counts too
    assert reserve(str(tmp_path), "clip").base == "clip_00012"


def test_subfolders_are_created_and_reported_with_slashes(tmp_path):
    name = reserve(str(tmp_path), "runs/day 1/clip")
    assert name.subfolder == "runs/day 1"
    assert name.folder == os.path.join(str(tmp_path), "runs", "day 1") and os.path.isdir(name.folder)
    assert name.path("mp4") == os.path.join(name.folder, "clip_00001.mp4")


@pytest.mark.parametrize("prefix, subfolder", [("./a//b/clip", "a/b"), ("a\\b\\clip", "a/b"), ("clip", "")])
def test_prefixes_are_normalised(prefix, subfolder):
    assert split_prefix(prefix) == (subfolder, "clip")


@pytest.mark.parametrize("prefix, reason", [
    ("../clip", "'..'"), ("runs/../../clip", "'..'"), ("..\\clip", "'..'"),
    ("/etc/clip", "relative"), ("C:/clip", "relative"), ("", "relative"), ("runs/", "file name"),
])
def test_prefixes_leaving_the_output_folder_are_refused(tmp_path, prefix, reason):
    with pytest.raises(MediaError, match=reason) as error:
        combine(ImageFrames(torch.zeros(1, 8, 8, 3)), str(tmp_path / "output"), prefix, CombineOptions("image/gif"))
    assert "filename_prefix" in str(error.value)
    assert not (tmp_path / "clip_00001.gif").exists() and not (tmp_path / "output").exists()


def test_each_output_gets_the_next_counter(tmp_path):
    frames = ImageFrames(torch.zeros(2, 8, 8, 3))
    metadata = {"workflow": {}}
    first = combine(frames, str(tmp_path), "anim/clip", CombineOptions("image/gif"), metadata)
    second = combine(frames, str(tmp_path), "anim/clip", CombineOptions("video/h264-mp4"), metadata)
    assert [os.path.basename(p) for p in first.files + second.files] == [
        "clip_00001.gif", "clip_00001.png", "clip_00002.mp4", "clip_00002.png"]


def test_a_symlinked_subfolder_leading_out_of_the_output_folder_is_refused(tmp_path):
    (tmp_path / "output").mkdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", tmp_path / "output" / "shortcut")
    with pytest.raises(MediaError, match="filename_prefix 'shortcut/deeper/clip'.*outside"):
        combine(ImageFrames(torch.zeros(1, 8, 8, 3)), str(tmp_path / "output"), "shortcut/deeper/clip",
                CombineOptions("image/gif"))
    assert os.listdir(tmp_path / "elsewhere") == []


def test_an_output_folder_that_is_itself_a_symlink_still_works(tmp_path):
    (tmp_path / "disk").mkdir()
    os.symlink(tmp_path / "disk", tmp_path / "output")
    (tmp_path / "disk" / "inside").mkdir()
    os.symlink(tmp_path / "disk" / "inside", tmp_path / "disk" / "alias")  # a link that stays inside is fine
    result = combine(ImageFrames(torch.zeros(1, 8, 8, 3)), str(tmp_path / "output"), "alias/clip",
                     CombineOptions("image/gif"))
    assert os.listdir(tmp_path / "disk" / "inside") == ["clip_00001.gif"] and result.subfolder == "alias"
