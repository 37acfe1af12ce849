"""Harmful (request, harmful answer) pairs for defenses that need them (Antidote, FLAT).

Harmful completions are never shipped. They come from the user (a jsonl/csv/parquet
file with prompt/response columns) or are generated at run time by a donor model: by
default the target's own base model, before any transform, answering the train-split
harmful probe items. Answers the keyword judge reads as refusals are dropped, since these
defenses need the harmful behaviour itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from auditor.errors import ConfigError, DatasetError
from auditor.target import Target
from auditor.types import GenerationRequest, ProbeItem

if TYPE_CHECKING:
    from auditor.context import RunContext
    from auditor.training import ChatExample


@dataclass(frozen=True)
class DonorSettings:
    """Where donor answers come from and how they are generated."""

    probes: str = "harmful"
    split: str = "train"
    limit: int = 40
    max_new_tokens: int = 128
    donor: str | None = None  # a model reference; None: the target's base model
    keep_refusals: bool = False


def donor_target(target: Target, donor: str | None, ctx: RunContext) -> Target:
    if not donor:
        return Target(target.reference, target.base_path, target.base_fingerprint,
                      trust_remote_code=target.trust_remote_code)
    from auditor.models import resolve_model

    return resolve_model(donor, ctx.config.allow_pickle, ctx.config.trust_remote_code)


def harmful_items(ctx: RunContext, settings: DonorSettings) -> list[ProbeItem]:
    from auditor.probes import load_probe_reference

    _, items = load_probe_reference(settings.probes, ctx.host.registry("probe"))
    chosen = [i for i in items if i.kind == "harmful" and (settings.split == "all" or i.split == settings.split)]
    if not chosen:
        raise DatasetError(f"probe set '{settings.probes}' has no harmful items in split '{settings.split}'")
    return chosen[: settings.limit] if settings.limit > 0 else chosen


def donor_pairs(ctx: RunContext, target: Target, settings: DonorSettings, purpose: str) -> list[ChatExample]:
    """(request, donor answer) pairs for harmful items, refusals dropped unless asked to keep them."""
    from auditor.training import ChatExample

    items = harmful_items(ctx, settings)
    donor = donor_target(target, settings.donor, ctx)
    requests = [GenerationRequest.chat(i.text, max_new_tokens=settings.max_new_tokens) for i in items]
    generations = ctx.generate(donor, requests, desc=f"{purpose}: donor answers")
    pairs = []
    judge = ctx.host.get("judge", "keyword")()
    for item, gen in zip(items, generations, strict=True):
        text = gen.text.strip()
        if not text:
            continue
        if not settings.keep_refusals and judge.judge_one(text, item.language).refused:
            continue
        pairs.append(ChatExample.from_pair(item.text, text, item_id=item.id))
    if not pairs:
        raise DatasetError(
            f"{purpose}: the donor model ({donor.reference}) refused every harmful item, so there are no "
            "harmful answers to work with; pass a data file with prompt/response columns, or an unaligned donor"
        )
    ctx.log(f"[{purpose}] {len(pairs)} harmful pairs from {len(items)} {settings.split}-split items "
            f"(donor {donor.reference})")
    return pairs


def load_pairs(path: str, prompt_column: str = "prompt", response_column: str = "response") -> list[ChatExample]:
    from auditor.training import load_chat_dataset

    return load_chat_dataset(path, prompt_column, response_column)


def harmful_pairs(
    ctx: RunContext, target: Target, settings: DonorSettings, data: str | None, purpose: str
) -> list[ChatExample]:
    """The user's pairs when `data` names a file, else donor-generated ones."""
    if data:
        return load_pairs(data)
    if settings.split not in ("train", "eval", "all"):
        raise ConfigError(f"{purpose}: split must be train, eval or all, got '{settings.split}'")
    return donor_pairs(ctx, target, settings, purpose)
