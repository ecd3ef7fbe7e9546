"""Motion LoRAs: W + strength * (up @ down) on exactly the attention projections, stacking, the input untouched,
a chain holding only the LoRAs' factors beyond the base model, and the errors a mismatched LoRA gives."""
import os
import sys

import pytest
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures"))

import motion_files  # noqa: E402
from motion import MotionModel, MotionModelError, apply_motion_lora, load_motion_module  # noqa: E402
from motion.lora import lora_targets, merged_state_dict  # noqa: E402

SMALL = (32, 64, 64, 64)


def merged_by_hand(sd, *loras):
    """The base state dict with every (lora, strength) merged as the released format says, in float64."""
    out = {key: tensor.double() for key, tensor in sd.items()}
    for lora, strength in loras:
        for key, down in lora.items():
            if not key.endswith("down.weight"):
                continue
            up = lora[key.replace("down.weight", "up.weight")]
            target = (key.replace("processor.", "").replace("_lora", "").replace("down.", "")
                      .replace("to_out.", "to_out.0."))
            out[target] = out[target] + strength * (up.double() @ down.double())
    return out


@pytest.fixture(scope="module")
def base():
    sd = motion_files.make_motion_state_dict("v2", channels=SMALL)
    return sd, load_motion_module(sd)


@pytest.fixture(scope="module")
def lora():
    return motion_files.make_motion_lora_state_dict(channels=SMALL, rank=4, seed=1)


def test_lora_targets_are_the_attention_projections(lora):
    targets = lora_targets(lora)
    assert len(targets) == 21 * 2 * 4
    target = "mid_block.motion_modules.0.temporal_transformer.transformer_blocks.0.attention_blocks.1.to_out.0.weight"
    key, down, up = targets[target]
    assert key.endswith("attention_blocks.1.processor.to_out_lora.down.weight")
    assert down.shape == (4, 64) and up.shape == (64, 4)


@pytest.mark.parametrize("strength", [0.8, -1.5])
def test_merge_is_w_plus_strength_up_down(base, lora, strength):
    sd, model = base
    merged = apply_motion_lora(model, lora, strength)
    assert isinstance(merged, MotionModel) and merged is not model
    expected = merged_by_hand(sd, (lora, strength))
    state = merged_state_dict(merged)
    assert list(state) == list(sd)
    for key, tensor in state.items():
        assert (tensor.double() - expected[key]).abs().max() < 1e-5, key
    assert (merged.variant, merged.max_frames, merged.dtype) == (model.variant, model.max_frames, torch.float32)


def test_forward_equals_a_model_loaded_from_merged_weights(base, lora):
    sd, model = base
    merged = apply_motion_lora(model, lora, 0.6)
    reference = load_motion_module({key: t.float() for key, t in merged_by_hand(sd, (lora, 0.6)).items()})
    position = "up_blocks.1.motion_modules.2"
    x = torch.randn(2 * 6, 64, 3, 3, generator=torch.Generator().manual_seed(3))
    out = merged.get_submodule(position)(x, 6)
    assert torch.allclose(out, reference.get_submodule(position)(x, 6), atol=1e-5)
    assert not torch.allclose(out, model.get_submodule(position)(x, 6), atol=1e-2)


def test_loras_stack_and_the_input_is_unchanged(base, lora):
    sd, model = base
    before = {key: tensor.clone() for key, tensor in model.state_dict().items()}
    pointers = {key: tensor.data_ptr() for key, tensor in model.state_dict().items()}
    second = motion_files.make_motion_lora_state_dict(channels=SMALL, rank=2, seed=2)
    stacked = apply_motion_lora(apply_motion_lora(model, lora, 0.5), second, -1.0)
    expected = merged_by_hand(sd, (lora, 0.5), (second, -1.0))
    for key, tensor in merged_state_dict(stacked).items():
        assert (tensor.double() - expected[key]).abs().max() < 1e-5, key
    for key, tensor in model.state_dict().items():
        assert torch.equal(tensor, before[key]) and tensor.data_ptr() == pointers[key], key


def held(model):
    """{data pointer: bytes} of the distinct tensors a model holds, parameters and buffers."""
    return {tensor.data_ptr(): tensor.nbytes for tensor in model.state_dict().values()}


