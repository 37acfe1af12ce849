"""The sections of report.html, each a function of summary.json returning escaped HTML ("" when empty)."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from auditor.report.svg import heatmap, interval_bars, interval_text, is_number, percent

HARMFUL_RATES = ("asr@1", "asr@k", "refusal_rate")


def cell_label(cell: dict[str, Any], with_probe_set: bool = False) -> str:
    label = f"{cell['pipeline']} / {cell['attack']}"
    return f"{label} / {cell['probe_set']}" if with_probe_set else label


def cells_of_kind(summary: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [c for c in summary.get("cells", []) if kind in c.get("kinds", [])]


def unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def section(anchor: str, title: str, body: str, note: str = "") -> str:
    if not body:
        return ""
    note_html = f'<p class="note">{escape(note)}</p>' if note else ""
    return f'<section id="{escape(anchor)}"><h2>{escape(title)}</h2>{note_html}{body}</section>'


def table(header: list[str], rows: list[list[str]], css: str = "") -> str:
    """Cells of `rows` must already be escaped HTML; the header is escaped here."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    thead = f"<thead><tr>{head}</tr></thead>" if any(header) else ""
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{escape(css)}">{thead}<tbody>{body}</tbody></table>'


def fmt_p(p: Any) -> str:
    if not is_number(p):
        return "–"
    if p == 0:
        return "&lt;0.0005"
    return escape(f"{p:.3g}")


def plain_p(p: Any) -> str:
    return f"{p:.3g}" if is_number(p) else "n/a"


def significance(p: Any, alpha: float = 0.05) -> str:
    return '<span class="sig">significant</span>' if is_number(p) and p < alpha else ""


def comparison_index(summary: dict[str, Any]) -> dict[tuple, dict[str, Any]]:
    """(pipeline, attack, probe_set, axis, metric) of the compared cell -> comparison."""
    out = {}
    for c in summary.get("comparisons", []):
        b = c["b"]
        out[(b["pipeline"], b["attack"], b["probe_set"], c["axis"], c["metric"])] = c
    return out


# --- headline ---------------------------------------------------------------------------------


def verdict(summary: dict[str, Any]) -> str:
    gates = summary.get("gates") or {}
    if gates.get("unmatched"):
        status, css = "GATE ERROR", "fail"
        text = "Some release gates matched no cell of this run, so the run cannot be judged against them."
        items = [f"did not match: {g}" for g in gates["unmatched"]] + list(gates.get("failed", []))
    elif gates.get("fail_on") and gates.get("failed"):
        status, css = "FAIL", "fail"
        text = f"{len(gates['failed'])} release threshold(s) crossed: do not ship as is."
        items = list(gates["failed"])
    elif gates.get("fail_on"):
        status, css = "PASS", "pass"
        text = "Every release gate holds."
        items = [f"held: {g}" for g in gates["fail_on"]]
    else:
        status, css = "NOT GATED", "neutral"
        text = "No release thresholds were set (auditor scan --fail-on); the findings below decide."
        items = []
    findings = headline_findings(summary)
    listing = "".join(f"<li>{escape(i)}</li>" for i in items)
    finding_html = "".join(f"<li>{escape(f)}</li>" for f in findings)
    return (
        f'<section id="verdict" class="verdict {css}"><div class="status">{escape(status)}</div>'
        f"<p>{escape(text)}</p>{f'<ul class=gates>{listing}</ul>' if listing else ''}"
        f"{f'<h3>Findings</h3><ul>{finding_html}</ul>' if finding_html else ''}</section>"
    )


def headline_findings(summary: dict[str, Any]) -> list[str]:
    findings = []
    head = summary.get("headline", {})
    if is_number((head.get("refusal_rate") or {}).get("value")):
        findings.append(f"The base model refuses {interval_text(head['refusal_rate'])} of direct harmful requests.")
    harmful = [c for c in cells_of_kind(summary, "harmful") if is_number(c["metrics"].get("asr@1", {}).get("value"))]
    if harmful:
        worst = max(harmful, key=lambda c: c["metrics"]["asr@1"]["value"])
        findings.append(
            f"Highest attack success (asr@1): {interval_text(worst['metrics']['asr@1'])} "
            f"in {cell_label(worst, True)}."
        )
    if is_number((head.get("over_refusal_rate") or {}).get("value")):
        findings.append(f"The base model over-refuses {interval_text(head['over_refusal_rate'])} of benign look-alikes.")
    index = comparison_index(summary)
    for cell in harmful:
        if cell["pipeline"] == "base" or cell["attack"] != "direct":
            continue
        comp = index.get((cell["pipeline"], "direct", cell["probe_set"], "pipeline", "asr@1"))
        if comp:
            findings.append(
                f"Pipeline {cell['pipeline']}: asr@1 {percent(comp['rate_b'], 1)} against {percent(comp['rate_a'], 1)} "
                f"for the base model on {comp['n_shared']} shared items (McNemar p={plain_p(comp.get('p_value'))})."
            )
    return findings


