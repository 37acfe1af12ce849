"""Utility measurement and weight-level pipelines in a scan, on a tiny model."""

from __future__ import annotations

import json
import math

import pytest
from finetune_helpers import scripted_context, scripted_host

from auditor import utility as utility_module
from auditor.config import ScanConfig
from auditor.errors import ComponentNotFound, ConfigError
from auditor.models import resolve_model
from auditor.scan.engine import run_scan
from auditor.store import Store
from auditor.training import ChatExample, TrainConfig, train_lora
from auditor.utility import measure_utility, qa_pick, qa_picks

FAST = {"epochs": 1, "rank": 4, "alpha": 8, "batch_size": 8, "max_length": 96}


def test_utility_is_measured_and_cached_per_fingerprint(tiny_model_dir, monkeypatch):
    ctx = scripted_context(tiny_model_dir)
    base = resolve_model(str(tiny_model_dir))
    first = measure_utility(base, ctx)
    # A random 2-layer model over a 49k vocabulary: perplexity in the tens of thousands, QA near chance.
    assert first["perplexity"] > 1000 and math.isfinite(first["perplexity"])
    assert first["qa_accuracy"]["n"] == 40 and 0 <= first["qa_accuracy"]["value"] <= 1
    assert first["qa_accuracy"]["low"] <= first["qa_accuracy"]["value"] <= first["qa_accuracy"]["high"]

    def no_model(*args, **kwargs):
        raise AssertionError("cached utility must not load the model")

    monkeypatch.setattr(utility_module, "scoring_model", no_model)
    assert measure_utility(base, ctx) == first
    tuned = train_lora(base, [ChatExample.from_pair("hi", "The giraffe is the tallest animal.")] * 8,
                       TrainConfig(**FAST, learning_rate=1e-2), method="unit-utility")
    with pytest.raises(AssertionError, match="must not load"):
        measure_utility(tuned, ctx)


def test_qa_pick_follows_the_models_likelihood(tiny_model_dir):
    """With one-token choices, the pick must be the model's most likely next token among them."""
    import torch

    from auditor.backends.hf import load_model_and_tokenizer, render_prompt
    from auditor.types import GenerationRequest

    model, tokenizer = load_model_and_tokenizer(resolve_model(str(tiny_model_dir)), "cpu")
    question = "What colour is the sky on a clear day?"
    prompt = render_prompt(tokenizer, GenerationRequest.chat(question))
    ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"]
    with torch.inference_mode():
        ranked = model(input_ids=ids).logits[0, -1].argsort(descending=True).tolist()
    prompt_len = ids.shape[1]
    one_token = [t for t in ranked if len(tokenizer(prompt + tokenizer.decode([t]),
                                                   add_special_tokens=False)["input_ids"]) == prompt_len + 1]
    best, others = one_token[0], one_token[500:503]
    choices = [tokenizer.decode([t]) for t in others[:2]] + [tokenizer.decode([best]), tokenizer.decode([others[2]])]
    assert qa_pick(model, tokenizer, question, choices) == 2
    # Batched scoring of many questions picks what one-by-one scoring picks.
    questions = [(question, choices), ("Name a fruit.", ["apple", "a very long answer about cars", "7"]),
                 ("Pick one.", list(reversed(choices)))]
    assert qa_picks(model, tokenizer, questions, batch_size=4) == [
        qa_pick(model, tokenizer, q, c) for q, c in questions] == qa_picks(model, tokenizer, questions, 1)
    assert qa_picks(model, tokenizer, questions)[2] == 1


def test_scan_compares_pipelines_with_utility(tiny_model_dir, tmp_path):
    options = {"refusal-tuning": {**FAST, "utility_limit": 8, "ratio": 0.5, "variants": "original"},
               "harmful-lora": {**FAST, "shots": 4}}
    cfg = ScanConfig(model=str(tiny_model_dir), backend="scripted", attacks=["direct"], limit=4,
                     pipelines=["refusal-tuning", "refusal-tuning,harmful-lora"], component_options=options,
                     output_dir=str(tmp_path / "runs"), max_new_tokens=8)
    result = run_scan(cfg, host=scripted_host(), store=Store(), show_progress=False)
    summary = json.loads((result.run_dir / "summary.json").read_text())
    targets = summary["run"]["targets"]
    assert [t["pipeline"] for t in targets] == ["base", "refusal-tuning", "refusal-tuning,harmful-lora"]
    assert len({t["fingerprint"] for t in targets}) == 3
    # The chained target's defense step is the very adapter of the single-step pipeline (reused, not retrained).
    assert targets[2]["steps"][0]["path"] == targets[1]["steps"][0]["path"]
    assert set(summary["utility"]) == {"base", "refusal-tuning", "refusal-tuning,harmful-lora"}
    assert all(u["perplexity"] > 1 for u in summary["utility"].values())
    assert {c["pipeline"] for c in summary["cells"]} == {"base", "refusal-tuning", "refusal-tuning,harmful-lora"}
    report = (result.run_dir / "report.md").read_text()
    assert "## Utility" in report and "refusal-tuning,harmful-lora" in report


def test_bad_pipelines_fail_before_any_work(tiny_model_dir, tmp_path):
    def scan(pipeline, **options):
        cfg = ScanConfig(model=str(tiny_model_dir), backend="scripted", attacks=["direct"], limit=2,
                         pipelines=[pipeline], component_options=options, output_dir=str(tmp_path))
        return run_scan(cfg, host=scripted_host(), store=Store(), show_progress=False)

    with pytest.raises(ComponentNotFound, match="refusal-tuning"):
        scan("refusal-tunning")
    with pytest.raises(ConfigError, match="prompt attack"):
        scan("direct")
    with pytest.raises(ConfigError, match="shots"):
        scan("harmful-lora", **{"harmful-lora": {"shots": 0}})
    assert not list(tmp_path.iterdir())  # no run folder was opened
