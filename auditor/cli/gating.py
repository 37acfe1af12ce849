"""Exit codes from --fail-on results, shared by scan, report and compare."""

from __future__ import annotations

import sys
from typing import Any

import click

from auditor.errors import EXIT_GATE_FAILED, ConfigError
from auditor.scan.gate import unmatched_message


def exit_for_gates(gates: dict[str, Any], summary: dict[str, Any], what: str = "") -> None:
    """Print the outcome of the gates; exit 1 when one is crossed, raise (exit 2) when one matched nothing."""
    if gates.get("unmatched"):
        raise ConfigError(unmatched_message(summary, gates["unmatched"]))
    for failure in gates.get("failed", []):
        click.echo(f"GATE FAILED: {what}{failure}", err=True)
    if gates.get("failed"):
        sys.exit(EXIT_GATE_FAILED)
    if gates.get("fail_on"):
        click.echo(f"All {len(gates['fail_on'])} gate(s) passed.")
