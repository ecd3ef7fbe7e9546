"""Progress and interrupt of Video Combine's writers and Load Video's decoder, and outputs that only ever appear
whole: written under a partial name, renamed at the end, deleted when the write stops."""
import os

import pytest
import torch

from media import CombineOptions, DecodedFrames, ImageFrames, combine, load_video
from media.paths import reserve

FRAMES = 6
KINDS = ["video/h264-mp4", "image/gif", "image/webp", "image/png"]
METADATA = {"workflow": {"nodes": []}}


class Interrupted(Exception):
    """What ComfyUI's interrupt check raises, as far as media/ can tell."""


class Cancel:
    """An interrupt check that counts its calls and raises at call number `at` (never, when at is None)."""

    def __init__(self, at=None):
        self.at, self.calls = at, 0

    def __call__(self):
        self.calls += 1
        if self.calls == self.at:
            raise Interrupted()


def clip(frames=FRAMES):
    return ImageFrames(torch.rand(frames, 32, 32, 3, generator=torch.Generator().manual_seed(0)))


def every_file(root):
    return sorted(os.path.relpath(os.path.join(folder, name), root)
                  for folder, _, names in os.walk(root) for name in names)


class Recorder:
    def __init__(self):
        self.calls = []

    def __call__(self, done, total):
        self.calls.append((done, total))


@pytest.mark.parametrize("format", KINDS)
@pytest.mark.parametrize("pingpong", [False, True])
def test_combine_reports_every_frame_played_up_to_the_total(tmp_path, format, pingpong):
    progress = Recorder()
    combine(clip(), str(tmp_path), "p", CombineOptions(format, pingpong=pingpong), METADATA, progress=progress)
    played = 2 * FRAMES - 2 if pingpong else FRAMES
    assert progress.calls == [(done, played) for done in range(1, played + 1)]


def test_the_latent_path_reports_and_checks_per_frame_while_decoding_chunks(tmp_path):
    decoded, events = [], []

    def decode(latents):
        decoded.append(len(latents))
        return torch.rand(len(latents), 32, 32, 3)

    source = DecodedFrames(torch.zeros(10, 4, 4, 4), decode, chunk=4)
    combine(source, str(tmp_path), "d", CombineOptions("video/h264-mp4"),
            progress=lambda done, total: events.append(("progress", done, total)),
            interrupt=lambda: events.append(("check", sum(decoded))))
    assert [e[1:] for e in events if e[0] == "progress"] == [(done, 10) for done in range(1, 11)]
    # A check before each frame is pulled, so before each chunk's decode too: never more than one chunk late.
    checks = [e[1] for e in events if e[0] == "check"]
    assert len(checks) == 11 and checks[:2] == [0, 4] and checks[-1] == 10


@pytest.mark.parametrize("format", KINDS)
def test_an_interrupt_stops_the_write_and_leaves_no_file(tmp_path, format):
    cancel = Cancel(at=4)
    with pytest.raises(Interrupted):
        combine(clip(), str(tmp_path), "anim/i", CombineOptions(format), METADATA, interrupt=cancel)
    assert cancel.calls == 4  # stopped at the first check that raised, three frames in
    assert every_file(tmp_path) == [] and os.listdir(tmp_path / "anim") == []
    assert reserve(str(tmp_path), "anim/i").base == "i_00001"  # nothing left to take the counter either


class Watching(ImageFrames):
    """Frames that record, while the writer is still pulling the clip's frames, every name in the output folder
    (the later pull of frame 0 for the workflow PNG comes once the animation is whole)."""

    def __init__(self, images, folder):
        super().__init__(images)
        self.folder, self.names = folder, None

    def frames(self, order):
        watching = self.names is None
        self.names = self.names or set()
        for frame in super().frames(order):
            if watching and os.path.isdir(self.folder):
                self.names.update(every_file(self.folder) + os.listdir(self.folder))
            yield frame


# The formats whose file appears at the first frame; x264 and libwebp hold a short clip's frames until the end.
@pytest.mark.parametrize("format", ["image/gif", "image/png"])
def test_no_finished_output_name_exists_until_the_output_is_whole(tmp_path, format):
    source = Watching(clip().images, str(tmp_path))
    result = combine(source, str(tmp_path), "w", CombineOptions(format), METADATA)
    finished = {os.path.relpath(path, tmp_path) for path in result.files} | {"w_00001"}
    assert source.names and not source.names & finished, source.names
    assert all(os.path.isfile(path) for path in result.files)
    assert not [name for name in every_file(tmp_path) if "partial" in name]


def test_a_failing_png_sequence_leaves_no_folder(tmp_path):
    def decode(latents):
        raise RuntimeError("VAE out of memory")

    with pytest.raises(RuntimeError, match="VAE"):
        combine(DecodedFrames(torch.zeros(3, 4, 4, 4), decode), str(tmp_path), "s", CombineOptions("image/png"))
    assert os.listdir(tmp_path) == []


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("progress"))
    return combine(clip(12), root, "src", CombineOptions("video/h264-mp4", frame_rate=12)).files[0]


def test_load_video_reports_each_frame_loaded_up_to_the_total(video):
    progress = Recorder()
    loaded = load_video(video, skip_first_frames=2, select_every_nth=2, progress=progress)
    assert len(loaded.images) == 5
    assert progress.calls == [(done, 5) for done in range(1, 6)]


def test_load_video_checks_for_an_interrupt_at_every_decoded_frame(video):
    cancel = Cancel(at=7)
    with pytest.raises(Interrupted):
        load_video(video, interrupt=cancel)
    assert cancel.calls == 7
    # Skipped frames are decoded too, so they are checked as well.
    count = Cancel()
    load_video(video, skip_first_frames=10, interrupt=count)
    assert count.calls == 12
