"""Loading motion models: every layout from every container, names and shapes of the real releases, variant
detection, errors users meet, and that loading takes the file's tensors instead of copying them."""
import hashlib
import json
import os
import subprocess
import sys

import pytest
import torch

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")
sys.path.insert(0, FIXTURES)

import motion_files  # noqa: E402
from motion import MotionModelError, MotionModelNotFound, load_motion_module  # noqa: E402
from motion.schedules import training_schedule  # noqa: E402

MANIFESTS = os.environ.get("TEMPO_MANIFESTS", "/work/shared/formats/manifests")
# What the manifests of the real releases hold: key count, parameter count, and the sha256 (first 16 hex digits)
# of their "key shape" lines in order, so the layouts are checked even where the manifests are not on disk.
RELEASES = {
    "v1": ("v1", 560, 417_137_600, "f262b05f44c00153"),
    "v2": ("v2", 588, 453_209_280, "a765a5b769f9ab68"),
    "v3": ("v3", 560, 417_137_600, "e33b0607aa87272a"),
    "sdxl_beta": ("sdxl-beta", 420, 236_779_200, "3a795d8dcc81c0ed"),
    "hotshotxl": ("hotshotxl", 420, 236_779_200, "229de196473877e3"),
}
SMALL = 32  # channels at every level: the fastest layout that still has 32 GroupNorm groups and 8 heads


def digest(key_shapes):
    lines = "\n".join(f"{key} {list(shape)}" for key, shape in key_shapes.items())
    return hashlib.sha256(lines.encode()).hexdigest()[:16]


def normalised(layout, sd):
    """A file's keys under AnimateDiff's names, as the contract says the model's are."""
    if layout != "hotshotxl":
        return dict(sd)
    out = {}
    for key, tensor in sd.items():
        block, _, rest = key.partition(".temporal_attentions.")
        j, _, rest = rest.partition(".")
        rest = rest.replace("pos_encoder.positional_encoding", "pos_encoder.pe")
        out[f"{block}.motion_modules.{j}.temporal_transformer.{rest}"] = tensor
    return out


@pytest.mark.parametrize("layout", list(RELEASES))
def test_fixture_layouts_are_the_manifests(layout):
    _, count, parameters, expected = RELEASES[layout]
    shapes = motion_files.key_shapes(layout)
    assert (len(shapes), digest(shapes)) == (count, expected)
    pe_keys = ("pos_encoder.pe", "pos_encoder.positional_encoding")
    assert sum(torch.Size(s).numel() for key, s in shapes.items() if not key.endswith(pe_keys)) == parameters


def test_fixture_lora_layout_is_the_manifest():
    sd = motion_files.make_motion_lora_state_dict(channels=None, rank=1)
    pattern = {key: ["r" if key.endswith("down.weight") and i == 0 or key.endswith("up.weight") and i == 1 else n
                     for i, n in enumerate(t.shape)] for key, t in sd.items()}
    assert (len(pattern), digest(pattern)) == (336, "1d660059d29e28e3")


@pytest.mark.skipif(not os.path.isdir(MANIFESTS), reason=f"no manifests at {MANIFESTS}")
@pytest.mark.parametrize("layout", list(RELEASES))
def test_fixture_layouts_against_manifest_files(layout):
    with open(os.path.join(MANIFESTS, RELEASES[layout][0] + ".json")) as f:
        manifest = json.load(f)
    assert motion_files.key_shapes(layout) == manifest["keys"]


