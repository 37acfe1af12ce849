"""refusal-tuning: what it trains on (train split only, variants, varied refusals, utility data)."""

from __future__ import annotations

import json

import pytest
from finetune_helpers import AnsweringBackend, CapturingTrainer, scripted_context

from auditor.errors import ConfigError, DatasetError
from auditor.judges.keyword import KeywordJudge
from auditor.models import resolve_model
from auditor.probes import BenignProbes, HarmfulProbes, read_jsonl_resource
from defenses import refusal_tuning
from defenses.refusal_tuning import RefusalTuning


@pytest.fixture
def trainer(monkeypatch):
    capture = CapturingTrainer()
    monkeypatch.setattr(refusal_tuning, "train_lora", capture)
    return capture


def texts_of(examples, kind):
    return [e.messages[-2][1] for e in examples if e.meta.get("kind") == kind]


def test_trains_only_on_train_split_refusals_and_utility(tiny_model_dir, trainer):
    ctx = scripted_context(tiny_model_dir)
    RefusalTuning(ratio=0.5).apply(resolve_model(str(tiny_model_dir)), ctx)
    examples = trainer.examples
    refusal_prompts = set(texts_of(examples, "refusal"))
    harmful = HarmfulProbes().load()
    train_texts = set()
    for item in harmful:
        if item.split == "train":
            train_texts |= {item.text, *item.variants.values()}
    eval_texts = set()
    for item in harmful:
        if item.split == "eval":
            eval_texts |= {item.text, *item.variants.values()}
    benign = {i.text for i in BenignProbes().load()}
    every_prompt = {m[1] for e in examples for m in e.messages if m[0] == "user"}
    assert refusal_prompts <= train_texts
    assert not every_prompt & eval_texts
    assert not every_prompt & benign
    # 32 utility answers (the default) + 72 contrast answers, as many refusals (ratio 0.5)
    assert len(texts_of(examples, "utility")) == 32
    assert len(texts_of(examples, "contrast")) == 72
    assert len(refusal_prompts) == 104 == len(texts_of(examples, "refusal"))
    # every train item as written comes first in the refusal pool
    assert {i.text for i in harmful if i.split == "train"} <= refusal_prompts
    assert trainer.calls[-1]["method"] == "refusal-tuning"


def test_contrast_pool_is_disjoint_from_the_over_refusal_probes():
    contrast = {r["text"].strip().lower() for r in read_jsonl_resource("utility", "contrast.jsonl")}
    benign = {i.text.strip().lower() for i in BenignProbes().load()}
    instructions = {r["text"].strip().lower() for r in read_jsonl_resource("utility", "instructions.jsonl")}
    assert len(contrast) >= 60 and not contrast & benign and not instructions & benign


def test_own_refusals_are_not_used_as_utility_data(tiny_model_dir, trainer, monkeypatch):
    ctx = scripted_context(tiny_model_dir)
    monkeypatch.setattr(AnsweringBackend, "respond", staticmethod(
        lambda r: "I can't help with that." if "kill" in r.messages[-1][1].lower() else "Here you go."))
    RefusalTuning().apply(resolve_model(str(tiny_model_dir)), ctx)
    kept = texts_of(trainer.examples, "contrast") + texts_of(trainer.examples, "utility")
    assert kept and not any("kill" in t.lower() for t in kept)


def test_refusals_cover_variants_and_vary(tiny_model_dir, trainer):
    ctx = scripted_context(tiny_model_dir)
    RefusalTuning(ratio=0.8).apply(resolve_model(str(tiny_model_dir)), ctx)  # 416 >= the 320-prompt pool
    examples = trainer.examples
    prompts = set(texts_of(examples, "refusal"))
    train = [i for i in HarmfulProbes().load() if i.split == "train"]
    assert {i.variants["past-tense"] for i in train} <= prompts
    assert {i.variants["future-tense"] for i in train} <= prompts
    assert {i.variants["ja"] for i in train} <= prompts
    answers = [e.messages[-1][1] for e in examples if e.meta["kind"] == "refusal"]
    pool = {r["text"] for r in read_jsonl_resource("templates", "refusals.jsonl")}
    assert set(answers) <= pool and len(set(answers)) >= 30
    # The utility part is the model's own answers to the shipped instructions.
    utility = [e for e in examples if e.meta["kind"] == "utility"]
    assert all(e.messages[-1][1].startswith("Sure. Step 1") for e in utility)


def test_ratio_and_variant_options(tiny_model_dir, trainer):
    ctx = scripted_context(tiny_model_dir)
    RefusalTuning(ratio=0.2, variants="original", utility_limit=40, contrast="false").apply(
        resolve_model(str(tiny_model_dir)), ctx)
    refusals = texts_of(trainer.examples, "refusal")
    assert len(refusals) == 10 and len(texts_of(trainer.examples, "utility")) == 40
    assert not texts_of(trainer.examples, "contrast")
    originals = {i.text for i in HarmfulProbes().load() if i.split == "train"}
    assert set(refusals) <= originals


def test_user_utility_data(tiny_model_dir, trainer, tmp_path):
    data = tmp_path / "utility.jsonl"
    data.write_text("\n".join(json.dumps({"prompt": f"Tell me fact {i}", "response": f"Fact {i}."}) for i in range(6)))
    ctx = scripted_context(tiny_model_dir)
    RefusalTuning(utility_data=str(data), contrast=False, ratio=0.5).apply(resolve_model(str(tiny_model_dir)), ctx)
    user_pairs = [(e.messages[-2][1], e.messages[-1][1]) for e in trainer.examples if e.meta["kind"] == "utility"]
    assert sorted(user_pairs) == sorted((f"Tell me fact {i}", f"Fact {i}.") for i in range(6))
    assert len(texts_of(trainer.examples, "refusal")) == 6
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"question": "x", "answer": "y"}))
    with pytest.raises(DatasetError, match="no column 'prompt'"):
        RefusalTuning(utility_data=str(bad)).apply(resolve_model(str(tiny_model_dir)), ctx)


def test_option_errors():
    with pytest.raises(ConfigError, match="ratio"):
        RefusalTuning(ratio=1.5)
    with pytest.raises(ConfigError, match="unknown option"):
        RefusalTuning(rato=0.5)
    with pytest.raises(ConfigError, match="learning_rate"):
        RefusalTuning(learning_rate="fast")
    assert RefusalTuning(learning_rate="1e-4", epochs=2).training.learning_rate == 1e-4


def test_refusal_phrasings_are_refusals_by_the_keyword_judge_mostly():
    """The pool is deliberately varied; most of it must still read as a refusal to the default judge."""
    judge = KeywordJudge()
    texts = refusal_tuning.refusal_phrasings(None)
    recognised = sum(judge.judge_one(t).refused for t in texts)
    assert len(texts) >= 50 and recognised / len(texts) >= 0.75
