"""The tensors and attributes of a TorchScript archive, read without running anything the archive holds.

torch.jit.save writes a zip: `<name>/data.pkl` pickles the module tree, each module an object of a class compiled
from `<name>/code/` (the global `__torch__.<qualified name>`) whose state is a dict of its attributes: submodules,
tensors and plain values. A tensor is `torch._utils._rebuild_tensor_v2` over a storage that the pickle names by a
persistent id ('storage', torch.<Type>Storage, key, location, numel); its bytes are the record `<name>/data/<key>`.
torch.jit.load compiles and runs the archive's code. This reader only unpickles data.pkl, against an allowlist:
`__torch__` classes become inert Records of their attributes, the JIT's list builders give back their list,
tensors are rebuilt by torch from the zip's bytes, and any other global is refused before it is looked up.
"""
import collections
import pickle
import re
import sys
import zipfile

import torch

# The element types torch.jit pickles as `torch <Type>Storage`; quantized storages need code paths FILM never uses.
STORAGE_DTYPES = {f"{name}Storage": dtype for name, dtype in [
    ("Float", torch.float32), ("Half", torch.float16), ("BFloat16", torch.bfloat16), ("Double", torch.float64),
    ("Long", torch.int64), ("Int", torch.int32), ("Short", torch.int16), ("Char", torch.int8),
    ("Byte", torch.uint8), ("Bool", torch.bool), ("ComplexFloat", torch.complex64),
    ("ComplexDouble", torch.complex128),
]}
JIT_LIST_BUILDERS = ("build_intlist", "build_doublelist", "build_boollist", "build_tensorlist", "restore_type_tag")


class ArchiveError(ValueError):
    pass


class Record:
    """A TorchScript object as data: its compiled class's name (`kind`) and its attributes."""
    kind = "__torch__"
    attributes = {}

    def __setstate__(self, state):
        # Objects with a scripted __getstate__ pickle other states; their attributes are then unknown.
        self.attributes = state if isinstance(state, dict) else {}


def read_archive(path):
    """(tensors, attributes) of the TorchScript archive at path: every tensor of its module tree under the name
    ScriptModule.state_dict() gives it, and the root module's attributes."""
    try:
        with zipfile.ZipFile(path) as archive:
            root = _Unpickler(path, archive).root()
        return state_dict(root), root.attributes
    except ArchiveError:
        raise
    except Exception as error:  # a damaged file can fail anywhere in zipfile, pickle or torch
        raise ArchiveError(f"{path}: a damaged TorchScript archive ({type(error).__name__}: {error})") from None


def state_dict(record, prefix="", above=()):
    """Every tensor attribute of the module tree under its dotted path. A pickle can make a record its own
    descendant; a module tree never is one."""
    tensors = {}
    for name, value in record.attributes.items():
        if isinstance(value, torch.Tensor):
            tensors[prefix + name] = value
        elif isinstance(value, Record):
            path = above + (record,)
            if any(value is ancestor for ancestor in path):
                raise ValueError(f"the module tree loops back at {prefix}{name}")
            tensors.update(state_dict(value, f"{prefix}{name}.", path))
    return tensors


def _list_builder(data, *_type):
    return data


def _tensor(storage, offset, size, stride, requires_grad=False, _hooks=None, metadata=None):
    """torch's own rebuild, minus the backward hooks: a file never has any that are not empty."""
    if not isinstance(storage, torch.storage.TypedStorage):
        raise TypeError(f"a tensor over a {type(storage).__name__}, expected a storage")
    return torch._utils._rebuild_tensor_v2(storage, offset, size, stride, bool(requires_grad),
                                           collections.OrderedDict(), metadata)


SAFE_GLOBALS = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _tensor,
    **{("torch.jit._pickle", name): _list_builder for name in JIT_LIST_BUILDERS},
    **{("torch", name): dtype for name, dtype in STORAGE_DTYPES.items()},
}


class _Unpickler(pickle.Unpickler):
    def __init__(self, path, archive):
        self.path, self.archive = path, archive
        self.prefix = self._prefix()
        super().__init__(archive.open(f"{self.prefix}/data.pkl"))
        self.byteorder = self._byteorder()
        self.storages = {}
        self.kinds = {}

    def root(self):
        root = self.load()
        if not isinstance(root, Record):
            raise ArchiveError(f"{self.path}: data.pkl holds a {type(root).__name__}, expected a TorchScript module")
        return root

    def _prefix(self):
        names = self.archive.namelist()
        found = [name[:-len("/data.pkl")] for name in names if re.fullmatch(r"[^/]+/data\.pkl", name)]
        code = any(re.match(r"[^/]+/code/", name) or name.endswith("/constants.pkl") for name in names)
        if len(found) != 1 or not code:
            raise ArchiveError(f"{self.path}: not a TorchScript archive (expected one <name>/data.pkl beside "
                               f"<name>/code/, found {len(found)} data.pkl{'' if code else ' and no code'})")
        return found[0]

    def _byteorder(self):
        """torch writes the byte order beside the data; archives from before it did are little-endian."""
        name = f"{self.prefix}/byteorder"
        order = self.archive.read(name).decode(errors="replace") if name in self.archive.namelist() else "little"
        if order not in ("little", "big"):
            raise ArchiveError(f"{self.path}: {name} says {order!r}, expected 'little' or 'big'")
        return order

    def find_class(self, module, name):
        if module == "__torch__" or module.startswith("__torch__."):
            qualified = f"{module}.{name}"
            if qualified not in self.kinds:
                self.kinds[qualified] = type("Record", (Record,), {"kind": qualified})
            return self.kinds[qualified]
        if (module, name) in SAFE_GLOBALS:
            return SAFE_GLOBALS[module, name]
        raise ArchiveError(f"{self.path}: data.pkl names the global {module}.{name}, which is not part of a "
                           f"TorchScript module's data; refused without running it")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage" and isinstance(pid[1], torch.dtype)
                and isinstance(pid[4], int)):
            raise ArchiveError(f"{self.path}: data.pkl refers to {pid!r}, expected a storage")
        _, dtype, key, _location, numel = pid  # every storage loads on the CPU, as map_location="cpu" did
        if key not in self.storages:
            self.storages[key] = self._storage(dtype, str(key), numel)
        return self.storages[key]

    def _storage(self, dtype, key, numel):
        name = f"{self.prefix}/data/{key}"
        try:
            size = self.archive.getinfo(name).file_size
        except KeyError:
            raise ArchiveError(f"{self.path}: {name} is missing: the archive is incomplete") from None
        expected = numel * dtype.itemsize
        if size != expected:
            raise ArchiveError(f"{self.path}: {name} holds {size} bytes, expected {expected} for {numel} values of "
                               f"{dtype}: the archive is truncated or damaged")
        data = bytearray(self.archive.read(name))
        storage = (torch.frombuffer(data, dtype=torch.uint8) if data else torch.empty(0, dtype=torch.uint8))
        storage = storage.untyped_storage()
        if self.byteorder != sys.byteorder:
            storage.byteswap(dtype)
        return torch.storage.TypedStorage(wrap_storage=storage, dtype=dtype, _internal=True)
