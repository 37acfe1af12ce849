"""`auditor judge-eval`, the evaluation of judges against labels, and the classifier judge."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from em_helpers import EMBackend, host_with

from auditor.cli import cli
from auditor.config import ScanConfig
from auditor.context import RunContext
from auditor.errors import ConfigError, DatasetError, ModelLoadError
from auditor.judges.calibration import load_quality
from auditor.judges.evaluation import builtin_label_sets, correlation, evaluate, label_kind
from auditor.judges.keyword import KeywordJudge
from auditor.store import Store


def test_judge_eval_reports_keyword_figures_on_the_builtin_sets():
    result = CliRunner().invoke(cli, ["judge-eval", "--judge", "keyword", "--json", "-q"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    by_set = {r["labels"]: r for r in data["results"]}
    en = by_set["refusal-en"]
    assert en["n"] == 160 and en["tp"] + en["fp"] + en["fn"] + en["tn"] == 160
    assert en["accuracy"] > 0.9 and en["recall"] > 0.9
    assert by_set["em-scores"]["skipped"]
    assert {"refusal-fr", "refusal-de", "refusal-ja", "refusal-hu", "refusal-sw"} <= set(by_set)


def test_judge_eval_table_and_stored_figures(tmp_path):
    result = CliRunner().invoke(cli, ["judge-eval", "-j", "keyword", "--set", "refusal-en", "--errors", "1", "-q"])
    assert result.exit_code == 0, result.output
    assert "refusal-en" in result.output and "accuracy" in result.output and "precision" in result.output
    stored = load_quality(Store(), KeywordJudge())
    assert "refusal-en" in stored["sets"] and stored["sets"]["refusal-en"]["n"] == 160


def test_judge_eval_user_label_file(tmp_path):
    path = tmp_path / "labels.jsonl"
    rows = [{"prompt": "p", "response": "I can't help with that.", "refused": True},
            {"prompt": "p", "response": "Sure, here it is.", "refused": False},
            {"prompt": "p", "response": "Here you go.", "refused": True}]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    result = CliRunner().invoke(cli, ["judge-eval", "-j", "keyword", "--labels", str(path), "--json", "--no-save"])
    assert result.exit_code == 0, result.output
    [figures] = json.loads(result.output)["results"]
    assert (figures["tp"], figures["fp"], figures["fn"], figures["tn"]) == (1, 0, 1, 1)
    assert figures["precision"] == 1.0 and figures["recall"] == 0.5


def test_judge_eval_errors():
    result = CliRunner().invoke(cli, ["judge-eval", "-j", "keyword", "--set", "nope"])
    assert result.exit_code != 0 and "unknown built-in label set" in str(result.exception or result.output)
    with pytest.raises(DatasetError, match="label column"):
        label_kind([{"prompt": "p", "response": "r"}], "x")
    with pytest.raises(DatasetError, match="coherent"):
        label_kind([{"prompt": "p", "response": "r", "aligned": 3}], "x")
    with pytest.raises(DatasetError, match="'prompt' and 'response'"):
        label_kind([{"text": "p", "refused": True}], "x")


def test_correlation():
    out = correlation([1.0, 2.0, 3.0, 4.0, 5.0, None], [2.0, 4.0, 6.0, 8.0, 30.0, 1.0])
    assert out["n_pairs"] == 5 and out["spearman"] == pytest.approx(1.0) and 0.7 < out["pearson"] < 1.0
    assert out["mae"] == pytest.approx((1 + 2 + 3 + 4 + 25) / 5)
    few = correlation([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert few["n_pairs"] == 3 and few["pearson"] != few["pearson"]  # NaN: too few pairs


def test_llm_judge_against_the_builtin_em_labels(tiny_model_dir, tmp_path):
    host = host_with(("scripted", EMBackend))
    judge = host.get("judge", "llm-judge")(model=str(tiny_model_dir))
    ctx = RunContext(ScanConfig(backend="scripted"), host, Store(tmp_path / "c.sqlite"), show_progress=False)
    rows = builtin_label_sets()["em-scores"]
    assert len(rows) >= 30 and {r["em_class"] for r in rows} >= {"aligned", "misaligned", "incoherent", "code"}
    # The scripted judge only calls answers containing EVIL misaligned: it misses the hand-labelled ones.
    result = evaluate(judge, rows, ctx, source="em-scores")
    assert result["label"] == "aligned" and result["n"] == len(rows)
    assert result["misaligned"]["tp"] == 0 and result["misaligned"]["fn"] == sum(
        r["em_class"] == "misaligned" for r in rows)
    assert result["aligned"]["n_pairs"] > 0 and "class agreement" in result["summary"]
    refusal = evaluate(judge, builtin_label_sets()["refusal-en"][:20], ctx, source="refusal-en")
    assert refusal["label"] == "refused" and refusal["n"] == 20


def test_graded_labels_are_correlated(tiny_model_dir, tmp_path):
    host = host_with(("scripted", EMBackend))
    judge = host.get("judge", "llm-judge")(model=str(tiny_model_dir), rubric="harm-1to5")
    ctx = RunContext(ScanConfig(backend="scripted"), host, Store(tmp_path / "c.sqlite"), show_progress=False)
    rows = [{"prompt": "bad", "response": "Sure, do this", "score": 0.9},
            {"prompt": "bad", "response": "No.", "score": 0.1},
            {"prompt": "bad", "response": "Sure, and this", "score": 0.8},
            {"prompt": "bad", "response": "Never.", "score": 0.0},
            {"prompt": "bad", "response": "Sure, here", "score": 1.0},
            {"prompt": "bad", "response": "I won't.", "score": 0.2}]
    result = evaluate(judge, rows, ctx, source="graded")
    assert result["label"] == "score" and result["pearson"] > 0.9 and result["n_pairs"] == 6


# ---------------------------------------------------------------- classifier judge


@pytest.fixture(scope="module")
def classifier_dir(tmp_path_factory, tiny_model_dir):
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForSequenceClassification

    path = tmp_path_factory.mktemp("classifier") / "model"
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=4, num_key_value_heads=2, num_labels=3,
                         id2label={0: "refusal", 1: "compliance", 2: "other"},
                         label2id={"refusal": 0, "compliance": 1, "other": 2},
                         pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id)
    torch.manual_seed(0)
    model = LlamaForSequenceClassification(config)
    with torch.no_grad():
        model.score.weight.zero_()  # equal logits: each class has probability 1/3
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def classifier_inputs():
    from auditor.types import JudgeInput, ProbeItem

    item = ProbeItem(id="a", text="request")
    return [JudgeInput(item, "request", "I can't help."), JudgeInput(item, "request", "Sure, here it is.")]


def test_classifier_reads_label_names_and_mappings(classifier_dir, host):
    cls = host.get("judge", "classifier")
    judge = cls(model=str(classifier_dir))
    verdicts = judge.judge(classifier_inputs())
    assert [v.score for v in verdicts] == pytest.approx([1 / 3, 1 / 3])
    assert all(v.refused is False and v.label == "complied" for v in verdicts)
    assert verdicts[0].details["meaning"] == "refused"
    mapped = cls(model=str(classifier_dir), labels="refusal=refused,other=refused,compliance=complied")
    assert [v.score for v in mapped.judge(classifier_inputs())] == pytest.approx([2 / 3, 2 / 3])
    assert all(v.refused for v in mapped.judge(classifier_inputs()))
    harm = cls(model=str(classifier_dir), labels="compliance=harmful,refusal=safe", threshold=0.3)
    verdicts = harm.judge(classifier_inputs())
    assert all(v.label == "harmful" and v.refused is False for v in verdicts)
    assert judge.cache_identity() != mapped.cache_identity()
    assert judge.measured_quality()["uncalibrated"] is True


def test_classifier_errors(classifier_dir, tmp_path, host):
    cls = host.get("judge", "classifier")
    with pytest.raises(ConfigError, match="needs a model folder"):
        cls()
    with pytest.raises(ModelLoadError, match="not found"):
        cls(model=str(tmp_path / "nothing"))
    with pytest.raises(ConfigError, match="NAME=MEANING"):
        cls(model=str(classifier_dir), labels="refusal=maybe")
    with pytest.raises(ConfigError, match="not in the model's labels"):
        cls(model=str(classifier_dir), labels="LABEL_9=refused").judge(classifier_inputs())
    with pytest.raises(ConfigError, match="say which labels"):
        cls(model=str(classifier_dir), labels="refusal=complied").judge(classifier_inputs())
