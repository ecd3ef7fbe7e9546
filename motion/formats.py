"""What the keys and shapes of a weights file say about the motion model it holds.

Every size comes from the file: the modules present (so the mid block and the number of resolution levels), each
module's channels (its GroupNorm weight), the positional-encoding length. Keys are brought to AnimateDiff's
names: any prefix before `down_blocks.`/`up_blocks.`/`mid_block.` is dropped (`module.`, `model.`,
`diffusion_model.`, ...), diffusers' MotionAdapter names are mapped back (diffusers_names.py), and
Hotshot-XL's `temporal_attentions.j.<rest>` becomes `motion_modules.j.temporal_transformer.<rest>`, its
`positional_encoding` table `pe`.

Telling the variants apart ("auto") from the file's contents only, never its name, because users rename files
and the variant changes the math (norm spans, sampling schedule):
1. Hotshot-XL key names: "hotshotxl" (SDXL).
2. Three resolution levels (320, 640, 1280 in the release): "sdxl_beta" (SDXL); four levels are SD1.5.
3. A mid-block module: "v2".
4. The v1 layout (SD1.5, 20 modules) is shared by v1, v3, AnimateLCM and community fine-tunes; the pe length
   decides: 24 -> "v1", 32 -> "v3", 64 or no pe at all -> "animatelcm", any other -> "community".
Where the contents cannot tell (a community fine-tune with pe 24 or 32), the user names the variant; a named
variant must fit the file's layout. A file without pe tables gets the sinusoid back at the length its variant
was trained with (AnimateLCM: 64).
"""
import re
from dataclasses import dataclass

from .diffusers_names import from_diffusers
from .errors import MotionModelError

MODULE_KEY = re.compile(
    r"(?:^|\.)((?:down_blocks|up_blocks)\.\d+|mid_block)\.(motion_modules|temporal_attentions)\.(\d+)\.(.+)$")
ATTENTION_BLOCK = re.compile(r"\.transformer_blocks\.0\.attention_blocks\.(\d+)\.")
SPARSECTRL_KEY = "controlnet_cond_embedding."
POSITION = re.compile(r"^((?:down_blocks|up_blocks)\.\d+|mid_block)\.motion_modules\.(\d+)\.")
# The variants each layout can hold: the structure read from the keys and shapes -> (its words, its variants).
LAYOUTS = {"sdxl": ("SDXL, 15 modules", ("sdxl_beta", "hotshotxl")),
           "v2": ("SD1.5 with a mid-block module", ("v2",)),
           "v1": ("SD1.5, 20 modules without a mid block", ("v1", "v3", "community", "animatelcm"))}
VARIANTS = ("v1", "v2", "v3", "community", "animatelcm", "sdxl_beta", "hotshotxl")
TRAINED_FRAMES = {"v1": 24, "hotshotxl": 24, "animatelcm": 64}  # the others: 32


@dataclass(frozen=True)
class MotionLayout:
    variant: str
    base: str  # "SD1.5" or "SDXL"
    blocks: dict  # "down_blocks.i" / "mid_block" / "up_blocks.i", in UNet order -> channels of each module
    max_frames: int  # pe length: frames one call can attend across
    reason: str = ""  # which variant, and why: "auto: v3, from the v1 layout with ..." or the choice made
    attention_blocks: int = 2  # self-attention blocks per module: 2 in motion models, 1 in SparseCtrl's

    @property
    def channels(self):
        """Channels of each resolution level, highest resolution first (SD1.5: 320, 640, 1280, 1280)."""
        return tuple(channels[0] for block, channels in self.blocks.items() if block.startswith("down_blocks."))

    @property
    def norm_across_frames(self):
        return self.variant == "sdxl_beta"

    @property
    def resnet_norm_across_frames(self):
        # v1 was trained with the UNet's resnet GroupNorms over all frames; v2 on went per frame ("inflated"
        # GroupNorm). The community files are fine-tunes of v1 made with its training code.
        return self.variant in ("v1", "community")


