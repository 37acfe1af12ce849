"""Plain data records that flow through a scan.

They are dataclasses with `to_dict`/`from_dict` so a scan plan, a cache entry and a
row of results.jsonl are all serialisable without pickling.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

ITEM_KINDS = ("harmful", "benign", "open")
SPLITS = ("train", "eval")


def stable_hash(obj: Any, length: int = 64) -> str:
    """sha256 of the canonical JSON form of `obj`."""
    blob = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:length]


@dataclass(frozen=True)
class ProbeItem:
    """One request of a probe set."""

    id: str
    text: str
    category: str = "uncategorized"
    kind: str = "harmful"
    split: str = "eval"
    language: str = "en"
    source: str = ""
    variants: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    #: a system prompt that belongs to the item (e.g. the JSON-answer questions of a YAML file)
    system: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProbeItem:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class PromptVariant:
    """What a prompt attack makes of one item: the text sent, and how to read the answer."""

    attack: str
    index: int
    text: str
    language: str = "en"
    system: str | None = None
    # Free-form facts about the variant (the rewrite helper used, the source language...).
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class GenerationRequest:
    """One call to a backend. Its hash is the cache key of the generation."""

    messages: tuple[tuple[str, str], ...]
    max_new_tokens: int = 96
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0
    sample_index: int = 0
    #: ask for the top-N next-token log-probabilities of the first generated position
    top_logprobs: int = 0

    @classmethod
    def chat(cls, user: str, system: str | None = None, **params: Any) -> GenerationRequest:
        messages: list[tuple[str, str]] = []
        if system:
            messages.append(("system", system))
        messages.append(("user", user))
        return cls(messages=tuple(messages), **params)

    def as_messages(self) -> list[dict[str, str]]:
        return [{"role": role, "content": content} for role, content in self.messages]

    def key(self, model_fingerprint: str, backend_id: str) -> str:
        params = asdict(self)
        if self.temperature == 0.0:
            # Greedy decoding ignores seed and top_p: share the cache entry.
            params.update(seed=0, top_p=1.0)
        return stable_hash({"model": model_fingerprint, "backend": backend_id, "request": params})


@dataclass
class Generation:
    text: str
    finish_reason: str = "stop"
    num_tokens: int = 0
    # Optional next-token log-probabilities of the first generated position,
    # {token_text: logprob}, for judges that score from them.
    top_logprobs: dict[str, float] | None = None


@dataclass
class Verdict:
    """A judge's reading of one response."""

    judge: str
    judge_version: str
    refused: bool | None = None
    score: float | None = None
    label: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verdict:
        return cls(**data)


@dataclass(frozen=True)
class JudgeInput:
    item: ProbeItem
    prompt: str
    response: str
