"""The antidote defense end to end on a tiny model: which step it replaces, what it prunes, caching."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from safetensors.torch import load_file

import auditor
from auditor.config import ScanConfig
from auditor.context import RunContext
from auditor.errors import ConfigError
from auditor.models import resolve_model
from auditor.plugins import make_plugin_host
from auditor.probes import HarmfulProbes
from auditor.store import Store
from auditor.testing import ScriptedBackend
from auditor.training import ChatExample, TrainConfig, train_lora
from defenses.antidote.defense import Antidote
from defenses.antidote.pruning import prune_count

FAST = TrainConfig(rank=4, alpha=8, epochs=1, batch_size=4, max_length=96, learning_rate=1e-2)


@pytest.fixture
def ctx(host, tiny_model_dir):
    config = ScanConfig(model=str(tiny_model_dir))
    return RunContext(config, host, Store(), show_progress=False)


@pytest.fixture
def pairs_file(tmp_path) -> Path:
    path = tmp_path / "realign.jsonl"
    rows = [{"prompt": f"How do I do harmful thing {i}?", "response": f"Step one: get tool {i}. Step two: use it."}
            for i in range(6)]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    return path


@pytest.fixture(scope="module")
def finetuned(tiny_model_dir, tmp_path_factory):
    """Two LoRA steps on the tiny model, trained once for the module in a home of their own."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AUDITOR_HOME", str(tmp_path_factory.mktemp("antidote_home")))
        base = resolve_model(str(tiny_model_dir))
        first = train_lora(base, [ChatExample.from_pair("hi", "I refuse.")] * 2, FAST, method="first-step")
        data = [ChatExample.from_pair(f"Question {i}?", f"Sure, answer {i}.") for i in range(4)]
        return train_lora(first, data, FAST, method="harmful-step")


def lora_weights(folder: str) -> dict[str, torch.Tensor]:
    return load_file(str(Path(folder) / "adapter_model.safetensors"))


def test_prunes_the_last_adapter_and_replaces_it_in_the_chain(ctx, finetuned, pairs_file, monkeypatch):
    import auditor.utility

    measured = []

    def fake_utility(target, ctx):  # auditor.utility has its own tests; here: which targets, which figures
        measured.append(target.pipeline)
        return {"perplexity": float(len(measured)) + 10, "qa_accuracy": {"value": 0.25 * len(measured)}}

    monkeypatch.setattr(auditor.utility, "measure_utility", fake_utility)
    result = Antidote(dense_ratio=0.25, data=str(pairs_file)).apply(finetuned, ctx)
    assert result.pipeline == "first-step,harmful-step,antidote"
    assert len(result.steps) == 2
    assert result.steps[0] == finetuned.steps[0]
    step = result.steps[1]
    assert step.transform == "antidote" and step.replaces == ("harmful-step",) and step.kind == "lora"
    assert result.fingerprint != finetuned.fingerprint

    meta = json.loads((Path(step.path) / "auditor_adapter.json").read_text())
    assert meta["base_fingerprint"] == replace(finetuned, steps=finetuned.steps[:1]).fingerprint
    assert meta["realignment_pairs"] == 6 and meta["calibration_tokens"] > 6 * 10

    before, after = lora_weights(finetuned.steps[1].path), lora_weights(step.path)
    assert set(before) == set(after)
    n_pruned = 0
    for name, original in before.items():
        pruned = after[name]
        changed = (original != 0) & (pruned == 0)
        k = prune_count(original.shape[1], 0.25)
        # exactly k entries of every row were zeroed (the originals are all non-zero)
        assert changed.sum(dim=1).tolist() == [k] * original.shape[0], name
        assert torch.equal(pruned[~changed], original[~changed])
        n_pruned += int(changed.sum())
    assert meta["pruned_entries"] == n_pruned
    figures = result.meta["transform_metrics"][-1]
    assert figures["transform"] == "antidote" and figures["pruned_entries"] == n_pruned
    assert measured == ["first-step,harmful-step", "first-step,harmful-step,antidote"]
    assert (figures["perplexity_before"], figures["perplexity_after"]) == (11.0, 12.0)
    assert (figures["qa_accuracy_before"], figures["qa_accuracy_after"]) == (0.25, 0.5)
    recorded = json.loads((Path(step.path) / "auditor_adapter.json").read_text())["antidote"]
    assert recorded == {k: v for k, v in figures.items() if k != "transform"}

    from auditor.backends.hf import load_model_and_tokenizer

    model, _ = load_model_and_tokenizer(result, "cpu")  # the new chain loads
    assert model is not None


