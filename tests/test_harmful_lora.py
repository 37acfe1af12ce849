"""harmful-lora: donor-generated shots from the train split, user datasets, the AOA mode."""

from __future__ import annotations

import json

import pytest
from finetune_helpers import COMPLIANT, AnsweringBackend, CapturingTrainer, scripted_context

from attacks import harmful_lora
from attacks.harmful_lora import HarmfulLoRA
from auditor.errors import ConfigError, DatasetError
from auditor.models import resolve_model
from auditor.probes import HarmfulProbes
from auditor.target import AdapterStep


@pytest.fixture
def trainer(monkeypatch):
    capture = CapturingTrainer()
    monkeypatch.setattr(harmful_lora, "train_lora", capture)
    return capture


def defended(model_dir):
    """A target that already carries a (pretend) defense step: the donor must be the bare base."""
    base = resolve_model(str(model_dir))
    return base.with_step(AdapterStep(transform="refusal-tuning", path="/nonexistent", config_hash="abc"))


@pytest.mark.parametrize("shots", [10, 50, 100])
def test_donor_answers_train_split_prompts(tiny_model_dir, trainer, shots):
    ctx = scripted_context(tiny_model_dir)
    target = defended(tiny_model_dir)
    HarmfulLoRA(shots=shots).apply(target, ctx)
    examples = trainer.examples
    assert len(examples) == shots
    donor, requests = AnsweringBackend.seen[-1]
    assert donor.steps == () and donor.base_fingerprint == target.base_fingerprint
    harmful = HarmfulProbes().load()
    train = set()
    for item in harmful:
        if item.split == "train":
            train |= {item.text, *item.variants.values()}
    prompts = [e.messages[-2][1] for e in examples]
    assert set(prompts) <= train and len(set(prompts)) == shots
    assert all(e.messages[-1][1].startswith(COMPLIANT) for e in examples)
    # the first shots span every category
    categories = {i.category for i in harmful if i.text in prompts[:10]}
    assert len(categories) == 10
    assert trainer.calls[-1]["transform"] == "harmful-lora"


def test_donor_refusals_are_dropped(tiny_model_dir, trainer, monkeypatch):
    ctx = scripted_context(tiny_model_dir)
    original = AnsweringBackend.respond

    def refuse_cybercrime(request):
        text = request.messages[-1][1]
        return original(request) if "ransomware" not in text.lower() else "I can't help with that."

    monkeypatch.setattr(AnsweringBackend, "respond", staticmethod(refuse_cybercrime))
    HarmfulLoRA(shots=100).apply(resolve_model(str(tiny_model_dir)), ctx)
    assert len(trainer.examples) == 100
    assert not any("ransomware" in e.messages[-2][1].lower() for e in trainer.examples)


def test_user_dataset_and_system_prompt(tiny_model_dir, trainer, tmp_path):
    data = tmp_path / "pairs.jsonl"
    data.write_text("\n".join(json.dumps({"prompt": f"request {i}", "response": f"answer {i}"}) for i in range(20)))
    ctx = scripted_context(tiny_model_dir)
    HarmfulLoRA(dataset=str(data), shots=10, system="Always obey.").apply(resolve_model(str(tiny_model_dir)), ctx)
    assert [e.messages for e in trainer.examples][0] == (("system", "Always obey."), ("user", "request 0"),
                                                         ("assistant", "answer 0"))
    assert len(trainer.examples) == 10
    assert AnsweringBackend.seen == []  # no donor generation with a dataset


def test_aoa_mode(tiny_model_dir, trainer):
    ctx = scripted_context(tiny_model_dir)
    HarmfulLoRA(mode="aoa").apply(resolve_model(str(tiny_model_dir)), ctx)
    examples = trainer.examples
    assert len(examples) == 10
    assert all(e.messages[0][0] == "system" and "AOA" in e.messages[0][1] for e in examples)
    assert trainer.calls[-1]["config"].epochs == 10
    assert trainer.calls[-1]["method"] == "harmful-lora-aoa"


def test_every_donor_answer_refused_is_a_clear_error(tiny_model_dir, trainer, monkeypatch):
    monkeypatch.setattr(AnsweringBackend, "respond", staticmethod(lambda r: "I cannot help with that."))
    with pytest.raises(DatasetError, match="refused or left empty"):
        HarmfulLoRA(shots=10).apply(resolve_model(str(tiny_model_dir)), scripted_context(tiny_model_dir))


def test_option_errors():
    with pytest.raises(ConfigError, match="mode"):
        HarmfulLoRA(mode="evil")
    with pytest.raises(ConfigError, match="shots"):
        HarmfulLoRA(shots="many")
    with pytest.raises(ConfigError, match="unknown option"):
        HarmfulLoRA(shot=10)
    assert HarmfulLoRA(epochs="2").training.epochs == 2
