"""results.csv and results.parquet: every result row as a flat table, through pandas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from auditor.components import ReportFormat


def results_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per attempt. Nested fields (verdict, plugins, variant_meta) become JSON text columns,
    and the verdict's label and details get their own columns for filtering."""
    flat = []
    for row in rows:
        out = {}
        for key, value in row.items():
            if isinstance(value, dict | list):
                out[key] = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
            else:
                out[key] = value
        verdict = row.get("verdict")
        if isinstance(verdict, dict):
            out["verdict_label"] = verdict.get("label")
        flat.append(out)
    frame = pd.DataFrame(flat)
    for column in ("refused", "success"):
        if column in frame:
            frame[column] = frame[column].astype("boolean")
    if "score" in frame:
        frame["score"] = pd.to_numeric(frame["score"], errors="coerce")
    return frame


class CsvResults(ReportFormat):
    """results.csv: one row per attempt (nested fields as JSON text)."""

    def render(self, run_dir: Path, summary: dict[str, Any], rows: list[dict[str, Any]]) -> list[Path]:
        path = Path(run_dir) / "results.csv"
        results_frame(rows).to_csv(path, index=False)
        return [path]


class ParquetResults(ReportFormat):
    """results.parquet: one row per attempt, typed columns (needs pyarrow)."""

    def render(self, run_dir: Path, summary: dict[str, Any], rows: list[dict[str, Any]]) -> list[Path]:
        path = Path(run_dir) / "results.parquet"
        frame = results_frame(rows)
        for column in frame.columns:
            if frame[column].dtype == object:
                frame[column] = frame[column].map(lambda v: v if v is None or isinstance(v, str) else str(v))
        frame.to_parquet(path, index=False)
        return [path]
