"""Harmful (request, harmful answer) pairs for defenses that need them (Antidote, FLAT).

Harmful completions are never shipped. They come from the user (a jsonl/csv/parquet
file with prompt/response columns) or are generated at run time by a donor model: by
default the target's own base model, before any transform, answering the *train-split*
harmful probe items (evaluation items are never used). Answers the keyword judge reads as
refusals, and empty ones, are dropped: these defenses need the harmful behaviour itself.

Generation goes through `auditor.training.sources.generate_answers`, the same cached path
`harmful-lora` uses, so with equal settings the donor answers are generated once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from auditor.errors import DatasetError
from auditor.target import Target

if TYPE_CHECKING:
    from auditor.context import RunContext
    from auditor.training import ChatExample


@dataclass(frozen=True)
class DonorSettings:
    """Where donor answers come from and how they are generated."""

    probes: str = "harmful"
    variants: str = "original"  # "all", or comma-separated: original,past-tense,fr...
    limit: int = 40
    max_new_tokens: int = 64
    donor: str | None = None  # a model reference; None: the target's base model


def donor_target(target: Target, donor: str | None, ctx: RunContext) -> Target:
    if not donor:
        return replace(target, steps=())  # the base weights without any adapter
    from auditor.models import resolve_model

    return resolve_model(donor, ctx.config.allow_pickle, ctx.config.trust_remote_code)


def donor_prompts(ctx: RunContext, settings: DonorSettings) -> list[str]:
    """Train-split prompts: every item's first requested variant, then the next variant, and so on."""
    from auditor.training.sources import item_prompts, parse_variants, train_split_items

    items = train_split_items(ctx, settings.probes)
    prompts = []
    for variant in parse_variants(settings.variants):
        for item in items:
            prompts += [text for _name, text, _language in item_prompts(item, (variant,))]
    return prompts


def donor_pairs(ctx: RunContext, target: Target, settings: DonorSettings, purpose: str) -> list[ChatExample]:
    """(request, donor answer) pairs, refusals and empty answers dropped, at most `limit`."""
    from auditor.judges.keyword import KeywordJudge
    from auditor.training import ChatExample
    from auditor.training.sources import generate_answers

    prompts = donor_prompts(ctx, settings)
    donor = donor_target(target, settings.donor, ctx)
    answers = generate_answers(ctx, donor, prompts, settings.max_new_tokens, desc=f"{purpose}: donor answers")
    judge = KeywordJudge()
    pairs = [ChatExample.from_pair(p, a) for p, a in zip(prompts, answers, strict=True)
             if a.strip() and not judge.judge_one(a).refused]
    if not pairs:
        raise DatasetError(
            f"{purpose}: the donor model ({donor.reference}) refused or left empty every harmful request, so "
            "there are no harmful answers to work with; pass a data file with prompt/response columns, "
            "or an unaligned donor model"
        )
    pairs = pairs[: settings.limit] if settings.limit > 0 else pairs
    ctx.log(f"[{purpose}] {len(pairs)} harmful pairs from {len(prompts)} train-split prompts "
            f"(donor {donor.reference})")
    return pairs


def harmful_pairs(
    ctx: RunContext, target: Target, settings: DonorSettings, data: str | None, purpose: str
) -> list[ChatExample]:
    """The user's pairs when `data` names a file (at most `limit`), else donor-generated ones."""
    if data:
        from auditor.training import load_chat_dataset

        pairs = load_chat_dataset(data)
        return pairs[: settings.limit] if settings.limit > 0 else pairs
    return donor_pairs(ctx, target, settings, purpose)
