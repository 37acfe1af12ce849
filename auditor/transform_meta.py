"""Figures a transform reports about itself, carried in `Target.meta` into summary.json.

`Target.meta["transform_metrics"]` is a list, in chain order, of
{"transform": id, <figure>: <number or text>, ...}. `Target.describe()` writes it into
summary.json's `run.targets`, and report.md lists it per pipeline.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.context import RunContext
    from auditor.target import Target

KEY = "transform_metrics"
META_FILE = "auditor_adapter.json"


def with_transform_metrics(meta: dict[str, Any], transform: str, metrics: dict[str, Any]) -> dict[str, Any]:
    """A copy of `meta` with one more entry for `transform` (JSON-serialisable values only)."""
    entries = [dict(e) for e in meta.get(KEY, [])]
    entries.append({"transform": transform, **metrics})
    return {**meta, KEY: entries}


def utility_figures(ctx: RunContext, before: Target, after: Target) -> dict[str, Any]:
    """Perplexity and QA accuracy (auditor.utility) of the target before and after a transform."""
    from auditor.utility import measure_utility

    out: dict[str, Any] = {}
    for label, target in (("before", before), ("after", after)):
        measured = measure_utility(target, ctx)
        perplexity = measured.get("perplexity")
        out[f"perplexity_{label}"] = round(perplexity, 3) if perplexity is not None else None
        out[f"qa_accuracy_{label}"] = measured["qa_accuracy"]["value"]
    return out


def record_figures(folder: Path, transform: str, figures: dict[str, Any]) -> None:
    """Write the figures into the step folder's auditor_adapter.json under `transform`, atomically.

    auditor_* files are not part of a folder's fingerprint, so this changes no cache key.
    """
    meta_file = Path(folder) / META_FILE
    meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
    if meta.get(transform) == figures:
        return
    meta[transform] = figures
    tmp = meta_file.with_name(f".{META_FILE}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(meta, indent=2, ensure_ascii=False))
    os.replace(tmp, meta_file)
