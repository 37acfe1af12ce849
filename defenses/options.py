"""Typed options for defenses: `-O id.key=value` strings converted to a dataclass's field types."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar, get_type_hints

from auditor.errors import ConfigError

T = TypeVar("T")
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


def build_options(cls: type[T], options: dict[str, Any], component: str, extra_known: set[str] | None = None) -> T:
    """An instance of dataclass `cls` from `options`; unknown keys are a ConfigError.

    Keys in `extra_known` (another dataclass's options, say fine-tuning settings) are
    accepted and left out.
    """
    hints = get_type_hints(cls)
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(k for k in options if k not in names and k not in (extra_known or set()))
    if unknown:
        known = ", ".join(sorted(names | (extra_known or set())))
        raise ConfigError(f"{component}: unknown option '{unknown[0]}' (options: {known})")
    values = {k: convert(component, k, v, hints[k]) for k, v in options.items() if k in names}
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{component}: {exc}") from None


def convert(component: str, name: str, value: Any, hint: Any) -> Any:
    text = str(hint)
    optional = "None" in text
    if value is None or (optional and isinstance(value, str) and value.strip().lower() in ("", "none", "null")):
        if optional:
            return None
        raise ConfigError(f"{component}: option {name} needs a value")
    try:
        if text.startswith("bool") or hint is bool:
            if isinstance(value, bool):
                return value
            lowered = str(value).strip().lower()
            if lowered in TRUE | FALSE:
                return lowered in TRUE
            raise ValueError
        if text.startswith("int") or hint is int:
            number = float(value)
            if number != int(number):
                raise ValueError
            return int(number)
        if text.startswith("float") or hint is float:
            return float(value)
    except (TypeError, ValueError):
        kind = text.split(" ")[0].split("|")[0]
        raise ConfigError(f"{component}: option {name}={value!r} is not a valid {kind}") from None
    return str(value) if not isinstance(value, str) else value
