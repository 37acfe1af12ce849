"""Measured figures of a judge, kept in the cache so that reports can cite them.

`auditor judge-eval` stores what it measured under the judge's cache identity (its id,
version, model fingerprint, rubrics and options). A scan that uses the same judge finds
the figures through `Judge.measured_quality()`; a model-based judge without figures is
flagged in the report as uncalibrated.
"""

from __future__ import annotations

from typing import Any

from auditor.types import stable_hash

NAMESPACE = "judge-quality"


def quality_key(judge: Any) -> str:
    return stable_hash(judge.cache_identity(), length=32)


def save_quality(store: Any, judge: Any, record: dict[str, Any]) -> None:
    """Merge one labelled set's figures into the judge's stored record."""
    key = quality_key(judge)
    current = store.get(NAMESPACE, key) or {"sets": {}}
    current["sets"][record["labels"]] = record
    current["summary"] = "; ".join(f"{name}: {r['summary']}" for name, r in sorted(current["sets"].items()))
    store.put(NAMESPACE, key, current)


def load_quality(store: Any, judge: Any) -> dict[str, Any] | None:
    return store.get(NAMESPACE, quality_key(judge))


def uncalibrated(judge_label: str, judge_id: str) -> dict[str, Any]:
    return {
        "uncalibrated": True,
        "judge": judge_label,
        "summary": (
            f"UNCALIBRATED JUDGE: {judge_label} has not been measured against labelled data; its "
            f"numbers are unvalidated (measure it with `auditor judge-eval --judge {judge_id}` and the "
            "same -O options)."
        ),
    }


#: below these, a measured judge is reported as unreliable
MIN_ACCURACY = 0.8
MIN_CLASS_AGREEMENT = 0.6
MIN_CORRELATION = 0.5


def shortfalls(record: dict[str, Any]) -> list[str]:
    """What a stored record's labelled sets measured below the bar, e.g. ['em-scores: class agreement 0.00']."""
    out = []
    for name, r in sorted(record.get("sets", {}).items()):
        checks = [("accuracy", r.get("accuracy"), MIN_ACCURACY),
                  ("class agreement", r.get("class_agreement"), MIN_CLASS_AGREEMENT),
                  ("Pearson", r.get("pearson"), MIN_CORRELATION)]
        for label, value, bar in checks:
            if isinstance(value, int | float) and (value != value or value < bar):
                out.append(f"{name}: {label} {value:.2f} < {bar}")
    return out


def stored_or_uncalibrated(judge: Any, store: Any, judge_label: str) -> dict[str, Any]:
    """The judge's stored figures (flagged unreliable when below the bar), or an uncalibrated flag."""
    if store is None:
        from auditor.store import Store

        store = Store()
    found = load_quality(store, judge)
    if not found:
        return uncalibrated(judge_label, judge.id or "judge")
    low = shortfalls(found)
    out = {**found, "uncalibrated": False, "unreliable": bool(low), "judge": judge_label}
    if low:
        out["summary"] = f"UNRELIABLE JUDGE ({'; '.join(low)}): {found.get('summary', '')}"
    return out
