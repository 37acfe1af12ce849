"""`auditor list KIND`: component ids with a one-line description."""

from __future__ import annotations

import click

KINDS = {"attacks": "attack", "defenses": "defense", "judges": "judge", "backends": "backend",
         "probes": "probe", "formats": "report"}


@click.command(name="list")
@click.argument("kind", type=click.Choice(sorted(KINDS)))
def list_components(kind: str) -> None:
    """List the ids of one kind of component."""
    from auditor.plugins import make_plugin_host

    host = make_plugin_host()
    infos = host.registry(KINDS[kind]).infos()
    width = max((len(i.id) for i in infos), default=0)
    for info in infos:
        click.echo(f"{info.id.ljust(width)}  {info.description}  [{info.plugin}]")