def read_motion_file(sd, label, variant="auto"):
    """(MotionLayout, the motion-module tensors under AnimateDiff's names) for a flat dict of tensors.

    label names the file in error messages; variant is "auto" (from the contents) or one of VARIANTS."""
    sparsectrl = next((key for key in sd if key.startswith(SPARSECTRL_KEY)), None)
    if sparsectrl is not None:
        raise MotionModelError(f"{label}: a SparseCtrl model (keys like `{sparsectrl}`), not a motion model: put it "
                               f"in models/controlnet and load it with Load SparseCtrl")
    return read_motion_tensors(sd, label, variant)


def read_motion_tensors(sd, label, variant="auto"):
    """read_motion_file for files that hold motion modules beside other weights (SparseCtrl's)."""
    motion, hotshot = _motion_tensors(sd)
    if not motion:
        raise MotionModelError(f"{label}: not a motion model: {looks_like(list(sd))}. Expected AnimateDiff "
                               f"motion-module keys such as `down_blocks.0.motion_modules.0.temporal_transformer."
                               f"norm.weight` (or Hotshot-XL's `down_blocks.0.temporal_attentions.0.norm.weight`).")
    blocks = _blocks(motion, label)
    levels = sum(block.startswith("down_blocks.") for block in blocks)
    if levels not in (3, 4):
        raise MotionModelError(f"{label}: motion modules in {levels} down blocks, expected 4 (SD1.5) or 3 (SDXL)")
    pe_length = next((tensor.shape[-2] for key, tensor in motion.items()
                      if key.endswith("pos_encoder.pe") and tensor.ndim == 3), None)
    layout = "sdxl" if levels == 3 else "v2" if "mid_block" in blocks else "v1"
    variant, reason = _chosen(variant, layout, *_detected(hotshot, layout, pe_length), label)
    max_frames = pe_length or TRAINED_FRAMES.get(variant, 32)
    attention_blocks = len({match.group(1) for key in motion if (match := ATTENTION_BLOCK.search(key))})
    base = "SDXL" if levels == 3 else "SD1.5"
    return MotionLayout(variant, base, blocks, max_frames, reason, attention_blocks), motion


def _motion_tensors(sd):
    motion, hotshot = {}, False
    for key, tensor in from_diffusers(sd).items():
        match = MODULE_KEY.search(key)
        if match is None or "lora" in key.lower():
            continue
        block, kind, index, rest = match.groups()
        if kind == "temporal_attentions":
            hotshot = True
            rest = "temporal_transformer." + rest.replace("pos_encoder.positional_encoding", "pos_encoder.pe")
        elif not rest.startswith("temporal_transformer."):
            continue
        motion[f"{block}.motion_modules.{index}.{rest}"] = tensor
    return motion, hotshot


def _blocks(motion, label):
    indices = {}
    for key in motion:
        block, module = POSITION.match(key).groups()
        indices.setdefault(block, set()).add(int(module))
    for kind in ("down_blocks", "up_blocks"):
        present = {int(block.split(".")[1]) for block in indices if block.startswith(kind + ".")}
        _check_counted(present, kind + ".{}", label)
    for block, modules in indices.items():
        _check_counted(modules, block + ".motion_modules.{}", label)
    order = sorted(indices, key=_unet_order)
    return {block: tuple(_channels(motion, f"{block}.motion_modules.{j}", label) for j in range(len(indices[block])))
            for block in order}


def _unet_order(block):
    kind, _, index = block.partition(".")
    return ("down_blocks", "mid_block", "up_blocks").index(kind), int(index or 0)


def _check_counted(present, name, label):
    missing = sorted(set(range(max(present, default=-1) + 1)) - present)
    if missing:
        raise MotionModelError(f"{label}: has no {name.format(missing[0])} but has {name.format(max(present))}; "
                               f"expected motion modules numbered from 0 without gaps")


