"""diffusers' MotionAdapter key names (animatediff_lightning_Nstep_diffusers.safetensors and other files saved
from diffusers) brought back to AnimateDiff's, the reverse of diffusers' own conversion:

    P.norm / proj_in / proj_out                   -> P.temporal_transformer.norm / proj_in / proj_out
    P.transformer_blocks.0.attn1 / attn2          -> ... .transformer_blocks.0.attention_blocks.0 / 1
    P.transformer_blocks.0.norm1 / norm2 / norm3  -> ... .norms.0 / norms.1 / ff_norm
    P.transformer_blocks.0.pos_embed.pe           -> the pe of both attention blocks (diffusers adds one table
                                                     before each of them; AnimateDiff keeps a copy per block)

Keys already in AnimateDiff's names pass unchanged.
"""
import re

MODULE = re.compile(r"^(.*?(?:(?:down_blocks|up_blocks)\.\d+|mid_block)\.motion_modules\.\d+)\.(.+)$")
BLOCK_PARTS = {"attn1": "attention_blocks.0", "attn2": "attention_blocks.1", "norm1": "norms.0",
               "norm2": "norms.1", "norm3": "ff_norm"}


def original_keys(key):
    """The AnimateDiff key (or keys, for a shared pe table) a diffusers key stands for."""
    match = MODULE.match(key)
    if match is None or match.group(2).startswith("temporal_transformer."):
        return [key]
    position, rest = match.groups()
    if rest.endswith("pos_embed.pe"):
        block = rest[:-len("pos_embed.pe")]
        return [f"{position}.temporal_transformer.{block}attention_blocks.{a}.pos_encoder.pe" for a in (0, 1)]
    rest = re.sub(r"^(transformer_blocks\.\d+\.)(attn1|attn2|norm1|norm2|norm3)\.",
                  lambda m: m.group(1) + BLOCK_PARTS[m.group(2)] + ".", rest)
    return [f"{position}.temporal_transformer.{rest}"]


def from_diffusers(sd):
    return {new: tensor for key, tensor in sd.items() for new in original_keys(key)}
