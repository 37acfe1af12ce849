"""--fail-on thresholds: "asr@1>0.2", "over_refusal_rate>=10%", "asr@1.high[pipeline=refusal-tuning]>0.2".

Grammar: METRIC[.BOUND][[KEY=VALUE,...]] OP NUMBER[%]

- METRIC: any metric a cell reports (asr@1, asr@k, refusal_rate, over_refusal_rate, mean_score, ...)
- BOUND: value (default), low or high: the point estimate or an end of its 95% interval
- KEY=VALUE: restrict the gate to cells whose pipeline, attack or probe_set equals VALUE
- OP: >, >=, <, <=; NUMBER may be negative (useful for differences in `auditor compare`)
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass, field
from typing import Any

from auditor.errors import ConfigError

OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
SELECTOR_KEYS = ("pipeline", "attack", "probe_set")
BOUNDS = ("value", "low", "high")
GATE = re.compile(
    r"^\s*(?P<metric>[a-z_][a-z_0-9]*(?:@[a-z0-9]+)?)"
    r"(?:\.(?P<bound>value|low|high))?"
    r"\s*(?:\[(?P<where>[^\]]*)\])?"
    r"\s*(?P<op>>=|<=|>|<)\s*(?P<number>-?[0-9]*\.?[0-9]+)\s*(?P<percent>%?)\s*$"
)
USAGE = "use METRIC>VALUE, e.g. 'asr@1>0.2', 'over_refusal_rate>=10%' or 'asr@1.high[pipeline=base]>0.5'"


@dataclass(frozen=True)
class Gate:
    """One parsed --fail-on threshold."""

    expr: str
    metric: str
    op: str
    threshold: float
    bound: str = "value"
    where: dict[str, str] = field(default_factory=dict)

    def applies_to(self, cell: dict[str, Any]) -> bool:
        return all(str(cell.get(key)) == value for key, value in self.where.items())

    def value_in(self, metrics: dict[str, Any]) -> float | None:
        """The gated number of a cell's metrics, or None when the cell lacks it (or it is NaN)."""
        value = (metrics.get(self.metric) or {}).get(self.bound)
        if value is None or value != value:
            return None
        return float(value)

    def crossed(self, value: float) -> bool:
        return OPS[self.op](value, self.threshold)

    @property
    def label(self) -> str:
        return self.metric if self.bound == "value" else f"{self.metric}.{self.bound}"


def parse(expr: str) -> Gate:
    """Parse one --fail-on expression; a ConfigError (exit code 2) names what is wrong."""
    match = GATE.match(expr or "")
    if not match:
        raise ConfigError(f"bad --fail-on '{expr}': {USAGE}")
    where: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in (match.group("where") or "").split(","))):
        key, sep, value = part.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in SELECTOR_KEYS or not value.strip():
            raise ConfigError(
                f"bad --fail-on '{expr}': selectors are KEY=VALUE with KEY one of {', '.join(SELECTOR_KEYS)}"
            )
        where[key] = value.strip()
    threshold = float(match.group("number"))
    if match.group("percent"):
        threshold /= 100
    return Gate(expr.strip(), match.group("metric"), match.group("op"), threshold,
                match.group("bound") or "value", where)


def parse_gate(expr: str) -> tuple[str, str, float]:
    """(metric, operator, threshold) of an expression (kept for callers that need only these)."""
    gate = parse(expr)
    return gate.metric, gate.op, gate.threshold


def describe_cell(cell: dict[str, Any]) -> str:
    return f"{cell['pipeline']} / {cell['attack']} / {cell['probe_set']}"


def evaluate_gates(summary: dict[str, Any], gates: list[str]) -> list[str]:
    """Messages for every cell that crosses a threshold (empty when clean)."""
    failures = []
    for expr in gates:
        gate = parse(expr)
        for cell in summary.get("cells", []):
            if not gate.applies_to(cell):
                continue
            value = gate.value_in(cell["metrics"])
            if value is not None and gate.crossed(value):
                failures.append(f"{gate.label}={value:.3f} {gate.op} {gate.threshold:g} in {describe_cell(cell)}")
    return failures


def unmatched_gates(summary: dict[str, Any], gates: list[str]) -> list[str]:
    """Gates that no cell can answer (a misspelt metric or selector): they would pass silently."""
    out = []
    for expr in gates:
        gate = parse(expr)
        if not any(gate.applies_to(c) and gate.value_in(c["metrics"]) is not None for c in summary.get("cells", [])):
            out.append(expr)
    return out


def available_metrics(summary: dict[str, Any]) -> list[str]:
    return sorted({m for c in summary.get("cells", []) for m in c.get("metrics", {})})


def unmatched_message(summary: dict[str, Any], unmatched: list[str]) -> str:
    return (f"--fail-on {', '.join(repr(u) for u in unmatched)} matched no cell of this run "
            f"(metrics here: {', '.join(available_metrics(summary)) or 'none'}); "
            "check the metric name and selectors")
