"""FILMInterpolate over HTTP: exact frame counts for the weightless methods and loop mode, FILM and RIFE files."""
import os
import sys

import numpy as np
import pytest
import torch
from comfy_fixtures import saved_images
from graphs import out, txt2vid
from comfy_server import CHECKOUT, execution_error

FRAMES = 4


def interpolated(comfy, method, multiplier, loop=False, mode="exact times k/m", **options):
    g = txt2vid(frames=FRAMES, motion="mm_sd_v15_v2.ckpt", save=False)
    decoded = next(node_id for node_id, node in g.nodes.items() if node["class_type"] == "VAEDecode")
    frames = g.add("TempoFILMInterpolate", images=out(decoded), multiplier=multiplier, method=method, mode=mode,
                   loop=loop, batch_size=1, **options)
    saved = g.add("SaveImage", images=out(frames), filename_prefix="interp")
    entry = comfy.run(g.prompt())
    assert entry["status"]["status_str"] == "success", execution_error(entry)
    return saved_images(comfy, {"outputs": {saved: entry["outputs"][saved]}})  # not txt2vid's own preview


@pytest.mark.parametrize("method, multiplier, loop, expected", [
    ("flow (no weights)", 3, False, (FRAMES - 1) * 3 + 1),
    ("crossfade (no weights)", 2, True, FRAMES * 2),
])
def test_frame_counts(comfy, method, multiplier, loop, expected):
    frames = interpolated(comfy, method, multiplier, loop)
    assert len(frames) == expected
    assert all(f.shape == frames[0].shape for f in frames)


def test_crossfade_midpoint_is_the_mean_of_its_neighbours(comfy):
    frames = np.stack(interpolated(comfy, "crossfade (no weights)", 2)).astype(float)
    assert np.abs(frames[1] - (frames[0] + frames[2]) / 2).max() <= 1.0


def test_film_file_interpolates(comfy):
    frames = interpolated(comfy, "film_net_fp32.pt", 2)
    assert len(frames) == (FRAMES - 1) * 2 + 1


def test_rife_file_interpolates_at_exact_times(comfy):
    """rife47.pth from models/rife, x3 with ensemble at half flow resolution: each in-between is the RIFE 4.7
    network's frame at t = k/3 from its pair (recomputed here from the saved 8-bit inputs)."""
    frames = np.stack(interpolated(comfy, "rife47.pth", 3, rife_scale=0.5, ensemble=True)).astype(np.float32) / 255
    assert len(frames) == (FRAMES - 1) * 3 + 1
    sys.path.insert(0, CHECKOUT)
    import rife_files
    from interp import RifeMethod, interpolate, load_rife

    model = load_rife(rife_files.cached_rife_file("4.7", "small"))
    expected = interpolate(torch.from_numpy(frames[::3].copy()), RifeMethod(model, 0.5, True), 3).numpy()
    crossfade = (frames[0] * 2 + frames[3]) / 3
    assert np.abs(frames - expected).mean() < 1.5 / 255, "the in-betweens are RIFE's at t = k/3"
    assert np.abs(frames[1] - crossfade).mean() > 3 * np.abs(frames[1] - expected[1]).mean()
