"""Where weight-level plugins get their training data at run time.

- `train_split_items`: the harmful items a transform may train on (the `train` split only;
  evaluation items and benign over-refusal probes are never returned).
- `generate_answers`: a model's own answers to prompts, through the run context's cached
  generation (self-distillation for utility data, or a donor model's answers).
- `shipped_rows`: rows of a jsonl file shipped in auditor/data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from auditor.errors import DatasetError
from auditor.types import GenerationRequest, ProbeItem

if TYPE_CHECKING:
    from auditor.context import RunContext
    from auditor.target import Target

#: the original request plus the variant names the built-in harmful set ships
ALL_VARIANTS = ("original", "past-tense", "future-tense", "fr", "de", "ja", "hu", "sw")


def train_split_items(ctx: RunContext, reference: str = "harmful", kind: str = "harmful") -> list[ProbeItem]:
    """Items of `reference` (a probe set id or file) with split == "train" and the given kind."""
    from auditor.probes import load_probe_reference

    name, items = load_probe_reference(reference, ctx.host.registry("probe"), None)
    chosen = [i for i in items if i.split == "train" and i.kind == kind]
    if not chosen:
        raise DatasetError(
            f"probe set '{name}' has no {kind} items in the train split; training never uses eval items "
            "(give the file a 'split' column with 'train' rows)"
        )
    return chosen


def item_prompts(item: ProbeItem, variants: Sequence[str]) -> list[tuple[str, str, str]]:
    """(variant name, prompt text, language) for each requested variant the item has."""
    out = []
    for name in variants:
        if name == "original":
            out.append(("original", item.text, item.language))
        elif name in item.variants and item.variants[name].strip():
            language = name if len(name) == 2 else item.language
            out.append((name, item.variants[name], language))
    return out


def parse_variants(value: Any) -> tuple[str, ...]:
    """'all', a comma-separated string or a list -> variant names."""
    if value in (None, "", "all"):
        return ALL_VARIANTS
    names = [v.strip() for v in (value.split(",") if isinstance(value, str) else value) if str(v).strip()]
    if not names:
        raise DatasetError("variants: name at least one of " + ", ".join(ALL_VARIANTS))
    return tuple(names)


def generate_answers(
    ctx: RunContext,
    target: Target,
    prompts: Sequence[str],
    max_new_tokens: int,
    desc: str,
    system: str | None = None,
) -> list[str]:
    """Greedy answers of `target` to `prompts` (cached), trimmed to their last complete sentence."""
    requests = [GenerationRequest.chat(p, system=system, max_new_tokens=max_new_tokens) for p in prompts]
    generations = ctx.generate(target, requests, desc=desc)
    return [g.text if g.finish_reason == "stop" else trim_to_sentence(g.text) for g in generations]


def trim_to_sentence(text: str) -> str:
    """Cut a length-truncated answer back to its last full sentence or line (empty if none)."""
    ends = [m.end() for m in re.finditer(r"[.!?:](?=\s|$)|\n", text)]
    return text[: ends[-1]].strip() if ends else ""


def shipped_rows(*parts: str) -> list[dict[str, Any]]:
    from auditor.probes import read_jsonl_resource

    return read_jsonl_resource(*parts)
