"""Streaming activation statistics against a direct computation on a tiny model."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForCausalLM

from defenses.antidote.activations import ActivationCollector

TEXTS = [[5, 17, 99, 300, 41, 7, 8], [12, 600, 3], [250, 251, 252, 253, 254]]
PAD = 0


def padded_batch(rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded ids and attention mask (real tokens never attend to later padding)."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), PAD)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
    return ids, mask


@pytest.fixture
def tiny_model(tiny_model_dir):
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    model.eval()
    return model


def direct_inputs(model, ids: list[int]) -> dict[str, torch.Tensor]:
    """The q_proj inputs of every layer for one unpadded sequence, from hidden states."""
    with torch.no_grad():
        out = model(torch.tensor([ids]), output_hidden_states=True)
    inputs = {}
    for i, layer in enumerate(model.model.layers):
        inputs[f"layer{i}.q_proj"] = layer.input_layernorm(out.hidden_states[i])[0]
    return inputs


def test_streaming_sums_match_direct_computation_with_padding_excluded(tiny_model):
    modules = {f"layer{i}.q_proj": layer.self_attn.q_proj for i, layer in enumerate(tiny_model.model.layers)}
    collector = ActivationCollector().attach(modules)
    ids, mask = padded_batch(TEXTS[:2])
    with torch.no_grad():
        collector.set_token_mask(mask)
        tiny_model(input_ids=ids, attention_mask=mask)
        ids, mask = padded_batch(TEXTS[2:])
        collector.set_token_mask(mask)
        tiny_model(input_ids=ids, attention_mask=mask)
    collector.detach()

    expected_sum = {name: torch.zeros(m.in_features, dtype=torch.float64) for name, m in modules.items()}
    for text in TEXTS:
        for name, x in direct_inputs(tiny_model, text).items():
            expected_sum[name] += x.double().pow(2).sum(dim=0)
    scales = collector.scales()
    for name in modules:
        stats = collector.stats[name]
        assert stats.tokens == sum(len(t) for t in TEXTS)  # 15 real tokens, 6 pads left out
        assert stats.sequences == 3
        assert torch.allclose(stats.sum_sq, expected_sum[name], rtol=1e-4, atol=1e-6)
        assert torch.allclose(scales[name], torch.sqrt(expected_sum[name] / 3), rtol=1e-4)


def test_padding_would_change_the_sums(tiny_model):
    """Guards the test above: without the mask the pad positions do contribute."""
    module = tiny_model.model.layers[0].self_attn.q_proj
    masked, unmasked = ActivationCollector().attach({"q": module}), None
    ids, mask = padded_batch(TEXTS[:2])
    with torch.no_grad():
        masked.set_token_mask(mask)
        tiny_model(input_ids=ids, attention_mask=mask)
    masked.detach()
    unmasked = ActivationCollector().attach({"q": module})
    with torch.no_grad():
        tiny_model(input_ids=ids, attention_mask=mask)
    unmasked.detach()
    assert unmasked.stats["q"].tokens == ids.numel()
    assert not torch.allclose(masked.stats["q"].sum_sq, unmasked.stats["q"].sum_sq)


def test_lora_matrices_see_the_layer_input_and_the_low_rank_projection(tiny_model):
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["q_proj", "v_proj"],
                        init_lora_weights=False)
    peft_model = get_peft_model(tiny_model, config)
    peft_model.eval()
    layer0 = peft_model.base_model.model.model.layers[0]
    lora_a = layer0.self_attn.q_proj.lora_A["default"]
    lora_b = layer0.self_attn.q_proj.lora_B["default"]
    collector = ActivationCollector().attach({"A": lora_a, "B": lora_b})
    ids, mask = padded_batch(TEXTS)
    with torch.no_grad():
        collector.set_token_mask(mask)
        peft_model(input_ids=ids, attention_mask=mask)
    collector.detach()

    sum_a = torch.zeros(lora_a.in_features, dtype=torch.float64)
    sum_b = torch.zeros(lora_b.in_features, dtype=torch.float64)
    for text in TEXTS:
        with torch.no_grad():
            out = peft_model(input_ids=torch.tensor([text]), output_hidden_states=True)
            x = layer0.input_layernorm(out.hidden_states[0])[0]
            sum_a += x.double().pow(2).sum(dim=0)
            sum_b += lora_a(x).double().pow(2).sum(dim=0)
    assert torch.allclose(collector.stats["A"].sum_sq, sum_a, rtol=1e-4, atol=1e-6)
    assert torch.allclose(collector.stats["B"].sum_sq, sum_b, rtol=1e-4, atol=1e-6)
    assert collector.stats["B"].sum_sq.shape == (4,)


def test_attach_rejects_non_linear_modules(tiny_model):
    with pytest.raises(TypeError, match="not a linear layer"):
        ActivationCollector().attach({"norm": tiny_model.model.norm})
