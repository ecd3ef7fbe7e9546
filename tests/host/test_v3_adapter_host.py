"""The v3 domain adapter (v3_sd15_adapter.ckpt) loads through the host's own LoRA loaders: its keys
(`<diffusers attention path>.processor.to_q_lora.down.weight` / `.up.weight`, `to_out_lora` for `to_out.0`, no
alpha; AnimateDiff merges W + alpha * up @ down) are among those comfy/lora.py maps, so no Tempo loader is needed."""
import comfy.lora
import comfy.sd
import pytest
import torch

from example_files import adapter_state_dict


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