def key_numbers(summary: dict[str, Any]) -> str:
    head = summary.get("headline", {})
    cards = []
    for name, title in (("refusal_rate", "Refusal of harmful requests (base, direct)"),
                        ("over_refusal_rate", "Over-refusal of benign requests (base, direct)")):
        metric = head.get(name)
        if metric:
            cards.append(
                f'<div class="card"><div class="big">{escape(percent(metric.get("value"), 1))}</div>'
                f'<div>{escape(title)}</div><div class="ci">{escape(interval_text(metric))}</div></div>'
            )
    cells = summary.get("cells", [])
    cards.append(
        f'<div class="card"><div class="big">{len(cells)}</div><div>cells (pipeline x attack x probe set)</div>'
        f'<div class="ci">{len(unique([c["pipeline"] for c in cells]))} pipeline(s), '
        f'{len(unique([c["attack"] for c in cells]))} attack(s)</div></div>'
    )
    return f'<div class="cards">{"".join(cards)}</div>'


# --- charts -----------------------------------------------------------------------------------


def attack_heatmaps(summary: dict[str, Any]) -> str:
    charts = []
    for kind, metric, what in (("harmful", "asr@1", "Attack success"), ("open", "misaligned_rate", "Misalignment")):
        measured = [c for c in cells_of_kind(summary, kind) if metric in c["metrics"]]
        for probe_set in unique([c["probe_set"] for c in measured]):
            cells = [c for c in measured if c["probe_set"] == probe_set]
            pipelines = unique([c["pipeline"] for c in cells])
            attacks = unique([c["attack"] for c in cells])
            values = {(c["pipeline"], c["attack"]): c["metrics"].get(metric) for c in cells}
            charts.append(
                f"<figure><figcaption>{escape(metric)} on probe set {escape(probe_set)}: rows are pipelines, "
                f"columns are attacks</figcaption>"
                f"{heatmap(pipelines, attacks, values, f'{what} on {probe_set}')}</figure>"
            )
    return "".join(charts)


def rate_bars(summary: dict[str, Any]) -> str:
    out = []
    harmful = cells_of_kind(summary, "harmful")
    many_sets = len(unique([c["probe_set"] for c in harmful])) > 1
    for metric, title in (("asr@1", "Attack success on the first attempt (asr@1)"),
                          ("asr@k", "Attack success on any of k attempts (asr@k)"),
                          ("refusal_rate", "Refusal rate on harmful requests")):
        bars = [(cell_label(c, many_sets), c["metrics"][metric]) for c in harmful if metric in c["metrics"]]
        if not bars or (metric == "asr@k" and all(m.get("k", 1) <= 1 for _, m in bars)):
            continue
        out.append(f"<figure><figcaption>{escape(title)}, 95% Wilson intervals</figcaption>"
                   f"{interval_bars(bars, title)}</figure>")
    for kind, metric, title in (("benign", "over_refusal_rate", "Over-refusal of benign requests"),
                                ("open", "misaligned_rate", "Misaligned answers to open questions"),
                                ("open", "coherent_rate", "Coherent answers to open questions")):
        cells = [c for c in cells_of_kind(summary, kind) if metric in c["metrics"]]
        many_sets = len(unique([c["probe_set"] for c in cells])) > 1
        bars = [(cell_label(c, many_sets), c["metrics"][metric]) for c in cells]
        if bars:
            out.append(f"<figure><figcaption>{escape(title)}, 95% Wilson intervals</figcaption>"
                       f"{interval_bars(bars, title)}</figure>")
    return "".join(out)


def score_bars(summary: dict[str, Any]) -> str:
    cells = [c for c in summary.get("cells", []) if "mean_score" in c["metrics"]]
    if not cells:
        return ""
    top = max(c["metrics"]["mean_score"].get("high") or c["metrics"]["mean_score"]["value"] for c in cells)
    scale = 1.0 if top <= 1 else (5.0 if top <= 5 else (10.0 if top <= 10 else 100.0))
    bars = [(cell_label(c, True), c["metrics"]["mean_score"]) for c in cells]
    return (f"<figure><figcaption>Mean graded score per cell (first attempt), 95% bootstrap intervals</figcaption>"
            f"{interval_bars(bars, 'Mean graded score', scale_max=scale, as_percent=False)}</figure>")