EXPECTED = {  # layout -> (variant told from the contents, base, modules, max_frames)
    "v1": ("v1", "SD1.5", 20, 24), "v2": ("v2", "SD1.5", 21, 32), "v3": ("v3", "SD1.5", 20, 32),
    # A community fine-tune has v1's or v3's contents: under its released name it still loads as those.
    "community24": ("v1", "SD1.5", 20, 24), "community32": ("v3", "SD1.5", 20, 32),
    "animatelcm": ("animatelcm", "SD1.5", 20, 64), "animatelcm_nope": ("animatelcm", "SD1.5", 20, 64),
    "sdxl_beta": ("sdxl_beta", "SDXL", 15, 32), "hotshotxl": ("hotshotxl", "SDXL", 15, 24),
}
# GroupNorm statistics across all frames of a video: in the motion modules (SDXL beta) and, as the host must do it,
# in the UNet's resnets (v1, and the community fine-tunes of v1).
NORM_ACROSS_FRAMES = {"sdxl_beta"}
RESNET_NORM_ACROSS_FRAMES = {"v1", "community24"}
CONTAINERS = [  # (extension, wrap in "state_dict", animatediff_config entry, dtype)
    ("safetensors", False, False, torch.float32),
    ("ckpt", True, True, torch.float16),
    ("pth", False, True, torch.bfloat16),
]


@pytest.mark.parametrize("layout", list(EXPECTED))
@pytest.mark.parametrize("ext,wrap,config,dtype", CONTAINERS)
def test_every_layout_loads_from_every_container(tmp_path, layout, ext, wrap, config, dtype):
    sd = motion_files.make_motion_state_dict(layout, channels=SMALL, dtype=dtype)
    name = os.path.splitext(motion_files.RELEASED_NAMES[layout])[0] + "." + ext
    path = motion_files.write_file(sd, tmp_path / name, wrap=wrap, config=config)
    model = load_motion_module(path)
    variant, base, modules, max_frames = EXPECTED[layout]
    assert (model.variant, model.base, len(model.positions()), model.max_frames) == (variant, base, modules, max_frames)
    assert model.dtype == dtype and str(model.source) == str(path)
    assert model.norm_across_frames == (layout in NORM_ACROSS_FRAMES)
    assert all(m.temporal_transformer.norm_across_frames == model.norm_across_frames for _, m in model.positions())
    assert model.resnet_norm_across_frames == (layout in RESNET_NORM_ACROSS_FRAMES)
    state = model.state_dict()
    for key, tensor in normalised(layout, sd).items():
        assert torch.equal(state[key], tensor), key
    assert all(t.dtype == dtype for t in state.values())


def test_legacy_torch_pickle_and_a_renamed_safetensors_file(tmp_path):
    sd = motion_files.make_motion_state_dict("v1", channels=SMALL)
    torch.save({"state_dict": sd}, tmp_path / "mm_sd_v14.ckpt", _use_new_zipfile_serialization=False)
    renamed = tmp_path / "mm_sd_v15.ckpt"
    os.rename(motion_files.write_file(sd, tmp_path / "mm_sd_v15.safetensors"), renamed)
    for path in (tmp_path / "mm_sd_v14.ckpt", renamed):
        state = load_motion_module(path).state_dict()
        assert all(torch.equal(state[key], tensor) for key, tensor in sd.items())


def test_state_dict_round_trips_and_names_are_animatediff_names():
    sd = motion_files.make_motion_state_dict("hotshotxl", channels=SMALL)
    model = load_motion_module(sd)
    expected = normalised("hotshotxl", sd)
    assert list(model.state_dict()) == list(expected)
    model.load_state_dict(expected)
    assert any(key.endswith("pos_encoder.pe") for key in model.state_dict())


@pytest.mark.parametrize("prefix", ["module.", "model.", "diffusion_model.", "model.diffusion_model."])
def test_common_key_prefixes(prefix):
    sd = motion_files.make_motion_state_dict("v2", channels=SMALL)
    model = load_motion_module({prefix + key: tensor for key, tensor in sd.items()})
    assert model.variant == "v2" and list(model.state_dict()) == list(sd)


def test_keys_outside_the_motion_modules_are_ignored():
    sd = motion_files.make_motion_state_dict("v3", channels=SMALL)
    unet_keys = {"down_blocks.0.resnets.0.conv1.weight": torch.zeros(3), "global_step": torch.tensor(5)}
    model = load_motion_module({**sd, **unet_keys})
    assert list(model.state_dict()) == list(sd)


