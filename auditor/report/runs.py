"""Stored runs: read a run folder back (results.jsonl + summary.json) and re-summarize it."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from auditor.config import ScanConfig
from auditor.errors import ConfigError, DatasetError

RESULTS = "results.jsonl"
SUMMARY = "summary.json"


@dataclass
class StoredRun:
    path: Path
    summary: dict[str, Any]
    rows: list[dict[str, Any]]

    @property
    def config(self) -> dict[str, Any]:
        return self.summary.get("run", {}).get("config", {})

    @property
    def name(self) -> str:
        return self.path.name


def run_folder(path: str | Path) -> Path:
    """A run folder, or the folder of a results.jsonl / summary.json given directly."""
    path = Path(path)
    if path.is_file() and path.name in (RESULTS, SUMMARY):
        path = path.parent
    if not path.exists():
        raise ConfigError(f"run folder not found: {path}")
    if not path.is_dir():
        raise ConfigError(f"{path} is not a run folder (expected a folder with {RESULTS} and {SUMMARY})")
    if not (path / RESULTS).exists():
        raise ConfigError(f"{path} has no {RESULTS}: is it a run folder written by `auditor scan`?")
    return path


def read_rows(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path}:{number} is not valid JSON ({exc.msg})") from exc
            if not isinstance(row, dict):
                raise DatasetError(f"{path}:{number} is not a result row (expected a JSON object)")
            rows.append(row)
    return rows


def load_run(path: str | Path) -> StoredRun:
    folder = run_folder(path)
    rows = read_rows(folder / RESULTS)
    summary: dict[str, Any] = {}
    if (folder / SUMMARY).exists():
        try:
            summary = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{folder / SUMMARY} is not valid JSON ({exc.msg})") from exc
    return StoredRun(folder, summary, rows)


def stored_config(run: StoredRun) -> ScanConfig:
    """The run's configuration; keys this version does not know are ignored, not fatal."""
    known = {f.name for f in fields(ScanConfig)}
    data = {k: v for k, v in run.config.items() if k in known}
    if "model" not in data and run.summary.get("model"):
        data["model"] = run.summary["model"]
    if not data.get("model") and run.rows:
        data["model"] = run.rows[0].get("model", "")
    return ScanConfig.from_dict(data)


def resummarize(run: StoredRun) -> dict[str, Any]:
    """summarize() over the stored rows; sections summarize() does not produce (run metadata,
    utility, anything a plugin added) are kept from the stored summary."""
    from auditor.scan.aggregate import summarize
    from auditor.scan.attack_hooks import annotate_cells

    fresh = summarize(run.rows, stored_config(run))
    for key, value in run.summary.items():
        if key not in fresh and key != "gates":
            fresh[key] = value
    if isinstance(fresh.get("attacks"), dict):
        annotate_cells(fresh, fresh["attacks"])  # as the scan does: each attack's asr@k rule
    return fresh
