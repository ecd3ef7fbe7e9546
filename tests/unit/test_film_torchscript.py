"""TorchScript FILM files read as data: the same tensors, pyramid depth and outputs as torch.jit.load gave, while
nothing in the file runs; crafted, foreign and truncated archives are refused with the file and the reason."""
import ast
import os
import re
import sys
import zipfile

import pytest
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures"))
import film_files  # noqa: E402

from interp import FilmFormatError, load_film  # noqa: E402
from interp.film_formats import read_file  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """A small v1.0.2 fp32 TorchScript file, to be taken apart."""
    return film_files.make_film_file("v1.0.2", tmp_path_factory.mktemp("film") / "film.pt")


def bits(tensor):
    return tensor.contiguous().view(torch.uint8)


def forbid_jit_load(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("torch.jit.load called")
    monkeypatch.setattr(torch.jit, "load", refuse)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
@pytest.mark.parametrize("layout, config", [("v1.0.0", "small"), ("v1.0.2", "small"), ("v1.0.2", "shallow")])
def test_tensors_and_pyramid_depth_equal_jit_load_bit_for_bit(tmp_path, monkeypatch, layout, config, dtype):
    path = film_files.make_film_file(layout, tmp_path / "film.pt", config, dtype=dtype)
    module = film_files.run_own_file(path)
    expected = dict(module.state_dict())
    forbid_jit_load(monkeypatch)
    tensors, levels = read_file(str(path))
    assert levels == module.pyramid_levels == (5 if config == "shallow" else 7)
    assert list(tensors) == list(expected)
    for key, value in expected.items():
        assert (tensors[key].dtype, tensors[key].shape, tensors[key].stride()) == (dtype, value.shape, value.stride())
        assert torch.equal(bits(tensors[key]), bits(value)), key


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
@pytest.mark.parametrize("layout", ["v1.0.0", "v1.0.2"])
def test_network_and_output_are_those_jit_load_gave(tmp_path, monkeypatch, layout, dtype):
    path = film_files.make_film_file(layout, tmp_path / "film.pt", "small", dtype=dtype)
    module = film_files.run_own_file(path)
    before = load_film(dict(module.state_dict()), pyramid_levels=module.pyramid_levels)
    forbid_jit_load(monkeypatch)
    model = load_film(path)
    assert (model.layout, model.config) == (layout, before.config)
    generator = torch.Generator().manual_seed(0)
    x0, x1 = torch.rand(2, 1, 3, 64, 80, generator=generator)
    with torch.no_grad():
        assert torch.equal(model(x0, x1, torch.full((1, 1), 0.3)), before(x0, x1, torch.full((1, 1), 0.3)))


class Views(torch.nn.Module):
    """Buffers that are views of one storage: an offset, a transpose, a strided slice."""

    def __init__(self):
        super().__init__()
        base = torch.arange(24, dtype=torch.float64).reshape(4, 6)
        self.register_buffer("base", base)
        self.register_buffer("tail", base[1:, 2:])
        self.register_buffer("transposed", base.t())
        self.register_buffer("every_other", base[:, ::2])

    def forward(self, x):
        return x + self.base


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit.script: what FILM files were made with
def test_offsets_strides_and_shared_storages_are_rebuilt_as_torch_does(tmp_path, monkeypatch):
    path = tmp_path / "views.pt"
    torch.jit.script(Views()).save(str(path))
    expected = dict(film_files.run_own_file(path).state_dict())
    forbid_jit_load(monkeypatch)
    tensors, _ = read_file(str(path))
    assert list(tensors) == list(expected)
    base = tensors["base"].untyped_storage().data_ptr()
    for key, value in expected.items():
        found = tensors[key]
        assert (found.shape, found.stride(), found.storage_offset()) == (value.shape, value.stride(),
                                                                       value.storage_offset()), key
        assert torch.equal(found, value) and found.untyped_storage().data_ptr() == base, key


def test_a_big_endian_archive_is_byte_swapped(tmp_path, monkeypatch, archive):
    with zipfile.ZipFile(archive) as f:
        swapped = {name.split("/", 1)[1]: f.read(name) for name in f.namelist() if "/data/" in name}
    # Every storage of the fixture is float32: reversing each 4-byte group writes it big-endian.
    swapped = {name: bytes(torch.frombuffer(bytearray(data), dtype=torch.uint8).reshape(-1, 4).flip(1).flatten())
               for name, data in swapped.items()}
    path = rewrite(archive, tmp_path / "big.pt", byteorder=b"big", **swapped)
    expected = dict(film_files.run_own_file(archive).state_dict())
    forbid_jit_load(monkeypatch)
    tensors, _ = read_file(str(path))
    assert all(torch.equal(bits(tensors[key]), bits(value)) for key, value in expected.items())


def rewrite(source, target, **records):
    """A copy of the zip at source with records replaced (bytes) or dropped (None), by name under the prefix."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        prefix = old.namelist()[0].split("/")[0]
        for name in old.namelist():
            key = name[len(prefix) + 1:]
            data = records.get(key, old.read(name))
            if data is not None:
                new.writestr(name, data)
    return target


def call(module, name, argument):
    """Pickle opcodes for module.name(argument): GLOBAL, BINUNICODE, TUPLE1, REDUCE."""
    argument = argument.encode()
    return (b"c" + f"{module}\n{name}\n".encode() + b"X" + len(argument).to_bytes(4, "little") + argument
            + b"\x85R")


def inside_a_module(value):
    """A protocol-2 pickle of a __torch__ module whose pyramid_levels attribute is built by the given opcodes."""
    return (b"\x80\x02c__torch__.film\nInterpolator\n)\x81}X\x0e\x00\x00\x00pyramid_levels" + value + b"sb.")


@pytest.mark.parametrize("module, name, code, nested", [
    ("os", "system", "touch {marker}", False),
    ("posix", "system", "touch {marker}", True),
    ("builtins", "eval", "open({marker!r}, 'w')", True),
    ("builtins", "exec", "open({marker!r}, 'w')", False),
])
def test_an_archive_naming_a_dangerous_global_is_refused_and_nothing_runs(tmp_path, archive, module, name, code,
                                                                         nested):
    marker = str(tmp_path / "ran")
    payload = call(module, name, code.format(marker=marker))
    data = inside_a_module(payload) if nested else b"\x80\x02" + payload + b"."
    path = rewrite(archive, tmp_path / "crafted.pt", **{"data.pkl": data})
    with pytest.raises(FilmFormatError, match=re.escape(f"{path}: data.pkl names the global {module}.{name}")):
        load_film(path)
    assert not os.path.exists(marker)


def test_a_module_tree_that_loops_or_a_bad_pyramid_depth_is_refused(tmp_path, archive):
    # NEWOBJ, BINPUT 0, then a state whose attribute `child` is BINGET 0: the module itself.
    loop = b"\x80\x02c__torch__.film\nInterpolator\n)\x81q\x00}X\x05\x00\x00\x00childh\x00sb."
    path = rewrite(archive, tmp_path / "loop.pt", **{"data.pkl": loop})
    with pytest.raises(FilmFormatError, match="loop.pt: a damaged TorchScript archive .*loops back at child"):
        load_film(path)
    text = inside_a_module(b"X\x05\x00\x00\x00seven")
    path = rewrite(archive, tmp_path / "depth.pt", **{"data.pkl": text})
    with pytest.raises(FilmFormatError, match="depth.pt: its attribute pyramid_levels is 'seven', expected a pos"):
        load_film(path)


def test_a_zip_that_is_not_torchscript_is_named(tmp_path, archive):
    notes = tmp_path / "film_net_fp32.pt"
    with zipfile.ZipFile(notes, "w") as f:
        f.writestr("readme.txt", "not a model")
    with pytest.raises(FilmFormatError, match=f"{re.escape(str(notes))}: not a TorchScript, safetensors or plain"):
        load_film(notes)
    no_data = rewrite(archive, tmp_path / "no_data.pt", **{"data.pkl": None})
    with pytest.raises(FilmFormatError, match=r"no_data.pt: not a TorchScript archive \(expected one <name>/data.pkl"):
        load_film(no_data)


def largest_storage(archive):
    """The key of the archive's largest storage record, and every record's size."""
    with zipfile.ZipFile(archive) as f:
        sizes = {info.filename.split("/data/")[1]: info.file_size for info in f.infolist() if "/data/" in info.filename}
    return max(sizes, key=sizes.get), sizes


def test_truncated_archives_are_refused_clearly(tmp_path, archive):
    data = open(archive, "rb").read()
    cut = tmp_path / "cut.pt"
    cut.write_bytes(data[:len(data) // 2])
    with pytest.raises(FilmFormatError, match="cut.pt: a zip archive without its end .*truncated or damaged"):
        load_film(cut)

    with zipfile.ZipFile(archive) as f:
        pickled = f.read(next(name for name in f.namelist() if name.endswith("/data.pkl")))
    short_pickle = rewrite(archive, tmp_path / "short_pickle.pt", **{"data.pkl": pickled[:len(pickled) // 2]})
    with pytest.raises(FilmFormatError, match="short_pickle.pt: a damaged TorchScript archive"):
        load_film(short_pickle)

    key, sizes = largest_storage(archive)
    with zipfile.ZipFile(archive) as f:
        stored = f.read(next(name for name in f.namelist() if name.endswith(f"/data/{key}")))
    short = rewrite(archive, tmp_path / "short_storage.pt", **{f"data/{key}": stored[:-4]})
    expected = f"short_storage.pt: .*/data/{key} holds {sizes[key] - 4} bytes, expected {sizes[key]} for"
    with pytest.raises(FilmFormatError, match=expected):
        load_film(short)
    missing = rewrite(archive, tmp_path / "missing.pt", **{f"data/{key}": None})
    with pytest.raises(FilmFormatError, match=f"missing.pt: .*/data/{key} is missing"):
        load_film(missing)


def loads_torchscript(node):
    """torch.jit.load, jit.load, `from torch.jit import load` or the C++ importer behind them."""
    if isinstance(node, ast.Attribute):
        owner = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(node.value, "id", None)
        return (owner == "jit" and node.attr == "load") or node.attr in ("import_ir_module", "_load_for_mobile")
    if isinstance(node, ast.ImportFrom):
        return node.module == "torch.jit" and any(alias.name == "load" for alias in node.names)
    return False


def test_no_pack_code_calls_torch_jit_load():
    """The pack reads TorchScript as data; only tests (on files they generated) may run one."""
    callers = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not d.startswith(".") and not (folder == ROOT and d == "tests")]
        for name in (name for name in files if name.endswith(".py")):
            path = os.path.join(folder, name)
            tree = ast.parse(open(path, encoding="utf-8").read(), path)
            callers += [f"{os.path.relpath(path, ROOT)}:{node.lineno}" for node in ast.walk(tree)
                        if loads_torchscript(node)]
    assert callers == []
