"""report.md section for prompt attacks: how asr@k was counted, and ASR per language."""

from __future__ import annotations

from typing import Any


def _pct(value: float | None) -> str:
    return "–" if value is None or value != value else f"{100 * value:.1f}%"


def _rate(metric: dict[str, Any] | None) -> str:
    if not metric or metric.get("value") is None or metric["value"] != metric["value"]:
        return "–"
    return f"{100 * metric['value']:.1f}% [{100 * metric['low']:.1f}, {100 * metric['high']:.1f}] (n={metric['n']})"


def _p(value: float | None) -> str:
    if value is None or value != value:
        return "–"
    return "<0.0005" if value == 0 else f"{value:.3g}"


def attack_note_lines(summary: dict[str, Any]) -> list[str]:
    notes = summary.get("attacks") or {}
    described = {a: n for a, n in notes.items() if set(n) - {"asr_at_k_rule"} or a != "direct"}
    if not described:
        return []
    lines = ["", "## Prompt attacks", ""]
    for attack, note in described.items():
        facts = []
        if note.get("helper"):
            facts.append(f"helper `{note['helper']}` at temperature {note.get('helper_temperature')}")
        if "translator" in note:
            facts.append(f"translator `{note['translator']}`" if note.get("translator") else "no translator")
        if note.get("judged_in"):
            facts.append(f"judged in {note['judged_in']}")
        sources = note.get("variant_sources")
        if sources:
            facts.append("variants: " + ", ".join(f"{n} {s}" for s, n in sorted(sources.items())))
        lines.append(f"- `{attack}`: {note.get('asr_at_k_rule', '')}" + (f" ({'; '.join(facts)})" if facts else ""))
    return lines


def language_lines(summary: dict[str, Any]) -> list[str]:
    cells = [c for c in summary.get("cells", []) if c.get("by_language") and c.get("attack") != "direct"]
    if not cells:
        return []
    lines = ["", "## By language", "",
             "ASR per request language, against the direct request on the same items (exact McNemar). "
             "Where responses were translated back before judging, the ASR from judging the original-language "
             "response is shown too.", "",
             "| pipeline | attack | probe set | language | asr | direct | gap | p | asr (original language) "
             "| verdicts differ |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    notes = summary.get("attacks") or {}
    for cell in cells:
        order = list(notes.get(cell["attack"], {}).get("languages") or [])
        ranked = sorted(cell["by_language"].items(),
                        key=lambda kv: (order.index(kv[0]) if kv[0] in order else len(order), kv[0]))
        for language, entry in ranked:
            gap = entry.get("gap_vs_direct") or {}
            gap_text = f"{100 * gap['gap']:+.1f} pts" if gap else "–"
            lines.append(
                f"| {cell['pipeline']} | {cell['attack']} | {cell['probe_set']} | {language} | "
                f"{_rate(entry.get('asr'))} | {_pct(gap.get('direct_asr'))} | {gap_text} | {_p(gap.get('p_value'))} | "
                f"{_rate(entry.get('asr_original_language'))} | {entry.get('verdicts_differ', '–')} |"
            )
    return lines


def prompt_section_lines(summary: dict[str, Any]) -> list[str]:
    return attack_note_lines(summary) + language_lines(summary)
