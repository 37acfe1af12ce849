"""Figures a transform reports about itself, carried in `Target.meta` into summary.json.

`Target.meta["transform_metrics"]` is a list, in chain order, of
{"transform": id, <figure>: <number or text>, ...}. `Target.describe()` writes it into
summary.json's `run.targets`, and report.md lists it per pipeline.
"""

from __future__ import annotations

from typing import Any

KEY = "transform_metrics"


def with_transform_metrics(meta: dict[str, Any], transform: str, metrics: dict[str, Any]) -> dict[str, Any]:
    """A copy of `meta` with one more entry for `transform` (JSON-serialisable values only)."""
    entries = [dict(e) for e in meta.get(KEY, [])]
    entries.append({"transform": transform, **metrics})
    return {**meta, KEY: entries}
