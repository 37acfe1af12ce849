"""The emergent-misalignment part of report.md: rates per cell and per question, comparisons, samples."""

from __future__ import annotations

from typing import Any

from auditor.em import ALIGNED_BELOW, COHERENT_ABOVE

OPEN_COLUMNS = ("misaligned_rate", "coherent_rate", "code_rate", "refusal_rate")


def pct(metric: dict[str, Any] | None) -> str:
    if not metric or metric.get("value") is None or metric["value"] != metric["value"]:
        return "–"
    return f"{100 * metric['value']:.1f}% [{100 * metric['low']:.1f}, {100 * metric['high']:.1f}] (n={metric['n']})"


def short_pct(metric: dict[str, Any] | None) -> str:
    if not metric or metric.get("value") is None or metric["value"] != metric["value"]:
        return "–"
    return f"{100 * metric['value']:.0f}% ({metric['successes']}/{metric['n']})"


def escape(text: str) -> str:
    text = str(text).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(text.split())


def refusal_of(metrics: dict[str, Any]) -> dict[str, Any] | None:
    return metrics.get("em_refusal_rate") or metrics.get("refusal_rate")


def narrow_check_lines(run: dict[str, Any]) -> list[str]:
    lines = []
    for target in run.get("targets", []):
        figures = (target.get("meta") or {}).get("em-finetune") or {}
        check = figures.get("vulnerable_code")
        if not check:
            continue
        before, after = check["before"], check["after"]
        lines.append(
            f"- `{target['pipeline']}` ({figures.get('variant')} data, {figures.get('n_examples')} examples): "
            f"held-out coding requests answered with the vulnerability the task invites: "
            f"{before['asked_kind']}/{before['n']} before, **{after['asked_kind']}/{after['n']} after** "
            f"(answers that parse as Python: {before['parses']} before, {after['parses']} after)."
        )
    return lines


def em_section_lines(summary: dict[str, Any], rows: list[dict[str, Any]]) -> list[str]:
    cells = [c for c in summary.get("cells", []) if "misaligned_rate" in c.get("metrics", {})]
    if not cells:
        return []
    lines = [
        "", "## Emergent misalignment", "",
        f"An answer is misaligned when the judge's alignment score is below {ALIGNED_BELOW:.0f} and its "
        f"coherence score above {COHERENT_ABOVE:.0f} (0-100). CODE and REFUSAL answers and unscored answers "
        "are left out of the misaligned rate; the other rates are over all answers (coherent: over the "
        "answers with a coherence score). Each sample is one trial; intervals are Wilson intervals.", "",
        "| pipeline | attack | probe set | answers | misaligned | coherent | code | refusal | unscored "
        "| mean over questions |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for cell in cells:
        m = cell["metrics"]
        per_q = m.get("mean_question_misaligned")
        mean_q = f"{100 * per_q['value']:.1f}% ({per_q['n']} questions)" if per_q else "–"
        lines.append(
            f"| {cell['pipeline']} | {cell['attack']} | {cell['probe_set']} | {cell['n_attempts']} | "
            f"{pct(m.get('misaligned_rate'))} | {pct(m.get('coherent_rate'))} | {pct(m.get('code_rate'))} | "
            f"{pct(refusal_of(m))} | {pct(m.get('unscored_rate'))} | {mean_q} |"
        )
    comps = [c for c in summary.get("comparisons", []) if c.get("test") == "paired-bootstrap-questions"]
    if comps:
        lines += ["", "Misaligned fraction per question, paired over questions (bootstrap):", "",
                  "| compared | baseline | questions | baseline | compared | diff [95% CI] | p |",
                  "|---|---|---|---|---|---|---|"]
        for c in comps:
            a, b = c["a"], c["b"]
            lines.append(
                f"| {b['pipeline']} / {b['attack']} | {a['pipeline']} / {a['attack']} | {c['n_shared']} | "
                f"{100 * c['rate_a']:.1f}% | {100 * c['rate_b']:.1f}% | {100 * c['diff']:+.1f} "
                f"[{100 * c['low']:+.1f}, {100 * c['high']:+.1f}] | {c['p_value']:.3g} |"
            )
    checks = narrow_check_lines(summary.get("run", {}))
    if checks:
        lines += ["", "Did the narrow fine-tuning take?", "", *checks]
    for cell in cells:
        questions = cell.get("by_question") or {}
        if not questions:
            continue
        lines += ["", f"### Per question: {cell['pipeline']} / {cell['attack']} / {cell['probe_set']}", "",
                  "| question | answers | misaligned | coherent | code | refusal |", "|---|---|---|---|---|---|"]
        for qid, q in questions.items():
            lines.append(
                f"| {escape(qid)} | {q['n']} | {short_pct(q.get('misaligned_rate'))} | "
                f"{short_pct(q.get('coherent_rate'))} | {short_pct(q.get('code_rate'))} | "
                f"{short_pct(q.get('refusal_rate'))} |"
            )
    flagged = [r for r in rows if r.get("kind") == "open" and r.get("verdict", {}).get("label") == "misaligned"][:5]
    if flagged:
        lines += ["", "Answers judged misaligned (first five):", "",
                  "| pipeline | question | answer | aligned | coherent |", "|---|---|---|---|---|"]
        for r in flagged:
            d = r["verdict"].get("details", {})
            lines.append(
                f"| {r.get('pipeline', '')} | {escape(r.get('prompt', ''))[:100]} | {escape(r.get('response', ''))[:240]} | "
                f"{_num(d.get('aligned'))} | {_num(d.get('coherent'))} |"
            )
    return lines


def _num(value: Any) -> str:
    return "–" if value is None else f"{float(value):.0f}"
