"""RIFE 4.x against the files users have: each supported release's layout (the manifests read off the public
model code), the forward against a float64 evaluation of the IFNet math written here from the original
structure (file key names, the original normalised-grid warp), run options, the driver, and loader errors."""
import json
import os
import sys

import pytest
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures"))
import film_files  # noqa: E402
import motion_files  # noqa: E402
import rife_files  # noqa: E402

from interp import (RIFE, RifeFormatError, RifeMethod, interpolate, load_film, load_interpolator,  # noqa: E402
                    load_rife)
from interp.rife_formats import describe  # noqa: E402

MANIFESTS = os.path.join(os.path.dirname(rife_files.__file__), "rife_manifests.json")
SUPPORTED = rife_files.SUPPORTED
TOLERANCE = 1e-4

pytestmark = pytest.mark.usefixtures("one_thread")


# ---- the reference: IFNet as the releases compute it, in float64, on the file's own key names ----------------

def ref_warp(image, flow):
    """The original backward warp: a grid over [-1, 1] with corners aligned, the flow in pixels normalised by
    (size - 1) / 2, bilinear, borders repeated."""
    n, _, h, w = flow.shape
    xs = torch.linspace(-1, 1, w, dtype=flow.dtype).view(1, 1, 1, w).expand(n, 1, h, w)
    ys = torch.linspace(-1, 1, h, dtype=flow.dtype).view(1, 1, h, 1).expand(n, 1, h, w)
    grid = torch.cat([xs + flow[:, :1] / ((w - 1) / 2), ys + flow[:, 1:2] / ((h - 1) / 2)], 1)
    return F.grid_sample(image, grid.permute(0, 2, 3, 1), mode="bilinear", padding_mode="border", align_corners=True)


class Reference:
    def __init__(self, sd, version):
        self.p = {k: v.double() for k, v in sd.items()}
        self.version = version

    def conv(self, x, name, stride=1):
        return F.conv2d(x, self.p[name + ".weight"], self.p[name + ".bias"], stride, 1)

    def up(self, x, name):
        return F.conv_transpose2d(x, self.p[name + ".weight"], self.p[name + ".bias"], 2, 1)

    def encode(self, x):
        names = {"4.7": ["encode.0", "encode.1"], "4.10": ["encode.0", "encode.2", "encode.4", "encode.6"]}.get(
            self.version, [f"encode.cnn{i}" for i in range(4)])
        x = self.conv(x, names[0], 2)
        for name in names[1:-1]:  # 4.7 has no middle convs and no activation
            x = self.conv(F.leaky_relu(x, 0.2), name)
        if len(names) > 2:
            x = F.leaky_relu(x, 0.2)
        return self.up(x, names[-1])

    def block(self, i, x, flow, scale):
        x = F.interpolate(x, scale_factor=1 / scale, mode="bilinear", align_corners=False)
        if flow is not None:
            flow = F.interpolate(flow, scale_factor=1 / scale, mode="bilinear", align_corners=False) / scale
            x = torch.cat((x, flow), 1)
        x = F.leaky_relu(self.conv(x, f"block{i}.conv0.0.0", 2), 0.2)
        x = F.leaky_relu(self.conv(x, f"block{i}.conv0.1.0", 2), 0.2)
        k = 0
        while f"block{i}.convblock.{k}.conv.weight" in self.p:
            x = F.leaky_relu(self.conv(x, f"block{i}.convblock.{k}.conv") * self.p[f"block{i}.convblock.{k}.beta"] + x,
                             0.2)
            k += 1
        tmp = F.interpolate(F.pixel_shuffle(self.up(x, f"block{i}.lastconv.0"), 2), scale_factor=scale,
                            mode="bilinear", align_corners=False)
        return tmp[:, :4] * scale, tmp[:, 4:5], tmp[:, 5:]

    def __call__(self, img0, img1, t, scale=1.0, ensemble=False):
        img0, img1, t = img0.double(), img1.double(), t.double()
        blocks = 5 if "block4.conv0.0.0.weight" in self.p else 4
        multiple = round(2 ** (blocks + 1) / scale)
        h, w = img0.shape[-2:]
        pad = [0, (multiple - w % multiple) % multiple, 0, (multiple - h % multiple) % multiple]
        img0, img1 = F.pad(img0, pad), F.pad(img1, pad)
        time = t.view(-1, 1, 1, 1) * torch.ones_like(img0[:, :1])
        scales = [2 ** (blocks - 1 - i) / scale for i in range(blocks)]
        encoded = self.version not in ("4.5", "4.6")
        f0, f1 = (self.encode(img0), self.encode(img1)) if encoded else (None, None)

        def swap(f):
            return torch.cat((f[:, 2:4], f[:, :2]), 1)

        def feats(a, b):
            return [a, b] if encoded else []

        flow = mask = hidden = None
        w0, w1 = img0, img1
        for i in range(blocks):
            if i == 0:
                flow, mask, hidden = self.block(0, torch.cat([img0, img1, *feats(f0, f1), time], 1), None, scales[0])
                if ensemble:
                    rf, rm, _ = self.block(0, torch.cat([img1, img0, *feats(f1, f0), 1 - time], 1), None, scales[0])
                    flow, mask = (flow + swap(rf)) / 2, (mask - rm) / 2
            else:
                wf = feats(ref_warp(f0, flow[:, :2]), ref_warp(f1, flow[:, 2:4])) if encoded else []
                extra = [hidden] if self.version in ("4.25", "4.26") else []
                d, m, new_hidden = self.block(i, torch.cat([w0, w1, *wf, time, mask, *extra], 1), flow, scales[i])
                if ensemble:
                    rd, rm, _ = self.block(i, torch.cat([w1, w0, *wf[::-1], 1 - time, -mask], 1), swap(flow),
                                           scales[i])
                    d, m = (d + swap(rd)) / 2, (m - rm) / 2
                hidden = new_hidden
                flow = flow + d
                mask = mask + m if not encoded else m
            w0, w1 = ref_warp(img0, flow[:, :2]), ref_warp(img1, flow[:, 2:4])
        mask = torch.sigmoid(mask)
        return (w0 * mask + w1 * (1 - mask))[..., :h, :w]


