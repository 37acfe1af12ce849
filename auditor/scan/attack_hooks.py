"""The scan's calls into prompt attacks beyond `variants`: checks, batched postprocessing, notes.

- `check_attacks`: each attack sees its items before any model work and may refuse them
  with one clear ConfigError (a missing helper, a missing translation).
- `postprocess_responses`: responses as the judge should read them, one batch per attack
  (back-translation runs as one pass per language, not one call per row).
- `add_original_verdicts`: where postprocessing changed a response, the response as the
  model wrote it is judged too, and the row keeps both verdicts.
- `attack_notes`: what each attack reports about its run, and how its asr@k is counted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from auditor.components import PromptAttack
from auditor.types import Generation, ProbeItem, Verdict

if TYPE_CHECKING:
    from auditor.context import RunContext
    from auditor.scan.plan import Attempt


def applicable_items(attack: PromptAttack, items: Sequence[ProbeItem]) -> list[ProbeItem]:
    """The items `expand` sends through `attack` (the same rule as there)."""
    return [i for i in items if attack.id == "direct" or i.kind in attack.applies_to]


def check_attacks(ctx: RunContext, attacks: Sequence[PromptAttack], probe_sets: dict[str, list[ProbeItem]]) -> None:
    for attack in attacks:
        for items in probe_sets.values():
            applicable = applicable_items(attack, items)
            if applicable:
                attack.check(applicable, ctx.config.k, ctx)


def postprocess_responses(ctx: RunContext, attempts: Sequence[Attempt], generations: Sequence[Generation]) -> list[str]:
    responses = [g.text for g in generations]
    by_attack: dict[int, list[int]] = {}
    for i, attempt in enumerate(attempts):
        by_attack.setdefault(id(attempt.attack), []).append(i)
    for indices in by_attack.values():
        attack = attempts[indices[0]].attack
        judged = attack.postprocess_many([attempts[i].variant for i in indices],
                                         [generations[i].text for i in indices], ctx)
        for i, text in zip(indices, judged, strict=True):
            responses[i] = text
    return responses


JudgeFn = Callable[["RunContext", Any, list["Attempt"], list[str]], list[Verdict]]


def add_original_verdicts(
    ctx: RunContext,
    judge: Any,
    judge_fn: JudgeFn,
    attempts: Sequence[Attempt],
    generations: Sequence[Generation],
    responses: Sequence[str],
    rows: list[dict[str, Any]],
) -> None:
    """Judge the untranslated response where postprocessing changed it; record both verdicts."""
    changed = [i for i, (g, r) in enumerate(zip(generations, responses, strict=True)) if g.text != r]
    if not changed:
        return
    verdicts = judge_fn(ctx, judge, [attempts[i] for i in changed], [generations[i].text for i in changed])
    for i, verdict in zip(changed, verdicts, strict=True):
        row = rows[i]
        row["refused_original"] = verdict.refused
        row["verdict_original"] = verdict.to_dict()
        row["verdicts_differ"] = verdict.refused != row["refused"]


def attack_notes(attacks: Sequence[PromptAttack]) -> dict[str, dict[str, Any]]:
    notes = {}
    for attack in attacks:
        data = {"asr_at_k_rule": attack.asr_at_k_rule}
        data.update(attack.report_notes())
        notes[attack.id] = data
    return notes


def annotate_cells(summary: dict[str, Any], notes: dict[str, dict[str, Any]]) -> None:
    """Put each attack's asr@k rule next to the asr@k it qualifies."""
    for cell in summary.get("cells", []):
        rule = notes.get(cell.get("attack"), {}).get("asr_at_k_rule")
        metric = cell.get("metrics", {}).get("asr@k")
        if rule and isinstance(metric, dict):
            metric["rule"] = rule
