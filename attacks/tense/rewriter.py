"""Writing tense rewrites with a helper model: sampled, refusal-checked, retried, cached."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from attacks.tense.prompts import PROMPT_VERSION, TensePrompt
from auditor.helper_model import HelperModel
from auditor.judges.keyword import KeywordJudge, normalise
from auditor.types import GenerationRequest, stable_hash

if TYPE_CHECKING:
    from auditor.context import RunContext

#: ctx.store namespace of accepted rewrites
REWRITES = "tense-rewrite"
#: sample_index = try * TRY_STRIDE + variant index, so every (variant, try) samples afresh
TRY_STRIDE = 1000
#: bump when the acceptance rules (refusal check, is_usable) change: part of the cache key
ACCEPTANCE_VERSION = "2"
ECHOED_LABELS = ("rewritten question", "rewritten request", "rewrite", "question", "answer", "request")


@dataclass
class Rewrite:
    """One variant's text and where it came from."""

    text: str
    source: str  # "prewritten", "helper", "template-fallback" or "failed"
    attempts: int = 0
    refusals: int = 0
    rejected: int = 0  # helper outputs that were not a usable rewrite (see is_usable)

    def meta(self, helper: str | None) -> dict[str, Any]:
        meta: dict[str, Any] = {"source": self.source}
        if self.source != "prewritten":
            meta.update(helper=helper, helper_attempts=self.attempts, helper_refusals=self.refusals,
                        helper_rejected=self.rejected)
        return meta


def clean_rewrite(raw: str, prompt: TensePrompt) -> str:
    """The first line of the helper's answer without an echoed label or quotes."""
    lines = [line.strip() for line in raw.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    line = lines[0]
    for label in (prompt.label.lower(), *ECHOED_LABELS):
        if line.lower().startswith(label + ":"):
            line = line[len(label) + 1:].strip()
            break
    return line.strip().strip("\"'\u201c\u201d\u2018\u2019*").strip()


def content_stems(text: str) -> set[str]:
    """The first five letters of the words of five letters or more (a crude stem)."""
    return {w[:5] for w in re.findall(r"[a-z0-9']+", normalise(text)) if len(w) >= 5}


def is_usable(rewrite: str, original: str, prompt: TensePrompt) -> bool:
    """A one-line question in the wanted tense that keeps some of the request's words.

    A small helper sampled at temperature 1 often writes off-topic text; these checks
    send such an answer back for another sample instead of into the scan.
    """
    if len(rewrite.split()) < 4 or normalise(rewrite) == normalise(original):
        return False
    if not rewrite.rstrip().endswith("?"):
        return False
    if prompt.tense_marker and not re.search(prompt.tense_marker, rewrite, flags=re.IGNORECASE):
        return False
    wanted = content_stems(original)
    return not wanted or bool(wanted & content_stems(rewrite))


@dataclass
class Rewriter:
    helper: HelperModel
    prompt: TensePrompt
    owner: str
    max_retries: int = 3
    temperature: float = 1.0
    max_new_tokens: int = 96

    def request(self, request_text: str, index: int, attempt: int, seed: int) -> GenerationRequest:
        return GenerationRequest.chat(
            self.prompt.render(request_text), max_new_tokens=self.max_new_tokens, temperature=self.temperature,
            top_p=1.0, seed=seed, sample_index=attempt * TRY_STRIDE + index,
        )

    def cache_key(self, ctx: RunContext, request_text: str, index: int) -> str:
        return stable_hash({
            "helper": self.helper.identity(ctx), "tense": self.prompt.tense, "prompt_version": PROMPT_VERSION,
            "acceptance_version": ACCEPTANCE_VERSION,
            "request": request_text, "index": index, "temperature": self.temperature,
            "max_new_tokens": self.max_new_tokens, "seed": ctx.config.seed,
        })

    def rewrite(self, ctx: RunContext, slots: Sequence[tuple[str, int]]) -> dict[tuple[str, int], Rewrite]:
        """A rewrite for every (request text, variant index); source "failed" where every try failed.

        Accepted rewrites are cached in ctx.store; failures are not, so a later run with
        more retries or another helper tries again (the helper's own generations stay cached).
        """
        keys = {slot: self.cache_key(ctx, *slot) for slot in slots}
        cached = ctx.store.get_many(REWRITES, list(keys.values()))
        results: dict[tuple[str, int], Rewrite] = {
            slot: Rewrite(**cached[key]) for slot, key in keys.items() if key in cached
        }
        pending = [slot for slot in slots if slot not in results]
        tallies = {slot: Rewrite("", "helper") for slot in pending}
        judge = KeywordJudge()
        for attempt in range(self.max_retries + 1):
            if not pending:
                break
            requests = [self.request(text, index, attempt, ctx.config.seed) for text, index in pending]
            generations = self.helper.generate(ctx, requests, desc=f"{self.owner} rewrites (try {attempt + 1})")
            accepted: dict[str, Any] = {}
            retry = []
            for slot, generation in zip(pending, generations, strict=True):
                tally = tallies[slot]
                tally.attempts += 1
                if judge.judge_one(generation.text).refused:
                    tally.refusals += 1
                    retry.append(slot)
                    continue
                text = clean_rewrite(generation.text, self.prompt)
                if not is_usable(text, slot[0], self.prompt):
                    tally.rejected += 1
                    retry.append(slot)
                    continue
                tally.text = text
                results[slot] = tally
                accepted[keys[slot]] = asdict(tally)
            ctx.store.put_many(REWRITES, accepted)
            pending = retry
        for slot in pending:
            tallies[slot].source = "failed"
            results[slot] = tallies[slot]
            ctx.log(f"[{self.owner}] the helper gave no usable rewrite in {self.max_retries + 1} tries "
                    f"({tallies[slot].refusals} refusals): {slot[0][:60]!r}")
        return results
