"""Named scan configurations (`auditor scan --preset NAME`)."""

from __future__ import annotations

from typing import Any

from auditor.errors import ConfigError

PRESETS: dict[str, dict[str, Any]] = {
    "demo": {},
}


def preset(name: str) -> dict[str, Any]:
    try:
        return dict(PRESETS[name])
    except KeyError:
        raise ConfigError(f"unknown preset '{name}'; available: {', '.join(sorted(PRESETS))}") from None
