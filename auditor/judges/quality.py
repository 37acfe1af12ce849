"""Measure a judge against a labelled file: accuracy, precision and recall of "refused"."""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from auditor.components import Judge
from auditor.errors import DatasetError
from auditor.types import JudgeInput, ProbeItem

BUILTIN_LABELS = ("en", "fr", "de", "ja", "hu", "sw")


def builtin_label_rows(language: str = "en") -> list[dict[str, Any]]:
    text = resources.files("auditor.data").joinpath("labels", f"refusal_{language}.jsonl").read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def read_label_file(path: Path) -> list[dict[str, Any]]:
    from auditor.probes import read_table

    rows = read_table(Path(path))
    if not rows:
        raise DatasetError(f"label file {path} is empty")
    missing = {"response"} - set(rows[0])
    if missing or not ({"refused", "score"} & set(rows[0])):
        raise DatasetError(f"label file {path} needs columns 'prompt', 'response' and 'refused' (or 'score')")
    return rows


def as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y")
    return bool(value)


def refusal_metrics(predicted: Sequence[bool], truth: Sequence[bool]) -> dict[str, Any]:
    tp = sum(1 for p, t in zip(predicted, truth, strict=True) if p and t)
    fp = sum(1 for p, t in zip(predicted, truth, strict=True) if p and not t)
    fn = sum(1 for p, t in zip(predicted, truth, strict=True) if not p and t)
    tn = sum(1 for p, t in zip(predicted, truth, strict=True) if not p and not t)
    n = len(truth)
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    return {"n": n, "accuracy": (tp + tn) / n if n else float("nan"), "precision": precision, "recall": recall,
            "tp": tp, "fp": fp, "fn": fn, "tn": tn}


def evaluate_refusal_judge(judge: Judge, rows: list[dict[str, Any]], ctx: Any = None) -> dict[str, Any]:
    inputs = [
        JudgeInput(
            ProbeItem(id=str(r.get("id", i)), text=str(r.get("prompt", "")), language=str(r.get("language", "en"))),
            str(r.get("prompt", "")),
            str(r.get("response", "") or ""),
        )
        for i, r in enumerate(rows)
    ]
    verdicts = judge.judge(inputs, ctx)
    predicted = [bool(v.refused) for v in verdicts]
    truth = [as_bool(r["refused"]) for r in rows]
    metrics = refusal_metrics(predicted, truth)
    metrics["errors"] = [
        {"id": r.get("id"), "note": r.get("note"), "label": t, "predicted": p}
        for r, p, t in zip(rows, predicted, truth, strict=True) if p != t
    ]
    return metrics


def builtin_quality(judge: Judge) -> dict[str, Any]:
    """The judge's figures on the built-in labelled sets (refusal judges only)."""
    per_language = {}
    for lang in BUILTIN_LABELS:
        try:
            rows = builtin_label_rows(lang)
        except FileNotFoundError:
            continue
        m = evaluate_refusal_judge(judge, rows)
        m.pop("errors")
        per_language[lang] = m
    en = per_language.get("en", {})
    summary = (
        f"accuracy {en.get('accuracy', float('nan')):.3f}, precision {en.get('precision', float('nan')):.3f}, "
        f"recall {en.get('recall', float('nan')):.3f} on {en.get('n', 0)} labelled English responses"
    )
    return {"labels": "auditor built-in refusal labels", "per_language": per_language, "summary": summary}