def _channels(motion, position, label):
    key = f"{position}.temporal_transformer.norm.weight"
    tensor = motion.get(key)
    if tensor is None:
        raise MotionModelError(f"{label}: missing key {key}, expected in every motion module")
    if tensor.ndim != 1 or tensor.shape[0] % 32:
        raise MotionModelError(f"{label}: {key} has shape {list(tensor.shape)}, expected [C] with C a multiple "
                               f"of 32 (the GroupNorm groups)")
    return tensor.shape[0]


def _detected(hotshot, layout, pe_length):
    """(variant, why) from the keys and shapes alone."""
    if hotshot:
        return "hotshotxl", "from Hotshot-XL's key names"
    if layout == "sdxl":
        return "sdxl_beta", "from the SDXL layout with AnimateDiff's key names"
    if layout == "v2":
        return "v2", "from the mid-block module, which only v2 has"
    pe = f"a {pe_length}-frame positional encoding" if pe_length else "no positional encoding"
    variant, note = {
        24: ("v1", "; a community fine-tune of v1 has the same layout and the same math"),
        32: ("v3", "; a community fine-tune has the same layout: choose it in variant"),
        64: ("animatelcm", ", which only AnimateLCM has"),
        None: ("animatelcm", ", as some AnimateLCM files have"),
    }.get(pe_length, ("community", ", which no official release has"))
    return variant, f"from the v1 layout with {pe}{note}"


def _chosen(choice, layout, detected, why, label):
    """(variant, the sentence that says which and why) for the node's `variant` input."""
    if choice == "auto":
        return detected, f"auto: {detected}, {why}"
    words, fitting = LAYOUTS[layout]
    if choice not in VARIANTS:
        raise MotionModelError(f"variant {choice!r}: expected auto or one of {', '.join(VARIANTS)}")
    if choice not in fitting:
        raise MotionModelError(f"variant {choice!r} does not fit {label}: its layout ({words}) holds "
                               f"{' or '.join(fitting)}; choose one of those or auto")
    return choice, f"{choice}, as chosen in variant (auto would give {detected}, {why})"


def looks_like(keys):
    """A few words on what a file without motion-module keys holds, for the error a user sees."""
    if not keys:
        return "it holds no tensors"
    if any("lora" in key.lower() for key in keys):
        if any("motion_modules." in key for key in keys):
            return ("it is a motion LoRA (keys like `...processor.to_q_lora.down.weight`): apply it to a motion "
                    "model with the motion LoRA node")
        return f"it looks like a LoRA (keys like `{_first(keys, 'lora')}`)"
    for marker, what in (("model.diffusion_model.", "a Stable Diffusion checkpoint"),
                         ("diffusion_model.", "an image diffusion model"),
                         ("input_blocks.", "an image UNet"),
                         ("motion_modules.", "motion-module keys in a layout that is neither AnimateDiff's nor "
                                             "diffusers' MotionAdapter's"),
                         ("extract.extract_sublevels.", "a FILM frame-interpolation model"),
                         ("first_stage_model.", "a VAE"), ("decoder.", "a VAE"),
                         ("text_model.", "a text encoder")):
        if any(marker in key for key in keys):
            return f"it looks like {what} (keys like `{_first(keys, marker)}`)"
    return f"it has no keys containing `motion_modules.` (its {len(keys)} keys start like `{keys[0]}`)"


def _first(keys, marker):
    return next(key for key in keys if marker in key.lower())


def check_shapes(expected, motion, label):
    """Every key of `expected` (name -> shape) present in `motion` with that shape, and no other key."""
    for key, shape in expected.items():
        tensor = motion.get(key)
        if tensor is None:
            raise MotionModelError(f"{label}: missing key {key}, expected shape {list(shape)}")
        if tensor.shape != shape:
            raise MotionModelError(f"{label}: {key} has shape {list(tensor.shape)}, expected {list(shape)}")
    unexpected = next((key for key in motion if key not in expected), None)
    if unexpected is not None:
        raise MotionModelError(f"{label}: unexpected key {unexpected} in a motion module")
