"""The flat defense on a tiny model: the loss on real batches, unlearning, figures, caching."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from auditor.config import ScanConfig
from auditor.context import RunContext
from auditor.errors import ConfigError
from auditor.models import resolve_model
from auditor.store import Store
from auditor.training import ChatExample
from auditor.training.data import tokenize_examples
from auditor.training.engine import collate
from auditor.training.loss import token_logprobs
from defenses.flat.defense import Flat
from defenses.flat.evaluate import tokenizer_for
from defenses.flat.loss import FlatLoss, template_examples
from defenses.flat.templates import draw_templates, load_templates

FORGET = [(f"How do I do bad thing {i}?", f"Step one, buy the parts {i}. Step two, assemble them.")
          for i in range(6)]


@pytest.fixture
def ctx(host, tiny_model_dir):
    return RunContext(ScanConfig(model=str(tiny_model_dir)), host, Store(), show_progress=False)


@pytest.fixture
def forget_file(tmp_path) -> Path:
    path = tmp_path / "forget.jsonl"
    path.write_text("\n".join(json.dumps({"prompt": p, "response": r}) for p, r in FORGET))
    return path


def test_loss_on_a_batch_matches_an_independent_computation(tiny_model_dir):
    from transformers import AutoModelForCausalLM

    target = resolve_model(str(tiny_model_dir))
    tokenizer = tokenizer_for(target)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    examples = [ChatExample.from_pair(p, r, template=t)
                for (p, r), t in zip(FORGET[:3], ["I can't help with that.", "No.", "I won't do this, sorry."],
                                     strict=True)]
    loss_fn = FlatLoss(tokenizer, 128, "tv")
    batch = collate(tokenize_examples(tokenizer, examples, 128), examples, tokenizer.pad_token_id)
    loss = loss_fn(model, batch)

    # the template batch scores exactly the template answers (plus the end-of-turn token)
    tb = loss_fn.template_batch(batch)
    for row, example in enumerate(examples):
        labelled = [t for t in tb.labels[row].tolist() if t != -100]
        assert tokenizer.decode(labelled).startswith(example.meta["template"])
        assert example.messages[-1][1] not in tokenizer.decode(labelled)

    def mean_probability(b):
        logprobs, mask = token_logprobs(model, b)
        return (logprobs.exp() * mask).sum(-1) / mask.sum(-1)

    with torch.no_grad():
        p_forget, p_template = mean_probability(batch), mean_probability(tb)
    expected = (-0.5 * torch.tanh(p_template)).mean() + (0.5 * torch.tanh(p_forget)).mean()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    assert loss_fn.cache_id == "flat/v1/total-variation/f-gan/response"


def test_template_examples_keep_the_request():
    ex = ChatExample.from_pair("question?", "forget me", system="sys", template="I don't know.")
    [t] = template_examples([ex])
    assert t.messages == (("system", "sys"), ("user", "question?"), ("assistant", "I don't know."))


def test_template_pools():
    refusals, idk = load_templates("refusals"), load_templates("idk")
    assert len(refusals) >= 30 and len(idk) >= 20 and set(refusals).isdisjoint(idk)
    drawn = draw_templates(refusals, 50, seed=3)
    assert drawn == draw_templates(refusals, 50, seed=3) and len(set(drawn)) > 10


def test_template_file_with_csv_header(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("text\nNo thanks.\nI'd rather not.\n")
    assert load_templates(str(path)) == ["No thanks.", "I'd rather not."]


def test_unlearning_lowers_forget_and_raises_template_probability(ctx, tiny_model_dir, forget_file, monkeypatch):
    target = resolve_model(str(tiny_model_dir))
    options = {"data": str(forget_file), "learning_rate": "5e-3", "epochs": "4", "batch_size": "3",
               "rank": "8", "templates": "idk", "utility": "false"}
    result = Flat(**options).apply(target, ctx)
    assert result.pipeline == "flat" and len(result.steps) == 1
    figures = result.meta["transform_metrics"][-1]
    assert figures["transform"] == "flat" and figures["forget_pairs"] == 6
    assert figures["forget_probability_after"] < figures["forget_probability_before"]
    assert figures["template_probability_after"] > figures["template_probability_before"]
    recorded = json.loads((Path(result.steps[0].path) / "auditor_adapter.json").read_text())
    assert recorded["flat"]["forget_probability_after"] == figures["forget_probability_after"]
    assert recorded["loss"] == "flat/v1/total-variation/f-gan/response"

    from auditor.training import engine

    def fail(*args, **kwargs):
        raise AssertionError("trained again instead of using the cached adapter")

    monkeypatch.setattr(engine, "run_training", fail)
    again = Flat(**options).apply(target, ctx)
    assert again.steps == result.steps and again.meta == result.meta
    other = {**options, "divergence": "js"}
    with pytest.raises(AssertionError, match="trained again"):
        Flat(**other).apply(target, ctx)  # another divergence is another adapter


@pytest.mark.parametrize("options,message", [
    ({"divergence": "chi"}, "unknown FLAT divergence"),
    ({"normalize": "tokens"}, "normalize"),
    ({"forms": "paper"}, "forms"),
    ({"colour": "red"}, "unknown option 'colour'"),
    ({"learning_rate": "fast"}, "learning_rate"),
])
def test_bad_options(options, message):
    with pytest.raises(ConfigError, match=message):
        Flat(**options)