def frames(batch=1, height=40, width=56, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return (torch.rand(batch, 3, height, width, generator=generator),
            torch.rand(batch, 3, height, width, generator=generator))


def loaded(version, config="small"):
    return load_rife(rife_files.cached_rife_file(version, config))


# ---- layouts ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", list(rife_files.RELEASES))
def test_fixture_layouts_are_the_manifests(version):
    with open(MANIFESTS) as f:
        manifest = json.load(f)["versions"][version]
    assert rife_files.key_shapes(version, "real") == manifest["shapes"]


@pytest.mark.parametrize("version", SUPPORTED)
def test_version_and_dimensions_are_read_from_the_file(version):
    for config, residuals in (("real", 8), ("small", 2)):
        model = load_rife(rife_files.make_state_dict(version, config), name=f"rife-{version}")
        widths = rife_files.CONFIGS[config]["widths"][:len(model.config.blocks)]
        assert model.config.version == version
        assert [block[1] for block in model.config.blocks] == list(widths)
        assert all(block[2] == residuals for block in model.config.blocks)
        assert len(model.config.blocks) == (5 if version in ("4.25", "4.26") else 4)
        assert model.config.hidden == (8 if version in ("4.25", "4.26") else 0)
        assert model.config.features == {"4.5": 0, "4.6": 0, "4.7": 4, "4.10": 8, "4.17": 8, "4.25": 16,
                                         "4.26": 4}[version]
    real = load_rife(rife_files.make_state_dict(version, "real"), name="real")
    assert sum(p.numel() for p in real.parameters()) == sum(
        torch.Size(s).numel() for s in rife_files.key_shapes(version, "real").values())


# ---- the forward ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", SUPPORTED)
def test_forward_matches_the_float64_reference(version):
    sd = rife_files.make_state_dict(version, "small", seed=1)
    model = load_rife(sd, name="fixture")
    x0, x1 = frames(batch=2)
    t = torch.tensor([[0.25], [0.7]])
    with torch.no_grad():
        ours = model(x0, x1, t)
    expected = Reference(sd, version)(x0, x1, t)
    assert ours.shape == x0.shape
    assert (ours.double() - expected).abs().max() < TOLERANCE
    # t matters: the same pair at another time is another frame.
    assert (Reference(sd, version)(x0, x1, torch.tensor([[0.5], [0.5]])) - expected).abs().max() > 1e-3


@pytest.mark.parametrize("version, scale, ensemble", [
    ("4.6", 0.5, True), ("4.7", 2.0, False), ("4.7", 1.0, True), ("4.17", 0.5, True), ("4.25", 0.5, False),
])
def test_scale_and_ensemble_match_the_reference(version, scale, ensemble):
    sd = rife_files.make_state_dict(version, "small", seed=2)
    model = load_rife(sd, name="fixture")
    x0, x1 = frames(height=36, width=70, seed=3)
    t = torch.tensor([[0.4]])
    with torch.no_grad():
        ours = model(x0, x1, t, scale=scale, ensemble=ensemble)
    reference = Reference(sd, version)
    assert (ours.double() - reference(x0, x1, t, scale, ensemble)).abs().max() < TOLERANCE
    assert (reference(x0, x1, t) - reference(x0, x1, t, scale, ensemble)).abs().max() > 1e-3


def test_ensemble_is_refused_where_the_release_dropped_it():
    with pytest.raises(ValueError, match=r"RIFE 4\.25 has no ensemble"):
        RifeMethod(loaded("4.25"), ensemble=True)


def test_the_driver_makes_exact_times_k_over_m_from_each_pair():
    sd = rife_files.make_state_dict("4.7", "small", seed=4)
    clip = torch.rand(3, 40, 48, 3, generator=torch.Generator().manual_seed(5))
    made = interpolate(clip, RifeMethod(load_rife(sd, name="fixture"), scale=0.5, ensemble=True), 3)
    reference = Reference(sd, "4.7")
    assert made.shape == (7, 40, 48, 3)
    assert torch.equal(made[::3], clip)
    for pair in range(2):
        a, b = (clip[pair + i].permute(2, 0, 1)[None] for i in (0, 1))
        for k in (1, 2):
            expected = reference(a, b, torch.tensor([[k / 3]]), 0.5, True).clamp(0, 1)[0].permute(1, 2, 0)
            assert (made[3 * pair + k].double() - expected).abs().max() < TOLERANCE


def test_a_rife_module_is_a_driver_method_and_loops():
    model = loaded("4.6")
    clip = torch.rand(4, 24, 24, 3, generator=torch.Generator().manual_seed(6))
    looped = interpolate(clip, model, 2, loop=True, batch_size=2)
    assert looped.shape == (8, 24, 24, 3) and torch.equal(looped[::2], clip)
    with torch.no_grad():
        last = model(clip[3].permute(2, 0, 1)[None], clip[0].permute(2, 0, 1)[None], torch.tensor([[0.5]]))
    assert (looped[7] - last.clamp(0, 1)[0].permute(1, 2, 0)).abs().max() < 1e-5


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_follows_fp32(dtype):
    model = loaded("4.7")
    clip = torch.rand(2, 32, 40, 3, generator=torch.Generator().manual_seed(7))
    full = interpolate(clip, model, 2)
    half = interpolate(clip, RifeMethod(load_rife(rife_files.cached_rife_file("4.7")).to(dtype)), 2)
    assert half.dtype == torch.float32
    assert (half - full).abs().max() < 0.05


# ---- files and errors -----------------------------------------------------------------------------------------

def test_practical_rife_training_files_load_without_their_module_prefix():
    plain = loaded("4.25")
    prefixed = load_rife(rife_files.cached_rife_file("4.25", prefix="module."))
    assert all(torch.equal(a, b) for a, b in zip(plain.state_dict().values(), prefixed.state_dict().values()))
    assert "RIFE 4.25" in describe(prefixed)


def test_load_interpolator_tells_rife_from_film():
    assert isinstance(load_interpolator(rife_files.cached_rife_file("4.7")), RIFE)
    film = load_interpolator(film_files.cached_film_file("v1.0.2"))
    assert type(film) is type(load_film(film_files.cached_film_file("v1.0.2")))


@pytest.mark.parametrize("version, said", [("4.0", r"RIFE 4\.0/4\.1 model"), ("4.3", r"RIFE 4\.2–4\.4 model")])
def test_unsupported_release_is_named(version, said):
    path = rife_files.cached_rife_file(version)
    with pytest.raises(RifeFormatError, match=rf"{os.path.basename(path)}: a {said}.*not supported; supported: "):
        load_rife(path)
    with pytest.raises(RifeFormatError, match=said):
        load_interpolator(path)


def test_a_film_file_is_not_rife():
    with pytest.raises(RifeFormatError, match="TorchScript archive"):
        load_rife(film_files.cached_film_file("v1.0.2"))
    with pytest.raises(RifeFormatError, match="not a RIFE model; it looks like a FILM model"):
        load_rife(load_film(film_files.cached_film_file("v1.0.2")).state_dict(), name="film.pth")


def test_a_motion_model_is_not_rife(tmp_path):
    path = tmp_path / "mm_sd_v15_v2.ckpt"
    torch.save(motion_files.make_motion_state_dict("v2", channels=64), path)
    with pytest.raises(RifeFormatError, match="mm_sd_v15_v2.ckpt: not a RIFE model; it looks like an AnimateDiff"):
        load_rife(path)


def test_a_file_whose_tensors_do_not_fit_names_them(tmp_path):
    sd = rife_files.make_state_dict("4.7")
    sd["block2.convblock.1.beta"] = torch.ones(1, 3, 1, 1)
    with pytest.raises(RifeFormatError, match=r"RIFE 4\.7-like file .*blocks\.2\.res\.1\.beta is \(1, 3, 1, 1\)"):
        load_rife(sd, name="rife47.pth")


def test_code_in_a_file_never_runs(tmp_path):
    path = tmp_path / "rife49.pth"
    torch.save({"block0.conv0.0.0.weight": torch.zeros(1), "payload": Exploit()}, path)
    with pytest.raises(RifeFormatError, match="rife49.pth: not a .*plain tensor file"):
        load_rife(path)


class Exploit:
    def __reduce__(self):
        return (os.system, ("echo ran",))
