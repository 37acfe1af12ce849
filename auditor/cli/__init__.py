"""The `auditor` command line: one module per command; plugins add more via `register_commands`."""

from __future__ import annotations

import sys

import click

from auditor import __version__
from auditor.errors import EXIT_PLUGIN, AuditorError

BUILTIN_COMMANDS = {
    "scan": "auditor.cli.scan:scan",
    "plugins": "auditor.cli.plugins_cmd:plugins",
    "list": "auditor.cli.list_cmd:list_components",
    "report": "auditor.cli.report_cmd:report",
    "compare": "auditor.cli.compare:compare",
    "judge-eval": "auditor.cli.judge_eval:judge_eval",
}


class AuditorGroup(click.Group):
    """Built-in commands load lazily; plugin commands join through the `register_commands` hook."""

    _plugins_loaded = False

    def _load_plugin_commands(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        try:
            from auditor.plugins import make_plugin_host

            host = make_plugin_host()
            host.pm.hook.register_commands(cli=self)
        except Exception as exc:  # noqa: BLE001 - a broken plugin never takes the CLI down
            click.echo(f"auditor: plugin commands unavailable: {exc}", err=True)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        return sorted(set(BUILTIN_COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in BUILTIN_COMMANDS and name not in self.commands:
            module_name, _, attr = BUILTIN_COMMANDS[name].partition(":")
            import importlib

            self.add_command(getattr(importlib.import_module(module_name), attr), name)
        if name not in self.commands:
            self._load_plugin_commands()
        return self.commands.get(name)


@click.group(cls=AuditorGroup)
@click.version_option(__version__, prog_name="auditor")
def cli() -> None:
    """Audit the safety of open-weight language models: attacks, defenses, comparative reports."""


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="auditor", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except AuditorError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted: finished rows are cached; run the same command again to resume.", err=True)
        sys.exit(130)
    sys.exit(0)


__all__ = ["cli", "main", "EXIT_PLUGIN"]
