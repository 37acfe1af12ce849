"""Measure any judge against labelled responses (`auditor judge-eval`).

A label file is .jsonl/.json/.csv/.parquet with `prompt` and `response` columns and one
kind of label, which decides what is measured:

- `refused` (bool): accuracy, precision and recall of the judge's `refused`. Rows are
  judged as refusal questions (item kind `benign` unless the file has a `kind` column),
  so an llm-judge reads them with its refusal rubric.
- `harmful` (bool): accuracy, precision and recall of "harmful" (an llm-judge's
  `details.harmful`, else not `refused`); rows are harmful items.
- `score` (number in [0, 1]): Pearson and Spearman correlation and mean absolute error
  of the judge's `score`.
- `aligned` and `coherent` (0-100, with `aligned_label` CODE/REFUSAL allowed): correlation
  of both scores, and accuracy, precision and recall of the misaligned class
  (`auditor.em`); rows are open items.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from auditor.components import Judge
from auditor.em import MISALIGNED, em_class
from auditor.errors import DatasetError
from auditor.judges.quality import BUILTIN_LABELS, as_bool, builtin_label_rows, refusal_metrics
from auditor.types import JudgeInput, ProbeItem, Verdict

LABEL_KINDS = ("refused", "harmful", "score", "aligned")
EM_LABELS = "em_scores.jsonl"
#: fewer pairs than this give no correlation (NaN): two or three points say nothing
MIN_PAIRS = 5


def label_kind(rows: list[dict[str, Any]], source: str) -> str:
    columns = set().union(*(r.keys() for r in rows))
    if not {"prompt", "response"} <= columns:
        raise DatasetError(f"label file {source} needs 'prompt' and 'response' columns (has: {', '.join(sorted(columns))})")
    for kind in LABEL_KINDS:
        if kind in columns:
            if kind == "aligned" and "coherent" not in columns:
                raise DatasetError(f"label file {source} has 'aligned' but no 'coherent' column")
            return kind
    raise DatasetError(f"label file {source} needs a label column: one of refused, harmful, score, or aligned+coherent")


def read_labels(path: str | Path) -> list[dict[str, Any]]:
    from auditor.probes import read_table

    path = Path(path).expanduser()
    try:
        rows = read_table(path)
    except DatasetError as exc:
        raise DatasetError(str(exc).replace("probe file", "label file")) from None
    if not rows:
        raise DatasetError(f"label file {path} is empty")
    return rows


def builtin_label_sets() -> dict[str, list[dict[str, Any]]]:
    """The labelled sets shipped in auditor/data/labels: refusal per language, and EM scores."""
    import json

    sets = {}
    for lang in BUILTIN_LABELS:
        try:
            sets[f"refusal-{lang}"] = builtin_label_rows(lang)
        except FileNotFoundError:
            continue
    text = resources.files("auditor.data").joinpath("labels", EM_LABELS).read_text("utf-8")
    sets["em-scores"] = [json.loads(line) for line in text.splitlines() if line.strip()]
    return sets


def default_item_kind(kind: str) -> str:
    return {"refused": "benign", "harmful": "harmful", "score": "harmful", "aligned": "open"}[kind]


def to_inputs(rows: list[dict[str, Any]], kind: str) -> list[JudgeInput]:
    fallback = default_item_kind(kind)
    inputs = []
    for i, r in enumerate(rows):
        prompt = str(r.get("prompt") or "")
        item_kind = str(r.get("kind") or fallback)
        if item_kind not in ("harmful", "benign", "open"):
            raise DatasetError(f"label row {r.get('id', i)}: kind '{item_kind}' is not harmful, benign or open")
        item = ProbeItem(id=str(r.get("id", i)), text=prompt, kind=item_kind, language=str(r.get("language") or "en"))
        inputs.append(JudgeInput(item, prompt, str(r.get("response") or "")))
    return inputs


def number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def correlation(xs: Sequence[float | None], ys: Sequence[float | None]) -> dict[str, Any]:
    """Pearson and Spearman correlation and mean absolute error over the pairs where both are numbers."""
    import pandas as pd

    pairs = [(x, y) for x, y in zip(xs, ys, strict=True) if x is not None and y is not None]
    out: dict[str, Any] = {"n_pairs": len(pairs), "pearson": math.nan, "spearman": math.nan, "mae": math.nan}
    if not pairs:
        return out
    frame = pd.DataFrame(pairs, columns=["x", "y"])
    out["mae"] = float((frame["x"] - frame["y"]).abs().mean())
    if len(pairs) >= MIN_PAIRS and frame["x"].nunique() > 1 and frame["y"].nunique() > 1:
        out["pearson"] = float(frame["x"].corr(frame["y"], method="pearson"))
        # Spearman = Pearson of the ranks (pandas' own spearman needs scipy).
        out["spearman"] = float(frame["x"].rank().corr(frame["y"].rank(), method="pearson"))
    return out


def harmful_of(verdict: Verdict) -> bool:
    if "harmful" in verdict.details:
        return bool(verdict.details["harmful"])
    return verdict.refused is False


def evaluate(judge: Judge, rows: list[dict[str, Any]], ctx: Any = None, source: str = "labels") -> dict[str, Any]:
    """The judge's figures on one labelled set."""
    kind = label_kind(rows, source)
    verdicts = judge.judge(to_inputs(rows, kind), ctx)
    result: dict[str, Any] = {"labels": source, "label": kind, "n": len(rows)}
    if kind in ("refused", "harmful"):
        predicted = [bool(v.refused) for v in verdicts] if kind == "refused" else [harmful_of(v) for v in verdicts]
        truth = [as_bool(r[kind]) for r in rows]
        unscored = sum(1 for v in verdicts if v.refused is None)
        result.update(refusal_metrics(predicted, truth), positive=kind, unscored=unscored)
        result["summary"] = (f"{kind}: accuracy {result['accuracy']:.3f}, precision {result['precision']:.3f}, "
                             f"recall {result['recall']:.3f} (n={result['n']})")
        result["errors"] = [{"id": r.get("id"), "note": r.get("note"), "label": t, "predicted": p}
                            for r, p, t in zip(rows, predicted, truth, strict=True) if p != t]
    elif kind == "score":
        corr = correlation([number(v.score) for v in verdicts], [number(r["score"]) for r in rows])
        result.update(corr)
        result["summary"] = (f"score: Pearson {corr['pearson']:.3f}, Spearman {corr['spearman']:.3f}, "
                             f"MAE {corr['mae']:.3f} (n={corr['n_pairs']})")
    else:
        result.update(em_figures(verdicts, rows))
    return result


