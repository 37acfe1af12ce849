"""`auditor report RUN`: re-render a run folder from its results.jsonl and summary.json."""

from __future__ import annotations

import click


@click.command("report")
@click.argument("run", type=click.Path())
@click.option("-f", "--format", "formats", multiple=True,
              help="Report format id to write (default: the run's formats plus json, markdown, html). Repeatable.")
@click.option("--fail-on", multiple=True, help="Exit 1 when a cell crosses it, e.g. 'asr@1>0.2' "
              "(default: the gates the run was scanned with). Repeatable.")
@click.option("-o", "--output-dir", type=click.Path(file_okay=False),
              help="Write the reports here instead of into the run folder.")
def report(run: str, formats: tuple[str, ...], fail_on: tuple[str, ...], output_dir: str | None) -> None:
    """Render RUN (a folder written by `auditor scan`) again, without any model work."""
    from auditor.cli.gating import exit_for_gates
    from auditor.report.rerender import rerender

    _, summary, written = rerender(run, list(formats) or None, list(fail_on) or None, output_dir)
    for path in written:
        click.echo(str(path))
    exit_for_gates(summary["gates"], summary)