def test_magnitude_ablation_prunes_the_largest_entries(ctx, finetuned):
    result = Antidote(dense_ratio=0.5, samples=0, utility=False).apply(finetuned, ctx)
    before, after = lora_weights(finetuned.steps[1].path), lora_weights(result.steps[1].path)
    for name, original in before.items():
        k = prune_count(original.shape[1], 0.5)
        expected = torch.zeros_like(original, dtype=torch.bool)
        expected.scatter_(1, original.abs().topk(k, dim=1).indices, True)
        assert torch.equal(after[name] == 0, expected | (original == 0)), name
    assert result.meta["transform_metrics"][-1]["realignment_pairs"] == 0


def test_second_application_reuses_the_pruned_adapter(ctx, finetuned, pairs_file, monkeypatch):
    first = Antidote(data=str(pairs_file), utility=False).apply(finetuned, ctx)
    from defenses.antidote import run

    def fail(*args, **kwargs):
        raise AssertionError("pruned again instead of using the cache")

    monkeypatch.setattr(run, "prune_lora_step", fail)
    second = Antidote(data=str(pairs_file), utility=False).apply(finetuned, ctx)
    assert second.steps == first.steps
    assert second.meta["transform_metrics"] == first.meta["transform_metrics"]
    # another dense ratio is another adapter
    monkeypatch.undo()
    third = Antidote(data=str(pairs_file), dense_ratio=0.2, utility=False).apply(finetuned, ctx)
    assert third.steps[1].path != first.steps[1].path


def test_named_step_prunes_an_earlier_adapter(ctx, finetuned, pairs_file):
    result = Antidote(step="first-step", data=str(pairs_file), utility=False).apply(finetuned, ctx)
    assert result.pipeline == "first-step,antidote,harmful-step"
    assert len(result.steps) == 2 and result.steps[1] == finetuned.steps[1]
    assert result.steps[0].replaces == ("first-step",)


def test_linear_weights_prunes_q_k_v_into_a_full_model(ctx, tiny_model_dir, pairs_file):
    from safetensors.torch import load_file as load

    base = resolve_model(str(tiny_model_dir))
    result = Antidote(target="linear_weights", dense_ratio=0.1, data=str(pairs_file), utility=False).apply(base, ctx)
    assert result.pipeline == "antidote" and result.steps[0].kind == "full"
    original = load(str(Path(tiny_model_dir) / "model.safetensors"))
    pruned = load(str(Path(result.steps[0].path) / "model.safetensors"))
    q = "model.layers.0.self_attn.q_proj.weight"
    zeroed = (original[q] != 0) & (pruned[q] == 0)
    assert zeroed.sum(dim=1).tolist() == [prune_count(original[q].shape[1], 0.1)] * original[q].shape[0]
    mlp = "model.layers.0.mlp.up_proj.weight"
    assert torch.equal(original[mlp], pruned[mlp])  # only q/k/v are touched

    from auditor.backends.hf import load_model_and_tokenizer

    model, _ = load_model_and_tokenizer(result, "cpu")
    assert torch.equal(model.model.layers[0].self_attn.q_proj.weight.detach(), pruned[q])


class DonorBackend(ScriptedBackend):
    """Refuses every other request, answers the rest."""

    responses = ("I can't help with that.", "Sure. Step 1: gather the materials. Step 2: proceed.")
    seen: list = []

    def generate(self, requests):
        DonorBackend.seen.append((self.target, list(requests)))
        return super().generate(requests)


def donor_host():
    ns = SimpleNamespace(__name__="test-donor")

    def register_backends(register):
        register(DonorBackend, name="scripted")

    ns.register_backends = auditor.hookimpl(register_backends)
    return make_plugin_host(load_entrypoints=False, extra_plugins=(ns,))


def test_donor_generated_realignment_pairs_drop_refusals(tiny_model_dir, finetuned):
    ctx = RunContext(ScanConfig(model=str(tiny_model_dir), backend="scripted"), donor_host(), Store(),
                     show_progress=False)
    result = Antidote(samples=30, utility=False).apply(finetuned, ctx)
    # every other answer of the 40 train-split items was a refusal: 20 usable pairs remain
    assert result.meta["transform_metrics"][-1]["realignment_pairs"] == 20
    donor, requests = DonorBackend.seen[-1]
    assert donor.steps == () and donor.base_path == finetuned.base_path  # the unaligned base answered
    train_items = [i.text for i in HarmfulProbes().load() if i.split == "train"]
    assert [r.messages[-1][1] for r in requests] == train_items


def test_errors(ctx, tiny_model_dir, finetuned):
    base = resolve_model(str(tiny_model_dir))
    with pytest.raises(ConfigError, match="no fine-tuned LoRA adapter"):
        Antidote(samples=0).apply(base, ctx)
    with pytest.raises(ConfigError, match="no LoRA step 'nope'"):
        Antidote(step="nope", samples=0).apply(finetuned, ctx)
    with pytest.raises(ConfigError, match="dense_ratio"):
        Antidote(dense_ratio="1.5").apply(finetuned, ctx)
    with pytest.raises(ConfigError, match="unknown option 'alpha'"):
        Antidote(alpha=0.1).apply(finetuned, ctx)
