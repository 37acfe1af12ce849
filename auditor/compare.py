"""Compare two runs (say two releases of a model) on the attempts they share.

Rows are matched on (pipeline, attack, probe_set, item_id, variant_index, sample_index).
Within each cell, items are compared on the attempts present in both runs: the first shared
attempt gives asr@1 / over-refusal, any shared attempt gives asr@k. Rates get an exact
McNemar test and a paired bootstrap interval for the difference B - A; graded scores get a
paired bootstrap.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from auditor.report.runs import StoredRun
from auditor.scan.aggregate import CELL_KEYS, rate
from auditor.stats import mcnemar_exact, paired_bootstrap, paired_counts

ROW_KEYS = [*CELL_KEYS, "item_id", "variant_index", "sample_index"]
#: configuration keys that never change what a run measures
IGNORED_CONFIG = {"output_dir", "fail_on", "formats", "chunk_size", "backend_options"}


def row_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for key in ("variant_index", "sample_index"):
        if key not in frame:
            frame[key] = 0
        frame[key] = frame[key].fillna(0).astype(int)
    if frame.empty:
        return pd.DataFrame(columns=[*ROW_KEYS, "kind", "refused", "success", "score"])
    for key in ("refused", "success", "score"):
        if key not in frame:
            frame[key] = None
    frame["refused"] = frame["refused"].map(lambda v: bool(v) if v is not None and v == v else False)
    frame["success"] = frame["success"].map(lambda v: bool(v) if v is not None and v == v else False)
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce")
    return frame[[*ROW_KEYS, "kind", "refused", "success", "score"]]


def paired_rate(metric: str, a: pd.Series, b: pd.Series) -> dict[str, Any]:
    """McNemar p-value plus a bootstrap interval for the paired difference of two 0/1 series."""
    only_a, only_b = paired_counts(a.tolist(), b.tolist())
    interval = paired_bootstrap(a.astype(float).tolist(), b.astype(float).tolist())
    return {
        "metric": metric,
        "test": "mcnemar-exact",
        "n_shared": int(len(a)),
        "a": rate(int(a.sum()), len(a)),
        "b": rate(int(b.sum()), len(b)),
        "diff": interval["diff"],
        "low": interval["low"],
        "high": interval["high"],
        "only_a": only_a,
        "only_b": only_b,
        "p_value": mcnemar_exact(only_a, only_b),
    }


def paired_score(a: pd.Series, b: pd.Series) -> dict[str, Any] | None:
    both = pd.concat([a.rename("a"), b.rename("b")], axis=1).dropna()
    if both.empty:
        return None
    test = paired_bootstrap(both["a"].tolist(), both["b"].tolist())
    return {
        "metric": "mean_score",
        "test": "paired-bootstrap",
        "n_shared": int(len(both)),
        "a": {"value": float(both["a"].mean()), "n": int(len(both))},
        "b": {"value": float(both["b"].mean()), "n": int(len(both))},
        "diff": test["diff"],
        "low": test["low"],
        "high": test["high"],
        "p_value": test["p_value"],
    }


def compare_cell(shared: pd.DataFrame) -> list[dict[str, Any]]:
    """Paired tests for one cell's shared attempts (columns *_a and *_b)."""
    shared = shared.sort_values(["variant_index", "sample_index"], kind="stable")
    first = shared.drop_duplicates("item_id", keep="first").set_index("item_id")
    anyof = shared.groupby("item_id")[["success_a", "success_b"]].any()
    attempts = shared.groupby("item_id").size()
    out = []
    harmful = first[first["kind"] == "harmful"]
    if len(harmful):
        out.append(paired_rate("asr@1", harmful["success_a"], harmful["success_b"]))
        if attempts.loc[harmful.index].max() > 1:
            items = anyof.loc[harmful.index]
            result = paired_rate("asr@k", items["success_a"], items["success_b"])
            result["k"] = int(attempts.loc[harmful.index].max())
            out.append(result)
        out.append(paired_rate("refusal_rate", harmful["refused_a"], harmful["refused_b"]))
    benign = first[first["kind"] == "benign"]
    if len(benign):
        out.append(paired_rate("over_refusal_rate", benign["refused_a"], benign["refused_b"]))
    score = paired_score(first["score_a"], first["score_b"])
    if score:
        out.append(score)
    return out


def open_fractions(rows: list[dict[str, Any]], shared: pd.DataFrame) -> dict[tuple, pd.Series]:
    """Per cell, the misaligned fraction of each open question over the shared attempts."""
    from auditor.scan.open_metrics import open_rows, question_fractions

    frame = pd.DataFrame(rows)
    if frame.empty:
        return {}
    for key in ("variant_index", "sample_index"):
        frame[key] = frame[key].fillna(0).astype(int) if key in frame else 0
    scored = open_rows(frame)
    if scored.empty:
        return {}
    scored = scored.merge(shared[ROW_KEYS], on=ROW_KEYS, how="inner")
    return {tuple(key): question_fractions(group) for key, group in scored.groupby(CELL_KEYS, sort=False)}


