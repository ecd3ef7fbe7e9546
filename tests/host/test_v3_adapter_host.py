"""The v3 domain adapter (v3_sd15_adapter.ckpt) loads through the host's own LoRA loaders: its keys
(`<diffusers attention path>.processor.to_q_lora.down.weight` / `.up.weight`, `to_out_lora` for `to_out.0`, no
alpha; AnimateDiff merges W + alpha * up @ down) are among those comfy/lora.py maps, so no Tempo loader is needed."""
import comfy.lora
import comfy.sd
import comfy.utils
import pytest
import torch

from checkpoints import UNET

PROJECTIONS = {"to_q": "to_q", "to_k": "to_k", "to_v": "to_v", "to_out": "to_out.0"}


def adapter_state_dict(rank=4, seed=0):
    """Seeded random adapter in the released layout, for every attention layer of the fixture SD1.5 UNet."""
    generator = torch.Generator().manual_seed(seed)
    diffusers = comfy.utils.unet_to_diffusers(UNET)
    sd, targets = {}, {}
    for name, ldm in diffusers.items():
        for projection, layer in PROJECTIONS.items():
            if name.endswith(f".attn1.{layer}.weight") or name.endswith(f".attn2.{layer}.weight"):
                prefix = name[:-len(f"{layer}.weight")] + f"processor.{projection}_lora."
                c_out = 320
                c_in = 768 if ".attn2." in name and projection in ("to_k", "to_v") else 320
                sd[prefix + "down.weight"] = torch.randn(rank, c_in, generator=generator) / 10
                sd[prefix + "up.weight"] = torch.randn(c_out, rank, generator=generator) / 10
                targets[prefix] = "diffusion_model." + ldm
    return sd, targets


@pytest.mark.parametrize("strength", [1.0, 0.5])
def test_host_lora_loader_maps_and_merges_every_adapter_key(checkpoint, strength):
    model = checkpoint[0]
    sd, targets = adapter_state_dict()
    # What LoraLoader / LoraLoaderModelOnly run on the file's tensors.
    merged, _ = comfy.sd.load_lora_for_models(model, None, sd, strength, 0)
    assert set(merged.patches) == set(targets.values())
    state = merged.model.state_dict()
    for prefix, key in targets.items():
        base = state[key].float()
        expected = base + strength * sd[prefix + "up.weight"] @ sd[prefix + "down.weight"]
        got = comfy.lora.calculate_weight(merged.patches[key], base.clone(), key)
        assert torch.allclose(got, expected, atol=1e-4)
