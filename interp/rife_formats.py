"""The RIFE 4.x files users have (rife47.pth, rife49.pth, ... in ComfyUI-Frame-Interpolation's ckpts/rife, or
Practical-RIFE's flownet.pkl), which layout each release has, and how one becomes the native module.

Every file is a plain state dict of IFNet (`module.`-prefixed when saved from training) with blocks
`block{i}.conv0.{0,1}.0`, `block{i}.convblock.{k}`, `block{i}.lastconv.0`. The releases differ in:

    4.0–4.4   convblock of plain convs, a 5-channel lastconv without pixel shuffle, contextnet/unet   (not read)
    4.5       ResConv blocks (`convblock.{k}.conv`, `.beta`), lastconv to 4·5 channels + pixel shuffle
    4.6       the same, lastconv to 4·6 (one channel unused)
    4.7       + a frame encoder `encode.0` (conv 3→16, stride 2), `encode.1` (transposed conv 16→4), no activation
    4.10      encoder `encode.{0,2,4,6}`: three convs and a transposed conv, LeakyReLU between (4.10–4.12)
    4.17      encoder `encode.cnn{0..3}` (Head), LeakyReLU between; rife417.pth
    4.25/4.26 Head encoder, five blocks, lastconv to 4·13: 8 hidden channels handed from block to block

Widths, block count, encoder widths and hidden channels are read from the shapes; the version names the math
that shapes cannot show (whether masks add up, where activations sit).
"""
import os
import re

import torch

from .film_formats import FilmFormatError, is_torchscript, load_film, mismatches, what_it_is
from .film_formats import read_file as read_tensors
from .rife import RIFE, RifeConfig

FIRST_KEY = "block0.conv0.0.0.weight"
# Practical-RIFE's training-only heads, kept in some flownet.pkl files and never used for inference.
TRAINING_ONLY = ("teacher.", "caltime.")
SUPPORTED = "4.5, 4.6, 4.7–4.9, 4.10–4.12, 4.17 (rife417) and 4.25/4.26"


class RifeFormatError(ValueError):
    pass


def read_file(path):
    """The tensors of a .pth/.pkl/.ckpt pickle (weights_only=True) or a safetensors file, without `module.`."""
    try:
        data, _ = read_tensors(path)
    except FilmFormatError as error:
        raise RifeFormatError(str(error)) from None
    return {key.removeprefix("module."): value for key, value in data.items()
            if torch.is_tensor(value) and not key.removeprefix("module.").startswith(TRAINING_ONLY)}


def count(state_dict, pattern):
    n = 0
    while pattern.format(n) in state_dict:
        n += 1
    return n


def encoder_names(state_dict):
    """The encoder's conv prefixes in order, and whether an activation follows each: in a Sequential the
    activations are the parameterless indices between convs; Head has one after every conv but the last."""
    indices = sorted({int(m.group(1)) for key in state_dict for m in [re.fullmatch(r"encode\.(\d+)\.weight", key)]
                      if m})
    if indices:
        return [(f"encode.{i}", nxt is not None and nxt > i + 1) for i, nxt in zip(indices, indices[1:] + [None])]
    heads = count(state_dict, "encode.cnn{}.weight")
    return [(f"encode.cnn{i}", i < heads - 1) for i in range(heads)]


def version(state_dict):
    """The release a state dict's layout belongs to, e.g. "4.7"; raises for 4.0–4.4."""
    if "block0.convblock.0.0.weight" in state_dict:
        old = "4.0/4.1" if "block0.convblock.0.1.weight" in state_dict else "4.2–4.4"  # 4.0's PReLU has a weight
        raise RifeFormatError(f"a RIFE {old} model (plain-conv flow blocks with contextnet/unet), which is not "
                              f"supported; supported: RIFE {SUPPORTED}. Use rife47.pth or rife49.pth")
    blocks = count(state_dict, "block{}.conv0.0.0.weight")
    encoder = encoder_names(state_dict)
    if not encoder:
        return "4.5" if state_dict["block0.lastconv.0.weight"].shape[1] == 20 else "4.6"
    if blocks >= 5:
        return "4.25" if state_dict[encoder[-1][0] + ".weight"].shape[1] == 16 else "4.26"
    if encoder[0][0] == "encode.cnn0":
        return "4.17"
    return "4.7" if len(encoder) == 2 else "4.10"