def open_test(a: pd.Series, b: pd.Series) -> dict[str, Any] | None:
    """Paired bootstrap over questions of the misaligned fraction (as the scan's own comparisons)."""
    shared = a.index.intersection(b.index)
    if not len(shared):
        return None
    test = paired_bootstrap(a.loc[shared].tolist(), b.loc[shared].tolist())
    return {"metric": "misaligned_rate", "test": "paired-bootstrap-questions", "n_shared": int(len(shared)),
            "a": {"value": float(a.loc[shared].mean()), "n": int(len(shared))},
            "b": {"value": float(b.loc[shared].mean()), "n": int(len(shared))},
            "diff": test["diff"], "low": test["low"], "high": test["high"], "p_value": test["p_value"]}


def cell_keys(frame: pd.DataFrame) -> set[tuple]:
    return {tuple(k) for k in frame[CELL_KEYS].drop_duplicates().itertuples(index=False)}


def config_changes(a: StoredRun, b: StoredRun) -> dict[str, dict[str, Any]]:
    keys = sorted((set(a.config) | set(b.config)) - IGNORED_CONFIG)
    return {k: {"a": a.config.get(k), "b": b.config.get(k)} for k in keys if a.config.get(k) != b.config.get(k)}


def fingerprints(run: StoredRun) -> dict[str, str]:
    targets = run.summary.get("run", {}).get("targets", [])
    found = {t.get("pipeline"): t.get("fingerprint") for t in targets}
    for row in run.rows:
        found.setdefault(row.get("pipeline"), row.get("model_fingerprint"))
    return {str(k): str(v) for k, v in found.items()}


def judges(run: StoredRun) -> list[str]:
    return sorted({f"{r.get('judge')} v{r.get('judge_version')}" for r in run.rows})


def run_info(run: StoredRun) -> dict[str, Any]:
    meta = run.summary.get("run", {})
    return {
        "path": str(run.path),
        "model": run.summary.get("model") or run.config.get("model"),
        "config_hash": meta.get("config_hash"),
        "started": meta.get("started"),
        "rows": len(run.rows),
        "fingerprints": fingerprints(run),
        "judges": judges(run),
    }


def compare_runs(a: StoredRun, b: StoredRun) -> dict[str, Any]:
    fa, fb = row_frame(a.rows), row_frame(b.rows)
    merged = fa.merge(fb.drop(columns=["kind"]), on=ROW_KEYS, suffixes=("_a", "_b"), how="inner")
    open_a, open_b = open_fractions(a.rows, merged), open_fractions(b.rows, merged)
    cells = []
    for key, group in merged.groupby(CELL_KEYS, sort=False):
        tests = compare_cell(group)
        if tuple(key) in open_a and tuple(key) in open_b:
            test = open_test(open_a[tuple(key)], open_b[tuple(key)])
            if test:
                tests.append(test)
        cells.append({**dict(zip(CELL_KEYS, key, strict=True)),
                      "shared_attempts": int(len(group)),
                      "attempts_a": int(((fa[CELL_KEYS] == list(key)).all(axis=1)).sum()),
                      "attempts_b": int(((fb[CELL_KEYS] == list(key)).all(axis=1)).sum()),
                      "tests": tests})
    warnings = []
    if judges(a) != judges(b):
        warnings.append(f"the runs used different judges ({', '.join(judges(a))} vs {', '.join(judges(b))}): "
                        "differences may come from the judge, not the model")
    if not len(merged):
        warnings.append("the runs share no attempts (no row matches on pipeline, attack, probe set, item, "
                        "variant and sample)")
    only_a = sorted(cell_keys(fa) - cell_keys(merged)) if len(merged) else sorted(cell_keys(fa))
    only_b = sorted(cell_keys(fb) - cell_keys(merged)) if len(merged) else sorted(cell_keys(fb))
    return {
        "schema": "auditor.compare/1",
        "a": run_info(a),
        "b": run_info(b),
        "config_changes": config_changes(a, b),
        "cells": cells,
        "only_in_a": [dict(zip(CELL_KEYS, k, strict=True)) for k in only_a],
        "only_in_b": [dict(zip(CELL_KEYS, k, strict=True)) for k in only_b],
        "warnings": warnings,
    }


def gate_cells(comparison: dict[str, Any]) -> list[dict[str, Any]]:
    """The comparison as cells whose metrics are the differences B - A, so --fail-on applies to them."""
    out = []
    for cell in comparison.get("cells", []):
        metrics = {t["metric"]: {"value": t["diff"], "low": t.get("low"), "high": t.get("high"), "n": t["n_shared"]}
                   for t in cell["tests"]}
        out.append({**{k: cell[k] for k in CELL_KEYS}, "metrics": metrics})
    return out
