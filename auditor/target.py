"""A resolved model: base weights plus an ordered chain of weight transforms."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from auditor.types import stable_hash


@dataclass(frozen=True)
class AdapterStep:
    """One transform applied on top of the base: a PEFT adapter folder (or a full model folder)."""

    transform: str
    path: str
    kind: str = "lora"  # "lora": PEFT adapter; "full": a complete model folder replacing the weights
    config_hash: str = ""
    #: ids of earlier transforms whose step this one stands in for (a pruned copy of an
    #: adapter replaces the adapter in the chain); they still count in `Target.pipeline`.
    replaces: tuple[str, ...] = ()


@dataclass(frozen=True)
class Target:
    """What a backend loads. `fingerprint` changes with every weight that could change."""

    reference: str
    base_path: str
    base_fingerprint: str
    steps: tuple[AdapterStep, ...] = ()
    trust_remote_code: bool = False
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def fingerprint(self) -> str:
        if not self.steps:
            return self.base_fingerprint
        return stable_hash(
            {"base": self.base_fingerprint, "steps": [s.config_hash or s.path for s in self.steps]},
            length=32,
        )

    @property
    def pipeline(self) -> str:
        """The transform ids applied, in order; "base" for the untouched model."""
        return ",".join(t for s in self.steps for t in (*s.replaces, s.transform)) or "base"

    def with_step(self, step: AdapterStep) -> Target:
        return replace(self, steps=(*self.steps, step))

    def describe(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "pipeline": self.pipeline,
            "fingerprint": self.fingerprint,
            "base_fingerprint": self.base_fingerprint,
            "steps": [
                {"transform": s.transform, "path": s.path, "kind": s.kind, "config_hash": s.config_hash,
                 **({"replaces": list(s.replaces)} if s.replaces else {})}
                for s in self.steps
            ],
            **({"meta": self.meta} if self.meta else {}),
        }