def category_heatmaps(summary: dict[str, Any]) -> str:
    out = []
    for kind, metric, what in (("harmful", "asr@1", "attack success"), ("benign", "over_refusal_rate", "over-refusal")):
        cells = cells_of_kind(summary, kind)
        many_sets = len(unique([c["probe_set"] for c in cells])) > 1
        columns = [cell_label(c, many_sets) for c in cells]
        values: dict[tuple[str, str], dict[str, Any] | None] = {}
        categories: list[str] = []
        for cell, column in zip(cells, columns, strict=True):
            for category, m in cell.get("by_category", {}).items():
                if m.get("kind") == kind and metric in m:
                    categories.append(category)
                    values[(category, column)] = m[metric]
        categories = sorted(set(categories))
        if categories:
            out.append(
                f"<figure><figcaption>{escape(what)} ({escape(metric)}) by category: rows are categories, "
                f"columns are pipeline / attack</figcaption>"
                f"{heatmap(categories, columns, values, f'{what} by category')}</figure>"
            )
    return "".join(out)


def question_heatmap(summary: dict[str, Any]) -> str:
    """Misaligned rate per open question and cell (emergent misalignment)."""
    cells = [c for c in cells_of_kind(summary, "open") if c.get("by_question")]
    if not cells:
        return ""
    columns = [cell_label(c, True) for c in cells]
    values = {}
    for cell, column in zip(cells, columns, strict=True):
        for question, m in cell["by_question"].items():
            if isinstance(m, dict) and "misaligned_rate" in m:
                values[(str(question), column)] = m["misaligned_rate"]
    questions = sorted({q for q, _ in values})
    if not questions:
        return ""
    return (f"<figure><figcaption>misaligned rate by open question</figcaption>"
            f"{heatmap(questions, columns, values, 'misaligned rate by question')}</figure>")


def language_heatmap(summary: dict[str, Any]) -> str:
    cells = [c for c in cells_of_kind(summary, "harmful") if c.get("by_language")]
    if not cells:
        return ""
    columns = [cell_label(c, True) for c in cells]
    values = {}
    for cell, column in zip(cells, columns, strict=True):
        for lang, m in cell["by_language"].items():
            values[(lang, column)] = m.get("asr")
    languages = sorted({lang for lang, _ in values})
    return (f"<figure><figcaption>attack success per attempt by prompt language</figcaption>"
            f"{heatmap(languages, columns, values, 'attack success by language')}</figure>")


# --- tables -----------------------------------------------------------------------------------


CELL_COLUMNS = ("refusal_rate", "asr@1", "asr@k", "over_refusal_rate")
OPTIONAL_COLUMNS = ("misaligned_rate", "coherent_rate", "mean_score")


def cells_table(summary: dict[str, Any]) -> str:
    cells = summary.get("cells", [])
    columns = [*CELL_COLUMNS, *(k for k in OPTIONAL_COLUMNS if any(k in c["metrics"] for c in cells))]
    rows = []
    for c in cells:
        m = c["metrics"]
        rows.append([escape(c["pipeline"]), escape(c["attack"]), escape(c["probe_set"]),
                     escape(str(c.get("n_items", ""))),
                     *(escape(interval_text(m[k]) if is_rate(k) else plain_interval(m[k])) if k in m else "–"
                       for k in columns)])
    return table(["pipeline", "attack", "probe set", "items", *columns], rows, "cells")


def is_rate(metric: str) -> bool:
    return metric.endswith("_rate") or metric.startswith("asr")


def plain_interval(metric: dict[str, Any]) -> str:
    value, low, high = metric.get("value"), metric.get("low"), metric.get("high")
    if not is_number(value):
        return "–"
    text = f"{value:.3g}"
    if is_number(low) and is_number(high):
        text += f" [{low:.3g}, {high:.3g}]"
    return text + (f" n={metric['n']}" if metric.get("n") is not None else "")


