"""`auditor compare RUN_A RUN_B`: paired differences between two runs on the attempts they share."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("compare")
@click.argument("run_a", type=click.Path())
@click.argument("run_b", type=click.Path())
@click.option("-o", "--output", "outputs", multiple=True, type=click.Path(dir_okay=False),
              help="Also write the comparison to a .json or .md file. Repeatable.")
@click.option("--fail-on", multiple=True, help="Exit 1 when a difference B - A crosses it, e.g. "
              "'asr@1>0.05' (a regression of more than 5 points) or 'asr@1.low>0'. Repeatable.")
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05,
              show_default=True, help="Significance level marked with * in the table.")
def compare(run_a: str, run_b: str, outputs: tuple[str, ...], fail_on: tuple[str, ...], alpha: float) -> None:
    """Compare RUN_B against RUN_A (for example two releases of a model) with paired tests."""
    from auditor.cli.gating import exit_for_gates
    from auditor.compare import compare_runs, gate_cells
    from auditor.errors import ConfigError
    from auditor.report.compare_md import render_compare_markdown, text_table
    from auditor.report.rerender import gate_record
    from auditor.report.runs import load_run
    from auditor.report.summary_json import clean
    from auditor.scan.gate import parse

    for expr in fail_on:
        parse(expr)
    for out in outputs:
        if Path(out).suffix.lower() not in (".json", ".md"):
            raise ConfigError(f"--output {out}: use a .json or .md file name")
    comparison = compare_runs(load_run(run_a), load_run(run_b))
    gate_view = {"cells": gate_cells(comparison)}
    comparison["gates"] = gate_record(gate_view, list(fail_on))
    click.echo(f"A: {comparison['a']['path']}\nB: {comparison['b']['path']}")
    click.echo(text_table(comparison, alpha))
    for key, change in comparison["config_changes"].items():
        click.echo(f"changed {key}: {json.dumps(change['a'], default=str)} -> {json.dumps(change['b'], default=str)}")
    for side, key in (("A", "only_in_a"), ("B", "only_in_b")):
        if comparison[key]:
            cells = ", ".join(f"{c['pipeline']} / {c['attack']} / {c['probe_set']}" for c in comparison[key])
            click.echo(f"only in {side} (not compared): {cells}")
    for warning in comparison["warnings"]:
        click.echo(f"Warning: {warning}", err=True)
    for out in outputs:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() == ".json":
            path.write_text(json.dumps(clean(comparison), indent=2, ensure_ascii=False, default=str))
        else:
            path.write_text(render_compare_markdown(comparison, alpha), encoding="utf-8")
        click.echo(f"wrote {path}")
    exit_for_gates(comparison["gates"], gate_view, what="B - A: ")
