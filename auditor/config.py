"""The scan configuration: CLI flags and scan.yaml map onto one dataclass."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from auditor.errors import ConfigError
from auditor.models import DEFAULT_MODEL
from auditor.types import stable_hash

#: the prompt attacks of a scan that names none: the built-in items carry pre-written
#: variants for all of them, so no helper model or translator is needed
DEFAULT_ATTACKS = ("direct", "past-tense", "future-tense", "conjugate")


@dataclass
class ScanConfig:
    model: str = DEFAULT_MODEL
    probes: list[str] = field(default_factory=lambda: ["harmful", "benign"])
    probe_columns: dict[str, str] = field(default_factory=dict)
    #: prompt attacks; `direct` is the baseline every other attack is paired with
    attacks: list[str] = field(default_factory=lambda: list(DEFAULT_ATTACKS))
    #: weight-level pipelines, each a comma-separated chain of transform ids; the base is always included
    pipelines: list[str] = field(default_factory=list)
    #: measure perplexity and QA accuracy per pipeline (None: only when there are pipelines)
    utility: bool | None = None
    judge: str = "keyword"
    backend: str = "hf"
    backend_options: dict[str, Any] = field(default_factory=dict)
    #: options per component id, e.g. {"past-tense": {"helper": "bundled:smollm2-135m"}}
    component_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    split: str = "eval"
    limit: int | None = None
    k: int = 1
    samples: int = 1
    max_new_tokens: int = 64
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0
    system_prompt: str | None = None
    output_dir: str = "reports"
    fail_on: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=lambda: ["json", "markdown", "html"])
    allow_pickle: bool = False
    trust_remote_code: bool = False
    #: chunk size: generations are cached (and the run can be resumed) at this granularity
    chunk_size: int = 64

    #: fields that do not change what is computed
    NON_SEMANTIC = ("output_dir", "fail_on", "formats", "chunk_size", "backend_options")

    def wants_utility(self) -> bool:
        return bool(self.pipelines) if self.utility is None else bool(self.utility)

    def validate(self) -> None:
        if self.split not in ("eval", "train", "all"):
            raise ConfigError(f"split must be eval, train or all, not '{self.split}'")
        if self.k < 1 or self.samples < 1:
            raise ConfigError("k and samples must be at least 1")
        if self.max_new_tokens < 1:
            raise ConfigError("max_new_tokens must be at least 1")
        if self.temperature < 0:
            raise ConfigError("temperature must be >= 0")
        if self.samples > 1 and self.temperature == 0:
            raise ConfigError("several samples per prompt need --temperature > 0")
        if not self.probes:
            raise ConfigError("no probe sets selected")
        if not self.attacks:
            raise ConfigError("no attacks selected")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def config_hash(self) -> str:
        data = {k: v for k, v in self.to_dict().items() if k not in self.NON_SEMANTIC}
        return stable_hash(data, length=12)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScanConfig:
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ConfigError(f"unknown scan config key(s): {', '.join(unknown)}")
        return cls(**data)

    @classmethod
    def from_yaml(cls, path: str | Path) -> ScanConfig:
        import yaml

        path = Path(path)
        if not path.exists():
            raise ConfigError(f"config file not found: {path}")
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{path} must hold a mapping of scan options")
        for key in ("probes", "attacks", "pipelines", "fail_on", "formats"):
            if isinstance(data.get(key), str):
                data[key] = [data[key]]
        return cls.from_dict(data)
