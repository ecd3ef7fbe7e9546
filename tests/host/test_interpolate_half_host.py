"""FILM and RIFE through the node while the host computes in bf16 or fp16: the node asks the host which dtype to
compute in (nodes/interpolate.compute_dtype), as on a GPU, and its frames stay close to fp32's."""
import pytest
import torch

import comfy_host
import models
from half_precision import PRECISIONS, computing_in
import tempo.nodes.interpolate as node
from tempo.nodes.interpolate import FILMInterpolate

# Relative distance of the new frames from fp32's, in units of the dtype's rounding (2^-9 bf16, 2^-12 fp16).
# Measured: FILM 5.2 (bf16), 5.0 (fp16); RIFE 0.88, 0.82. The same count of roundings in both dtypes is what
# rounding gives (a layer left in another dtype, or an overflow, would not scale with it); FILM's deeper pyramid
# and its warps compound more of them than RIFE's few blocks. 10 is twice the largest.
BOUND_IN_ROUNDINGS = 10.0


@pytest.fixture(scope="module")
def interpolators(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    models.link_film(str(root))
    with comfy_host.model_folders({kind: root / kind for kind in ("frame_interpolation", "rife")}):
        yield


def clip():
    """Three 64x64 frames of a bright square moving over a gradient: motion for the flows to follow."""
    ramp = torch.linspace(0.1, 0.6, 64)
    frames = ramp[None, :, None, None].expand(3, 64, 64, 3).clone()
    for i in range(3):
        frames[i, 20:36, 10 + 8 * i:26 + 8 * i] = 0.9
    return frames


def interpolate(method):
    return FILMInterpolate().interpolate(clip(), 2, method, "exact times k/m", False)[0]


def relative_distance(a, b):
    return ((a - b).norm() / b.norm()).item()


@pytest.mark.parametrize("method", [models.FILM, models.RIFE])
@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_interpolator_computes_in_the_hosts_half_dtype(interpolators, monkeypatch, method, precision):
    reference = interpolate(method)
    dtypes = []
    run = node.interpolate
    monkeypatch.setattr(node, "interpolate", lambda *a, **kw: dtypes.append(kw["dtype"]) or run(*a, **kw))
    with computing_in(precision):
        out = interpolate(method)
    half = PRECISIONS[precision][2]
    assert dtypes == [half]
    assert out.dtype == torch.float32 and torch.isfinite(out).all()
    assert torch.equal(out[::2], reference[::2])  # the input frames are kept as they are
    distance = relative_distance(out[1::2], reference[1::2])
    rounding = torch.finfo(half).eps / 2
    print(f"\n{method} {precision} vs fp32: {distance:.2e} ({distance / rounding:.2f} roundings)")
    assert distance <= BOUND_IN_ROUNDINGS * rounding
