"""The result of `auditor compare` as a terminal table and as markdown."""

from __future__ import annotations

import json
from typing import Any

from auditor.report.markdown import md_escape


def is_rate(metric: str) -> bool:
    return metric.endswith("_rate") or metric.startswith("asr")


def fmt_value(test: dict[str, Any], side: str) -> str:
    value = test[side].get("value")
    if value is None or value != value:
        return "–"
    return f"{100 * value:.1f}%" if is_rate(test["metric"]) else f"{value:.3g}"


def fmt_diff(test: dict[str, Any]) -> str:
    diff, low, high = test.get("diff"), test.get("low"), test.get("high")
    if diff is None or diff != diff:
        return "–"
    if is_rate(test["metric"]):
        return f"{100 * diff:+.1f} [{100 * low:+.1f}, {100 * high:+.1f}] pts"
    return f"{diff:+.3g} [{low:+.3g}, {high:+.3g}]"


def fmt_p(p: float | None) -> str:
    if p is None or p != p:
        return "–"
    return "<0.0005" if p == 0 else f"{p:.3g}"


def table_rows(comparison: dict[str, Any], alpha: float) -> list[list[str]]:
    rows = []
    for cell in comparison.get("cells", []):
        for t in cell["tests"]:
            flag = "*" if t.get("p_value") is not None and t["p_value"] < alpha else ""
            rows.append([f"{cell['pipeline']} / {cell['attack']} / {cell['probe_set']}", t["metric"],
                         str(t["n_shared"]), fmt_value(t, "a"), fmt_value(t, "b"), fmt_diff(t),
                         fmt_p(t.get("p_value")) + flag])
    return rows


HEADER = ["cell", "metric", "shared", "A", "B", "B - A [95% CI]", "p"]


def text_table(comparison: dict[str, Any], alpha: float = 0.05) -> str:
    rows = [HEADER, *table_rows(comparison, alpha)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_compare_markdown(comparison: dict[str, Any], alpha: float = 0.05) -> str:
    a, b = comparison["a"], comparison["b"]
    lines = ["# Run comparison", "",
             f"- A: `{md_escape(str(a['path']))}` ({md_escape(str(a.get('model')))}, config `{a.get('config_hash')}`)",
             f"- B: `{md_escape(str(b['path']))}` ({md_escape(str(b.get('model')))}, config `{b.get('config_hash')}`)",
             "", "Paired on the attempts both runs made; differences are B - A with a 95% paired bootstrap "
             f"interval; p from the exact McNemar test (rates) or the paired bootstrap (scores); * marks p < {alpha:g}.",
             "", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in table_rows(comparison, alpha):
        lines.append("| " + " | ".join(md_escape(c) for c in row) + " |")
    changes = comparison.get("config_changes") or {}
    if changes:
        lines += ["", "## What changed between the runs", ""]
        for key, change in changes.items():
            lines.append(f"- `{key}`: `{md_escape(json.dumps(change['a'], default=str))}` -> "
                         f"`{md_escape(json.dumps(change['b'], default=str))}`")
    fa, fb = a.get("fingerprints", {}), b.get("fingerprints", {})
    for pipeline in sorted(set(fa) & set(fb)):
        if fa[pipeline] != fb[pipeline]:
            lines.append(f"- model `{pipeline}`: fingerprint `{fa[pipeline]}` -> `{fb[pipeline]}`")
    for side, key in (("A", "only_in_a"), ("B", "only_in_b")):
        if comparison.get(key):
            cells = ", ".join(f"{c['pipeline']} / {c['attack']} / {c['probe_set']}" for c in comparison[key])
            lines += ["", f"Cells only in {side} (not compared): {md_escape(cells)}"]
    for warning in comparison.get("warnings", []):
        lines += ["", f"> Warning: {md_escape(warning)}"]
    gates = comparison.get("gates") or {}
    if gates.get("fail_on"):
        status = "FAILED" if gates.get("failed") or gates.get("unmatched") else "passed"
        lines += ["", f"Gates on B - A ({', '.join(gates['fail_on'])}): **{status}**"]
        lines += [f"- {md_escape(f)}" for f in gates.get("failed", [])]
    return "\n".join(lines) + "\n"
