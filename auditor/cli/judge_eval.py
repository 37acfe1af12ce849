"""`auditor judge-eval`: how good is a judge? Figures against labelled responses."""

from __future__ import annotations

import json
import math
from typing import Any

import click


def fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def table_line(result: dict[str, Any]) -> str:
    name = result["labels"]
    if "skipped" in result:
        return f"{name:<14} skipped: {result['skipped']}"
    if result["label"] in ("refused", "harmful"):
        return (f"{name:<14} n={result['n']:<4} {result['label']:<8} accuracy {fmt(result['accuracy'])}  "
                f"precision {fmt(result['precision'])}  recall {fmt(result['recall'])}  "
                f"(tp {result['tp']}, fp {result['fp']}, fn {result['fn']}, tn {result['tn']})")
    if result["label"] == "score":
        return (f"{name:<14} n={result['n_pairs']:<4} score    Pearson {fmt(result['pearson'])}  "
                f"Spearman {fmt(result['spearman'])}  MAE {fmt(result['mae'])}")
    m = result["misaligned"]
    return (f"{name:<14} n={result['n']:<4} EM       aligned Pearson {fmt(result['aligned']['pearson'])}  "
            f"coherent Pearson {fmt(result['coherent']['pearson'])}  misaligned precision {fmt(m['precision'])} "
            f"recall {fmt(m['recall'])}  class agreement {fmt(result['class_agreement'])}")


@click.command(name="judge-eval")
@click.option("-j", "--judge", "judge_id", required=True, help="Judge id, e.g. keyword or llm-judge.")
@click.option("-l", "--labels", "label_files", multiple=True, type=click.Path(dir_okay=False),
              help="Labelled file (.jsonl/.json/.csv/.parquet) with prompt, response and a label column "
                   "(refused, harmful, score, or aligned+coherent). Repeatable. Default: the built-in sets.")
@click.option("--set", "set_names", multiple=True,
              help="Only these built-in sets (refusal-en, refusal-fr, ..., em-scores). Repeatable.")
@click.option("-O", "--option", "options", multiple=True, help="Judge option JUDGE.KEY=VALUE. Repeatable.")
@click.option("-b", "--backend", help="Backend for model-based judges (default: hf).")
@click.option("--device", help="cpu, cuda or auto (default).")
@click.option("--errors", "show_errors", type=int, default=0, help="Print up to this many disagreements per set.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--no-save", is_flag=True, help="Do not store the figures for reports.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
def judge_eval(judge_id: str, label_files: tuple[str, ...], set_names: tuple[str, ...], options: tuple[str, ...],
               backend: str | None, device: str | None, show_errors: int, as_json: bool, no_save: bool,
               quiet: bool) -> None:
    """Accuracy, precision and recall (or correlation, for graded scores) of a judge against labels.

    The figures are stored in the cache under the judge's identity (model, rubric, options),
    so later scans with the same judge cite them in their reports.
    """
    from auditor.cli.scan import parse_options
    from auditor.config import ScanConfig
    from auditor.context import RunContext
    from auditor.errors import ConfigError
    from auditor.judges.calibration import save_quality
    from auditor.judges.evaluation import builtin_label_sets, evaluate, read_labels
    from auditor.plugins import make_plugin_host
    from auditor.store import Store

    component_options = parse_options(options)
    other = sorted(set(component_options) - {judge_id})
    if other:
        raise ConfigError(f"judge-eval takes options of the judge '{judge_id}' only (got {', '.join(other)})")
    host = make_plugin_host()
    judge = host.get("judge", judge_id)(**component_options.get(judge_id, {}))
    config = ScanConfig(judge=judge_id, backend=backend or "hf", component_options=component_options,
                        backend_options={"device": device} if device else {})
    store = Store()
    ctx = RunContext(config, host, store, show_progress=not quiet)

    if label_files:
        sets = {str(path): read_labels(path) for path in label_files}
    else:
        sets = builtin_label_sets()
        if set_names:
            unknown = sorted(set(set_names) - set(sets))
            if unknown:
                raise ConfigError(f"unknown built-in label set(s) {unknown}; available: {', '.join(sets)}")
            sets = {k: v for k, v in sets.items() if k in set_names}
    results = []
    try:
        for name, rows in sets.items():
            result = evaluate(judge, rows, ctx, source=name)
            results.append(result)
            if not no_save and "skipped" not in result:
                save_quality(store, judge, {k: v for k, v in result.items() if k != "errors"})
    finally:
        ctx.release_backends()
    if as_json:
        click.echo(json.dumps({"judge": judge_id, "identity": judge.cache_identity(), "results": results}, indent=2,
                              default=str))
        return
    click.echo(f"Judge {judge_id} ({json.dumps(judge.cache_identity(), default=str)})")
    for result in results:
        click.echo(table_line(result))
        for error in result.get("errors", [])[:show_errors]:
            click.echo(f"    disagreement: {error}")
    if not no_save:
        click.echo("Figures stored: reports of scans with this judge and these options will cite them.")
