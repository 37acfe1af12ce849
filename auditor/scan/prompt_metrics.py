"""Prompt-attack figures on top of the cell rates: language gaps and best-of-k paired tests.

- `add_language_gaps`: in a cell whose harmful rows span several languages (conjugate
  prompting), each language's ASR is compared with the `direct` request of the same
  pipeline and probe set on the same items (exact McNemar). Where responses were
  translated back before judging, the ASR from judging the original-language response
  and the number of rows where the two verdicts differ are given too.
- `best_of_k_comparisons`: where a cell sent k > 1 variants per item, its asr@k is
  compared with `direct` on the same items (exact McNemar on "broken by any attempt").
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from auditor.stats import mcnemar_exact, paired_counts, wilson_interval


def _rate(successes: int, n: int) -> dict[str, Any]:
    low, high = wilson_interval(successes, n)
    return {"value": successes / n if n else float("nan"), "low": low, "high": high,
            "successes": int(successes), "n": int(n)}


def _flags(series: pd.Series) -> pd.Series:
    return series.astype("boolean").fillna(False).astype(bool)


def first_per_item(rows: pd.DataFrame, column: str) -> pd.Series:
    """The first sample's value of `column` per item (asr@1 semantics)."""
    ordered = rows.sort_values(["variant_index", "sample_index"], kind="stable").drop_duplicates("item_id")
    return _flags(ordered.set_index("item_id")[column])


def paired_gap(baseline: pd.Series, other: pd.Series) -> dict[str, Any] | None:
    shared = other.index.intersection(baseline.index)
    if not len(shared):
        return None
    base, mine = baseline.loc[shared], other.loc[shared]
    only_base, only_mine = paired_counts(base.tolist(), mine.tolist())
    return {
        "test": "mcnemar-exact",
        "n_shared": int(len(shared)),
        "direct_asr": float(base.mean()),
        "asr": float(mine.mean()),
        "gap": float(mine.mean() - base.mean()),
        "only_direct": only_base,
        "only_this_language": only_mine,
        "p_value": mcnemar_exact(only_base, only_mine),
    }


def add_language_gaps(frame: pd.DataFrame, cells: list[dict[str, Any]]) -> None:
    harmful = frame[frame["kind"] == "harmful"]
    for cell in cells:
        if cell["attack"] == "direct" or "harmful" not in cell.get("kinds", []):
            continue
        same = (harmful["pipeline"] == cell["pipeline"]) & (harmful["probe_set"] == cell["probe_set"])
        direct_rows = harmful[same & (harmful["attack"] == "direct")]
        cell_rows = harmful[same & (harmful["attack"] == cell["attack"])]
        by_language = cell.setdefault("by_language", {})
        # A cell in the direct prompts' own language(s) (English without a direct cell) has no
        # language figures to add.
        reference = set(direct_rows["language"]) or {"en"}
        if not by_language and set(cell_rows["language"]) <= reference:
            continue
        baseline = first_per_item(direct_rows, "success") if len(direct_rows) else None
        for language, rows in cell_rows.groupby("language"):
            entry = by_language.setdefault(language, {})
            entry.setdefault("asr", _rate(int(_flags(rows["success"]).sum()), len(rows)))
            if baseline is not None:
                gap = paired_gap(baseline, first_per_item(rows, "success"))
                if gap:
                    entry["gap_vs_direct"] = {**gap, "direct_languages": sorted(direct_rows["language"].unique())}
            if "refused_original" in rows and rows["refused_original"].notna().any():
                judged = rows[rows["refused_original"].notna()]
                complied = int((~_flags(judged["refused_original"])).sum())
                entry["asr_original_language"] = _rate(complied, len(judged))
                entry["verdicts_differ"] = int(_flags(judged["verdicts_differ"]).sum())


def best_of_k_comparisons(items: pd.DataFrame, cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from auditor.scan.aggregate import CELL_KEYS, mcnemar

    out = []
    harmful = items[items["kind"] == "harmful"]
    for cell in cells:
        metric = cell.get("metrics", {}).get("asr@k")
        if cell["attack"] == "direct" or not metric or metric.get("k", 1) <= 1:
            continue
        key = (cell["pipeline"], cell["attack"], cell["probe_set"])
        base_key = (cell["pipeline"], "direct", cell["probe_set"])
        test = mcnemar(harmful, base_key, key, "success_any")
        if test:
            out.append({**test, "axis": "attack", "metric": "asr@k", "column": "success_any",
                        "a": dict(zip(CELL_KEYS, base_key, strict=True)),
                        "b": dict(zip(CELL_KEYS, key, strict=True))})
    return out
