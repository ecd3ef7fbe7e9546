"""SparseCtrl files: the layout of the releases, what is read from them, and the errors for the wrong file."""
import hashlib
import os
import sys

import pytest
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures"))

import motion_files  # noqa: E402
import sparsectrl_files  # noqa: E402
from motion import MotionModelError, load_motion_module  # noqa: E402
from motion.files import read_state_dict  # noqa: E402
from motion.loader import build_motion_model  # noqa: E402
from motion.sparsectrl import read_sparsectrl_file  # noqa: E402

# The layout of v3_sd15_sparsectrl_rgb.ckpt / _scribble.ckpt as AnimateDiff's sparse_controlnet.py builds it with
# configs/inference/sparsectrl/latent_condition.yaml / image_condition.yaml: key count, parameters without the pe
# tables (x 4 bytes: the ~1.99 GB fp32 files), sha256 (16 hex digits) of the sorted "key shape" lines.
RELEASES = {"rgb": (486, 496_730_880, "4abf438285cc6b2b"), "scribble": (500, 497_802_784, "f487bd31aad4666c")}


@pytest.mark.parametrize("variant", list(RELEASES))
def test_fixture_layout_is_the_release(variant):
    shapes = sparsectrl_files.key_shapes(variant)
    lines = "\n".join(f"{key} {list(shapes[key])}" for key in sorted(shapes))
    parameters = sum(torch.Size(s).numel() for key, s in shapes.items() if not key.endswith(".pe"))
    assert (len(shapes), parameters, hashlib.sha256(lines.encode()).hexdigest()[:16]) == RELEASES[variant]


@pytest.mark.parametrize("variant,channels", [("rgb", 4), ("scribble", 3)])
@pytest.mark.parametrize("ext", ["ckpt", "safetensors"])
@pytest.mark.parametrize("dtype", [torch.float16, torch.float32])
def test_read_from_the_file(tmp_path, variant, channels, ext, dtype):
    sd = sparsectrl_files.make_state_dict(variant, channels=(32, 64, 64, 64), dtype=dtype)
    path = sparsectrl_files.write_file(sd, tmp_path / f"sc.{ext}")
    tensors, name = read_state_dict(path)
    layout, image, motion_layout, motion = read_sparsectrl_file(tensors, name)
    assert (layout.variant, layout.condition_channels, layout.model_channels) == (variant, channels, 32)
    assert (layout.channel_mult, layout.num_res_blocks) == ((1, 2, 2, 2), (2, 2, 2, 2))
    assert layout.transformer_depth == (1, 1, 1, 1, 1, 1, 0, 0) and layout.context_dim == 768
    assert motion_layout.attention_blocks == 1 and motion_layout.max_frames == 32
    assert set(motion_layout.blocks) == {f"down_blocks.{i}" for i in range(4)}
    model = build_motion_model(motion_layout, motion, name)
    assert model.dtype == dtype
    assert set(image) | set(motion) == set(sd)


def test_motion_model_chosen_as_sparsectrl_is_refused(tmp_path):
    sd = motion_files.make_motion_state_dict("v3", channels=32)
    with pytest.raises(MotionModelError, match=r"mm\.ckpt: a motion model, not a SparseCtrl.*Load Motion Module"):
        read_sparsectrl_file(sd, "mm.ckpt")


@pytest.mark.parametrize("prefix", ["control_model.", ""])
def test_image_controlnet_chosen_as_sparsectrl_is_refused(prefix):
    sd = {k: v for k, v in sparsectrl_files.make_state_dict("scribble", channels=32).items()
          if "motion_modules" not in k}
    if prefix:
        sd = {prefix + "zero_convs.0.0.weight": torch.zeros(1)}
    with pytest.raises(MotionModelError, match=r"cn\.pth: an image ControlNet.*Load ControlNet Model"):
        read_sparsectrl_file(sd, "cn.pth")


def test_other_file_chosen_as_sparsectrl_is_refused():
    with pytest.raises(MotionModelError, match=r"vae\.pt: not a SparseCtrl model: it looks like a VAE"):
        read_sparsectrl_file({"first_stage_model.decoder.conv_in.weight": torch.zeros(1)}, "vae.pt")


def test_sparsectrl_in_the_motion_folder_is_refused(tmp_path):
    path = sparsectrl_files.write_file(sparsectrl_files.make_state_dict("rgb", channels=32),
                                       tmp_path / "v3_sd15_sparsectrl_rgb.ckpt")
    with pytest.raises(MotionModelError, match=r"v3_sd15_sparsectrl_rgb\.ckpt: a SparseCtrl model .*Load SparseCtrl"):
        load_motion_module(path)
