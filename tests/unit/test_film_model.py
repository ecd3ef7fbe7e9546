"""The native FILM module against the files users have: three layouts, config from shapes, the TorchScript
file's own forward as the reference, and clear errors for files that are not FILM."""
import json
import os
import re
import sys
import warnings

import pytest
import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures"))
import film_files  # noqa: E402

from interp import FilmFormatError, film, load_film  # noqa: E402
from interp.film_formats import detect_layout  # noqa: E402
from interp.warp import warp  # noqa: E402

LAYOUTS = ["v1.0.0", "v1.0.2", "comfy"]
MANIFEST = os.environ.get("TEMPO_FILM_MANIFEST", "/work/shared/formats/manifests/film.json")
TOLERANCE = 1e-4


pytestmark = pytest.mark.usefixtures("one_thread")


def pair(batch=1, height=64, width=80, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return (torch.rand(batch, 3, height, width, generator=generator),
            torch.rand(batch, 3, height, width, generator=generator))


def at(t, batch=1):
    return torch.full((batch, 1), float(t))


def scripted(path):
    """The TorchScript file's own forward, run as written: without the JIT's per-shape optimizing recompiles,
    which cost seconds on every new frame size and change nothing in the result."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TorchScript is deprecated; these files are in it
        module = torch.jit.load(path)

    def forward(*args):
        with torch.jit.optimized_execution(False), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # v1.0.0's 'same' padding of its 2×2 convs
            return module(*args)
    return forward


@pytest.mark.parametrize("config", ["small", "shallow"])
def test_three_layouts_load_to_the_same_network(config):
    models = [load_film(film_files.cached_film_file(layout, config)) for layout in LAYOUTS]
    assert [m.layout for m in models] == LAYOUTS
    reference = models[1].state_dict()
    x0, x1 = pair()
    with torch.no_grad():
        expected = models[1](x0, x1, at(0.3))
        for model in models:
            assert model.config == models[1].config
            assert all(torch.equal(reference[k], v) for k, v in model.state_dict().items())
            assert torch.equal(model(x0, x1, at(0.3)), expected)


def test_config_is_read_from_the_file():
    small = load_film(film_files.cached_film_file("v1.0.2", "small")).config
    assert (small.filters, small.sub_levels, small.pyramid_levels, small.fusion_levels) == (4, 4, 7, 5)
    assert small.flow_filters == (8, 8, 16, 16) and small.flow_convs == (3, 3, 3, 3)
    assert small.fusion_filters == (4, 8, 16, 32)
    # The shallow topology: its pyramid depth comes from the TorchScript attribute or the safetensors metadata.
    for layout in LAYOUTS:
        shallow = load_film(film_files.cached_film_file(layout, "shallow")).config
        assert (shallow.sub_levels, shallow.pyramid_levels, shallow.fusion_levels) == (3, 5, 4)
        assert shallow.flow_convs == (2, 1, 2) and shallow.flow_filters == (8, 8, 12)
        assert shallow.min_size == 16


@pytest.mark.parametrize("height, width", [(72, 100), (97, 131)])
def test_levels_computed_in_strips_match_the_torchscript_forward(monkeypatch, height, width):
    """Strips of a few rows at every fine level (cuts inside every conv's reach, odd sizes included)."""
    path = film_files.cached_film_file("v1.0.2", "small")
    reference, native = scripted(path), load_film(path)
    monkeypatch.setattr(film, "STRIP_VALUES", 7 * width * 32)  # 10 rows of the finest fusion input (22 channels)
    x0, x1 = pair(height=height, width=width, seed=2)
    with torch.no_grad():
        assert (native(x0, x1, at(0.4)) - reference(x0, x1, at(0.4))).abs().max() < TOLERANCE


@pytest.mark.parametrize("config", ["small", "shallow"])
def test_native_matches_the_torchscript_forward_for_any_time(config):
    path = film_files.cached_film_file("v1.0.2", config)
    reference, native = scripted(path), load_film(path)
    x0, x1 = pair(height=72, width=100)
    with torch.no_grad():
        for t in (0.0, 0.3, 0.5, 0.8):
            expected = reference(x0, x1, at(t))
            assert (native(x0, x1, at(t)) - expected).abs().max() < TOLERANCE
        # A batch with a different time per pair, as the driver sends it.
        x0, x1 = pair(batch=3, height=72, width=100, seed=1)
        times = torch.tensor([[0.2], [0.5], [0.7]])
        assert (native(x0, x1, times) - reference(x0, x1, times)).abs().max() < TOLERANCE


def test_v100_file_ignores_time_but_the_native_module_honours_it():
    path = film_files.cached_film_file("v1.0.0", "small")
    reference, native = scripted(path), load_film(path)
    x0, x1 = pair()
    with torch.no_grad():
        at_half = reference(x0, x1, at(0.5))
        assert torch.equal(reference(x0, x1, at(0.2)), at_half)
        assert torch.equal(reference(x0, x1, at(0.9)), at_half)
        assert (native(x0, x1, at(0.5)) - at_half).abs().max() < TOLERANCE
        same_weights = scripted(film_files.cached_film_file("v1.0.2", "small"))
        for t in (0.2, 0.9):
            honoured = native(x0, x1, at(t))
            assert (honoured - same_weights(x0, x1, at(t))).abs().max() < TOLERANCE
            assert (honoured - at_half).abs().max() > 100 * TOLERANCE


def test_real_config_file_matches_its_torchscript_forward():
    path = film_files.cached_film_file("v1.0.0", "real")
    reference, native = scripted(path), load_film(path)
    assert sum(p.numel() for p in native.parameters()) == 34_436_667
    x0, x1 = pair(height=64, width=64)
    with torch.no_grad():
        assert (native(x0, x1, at(0.5)) - reference(x0, x1, at(0.5))).abs().max() < TOLERANCE


def test_real_config_has_the_released_keys_and_shapes():
    network = film_files.build_network("v1.0.0", "real")
    layouts = {"v1.0.0": network.state_dict(), "v1.0.2": film_files.build_network("v1.0.2", "real").state_dict()}
    layouts["comfy"] = film_files.comfy_names(layouts["v1.0.2"])
    for name, state_dict in layouts.items():
        assert len(state_dict) == 82 and detect_layout(state_dict) == name
        assert sum(v.numel() for v in state_dict.values()) == 34_436_667
    assert layouts["v1.0.0"]["fuse.convs.0.0.weight"].shape == (512, 1930, 2, 2)
    assert layouts["comfy"]["fuse.convs.0.1.conv.weight"].shape == (512, 2442, 3, 3)
    assert layouts["v1.0.2"]["predict_flow._predictor._convs.4.0.weight"].shape == (2, 128, 1, 1)
    config = load_film(layouts["comfy"]).config
    assert (config.filters, config.flow_filters, config.fusion_filters) == (64, (32, 64, 128, 256), (64, 128, 256, 512))
    if not os.path.exists(MANIFEST):
        pytest.skip(f"{MANIFEST} absent: checked the counts and sample shapes only")
    manifest = json.load(open(MANIFEST))["layouts"]
    for name, key in (("v1.0.0", "dajes_v1.0.0"), ("v1.0.2", "dajes_v1.0.2"), ("comfy", "comfyui_native")):
        assert {k: list(v.shape) for k, v in layouts[name].items()} == manifest[key]["shapes"]


def test_plain_pickles_load_weights_only_and_fp16_becomes_fp32(tmp_path):
    network = film_files.build_network("v1.0.2", "small")
    torch.save({"state_dict": network.state_dict()}, tmp_path / "film.pth")
    half = tmp_path / "film_fp16.safetensors"
    film_files.make_film_file("comfy", half, "small", dtype=torch.float16)
    x0, x1 = pair()
    with torch.no_grad():
        assert (load_film(tmp_path / "film.pth")(x0, x1, at(0.4)) - network(x0, x1, at(0.4))).abs().max() < TOLERANCE
        model = load_film(half)
        assert next(model.parameters()).dtype == torch.float32
        assert model(x0, x1, at(0.4)).isfinite().all()


def test_pyramid_levels_can_be_overridden_and_set_the_minimum_size():
    model = load_film(film_files.build_network("v1.0.2", "small").state_dict(), pyramid_levels=6)
    assert model.config.pyramid_levels == 6 and model.config.min_size == 32
    x0, x1 = pair(height=32, width=40)
    with torch.no_grad():
        assert model(x0, x1, 0.5).shape == (1, 3, 32, 40)
        with pytest.raises(ValueError, match="needs frames of at least 32×32 px, got 40×31; .* pads"):
            model(x0[..., :31, :], x1[..., :31, :], at(0.5))


@pytest.mark.parametrize("keys, says", [
    ({"model.diffusion_model.input_blocks.0.0.weight": (4, 4)}, "Stable Diffusion checkpoint"),
    ({"down_blocks.0.motion_modules.0.temporal_transformer.norm.weight": (8,)}, "AnimateDiff motion module"),
    ({"lora_unet_down_blocks_0.lora_down.weight": (4, 8)}, "LoRA"),
    ({"block0.conv0.0.weight": (8, 7, 3, 3)}, "RIFE"),
    ({"something.else": (3,)}, "unknown model (1 tensors: something.else"),
])
def test_other_model_files_are_named_in_the_error(tmp_path, keys, says):
    path = tmp_path / "model.safetensors"
    save_file({k: torch.zeros(shape) for k, shape in keys.items()}, str(path))
    with pytest.raises(FilmFormatError, match="not a FILM model; it looks like .*" + re.escape(says)):
        load_film(path)


def test_broken_and_unsafe_files_are_refused_clearly(tmp_path):
    truncated = film_files.build_network("v1.0.2", "small").state_dict()
    del truncated["fuse.convs.1.1.0.weight"]
    with pytest.raises(FilmFormatError, match=r"do not fit the network .*: missing fuse.convs.1.1.0.weight \(16, 82, "):
        load_film(truncated)
    reshaped = film_files.build_network("v1.0.2", "small").state_dict()
    reshaped["fuse.convs.1.2.0.weight"] = torch.zeros(16, 9, 3, 3)
    with pytest.raises(FilmFormatError, match=r"fuse.convs.1.2.0.weight is \(16, 9, 3, 3\), expected \(16, 16, 3, 3\)"):
        load_film(reshaped)
    (tmp_path / "notes.pt").write_text("not a model")
    with pytest.raises(FilmFormatError, match="notes.pt: not a TorchScript, safetensors or plain tensor file"):
        load_film(tmp_path / "notes.pt")
    torch.save({"weights": film_files.Interpolator}, tmp_path / "code.pt")  # a pickled class: refused, never run
    with pytest.raises(FilmFormatError, match="code.pt: not a TorchScript"):
        load_film(tmp_path / "code.pt")


def test_warp_samples_at_pixel_plus_flow_with_border_clamp():
    """grid_sample's conventions checked against a hand-written bilinear lookup: channel 0 is dx, pixels, borders
    repeated."""
    generator = torch.Generator().manual_seed(3)
    image = torch.rand(2, 3, 9, 13, generator=generator)
    flow = torch.randn(2, 2, 9, 13, generator=generator) * 4
    ys, xs = torch.meshgrid(torch.arange(9.0), torch.arange(13.0), indexing="ij")
    x, y = (xs + flow[:, 0]).clamp(0, 12), (ys + flow[:, 1]).clamp(0, 8)
    x0, y0 = x.floor().long(), y.floor().long()
    x1, y1 = (x0 + 1).clamp(max=12), (y0 + 1).clamp(max=8)
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]

    def read(rows, columns):
        return torch.stack([image[b][:, rows[b], columns[b]] for b in range(2)])

    expected = ((1 - fy) * ((1 - fx) * read(y0, x0) + fx * read(y0, x1))
                + fy * ((1 - fx) * read(y1, x0) + fx * read(y1, x1)))
    assert (warp(image, flow) - expected).abs().max() < 1e-5