@pytest.mark.parametrize("layout,name,variant", [
    ("v1", None, "v1"), ("v3", None, "v3"), ("v2", None, "v2"),
    ("community24", None, "v1"),  # same keys and shapes as v1: the variant input tells them apart
    ("community32", "mm-p_0.75.pth", "v3"),
    ("v3", "my_motion_model.ckpt", "v3"),
    ("v1", "mm_sd_v14.ckpt", "v1"),
    # Renamed files: the name never changes the math.
    ("v1", "v3_sd15_mm.ckpt", "v1"), ("v3", "mm_sd_v15.ckpt", "v3"), ("v3", "AnimateLCM_renamed.ckpt", "v3"),
    ("v1", "temporaldiff-v1-animatediff.safetensors", "v1"),
    ("animatelcm", None, "animatelcm"), ("animatelcm_nope", None, "animatelcm"),
    ("animatelcm", "v3_sd15_mm.ckpt", "animatelcm"),
    ("sdxl_beta", None, "sdxl_beta"), ("hotshotxl", None, "hotshotxl"),
])
def test_variant_rule(tmp_path, layout, name, variant):
    sd = motion_files.make_motion_state_dict(layout, channels=SMALL)
    source = sd if name is None else motion_files.write_file(sd, tmp_path / name)
    model = load_motion_module(source)
    assert model.variant == variant and model.layout.reason.startswith(f"auto: {variant}, from ")


def test_auto_says_which_variant_and_why():
    v3 = load_motion_module(motion_files.make_motion_state_dict("v3", channels=SMALL))
    assert v3.layout.reason == ("auto: v3, from the v1 layout with a 32-frame positional encoding; a community "
                                "fine-tune has the same layout: choose it in variant")


@pytest.mark.parametrize("layout,variant,across_frames", [
    ("v3", "community", True), ("v3", "v1", True), ("community24", "v3", False), ("v1", "community", True),
    ("v3", "animatelcm", False), ("hotshotxl", "sdxl_beta", False), ("sdxl_beta", "hotshotxl", False),
])
def test_named_variant_decides_the_math(layout, variant, across_frames):
    sd = motion_files.make_motion_state_dict(layout, channels=SMALL)
    model = load_motion_module(sd, variant)
    assert model.variant == variant and model.resnet_norm_across_frames == across_frames
    assert model.norm_across_frames == (variant == "sdxl_beta")
    assert all(m.temporal_transformer.norm_across_frames == model.norm_across_frames for _, m in model.positions())
    assert model.layout.reason.startswith(f"{variant}, as chosen in variant (auto would give ")
    assert training_schedule(model.variant) == training_schedule(variant)


def test_named_variant_without_pe_gets_its_trained_length():
    model = load_motion_module(motion_files.make_motion_state_dict("animatelcm_nope", channels=SMALL), "v3")
    assert model.max_frames == 32


@pytest.mark.parametrize("layout,variant,holds", [
    ("v3", "v2", "SD1.5, 20 modules without a mid block.*v1 or v3 or community or animatelcm"),
    ("v3", "sdxl_beta", "SD1.5, 20 modules without a mid block"),
    ("v2", "v3", "SD1.5 with a mid-block module.*holds v2;"),
    ("sdxl_beta", "v1", "SDXL, 15 modules.*sdxl_beta or hotshotxl"),
])
def test_variant_that_does_not_fit_the_layout_names_the_input(layout, variant, holds):
    sd = motion_files.make_motion_state_dict(layout, channels=SMALL)
    with pytest.raises(MotionModelError, match=f"variant '{variant}' does not fit state dict: its layout .*{holds}"):
        load_motion_module(sd, variant)
    with pytest.raises(MotionModelError, match="variant 'v4': expected auto or one of v1, v2, v3"):
        load_motion_module(sd, "v4")


def test_unusual_pe_length_is_community():
    sd = motion_files.make_motion_state_dict("v3", channels=SMALL, pe_length=48)
    model = load_motion_module(sd)
    assert (model.variant, model.max_frames) == ("community", 48)


