"""summary.json: the machine-readable result of a run."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from auditor.components import ReportFormat


def clean(obj: Any) -> Any:
    """NaN is not JSON: write null."""
    if isinstance(obj, float) and math.isnan(obj):
        return None
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean(v) for v in obj]
    return obj


class SummaryJson(ReportFormat):
    """summary.json with every cell, comparison and the run's provenance."""

    def render(self, run_dir: Path, summary: dict[str, Any], rows: list[dict[str, Any]]) -> list[Path]:
        path = run_dir / "summary.json"
        path.write_text(json.dumps(clean(summary), indent=2, ensure_ascii=False))
        return [path]
