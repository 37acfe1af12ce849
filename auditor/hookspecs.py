"""The hooks a plugin may implement. Each receives a `register` callback.

`register(component, *, name=None, description=None)` takes a component class, or a
lazy "package.module:Class" string (then `name` and `description` are required), so
listing plugins never imports heavy modules.
"""

from __future__ import annotations

from typing import Any

import click
from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("auditor")
hookimpl = HookimplMarker("auditor")


@hookspec
def register_attacks(register: Any) -> None:
    """Register prompt-level (`PromptAttack`) and weight-level (`WeightAttack`) attacks."""


@hookspec
def register_defenses(register: Any) -> None:
    """Register weight-level defenses (`Defense`)."""


@hookspec
def register_judges(register: Any) -> None:
    """Register judges that read responses and return verdicts (`Judge`)."""


@hookspec
def register_backends(register: Any) -> None:
    """Register generation backends (`Backend`)."""


@hookspec
def register_probe_sets(register: Any) -> None:
    """Register named probe sets (`ProbeSource`)."""


@hookspec
def register_report_formats(register: Any) -> None:
    """Register report writers (`ReportFormat`)."""


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add sub-commands to the `auditor` command line."""