def test_channels_positions_and_describe():
    model = load_motion_module(motion_files.make_motion_state_dict("v2", channels=(32, 64, 128, 128)))
    assert model.channels == (32, 64, 128, 128)
    names = [name for name, _ in model.positions()]
    assert names[:8] == [f"down_blocks.{i}.motion_modules.{j}" for i in range(4) for j in range(2)]
    assert names[8] == "mid_block.motion_modules.0"
    assert names[9:] == [f"up_blocks.{i}.motion_modules.{j}" for i in range(4) for j in range(3)]
    for name, module in model.positions():
        assert model.get_submodule(name) is module
    assert model.get_submodule("up_blocks.0.motion_modules.2").temporal_transformer.norm.weight.shape == (128,)
    text = model.describe()
    parameters = f"{sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters"
    for part in ("v2", "SD1.5", "21 modules", "32 frames", "float32", parameters):
        assert part in text
    assert training_schedule(model.variant)["beta_schedule"] == "sqrt_linear"


def test_a_state_dict_is_taken_without_copies():
    sd = motion_files.make_motion_state_dict("v2", channels=SMALL, dtype=torch.float16)
    model = load_motion_module(sd)
    for key, tensor in model.state_dict().items():
        assert tensor.data_ptr() == sd[key].data_ptr(), key
    assert not any(p.requires_grad for p in model.parameters())


def test_stray_dtypes_follow_the_weights():
    sd = motion_files.make_motion_state_dict("v3", channels=SMALL, dtype=torch.float16)
    sd = {key: tensor.float() if key.endswith(".pe") else tensor for key, tensor in sd.items()}
    model = load_motion_module(sd)
    assert {t.dtype for t in model.state_dict().values()} == {torch.float16}


# Errors: each names the file and says what was expected.

def test_missing_file(tmp_path):
    with pytest.raises(MotionModelNotFound, match="nope.ckpt") as error:
        load_motion_module(tmp_path / "nope.ckpt")
    assert isinstance(error.value, FileNotFoundError) and isinstance(error.value, MotionModelError)


@pytest.mark.parametrize("name", ["cut.ckpt", "cut.safetensors"])
def test_truncated_file(tmp_path, name):
    path = motion_files.write_file(motion_files.make_motion_state_dict("v2", channels=SMALL), tmp_path / name)
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) // 2])
    with pytest.raises(MotionModelError, match=rf"{name}: truncated or corrupt"):
        load_motion_module(path)


def test_empty_file(tmp_path):
    (tmp_path / "empty.safetensors").write_bytes(b"")
    with pytest.raises(MotionModelError, match="empty.safetensors: truncated or corrupt"):
        load_motion_module(tmp_path / "empty.safetensors")


class RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_pickle_that_would_run_code_is_refused(tmp_path):
    marker = tmp_path / "ran"
    sd = motion_files.make_motion_state_dict("v2", channels=SMALL)
    torch.save({**sd, "payload": RunsCode(marker)}, tmp_path / "evil.ckpt")
    with pytest.raises(MotionModelError, match=r"evil.ckpt: refused to load: the file holds code") as error:
        load_motion_module(tmp_path / "evil.ckpt")
    assert "system" in str(error.value)
    assert not marker.exists()


@pytest.mark.parametrize("sd,expected", [
    ({"model.diffusion_model.input_blocks.0.0.weight": torch.zeros(2), "cond_stage_model.x.weight": torch.zeros(2)},
     "Stable Diffusion checkpoint"),
    (motion_files.make_motion_lora_state_dict(channels=SMALL, rank=2), "motion LoRA"),
    ({"lora_unet_down_blocks_0_attentions_0.lora_down.weight": torch.zeros(2)}, "LoRA"),
    ({"extract.extract_sublevels.convs.0.0.0.weight": torch.zeros(2)}, "FILM"),
    ({"motion_modules.0.temporal_transformer.norm.weight": torch.zeros(2)}, "neither AnimateDiff's nor diffusers'"),
    ({"foo.weight": torch.zeros(2)}, "no keys containing `motion_modules.`"),
    ({}, "no tensors"),
])
def test_files_that_are_not_motion_models(tmp_path, sd, expected):
    path = motion_files.write_file(sd, tmp_path / "other.safetensors") if sd else tmp_path / "other.ckpt"
    if not sd:
        torch.save({"animatediff_config": {}}, path)
    with pytest.raises(MotionModelError, match="other") as error:
        load_motion_module(path)
    assert "not a motion model" in str(error.value) and expected in str(error.value)


