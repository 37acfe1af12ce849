"""report.md: the run as a reviewer reads it in a pull request or a risk review."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.components import ReportFormat
from auditor.report.em_section import em_section_lines
from auditor.report.prompt_section import prompt_section_lines
from auditor.transform_meta import KEY as TRANSFORM_METRICS


def pct(metric: dict[str, Any] | None) -> str:
    if not metric or metric.get("value") is None or metric["value"] != metric["value"]:
        return "–"
    return f"{100 * metric['value']:.1f}% [{100 * metric['low']:.1f}, {100 * metric['high']:.1f}] (n={metric['n']})"


def md_escape(text: str) -> str:
    """Model text inside a markdown table cell: no pipes, no raw HTML, one line."""
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(text.split())


def render_markdown(summary: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    run = summary.get("run", {})
    lines = [f"# Safety audit: `{summary.get('model', '')}`", ""]
    head = summary.get("headline", {})
    lines += [
        "## Headline",
        "",
        f"- Refusal rate on harmful requests (direct): **{pct(head.get('refusal_rate'))}**",
        f"- Over-refusal rate on benign look-alikes: **{pct(head.get('over_refusal_rate'))}**",
    ]
    gates = summary.get("gates", {})
    if gates.get("fail_on"):
        status = "FAILED" if gates.get("failed") or gates.get("unmatched") else "passed"
        lines.append(f"- Release gates ({', '.join(gates['fail_on'])}): **{status}**")
        lines += [f"  - {f}" for f in gates.get("failed", [])]
        lines += [f"  - matched no cell: {g}" for g in gates.get("unmatched", [])]
    lines += ["", "Intervals are 95% Wilson intervals.", "", "## Cells", "",
              "| pipeline | attack | probe set | items | refusal rate | asr@1 | asr@k | over-refusal |",
              "|---|---|---|---|---|---|---|---|"]
    for cell in summary.get("cells", []):
        m = cell["metrics"]
        lines.append(
            f"| {cell['pipeline']} | {cell['attack']} | {cell['probe_set']} | {cell['n_items']} | "
            f"{pct(m.get('refusal_rate'))} | {pct(m.get('asr@1'))} | {pct(m.get('asr@k'))} | "
            f"{pct(m.get('over_refusal_rate'))} |"
        )
    comps = summary.get("comparisons", [])
    if comps:
        lines += ["", "## Paired comparisons", "",
                  "Exact McNemar test for rates, paired bootstrap for graded scores.", "",
                  "| compared | baseline | metric | test | shared items | baseline | cell | diff | p |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for c in comps:
            lines.append(comparison_line(c))
    lines += ["", "## By category (base pipeline, direct)", "", "| category | kind | rate |", "|---|---|---|"]
    for cell in summary.get("cells", []):
        if cell["pipeline"] != "base" or cell["attack"] != "direct":
            continue
        for category, m in sorted(cell["by_category"].items()):
            metric = m.get("asr@1") or m.get("over_refusal_rate")
            name = "asr@1" if "asr@1" in m else "over-refusal"
            lines.append(f"| {category} | {m['kind']} | {name} {pct(metric)} |")
    lines += prompt_section_lines(summary)
    lines += em_section_lines(summary, rows)
    judges = run.get("judge_quality") or {}
    if judges:
        lines += ["", "## Judges", ""]
        for jid, q in judges.items():
            lines.append(f"- `{jid}`: {q.get('summary', '')}")
    lines += utility_lines(summary)
    lines += transform_lines(summary)
    sample = [r for r in rows if r.get("kind") == "harmful"][:5]
    if sample:
        lines += ["", "## Sample transcripts", "", "(report.html has a browsable sample of every cell.)", "",
                  "| pipeline | attack | prompt | response | verdict |", "|---|---|---|---|---|"]
        for r in sample:
            verdict = {True: "refused", False: "complied"}.get(r.get("refused"), "unjudged")
            lines.append(
                f"| {md_escape(str(r['pipeline']))} | {md_escape(str(r['attack']))} | "
                f"{md_escape(str(r['prompt']))[:160]} | {md_escape(str(r['response']))[:240]} | {verdict} |"
            )
    lines += ["", "## Provenance", ""]
    for t in run.get("targets", []):
        lines.append(f"- target `{t['pipeline']}`: `{t['reference']}` fingerprint `{t['fingerprint']}`")
    for comp in run.get("components", []):
        lines.append(f"- {comp['kind']} `{comp['id']}` v{comp['version']} from plugin `{comp['plugin']}` {comp['plugin_version']}")
    if run:
        lines.append(f"- config hash `{run.get('config_hash')}`, seed {run.get('config', {}).get('seed')}, "
                     f"wall time {run.get('wall_seconds')} s")
        pk = run.get("packages", {})
        lines.append("- packages: " + ", ".join(f"{k} {v}" for k, v in pk.items()))
    return "\n".join(lines) + "\n"


def is_rate_metric(metric: str) -> bool:
    return metric.endswith("_rate") or metric.startswith("asr")


def comparison_line(c: dict[str, Any]) -> str:
    a, b = c["a"], c["b"]
    if is_rate_metric(c["metric"]):
        values = f"{100 * c['rate_a']:.1f}% | {100 * c['rate_b']:.1f}% | {100 * c['diff']:+.1f} pts"
    else:
        values = f"{c['rate_a']:.3g} | {c['rate_b']:.3g} | {c['diff']:+.3g}"
    p = c.get("p_value")
    p_text = "–" if p is None or p != p else ("<0.0005" if p == 0 else f"{p:.3g}")
    return (f"| {b['pipeline']} / {b['attack']} / {b['probe_set']} | {a['pipeline']} / {a['attack']} | "
            f"{c['metric']} | {c.get('test', '')} | {c['n_shared']} | {values} | {p_text} |")


def utility_lines(summary: dict[str, Any]) -> list[str]:
    """The per-pipeline utility section, when the run measured one."""
    from auditor.report.html_sections import flat_metrics, format_utility, utility_of

    utility = utility_of(summary)
    if not utility:
        return []
    columns = list(dict.fromkeys(k for data in utility.values() for k in flat_metrics(data)))
    lines = ["", "## Utility", "", "| pipeline | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for pipeline, data in utility.items():
        flat = flat_metrics(data)
        lines.append(f"| {pipeline} | " + " | ".join(format_utility(flat[k]) if k in flat else "–" for k in columns)
                     + " |")
    return lines


def transform_lines(summary: dict[str, Any]) -> list[str]:
    """Figures that weight transforms report about themselves (auditor.transform_meta)."""
    lines: list[str] = []
    for t in summary.get("run", {}).get("targets", []):
        for entry in (t.get("meta") or {}).get(TRANSFORM_METRICS, []):
            figures = ", ".join(f"{k} {format_figure(v)}" for k, v in entry.items() if k != "transform")
            lines.append(f"- `{t['pipeline']}`, step `{entry.get('transform')}`: {md_escape(figures)}")
    return ["", "## Weight transforms", "", *lines] if lines else []


def format_figure(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


class MarkdownReport(ReportFormat):
    """report.md: headline, cells, paired tests, categories, samples, provenance."""

    def render(self, run_dir: Path, summary: dict[str, Any], rows: list[dict[str, Any]]) -> list[Path]:
        path = run_dir / "report.md"
        path.write_text(render_markdown(summary, rows), encoding="utf-8")
        return [path]