def em_figures(verdicts: list[Verdict], rows: list[dict[str, Any]]) -> dict[str, Any]:
    given = [v.details for v in verdicts]
    if not any("em_class" in d for d in given):
        return {"skipped": "the judge gives no alignment/coherence scores",
                "summary": "no alignment/coherence scores (not an EM judge)"}
    truth_class = [str(r.get("em_class") or em_class(number(r.get("aligned")), number(r.get("coherent")),
                                                     str(r.get("aligned_label") or ""))) for r in rows]
    predicted_class = [str(d.get("em_class")) for d in given]
    aligned = correlation([number(d.get("aligned")) for d in given], [number(r.get("aligned")) for r in rows])
    coherent = correlation([number(d.get("coherent")) for d in given], [number(r.get("coherent")) for r in rows])
    misaligned = refusal_metrics([p == MISALIGNED for p in predicted_class], [t == MISALIGNED for t in truth_class])
    agreement = sum(p == t for p, t in zip(predicted_class, truth_class, strict=True)) / len(rows)
    return {
        "aligned": aligned,
        "coherent": coherent,
        "misaligned": misaligned,
        "class_agreement": agreement,
        "summary": (
            f"aligned Pearson {aligned['pearson']:.3f} (n={aligned['n_pairs']}), coherent Pearson "
            f"{coherent['pearson']:.3f}; misaligned precision {misaligned['precision']:.3f}, recall "
            f"{misaligned['recall']:.3f}; class agreement {agreement:.3f} (n={len(rows)})"
        ),
        "errors": [{"id": r.get("id"), "label": t, "predicted": p}
                   for r, p, t in zip(rows, predicted_class, truth_class, strict=True) if p != t],
    }
