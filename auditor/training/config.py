"""Fine-tuning settings: one dataclass, built from defaults plus `-O component.key=value` options."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from auditor.errors import ConfigError

SCHEDULERS = ("linear", "cosine", "constant")


@dataclass(frozen=True)
class TrainConfig:
    """LoRA fine-tuning settings. Every field except `device` is part of the adapter's cache key."""

    rank: int = 16
    alpha: int = 32
    dropout: float = 0.0
    #: "all-linear" (every linear layer but the output head) or a list of module names
    target_modules: str | tuple[str, ...] = "all-linear"
    learning_rate: float = 2e-4
    epochs: int = 3
    batch_size: int = 8
    grad_accum: int = 1
    #: batch examples of similar length together (less padding, same data)
    group_by_length: bool = True
    max_length: int = 384
    weight_decay: float = 0.0
    warmup_ratio: float = 0.05
    scheduler: str = "linear"
    max_grad_norm: float = 1.0
    seed: int = 0
    #: "auto" (cuda when available), "cpu", "cuda", "cuda:1"
    device: str = "auto"
    #: None: bfloat16 on cuda, float32 on cpu
    dtype: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.target_modules, list):
            object.__setattr__(self, "target_modules", tuple(self.target_modules))
        checks = [
            (self.rank >= 1, "rank must be at least 1"),
            (self.alpha > 0, "alpha must be positive"),
            (0 <= self.dropout < 1, "dropout must be in [0, 1)"),
            (self.learning_rate > 0, "learning_rate must be positive"),
            (self.epochs >= 1, "epochs must be at least 1"),
            (self.batch_size >= 1, "batch_size must be at least 1"),
            (self.grad_accum >= 1, "grad_accum must be at least 1"),
            (self.max_length >= 8, "max_length must be at least 8"),
            (0 <= self.warmup_ratio < 1, "warmup_ratio must be in [0, 1)"),
            (self.scheduler in SCHEDULERS, f"scheduler must be one of {', '.join(SCHEDULERS)}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(f"fine-tuning: {message}")

    @classmethod
    def option_names(cls) -> set[str]:
        return {f.name for f in fields(cls)}

    def with_options(self, options: dict[str, Any]) -> TrainConfig:
        """A copy with the fine-tuning keys of `options` applied; other keys are ignored."""
        known = {k: coerce(k, v, getattr(self, k)) for k, v in options.items() if k in self.option_names()}
        return replace(self, **known)

    @classmethod
    def split_options(cls, options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(fine-tuning options, the component's own options)."""
        names = cls.option_names()
        return ({k: v for k, v in options.items() if k in names}, {k: v for k, v in options.items() if k not in names})

    def cache_dict(self, resolved_dtype: str) -> dict[str, Any]:
        data = asdict(self)
        data.pop("device")
        data["dtype"] = resolved_dtype
        data["target_modules"] = list(self.target_modules) if isinstance(self.target_modules, tuple) else self.target_modules
        return data


def coerce(name: str, value: Any, default: Any) -> Any:
    """Option values arrive as YAML scalars ("1e-4" is a string there): convert to the field's type."""
    if name == "target_modules":
        if isinstance(value, str) and value != "all-linear":
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return value
    if name == "dtype":
        return None if value in (None, "auto", "") else str(value)
    kind = type(default)
    if kind is bool:
        if isinstance(value, str):
            if value.strip().lower() in ("1", "true", "yes", "on"):
                return True
            if value.strip().lower() in ("0", "false", "no", "off"):
                return False
            raise ConfigError(f"fine-tuning option {name}={value!r}: expected true or false")
        return bool(value)
    if default is None:
        return value
    try:
        if kind is int:
            number = float(value)
            if number != int(number):
                raise ValueError
            return int(number)
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"fine-tuning option {name}={value!r}: expected {kind.__name__}") from None
