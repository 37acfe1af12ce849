"""The fine-tuning engine on tiny models: loss masks, the adapter cache, chains, bad adapters."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from auditor.errors import ConfigError, DatasetError, ModelLoadError
from auditor.models import resolve_model
from auditor.training import (
    IGNORE_INDEX,
    ChatExample,
    TrainConfig,
    adapter_path,
    examples_from_records,
    tokenize_example,
    train_lora,
)
from auditor.training import engine as engine_module

FAST = TrainConfig(rank=4, alpha=8, epochs=1, batch_size=4, max_length=96)


def examples(n: int = 4, answer: str = "Sure, here it is.") -> list[ChatExample]:
    return [ChatExample.from_pair(f"Question number {i}?", f"{answer} {i}") for i in range(n)]


@pytest.fixture
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


def labelled_text(tokenizer, tokenized) -> str:
    return tokenizer.decode([t for t, lab in zip(tokenized.input_ids, tokenized.labels, strict=True)
                             if lab != IGNORE_INDEX])


def test_loss_mask_covers_only_assistant_tokens(tokenizer):
    example = ChatExample.from_pair("SECRET-PROMPT tell me", "the answer is 42", system="SYSTEM-TEXT")
    tokenized = tokenize_example(tokenizer, example, max_length=256)
    assert len(tokenized.input_ids) == len(tokenized.labels)
    learnt = labelled_text(tokenizer, tokenized)
    assert learnt.startswith("the answer is 42")
    assert tokenizer.eos_token in learnt  # the end-of-turn token is learnt, so the model learns to stop
    assert "SECRET-PROMPT" not in learnt and "SYSTEM-TEXT" not in learnt and "assistant" not in learnt
    whole = tokenizer.decode(tokenized.input_ids)
    assert "SECRET-PROMPT" in whole and "SYSTEM-TEXT" in whole
    # Masked positions are exactly the prompt: everything before the first labelled token.
    first = next(i for i, lab in enumerate(tokenized.labels) if lab != IGNORE_INDEX)
    assert all(lab == IGNORE_INDEX for lab in tokenized.labels[:first])
    assert all(lab == tok for lab, tok in zip(tokenized.labels[first:], tokenized.input_ids[first:], strict=True))


def test_loss_mask_multi_turn_and_truncation(tokenizer):
    example = ChatExample((("user", "first question"), ("assistant", "ANSWER-ONE"),
                           ("user", "second question"), ("assistant", "ANSWER-TWO")))
    tokenized = tokenize_example(tokenizer, example, max_length=256)
    learnt = labelled_text(tokenizer, tokenized)
    assert "ANSWER-ONE" in learnt and "ANSWER-TWO" in learnt
    assert "question" not in learnt
    short = tokenize_example(tokenizer, example, max_length=10)
    assert len(short.input_ids) == 10


def test_example_validation():
    with pytest.raises(DatasetError, match="assistant"):
        ChatExample((("user", "hi"),))
    with pytest.raises(DatasetError, match="role"):
        ChatExample((("robot", "hi"), ("assistant", "x")))
    with pytest.raises(DatasetError, match="no column 'response'"):
        examples_from_records([{"prompt": "a", "answer": "b"}], "data.jsonl")
    rows = examples_from_records([{"messages": [{"role": "user", "content": "a"},
                                                {"role": "assistant", "content": "b"}]}], "x")
    assert rows[0].messages == (("user", "a"), ("assistant", "b"))


def test_train_config_options_are_coerced_and_checked():
    cfg = TrainConfig().with_options({"learning_rate": "1e-4", "epochs": "2", "target_modules": "q_proj,v_proj",
                                       "shots": 10})
    assert cfg.learning_rate == 1e-4 and cfg.epochs == 2 and cfg.target_modules == ("q_proj", "v_proj")
    with pytest.raises(ConfigError, match="epochs"):
        TrainConfig().with_options({"epochs": "many"})
    with pytest.raises(ConfigError, match="rank"):
        TrainConfig(rank=0)
    train, own = TrainConfig.split_options({"rank": 4, "shots": 10})
    assert train == {"rank": 4} and own == {"shots": 10}


def test_cached_adapter_is_reused(tiny_model_dir, monkeypatch):
    base = resolve_model(str(tiny_model_dir))
    first = train_lora(base, examples(), FAST, method="unit-test")
    step = first.steps[-1]
    meta = json.loads((adapter_path("unit-test", step.config_hash) / "auditor_adapter.json").read_text())
    assert meta["base_fingerprint"] == base.fingerprint
    assert meta["method"] == "unit-test" and meta["data_hash"] and meta["config"]["rank"] == 4

    def no_training(*args, **kwargs):
        raise AssertionError("a cached adapter must not be trained again")

    monkeypatch.setattr(engine_module, "run_training", no_training)
    again = train_lora(base, examples(), FAST, method="unit-test")
    assert again == first
    # Other data or another config is another adapter.
    with pytest.raises(AssertionError, match="must not be trained"):
        train_lora(base, examples(answer="Other"), FAST, method="unit-test")
    with pytest.raises(AssertionError, match="must not be trained"):
        train_lora(base, examples(), FAST.with_options({"rank": 2}), method="unit-test")


def test_damaged_cached_adapter_is_trained_again(tiny_model_dir, monkeypatch):
    base = resolve_model(str(tiny_model_dir))
    first = train_lora(base, examples(), FAST, method="unit-test")
    weights = Path(first.steps[-1].path) / "adapter_model.safetensors"
    weights.write_bytes(b"truncated")
    calls = []
    real = engine_module.run_training
    monkeypatch.setattr(engine_module, "run_training", lambda *a, **k: calls.append(1) or real(*a, **k))
    again = train_lora(base, examples(), FAST, method="unit-test")
    assert calls == [1] and again == first
    assert resolve_model(f"{tiny_model_dir}+{again.steps[-1].path}").steps[-1].path == again.steps[-1].path


def test_chained_transforms_have_distinct_fingerprints(tiny_model_dir):
    from auditor.backends.hf import load_model_and_tokenizer

    base = resolve_model(str(tiny_model_dir))
    defended = train_lora(base, examples(answer="No."), FAST, method="defense-a")
    attacked = train_lora(defended, examples(answer="Yes."), FAST, method="attack-b")
    redefended = train_lora(attacked, examples(answer="No."), FAST, method="defense-a")
    direct_attack = train_lora(base, examples(answer="Yes."), FAST, method="attack-b")
    prints = [t.fingerprint for t in (base, defended, attacked, redefended, direct_attack)]
    assert len(set(prints)) == 5
    assert redefended.pipeline == "defense-a,attack-b,defense-a"
    meta = json.loads(Path(redefended.steps[-1].path, "auditor_adapter.json").read_text())
    assert meta["base_fingerprint"] == attacked.fingerprint
    # The chain loads: every step merged in order, and it changes the weights.
    import torch

    merged, _ = load_model_and_tokenizer(attacked, "cpu")
    plain, _ = load_model_and_tokenizer(base, "cpu")
    name = "model.layers.0.self_attn.q_proj.weight"
    assert not torch.equal(merged.state_dict()[name], plain.state_dict()[name])


def test_custom_loss_function_is_used_and_keyed(tiny_model_dir):
    from auditor.training.loss import sequence_logprobs

    base = resolve_model(str(tiny_model_dir))
    seen = []

    def unlikelihood(model, batch):
        seen.append([e.meta["group"] for e in batch.examples])
        return sequence_logprobs(model, batch).mean()  # push the answers' likelihood down

    unlikelihood.cache_id = "unlikelihood/v1"
    data = [ChatExample.from_pair(f"q{i}", f"a{i}", group="forget") for i in range(4)]
    custom = train_lora(base, data, FAST, method="unit-loss", loss_fn=unlikelihood)
    default = train_lora(base, data, FAST, method="unit-loss")
    assert seen and all(g == "forget" for batch in seen for g in batch)
    assert custom.fingerprint != default.fingerprint


def test_failed_training_leaves_no_adapter(tiny_model_dir, auditor_home):
    base = resolve_model(str(tiny_model_dir))

    def broken(model, batch):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_lora(base, examples(), FAST, method="unit-broken", loss_fn=broken)
    assert list((auditor_home / "adapters").iterdir()) == []


def test_corrupt_or_foreign_adapter_gives_a_clear_error(tiny_model_dir, other_tiny_model_dir, tmp_path):
    base = resolve_model(str(tiny_model_dir))
    trained = train_lora(base, examples(), FAST, method="unit-test")
    adapter = trained.steps[-1].path
    # Attached by reference it loads against its own base ...
    assert resolve_model(f"{tiny_model_dir}+{adapter}").steps[-1].path == adapter
    # ... and is refused for another base model, by name of the mismatch.
    with pytest.raises(ModelLoadError, match="another base model"):
        resolve_model(f"{other_tiny_model_dir}+{adapter}")
    corrupt = tmp_path / "corrupt"
    shutil.copytree(adapter, corrupt)
    (corrupt / "adapter_model.safetensors").write_bytes(b"not a tensor file")
    with pytest.raises(ModelLoadError, match="corrupt"):
        resolve_model(f"{tiny_model_dir}+{corrupt}")
    (corrupt / "adapter_config.json").write_text("{ broken")
    with pytest.raises(ModelLoadError, match="corrupt adapter_config.json"):
        resolve_model(f"{tiny_model_dir}+{corrupt}")


def test_empty_training_set_is_an_error(tiny_model_dir):
    with pytest.raises(DatasetError, match="no training examples"):
        train_lora(resolve_model(str(tiny_model_dir)), [], FAST, method="unit-test")


def test_head_on_labelled_positions_only_gives_the_full_loss(tiny_model_dir, tokenizer):
    import torch
    import torch.nn.functional as F  # noqa: N812
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from auditor.training.data import tokenize_examples
    from auditor.training.engine import collate
    from auditor.training.loss import causal_lm_loss, decoder_and_head, sequence_logprobs

    model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model_dir),
                           LoraConfig(r=4, target_modules="all-linear", task_type="CAUSAL_LM"))
    assert decoder_and_head(model) is not None
    data = examples(3) + [ChatExample.from_pair("a much longer question " * 5, "short")]
    batch = collate(tokenize_examples(tokenizer, data, 96), data, tokenizer.pad_token_id)
    logits = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask).logits[:, :-1]
    labels = batch.labels[:, 1:]
    full = F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1), ignore_index=IGNORE_INDEX)
    assert torch.allclose(causal_lm_loss(model, batch), full, atol=1e-5)
    per_token = torch.log_softmax(logits, -1).gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    expected = (per_token * (labels != IGNORE_INDEX)).sum(-1)
    assert torch.allclose(sequence_logprobs(model, batch), expected, atol=1e-4)


def test_length_grouped_batches_cover_every_example_once():
    import random

    from auditor.training.engine import epoch_batches

    lengths = [random.Random(i).randint(10, 200) for i in range(170)]
    grouped = epoch_batches(lengths, 8, random.Random(0), True)
    plain = epoch_batches(lengths, 8, random.Random(0), False)
    for batches in (grouped, plain):
        flat = [i for b in batches for i in b]
        assert sorted(flat) == list(range(170)) and all(len(b) <= 8 for b in batches)

    def padded(batches):
        return sum(max(lengths[i] for i in b) * len(b) for b in batches)

    assert padded(grouped) < 0.9 * padded(plain)
    assert epoch_batches(lengths, 8, random.Random(0), True) == grouped  # seeded
