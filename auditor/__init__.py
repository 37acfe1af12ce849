"""auditor: plugin-based safety and alignment auditing for open-weight language models."""

from auditor.components import (
    Attack,
    Backend,
    Defense,
    Judge,
    ModelTransform,
    ProbeSource,
    PromptAttack,
    ReportFormat,
    WeightAttack,
)
from auditor.hookspecs import hookimpl
from auditor.types import (
    Generation,
    GenerationRequest,
    JudgeInput,
    ProbeItem,
    PromptVariant,
    Verdict,
)

__version__ = "0.1.0"

__all__ = [
    "Attack",
    "Backend",
    "Defense",
    "Generation",
    "GenerationRequest",
    "Judge",
    "JudgeInput",
    "ModelTransform",
    "ProbeItem",
    "ProbeSource",
    "PromptAttack",
    "PromptVariant",
    "ReportFormat",
    "Verdict",
    "WeightAttack",
    "hookimpl",
    "__version__",
]