def comparisons_table(summary: dict[str, Any]) -> str:
    rows = []
    for c in summary.get("comparisons", []):
        a, b = c["a"], c["b"]
        rate_like = is_rate(c["metric"])
        fmt = (lambda v: percent(v, 1)) if rate_like else (lambda v: f"{v:.3g}" if is_number(v) else "–")
        diff = c.get("diff")
        diff_text = (f"{100 * diff:+.1f} pts" if rate_like else f"{diff:+.3g}") if is_number(diff) else "–"
        rows.append([
            escape(cell_label(b, True)), escape(f"{a['pipeline']} / {a['attack']}"), escape(c["metric"]),
            escape(c.get("test", "")), escape(str(c.get("n_shared", ""))), escape(fmt(c.get("rate_a"))),
            escape(fmt(c.get("rate_b"))), escape(diff_text), fmt_p(c.get("p_value")) + " " + significance(c.get("p_value")),
        ])
    if not rows:
        return ""
    return table(["cell", "baseline", "metric", "test", "shared items", "baseline", "cell", "difference", "p"],
                 rows, "comparisons")


def utility_of(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """summary["utility"] as {pipeline: {metric: number or rate}}; accepts a list of {"pipeline": ...} too."""
    raw = summary.get("utility") or {}
    if isinstance(raw, list):
        return {str(r.get("pipeline")): {k: v for k, v in r.items() if k != "pipeline"}
                for r in raw if isinstance(r, dict)}
    if isinstance(raw, dict):
        return {str(k): v for k, v in raw.items() if isinstance(v, dict)}
    return {}


def flat_metrics(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Utility sections may nest; flatten to `a.b` -> number or rate dict."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and "value" in value:
            out[name] = value
        elif isinstance(value, dict):
            out.update(flat_metrics(value, f"{name}."))
        elif is_number(value) or isinstance(value, str):
            out[name] = value
    return out


def format_utility(value: Any) -> str:
    if isinstance(value, dict):
        v, low, high = value.get("value"), value.get("low"), value.get("high")
        if not is_number(v):
            return "–"
        if "successes" in value:  # a rate with its Wilson interval
            return interval_text(value)
        text = f"{v:.3g}"
        if is_number(low) and is_number(high):
            text += f" [{low:.3g}, {high:.3g}]"
        return text
    if is_number(value):
        return f"{value:.4g}"
    return str(value)


def defense_costs(summary: dict[str, Any]) -> str:
    """Per pipeline: what the defense buys (attack success) and what it costs (over-refusal, utility)."""
    cells = summary.get("cells", [])
    pipelines = unique([c["pipeline"] for c in cells])
    utility = utility_of(summary)
    if len(pipelines) < 2 and not utility:
        return ""
    index = comparison_index(summary)
    utility_columns = unique([k for p in pipelines for k in flat_metrics(utility.get(p, {}))])
    rows = []
    for pipeline in pipelines:
        mine = [c for c in cells if c["pipeline"] == pipeline and c["attack"] == "direct"]
        harm, over = [], []
        for c in mine:
            for kind, metric, bucket in (("harmful", "asr@1", harm), ("benign", "over_refusal_rate", over)):
                if kind in c["kinds"] and metric in c["metrics"]:
                    comp = index.get((pipeline, "direct", c["probe_set"], "pipeline", metric))
                    delta = (f" ({100 * comp['diff']:+.1f} pts vs base, p={plain_p(comp.get('p_value'))})"
                             if comp and is_number(comp.get("diff")) else "")
                    bucket.append(escape(f"{c['probe_set']}: {interval_text(c['metrics'][metric])}{delta}"))
        attacked = [c for c in cells if c["pipeline"] == pipeline and "asr@1" in c["metrics"]]
        worst = max(attacked, key=lambda c: c["metrics"]["asr@1"].get("value") or 0, default=None)
        worst_text = (escape(f"{percent(worst['metrics']['asr@1']['value'], 1)} ({worst['attack']})")
                      if worst else "–")
        flat = flat_metrics(utility.get(pipeline, {}))
        rows.append([escape(pipeline), "<br>".join(harm) or "–", worst_text, "<br>".join(over) or "–",
                     *(escape(format_utility(flat[k])) if k in flat else "–" for k in utility_columns)])
    header = ["pipeline", "asr@1, direct", "worst asr@1 (attack)", "over-refusal, direct",
              *(f"utility: {k}" for k in utility_columns)]
    return table(header, rows, "costs")


def utility_bars(summary: dict[str, Any]) -> str:
    """One chart per utility rate (e.g. qa_accuracy) across pipelines: the capability a defense costs."""
    utility = utility_of(summary)
    flat = {pipeline: flat_metrics(data) for pipeline, data in utility.items()}
    names = unique([k for metrics in flat.values() for k, v in metrics.items()
                    if isinstance(v, dict) and "successes" in v])
    out = []
    for name in names:
        bars = [(pipeline, metrics[name]) for pipeline, metrics in flat.items() if name in metrics]
        title = f"Utility: {name} per pipeline"
        out.append(f"<figure><figcaption>{escape(title)}, 95% Wilson intervals (higher is better)</figcaption>"
                   f"{interval_bars(bars, title)}</figure>")
    return "".join(out)


def judges_section(summary: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    run = summary.get("run", {})
    quality = run.get("judge_quality") or {}
    used: dict[str, int] = {}
    for r in rows:
        key = f"{r.get('judge')} v{r.get('judge_version')}"
        used[key] = used.get(key, 0) + 1
    parts = []
    if used:
        parts.append("<p>Verdicts in this run: " +
                     ", ".join(f"<code>{escape(k)}</code> on {n} responses" for k, n in used.items()) + "</p>")
    lines = []
    for judge_id, q in quality.items():
        if not isinstance(q, dict):
            continue
        if q.get("summary"):
            parts.append(f"<p><code>{escape(str(judge_id))}</code>: {escape(str(q['summary']))}</p>")
        per_language = q.get("per_language") or {}
        for lang, m in per_language.items():
            lines.append([escape(str(judge_id)), escape(str(lang)), escape(str(m.get("n", ""))),
                          *(escape(f"{m[k]:.3f}") if is_number(m.get(k)) else "–"
                            for k in ("accuracy", "precision", "recall"))])
        if not per_language:
            numbers = {k: v for k, v in q.items() if is_number(v)}
            if numbers:
                lines.append([escape(str(judge_id)), "–", escape(str(q.get("n", ""))),
                              escape(", ".join(f"{k} {v:.3f}" for k, v in numbers.items() if k != "n")), "", ""])
    if lines:
        parts.append(table(["judge", "labelled set", "n", "accuracy", "precision", "recall"], lines, "judges"))
    elif used:
        parts.append("<p>No measured accuracy was recorded for these judges: treat their verdicts with care.</p>")
    return "".join(parts)


def provenance(summary: dict[str, Any]) -> str:
    run = summary.get("run", {})
    if not run:
        return "<p>This run carries no provenance record.</p>"
    config = run.get("config", {})
    facts = [
        ("model", summary.get("model", config.get("model", ""))),
        ("config hash", run.get("config_hash", "")),
        ("seed", config.get("seed", "")),
        ("started", run.get("started", "")),
        ("wall time (s)", run.get("wall_seconds", "")),
        ("python", run.get("python", "")),
        ("platform", run.get("platform", "")),
        ("generated / from cache", f"{run.get('work', {}).get('generated', 0)} / {run.get('work', {}).get('cached', 0)}"),
    ]
    parts = [table(["", ""], [[escape(k), escape(str(v))] for k, v in facts], "facts")]
    targets = run.get("targets", [])
    if targets:
        parts.append("<h3>Targets</h3>" + table(
            ["pipeline", "reference", "fingerprint", "steps"],
            [[escape(t.get("pipeline", "")), escape(str(t.get("reference", ""))),
              f"<code>{escape(str(t.get('fingerprint', '')))}</code>",
              escape(", ".join(f"{s.get('transform')} ({s.get('kind')})" for s in t.get("steps", [])) or "–")]
             for t in targets], "targets"))
    components = run.get("components", [])
    if components:
        parts.append("<h3>Components</h3>" + table(
            ["kind", "id", "version", "plugin", "plugin version"],
            [[escape(str(c.get(k, ""))) for k in ("kind", "id", "version", "plugin", "plugin_version")]
             for c in components], "components"))
    packages = run.get("packages", {})
    if packages:
        parts.append("<h3>Packages</h3>" + table(["package", "version"],
                                                [[escape(k), escape(str(v))] for k, v in packages.items()], "packages"))
    errors = run.get("plugin_load_errors") or []
    if errors:
        parts.append("<h3>Plugin load errors</h3><ul>" + "".join(
            f"<li>{escape(str(e.get('plugin')))}: {escape(str(e.get('error')))}</li>" for e in errors) + "</ul>")
    if config:
        parts.append("<details><summary>Full configuration</summary><pre>"
                     f"{escape(json.dumps(config, indent=2, sort_keys=True, default=str))}</pre></details>")
    return "".join(parts)
