"""User-facing errors. Each carries the process exit code the CLI uses."""

from __future__ import annotations

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2
EXIT_PLUGIN = 3


class AuditorError(Exception):
    """Base class: a clear, one-line message for the user."""

    exit_code = EXIT_USAGE


class ConfigError(AuditorError):
    """Bad flags, a malformed scan.yaml or an impossible combination of options."""


class ModelLoadError(AuditorError):
    """A model reference that cannot be resolved or loaded."""


class DatasetError(AuditorError):
    """A probe set or training set that cannot be loaded as asked."""


class PluginError(AuditorError):
    """A plugin failed to load, or registered something invalid."""

    exit_code = EXIT_PLUGIN


class ComponentNotFound(PluginError):
    """An id that no installed plugin provides (a usage error unless a plugin failed to load)."""

    exit_code = EXIT_USAGE

    def __init__(self, kind: str, component_id: str, available: list[str], hint: str = ""):
        self.kind = kind
        self.component_id = component_id
        self.available = available
        listing = ", ".join(sorted(available)) or "none"
        message = f"unknown {kind} '{component_id}'. Available {kind}s: {listing}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)