def read_config(state_dict, release):
    encoder, names = [], encoder_names(state_dict)
    for i, (name, activation) in enumerate(names):
        weight = state_dict[name + ".weight"]
        transposed = i == len(names) - 1  # the last conv upsamples back to full size
        cin, cout = (weight.shape[0], weight.shape[1]) if transposed else (weight.shape[1], weight.shape[0])
        encoder.append((cin, cout, transposed, activation))
    blocks = []
    for i in range(count(state_dict, "block{}.conv0.0.0.weight")):
        prefix = f"block{i}."
        blocks.append((state_dict[prefix + "conv0.0.0.weight"].shape[1],
                       state_dict[prefix + "conv0.1.0.weight"].shape[0],
                       count(state_dict, prefix + "convblock.{}.conv.weight"),
                       state_dict[prefix + "lastconv.0.weight"].shape[1]))
    features = encoder[-1][1] if encoder else 0
    # A later block reads both warped frames, t, the mask, the flows, both frames' features and the hidden ones.
    hidden = blocks[1][0] - (3 + 3 + 1 + 1 + 4) - 2 * features if len(blocks) > 1 else 0
    return RifeConfig(version=release, blocks=tuple(blocks), encoder=tuple(encoder), masks_add_up=not encoder,
                      hidden=hidden)


def to_native(state_dict):
    """The file's names as the native module's: block{i}.conv0.j.0 -> blocks.i.down.j, convblock -> res,
    lastconv.0 -> up, the encoder's convs numbered from 0."""
    renames = {prefix: f"encode.convs.{i}" for i, (prefix, _) in enumerate(encoder_names(state_dict))}

    def rename(key):
        key = re.sub(r"^block(\d+)\.conv0\.(\d+)\.0\.", r"blocks.\1.down.\2.", key)
        key = re.sub(r"^block(\d+)\.convblock\.", r"blocks.\1.res.", key)
        key = re.sub(r"^block(\d+)\.lastconv\.0\.", r"blocks.\1.up.", key)
        prefix, _, rest = key.rpartition(".")
        return f"{renames[prefix]}.{rest}" if prefix in renames else key
    return {rename(key): value for key, value in state_dict.items()}


def load_rife(source, name=None):
    """A RIFE module (fp32, CPU, eval) from a file path or a state dict of any supported 4.x release; name labels
    a state dict in errors."""
    if isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        if is_torchscript(name):
            raise RifeFormatError(f"{name}: a TorchScript archive (as FILM's film_net_fp32.pt is), not a RIFE state "
                                  f"dict; RIFE files are plain .pth state dicts such as rife47.pth")
        state_dict = read_file(name)
    else:
        state_dict = {key.removeprefix("module."): value for key, value in source.items()}
    name = name or "state dict"
    if FIRST_KEY not in state_dict:
        raise RifeFormatError(f"{name}: not a RIFE model; it looks like {looks_like(list(state_dict))}")
    try:
        release = version(state_dict)
        model = RIFE(read_config(state_dict, release))
    except RifeFormatError as error:
        raise RifeFormatError(f"{name}: {error}") from None
    except (KeyError, IndexError) as error:
        raise RifeFormatError(f"{name}: a RIFE-like file without {error}") from None
    native = to_native(state_dict)
    problems = mismatches(native, model.state_dict())
    if problems:
        raise RifeFormatError(f"{name}: a RIFE {release}-like file whose tensors do not fit the network its shapes "
                              f"describe: {'; '.join(problems)}")
    model.load_state_dict({key: value.float() for key, value in native.items()})
    model.source = name
    return model.eval().requires_grad_(False)


def looks_like(keys):
    if any(key.startswith("extract.extract_sublevels.") for key in keys):
        return "a FILM model (pick it as a FILM file)"
    return what_it_is(keys)


def load_interpolator(path):
    """A RIFE module for a RIFE file, otherwise FILM's loader (which names what a file that is neither holds)."""
    if not is_torchscript(path):
        try:
            tensors = read_file(path)
        except RifeFormatError:
            tensors = {}
        if FIRST_KEY in tensors:
            return load_rife(tensors, name=path)
    return load_film(path)


def describe(model):
    c = model.config
    params = sum(p.numel() for p in model.parameters())
    extras = (f", encoder {c.features} channels" if c.encoder else "") + (f", {c.hidden} hidden" if c.hidden else "")
    return (f"RIFE {c.version} from {os.path.basename(model.source)}: {params / 1e6:.2f}M parameters, "
            f"{len(c.blocks)} flow blocks of widths {[block[1] for block in c.blocks]}{extras}")
