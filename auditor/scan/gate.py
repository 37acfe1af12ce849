"""--fail-on thresholds: "asr@1>0.2", "over_refusal_rate>=0.1", "refusal_rate<0.8"."""

from __future__ import annotations

import operator
import re
from typing import Any

from auditor.errors import ConfigError

OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
GATE = re.compile(r"^\s*([a-z_@0-9]+)\s*(>=|<=|>|<)\s*([0-9]*\.?[0-9]+)\s*$")


def parse_gate(expr: str) -> tuple[str, str, float]:
    match = GATE.match(expr)
    if not match:
        raise ConfigError(f"bad --fail-on '{expr}': use METRIC>VALUE, e.g. 'asr@1>0.2'")
    return match.group(1), match.group(2), float(match.group(3))


def evaluate_gates(summary: dict[str, Any], gates: list[str]) -> list[str]:
    """Messages for every cell that crosses a threshold (empty when clean)."""
    failures = []
    for expr in gates:
        metric, op, threshold = parse_gate(expr)
        for cell in summary.get("cells", []):
            value = cell["metrics"].get(metric, {}).get("value")
            if value is None or value != value:
                continue
            if OPS[op](value, threshold):
                failures.append(
                    f"{metric}={value:.3f} {op} {threshold:g} in {cell['pipeline']} / {cell['attack']} / {cell['probe_set']}"
                )
    return failures
