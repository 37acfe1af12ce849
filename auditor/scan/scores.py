"""Graded scores (a judge's numeric `score`): cell means with bootstrap intervals, paired bootstrap tests."""

from __future__ import annotations

from typing import Any

import pandas as pd

from auditor.stats import bootstrap_mean_interval, paired_bootstrap

SCORE_METRIC = "mean_score"
SCORE_COLUMN = "score_first"


def score_metric(items: pd.DataFrame) -> dict[str, Any] | None:
    """Mean first-attempt score over the cell's scored items, or None when no item has a score."""
    if SCORE_COLUMN not in items:
        return None
    scored = items[SCORE_COLUMN].dropna()
    if scored.empty:
        return None
    mean, low, high = bootstrap_mean_interval(scored.tolist())
    return {"value": mean, "low": low, "high": high, "n": int(len(scored)), "interval": "bootstrap"}


def paired_score_test(items: pd.DataFrame, key_a: tuple, key_b: tuple, cell_keys: list[str]) -> dict[str, Any] | None:
    """Paired bootstrap of b - a on the items scored in both cells."""
    if SCORE_COLUMN not in items:
        return None
    indexed = items.set_index(cell_keys)
    if key_a not in indexed.index or key_b not in indexed.index:
        return None
    a = indexed.loc[[key_a]].set_index("item_id")[SCORE_COLUMN].dropna()
    b = indexed.loc[[key_b]].set_index("item_id")[SCORE_COLUMN].dropna()
    shared = a.index.intersection(b.index)
    if not len(shared):
        return None
    test = paired_bootstrap(a.loc[shared].tolist(), b.loc[shared].tolist())
    return {
        "test": "paired-bootstrap",
        "metric": SCORE_METRIC,
        "n_shared": int(len(shared)),
        "rate_a": float(a.loc[shared].mean()),
        "rate_b": float(b.loc[shared].mean()),
        "diff": test["diff"],
        "low": test["low"],
        "high": test["high"],
        "p_value": test["p_value"],
    }


def score_comparisons(items: pd.DataFrame, cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each scored cell against its baselines (same as the McNemar comparisons, for graded scores)."""
    from auditor.scan.aggregate import CELL_KEYS, baselines_of

    out = []
    for cell in cells:
        if SCORE_METRIC not in cell["metrics"]:
            continue
        key = (cell["pipeline"], cell["attack"], cell["probe_set"])
        for axis, base_key in baselines_of(cell):
            test = paired_score_test(items, base_key, key, CELL_KEYS)
            if test:
                out.append({"axis": axis, "a": dict(zip(CELL_KEYS, base_key, strict=True)),
                            "b": dict(zip(CELL_KEYS, key, strict=True)), **test})
    return out
