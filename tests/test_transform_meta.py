"""Transform figures travel from Target.meta into summary.json and report.md; replaced steps keep their name."""

from __future__ import annotations

from auditor.report.markdown import render_markdown
from auditor.target import AdapterStep, Target
from auditor.transform_meta import with_transform_metrics


def test_figures_accumulate_in_chain_order():
    meta = with_transform_metrics({}, "antidote", {"pruned_entries": 10})
    meta = with_transform_metrics(meta, "flat", {"forget_probability_after": 0.1})
    assert [e["transform"] for e in meta["transform_metrics"]] == ["antidote", "flat"]
    assert meta["transform_metrics"][0] == {"transform": "antidote", "pruned_entries": 10}


def test_replacing_step_keeps_the_pipeline_name_and_describe_carries_meta():
    base = Target("m", "/m", "f" * 32)
    tuned = base.with_step(AdapterStep("refusal-tuning", "/a", config_hash="1")).with_step(
        AdapterStep("harmful-lora", "/b", config_hash="2"))
    pruned = Target("m", "/m", "f" * 32, steps=(tuned.steps[0], AdapterStep(
        "antidote", "/c", config_hash="3", replaces=("harmful-lora",))),
        meta=with_transform_metrics({}, "antidote", {"dense_ratio": 0.1}))
    assert pruned.pipeline == "refusal-tuning,harmful-lora,antidote"
    assert pruned.fingerprint != tuned.fingerprint
    described = pruned.describe()
    assert described["steps"][1]["replaces"] == ["harmful-lora"]
    assert described["meta"]["transform_metrics"][0]["dense_ratio"] == 0.1
    assert "meta" not in base.describe()


def test_report_lists_transform_figures():
    target = {"pipeline": "a,flat", "reference": "m", "fingerprint": "x",
              "meta": with_transform_metrics({}, "flat", {"forget_probability_before": 0.61234,
                                                           "forget_probability_after": 0.05})}
    text = render_markdown({"model": "m", "run": {"targets": [target]}, "cells": []}, [])
    assert "## Weight transforms" in text
    assert "`a,flat`, step `flat`: forget_probability_before 0.6123, forget_probability_after 0.05" in text
    assert "## Weight transforms" not in render_markdown({"model": "m", "run": {"targets": []}, "cells": []}, [])
