"""`auditor plugins`: installed plugins, their components and load errors, as JSON."""

from __future__ import annotations

import json

import click


@click.command()
def plugins() -> None:
    """Print installed plugins (built-in and third-party) as JSON."""
    from auditor.plugins import make_plugin_host

    host = make_plugin_host()
    click.echo(json.dumps(host.describe(), indent=2))