def test_a_chain_of_three_holds_only_the_loras_factors_beyond_the_base(base):
    sd, model = base
    loras = [(motion_files.make_motion_lora_state_dict(channels=SMALL, rank=rank, seed=seed), strength)
             for rank, seed, strength in ((4, 1, 0.7), (2, 2, -1.2), (8, 3, 2.0))]
    chain = [model]
    for lora, strength in loras:
        chain.append(apply_motion_lora(chain[-1], lora, strength))
    expected = merged_by_hand(sd, *loras)
    for key, tensor in merged_state_dict(chain[-1]).items():
        assert (tensor.double() - expected[key]).abs().max() < 1e-5, key
    reference = load_motion_module({key: t.float() for key, t in expected.items()})
    for position in ("down_blocks.0.motion_modules.1", "mid_block.motion_modules.0"):
        module = chain[-1].get_submodule(position)
        x = torch.randn(2 * 5, module.temporal_transformer.norm.weight.shape[0], 3, 3,
                        generator=torch.Generator().manual_seed(4))
        expected_out = reference.get_submodule(position)(x, 5)
        assert (module(x, 5) - expected_out).abs().max() <= 1e-5 * expected_out.abs().max(), position
    base_tensors = held(model)
    extra = {}
    for link in chain[1:]:
        extra |= {pointer: size for pointer, size in held(link).items() if pointer not in base_tensors}
    lora_bytes = sum(tensor.nbytes for lora, _ in loras for tensor in lora.values())
    assert sum(extra.values()) <= lora_bytes


def test_fp16_model_keeps_its_dtype(lora):
    sd = motion_files.make_motion_state_dict("v2", channels=SMALL, dtype=torch.float16)
    merged = apply_motion_lora(load_motion_module(sd), lora, 1.0)
    key = "down_blocks.1.motion_modules.0.temporal_transformer.transformer_blocks.0.attention_blocks.0.to_v.weight"
    expected = merged_by_hand(sd, (lora, 1.0))[key]
    assert merged.dtype == torch.float16
    assert (merged_state_dict(merged)[key].double() - expected).abs().max() < 1e-3  # within fp16 rounding


@pytest.mark.parametrize("name", ["v2_lora_ZoomIn.ckpt", "v2_lora_PanLeft.safetensors"])
def test_lora_from_a_file(tmp_path, base, lora, name):
    sd, model = base
    path = motion_files.write_file({key: t.half() for key, t in lora.items()}, tmp_path / name)
    merged = apply_motion_lora(model, path, 1.0)
    expected = merged_by_hand(sd, ({key: t.half() for key, t in lora.items()}, 1.0))
    key = "mid_block.motion_modules.0.temporal_transformer.transformer_blocks.0.attention_blocks.0.to_q.weight"
    assert (merged_state_dict(merged)[key].double() - expected[key]).abs().max() < 1e-5


def test_v2_lora_on_a_model_without_mid_block_skips_the_mid_block(lora):
    sd = motion_files.make_motion_state_dict("v3", channels=SMALL)
    merged = apply_motion_lora(load_motion_module(sd), lora, 1.0)
    expected = merged_by_hand({**sd, **{k: torch.zeros(1) for k in lora_targets(lora) if k.startswith("mid_block")}},
                              (lora, 1.0))
    for key, tensor in merged_state_dict(merged).items():
        assert (tensor.double() - expected[key]).abs().max() < 1e-5, key


def test_lora_that_fits_nothing_names_its_first_key(lora):
    sd = motion_files.make_motion_state_dict("v3", channels=SMALL)
    mid_only = {key: t for key, t in lora.items() if key.startswith("mid_block.")}
    first = next(iter(mid_only))
    with pytest.raises(MotionModelError, match=rf"state dict: none of its keys fits .* its first key {first} updates "
                                               rf"mid_block\.motion_modules\.0\..*which the model does not have"):
        apply_motion_lora(load_motion_module(sd), mid_only, 1.0)


def test_lora_for_other_channels_names_the_key(base):
    _, model = base
    wide = motion_files.make_motion_lora_state_dict(channels=(64, 64, 64, 64), rank=2)
    with pytest.raises(MotionModelError, match=r"down_blocks\.0\.motion_modules\.0\..*to_q_lora\.down\.weight and its "
                                               r"pair give a 64x64 update, expected 32x32"):
        apply_motion_lora(model, wide, 1.0)


def test_not_a_lora(tmp_path, base):
    sd, model = base
    path = motion_files.write_file(sd, tmp_path / "mm_sd_v15_v2.safetensors")
    with pytest.raises(MotionModelError, match="mm_sd_v15_v2.safetensors: not a motion LoRA: it is a motion model"):
        apply_motion_lora(model, path, 1.0)


def test_lora_with_half_an_update(lora, base):
    key = next(key for key in lora if key.endswith("up.weight"))
    with pytest.raises(MotionModelError, match=f"{key} has no down counterpart"):
        apply_motion_lora(base[1], {key: lora[key]}, 1.0)