def test_inconsistent_shape_names_the_key():
    sd = motion_files.make_motion_state_dict("v2", channels=SMALL)
    key = "up_blocks.1.motion_modules.2.temporal_transformer.transformer_blocks.0.attention_blocks.1.to_k.weight"
    sd[key] = torch.zeros(32, 16)
    with pytest.raises(MotionModelError, match=rf"state dict: {key} has shape \[32, 16\], expected \[32, 32\]"):
        load_motion_module(sd)


def test_missing_and_unexpected_keys():
    sd = motion_files.make_motion_state_dict("v3", channels=SMALL)
    key = "down_blocks.1.motion_modules.0.temporal_transformer.proj_out.bias"
    with pytest.raises(MotionModelError, match=rf"missing key {key}, expected shape \[32\]"):
        load_motion_module({k: t for k, t in sd.items() if k != key})
    extra = "down_blocks.1.motion_modules.0.temporal_transformer.transformer_blocks.1.norms.0.weight"
    with pytest.raises(MotionModelError, match=f"unexpected key {extra}"):
        load_motion_module({**sd, extra: torch.ones(32)})


def test_gap_in_module_numbering():
    sd = motion_files.make_motion_state_dict("v3", channels=SMALL)
    sd = {k: t for k, t in sd.items() if not k.startswith("up_blocks.2.motion_modules.1.")}
    with pytest.raises(MotionModelError, match="no up_blocks.2.motion_modules.1 but has up_blocks.2.motion_modules.2"):
        load_motion_module(sd)


def test_channels_must_fit_32_groups():
    sd = motion_files.make_motion_state_dict("v3", channels=(40, 64, 128, 128))
    with pytest.raises(MotionModelError, match=r"down_blocks.0.motion_modules.0.temporal_transformer.norm.weight has "
                                               r"shape \[40\], expected \[C\] with C a multiple of 32"):
        load_motion_module(sd)


# Real-size files: the manifests' exact shapes, created once and cached (several hundred MB each).

@pytest.mark.parametrize("layout", list(RELEASES))
def test_real_size_file_loads(layout):
    path = motion_files.real_size_file(layout)
    model = load_motion_module(path)
    manifest_name, count, parameters, expected_digest = RELEASES[layout]
    state = model.state_dict()
    assert len(state) == count and sum(p.numel() for p in model.parameters()) == parameters
    assert digest(normalised(layout, motion_files.key_shapes(layout))) == digest({k: t.shape for k, t in state.items()})
    assert model.dtype == torch.float16
    assert model.channels == motion_files.LAYOUTS[layout][0]
    variant, base, modules, max_frames = EXPECTED[layout]
    assert (model.variant, model.base, len(model.positions()), model.max_frames) == (variant, base, modules, max_frames)


MEASURE_RSS = """
import sys
sys.path.insert(0, sys.argv[1])
import torch
from motion import load_motion_module

def peak():  # VmHWM starts afresh at exec; ru_maxrss would carry over the (large) pytest process's
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))

before = peak()
model = load_motion_module(sys.argv[2])
for t in model.state_dict().values():  # one byte of every page: the whole file read in, once
    t.reshape(-1).view(torch.uint8)[::4096].sum()
print(peak() - before)
"""


def test_loading_holds_no_extra_copy():
    path = motion_files.real_size_file("v2")
    checkout = os.path.dirname(os.path.dirname(FIXTURES))
    out = subprocess.run([sys.executable, "-c", MEASURE_RSS, checkout, path], capture_output=True, text=True,
                         check=True)
    grown, size = int(out.stdout.split()[-1]), os.path.getsize(path)
    assert 0.5 * size < grown < 1.3 * size, (grown, size)  # the weights were read, and once
