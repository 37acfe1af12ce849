"""Base classes of every pluggable component.

A plugin registers subclasses of these through the hooks in `auditor.hookspecs`.
Each class carries an `id` (lowercase kebab-case) and a one-line `description`;
the registry fills in `plugin` and `plugin_version` at registration.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from auditor.types import (
    Generation,
    GenerationRequest,
    JudgeInput,
    ProbeItem,
    PromptVariant,
    Verdict,
)

if TYPE_CHECKING:
    from auditor.context import RunContext
    from auditor.target import Target


class Component(ABC):  # noqa: B024 - a marker base with shared class attributes
    id: ClassVar[str] = ""
    description: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    plugin: ClassVar[str] = ""
    plugin_version: ClassVar[str] = ""

    def __init__(self, **options: Any) -> None:
        self.options = options

    @classmethod
    def provenance(cls) -> dict[str, str]:
        return {
            "id": cls.id,
            "version": cls.version,
            "plugin": cls.plugin,
            "plugin_version": cls.plugin_version,
        }


class Attack(Component):
    """Anything registered through `register_attacks`."""


class PromptAttack(Attack):
    """Turns a probe item into k prompt variants (the request as sent to the model)."""

    #: item kinds this attack applies to; the others are only sent `direct`.
    applies_to: ClassVar[tuple[str, ...]] = ("harmful",)
    #: how asr@k is counted over this attack's variants; recorded in summary.json
    asr_at_k_rule: ClassVar[str] = (
        "asr@k counts an item as broken if any of its variants (and samples) is judged not refused; "
        "every variant is generated, with no early stop"
    )

    @abstractmethod
    def variants(self, item: ProbeItem, k: int, ctx: RunContext) -> list[PromptVariant]:
        """Return up to k variants of `item`."""

    def prepare(self, items: Sequence[ProbeItem], k: int, ctx: RunContext) -> None:  # noqa: B027
        """Optional batch step before `variants` (for example, writing rewrites with a helper model)."""

    def postprocess(self, variant: PromptVariant, response: str, ctx: RunContext) -> str:
        """The response as the judge should read it (for example, translated back to English)."""
        return response

    def check(self, items: Sequence[ProbeItem], k: int, ctx: RunContext) -> None:  # noqa: B027
        """Raise ConfigError before any model work when the attack cannot run on these items."""

    def postprocess_many(
        self, variants: Sequence[PromptVariant], responses: Sequence[str], ctx: RunContext
    ) -> list[str]:
        """Batch form of `postprocess` (override it to translate many responses in one pass)."""
        return [self.postprocess(v, r, ctx) for v, r in zip(variants, responses, strict=True)]

    def report_notes(self) -> dict[str, Any]:
        """Facts about this attack's run for summary.json (helper used, variant sources...)."""
        return {"asr_at_k_rule": self.asr_at_k_rule}


class ModelTransform(Component):
    """Target -> Target: weight-level attacks and defenses (fine-tuning, pruning, unlearning)."""

    role: ClassVar[str] = "attack"

    @abstractmethod
    def apply(self, target: Target, ctx: RunContext) -> Target:
        """Return the transformed target (cached by the host where possible)."""


class WeightAttack(ModelTransform, Attack):
    role = "attack"


class Defense(ModelTransform):
    """Anything registered through `register_defenses`."""

    role = "defense"


class Judge(Component):
    """Reads responses and returns verdicts."""

    @abstractmethod
    def judge(self, inputs: Sequence[JudgeInput], ctx: RunContext | None = None) -> list[Verdict]:
        """One verdict per input, in order."""

    def measured_quality(self) -> dict[str, Any] | None:
        """Figures of this judge against a labelled set, for the report (None if unmeasured)."""
        return None

    def cache_identity(self) -> dict[str, Any]:
        """What besides the input determines a verdict (id, rubric version, options)."""
        return {"id": self.id, "version": self.version, "options": self.options}


class Backend(Component):
    """Runs batches of generation requests against one target."""

    def __init__(self, target: Target, **options: Any) -> None:
        super().__init__(**options)
        self.target = target

    @abstractmethod
    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        """One generation per request, in order."""

    def close(self) -> None:  # noqa: B027
        """Free the model."""


class ProbeSource(Component):
    """A named probe set that `--probes ID` selects."""

    @abstractmethod
    def load(self) -> list[ProbeItem]:
        """All items of the set (every split)."""


class ReportFormat(Component):
    """Writes one file (or several) of a finished run's folder."""

    @abstractmethod
    def render(self, run_dir: Path, summary: dict[str, Any], rows: list[dict[str, Any]]) -> list[Path]:
        """Write the report into run_dir and return the paths written."""


KIND_BASES: dict[str, tuple[type, ...]] = {
    "attack": (Attack,),
    "defense": (Defense,),
    "judge": (Judge,),
    "backend": (Backend,),
    "probe": (ProbeSource,),
    "report": (ReportFormat,),
}
