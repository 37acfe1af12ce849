"""`auditor scan`: audit a model and write a run folder under reports/."""

from __future__ import annotations

from typing import Any

import click
from click.core import ParameterSource

# CLI option name -> ScanConfig field
FIELD_OF = {
    "model": "model", "probes": "probes", "probe_columns": "probe_columns", "attack": "attacks",
    "pipeline": "pipelines", "judge": "judge", "backend": "backend", "split": "split", "limit": "limit",
    "k": "k", "samples": "samples", "max_new_tokens": "max_new_tokens", "temperature": "temperature",
    "seed": "seed", "system_prompt": "system_prompt", "output_dir": "output_dir", "fail_on": "fail_on",
    "formats": "formats", "allow_pickle": "allow_pickle", "trust_remote_code": "trust_remote_code",
    "utility": "utility",
}


def parse_options(values: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """-O past-tense.helper=bundled:smollm2-135m -> {"past-tense": {"helper": "..."}}"""
    import yaml

    from auditor.errors import ConfigError

    out: dict[str, dict[str, Any]] = {}
    for value in values:
        key, sep, raw = value.partition("=")
        component, dot, option = key.partition(".")
        if not sep or not dot or not component or not option:
            raise ConfigError(f"bad --option '{value}': use COMPONENT.KEY=VALUE, e.g. harmful-lora.shots=50")
        out.setdefault(component, {})[option] = yaml.safe_load(raw)
    return out


@click.command()
@click.option("-c", "--config", "config_file", type=click.Path(dir_okay=False), help="scan.yaml with any of the options below.")
@click.option("--preset", help="A named configuration (see docs), e.g. demo.")
@click.option("-m", "--model", help="Hub id, local folder, BASE+ADAPTER, or bundled:smollm2-135m (default).")
@click.option("-p", "--probes", multiple=True, help="Probe set id, a .jsonl/.csv/.parquet file, or hf:DATASET[:SPLIT]. Repeatable.")
@click.option("--probe-columns", help="Column mapping for probe files, e.g. text=prompt,category=type.")
@click.option("-a", "--attack", multiple=True, help="Prompt attack id (default: direct, past-tense, future-tense, conjugate). Repeatable.")
@click.option("--pipeline", multiple=True, help="Weight-level pipeline, e.g. refusal-tuning,harmful-lora. Repeatable.")
@click.option("--utility/--no-utility", default=None,
              help="Measure perplexity and QA accuracy per pipeline (default: when there are pipelines).")
@click.option("-j", "--judge", help="Judge id (default: keyword).")
@click.option("-b", "--backend", help="Backend id (default: hf).")
@click.option("--device", help="cpu, cuda, cuda:1 or auto (default).")
@click.option("--dtype", help="float32, bfloat16 or float16 (default: bfloat16 on cuda, float32 on cpu).")
@click.option("--batch-size", type=int, help="Generation batch size (halved automatically on out-of-memory).")
@click.option("--split", type=click.Choice(["eval", "train", "all"]), help="Which harmful items to score (default: eval).")
@click.option("--limit", type=int, help="At most this many items per probe set.")
@click.option("-k", "k", type=int, help="Prompt variants per item for attacks that make several (best-of-k).")
@click.option("--samples", type=int, help="Samples per prompt (needs --temperature > 0).")
@click.option("--max-new-tokens", type=int, help="Tokens generated per response (default 64).")
@click.option("--temperature", type=float, help="0 for greedy decoding (default).")
@click.option("--seed", type=int, help="Seed for sampling and training.")
@click.option("--system-prompt", help="System prompt for every request.")
@click.option("-o", "--output-dir", help="Where run folders go (default: reports).")
@click.option("--fail-on", multiple=True, help="Exit 1 when a cell crosses it, e.g. 'asr@1>0.2'. Repeatable.")
@click.option("-f", "--format", "formats", multiple=True, help="Extra report format id. Repeatable.")
@click.option("-O", "--option", "options", multiple=True, help="Component option COMPONENT.KEY=VALUE. Repeatable.")
@click.option("--allow-pickle", is_flag=True, default=None, help="Allow pickled (.bin) weights: they can run code.")
@click.option("--trust-remote-code", is_flag=True, default=None, help="Run model code from the model folder.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
@click.pass_context
def scan(ctx: click.Context, config_file: str | None, preset: str | None, quiet: bool, options: tuple[str, ...],
         device: str | None, dtype: str | None, batch_size: int | None, **flags: Any) -> None:
    """Audit a model: generate, judge, and write results.jsonl, summary.json and report.md."""
    from auditor.cli.gating import exit_for_gates
    from auditor.config import ScanConfig
    from auditor.presets import preset as load_preset
    from auditor.scan.engine import run_scan
    from auditor.scan.gate import parse_gate

    data: dict[str, Any] = {}
    if preset:
        data.update(load_preset(preset))
    if config_file:
        data.update({k: v for k, v in ScanConfig.from_yaml(config_file).to_dict().items()
                     if k in _explicit_yaml_keys(config_file)})
    for name, value in flags.items():
        if ctx.get_parameter_source(name) in (ParameterSource.DEFAULT, None) or value is None:
            continue
        if isinstance(value, tuple):
            if not value:
                continue
            value = list(value)
        field = FIELD_OF[name]
        if field == "probe_columns":
            from auditor.probes import parse_column_map

            value = parse_column_map(value)
        if field == "formats":
            value = list(dict.fromkeys([*ScanConfig().formats, *data.get("formats", []), *value]))
        data[field] = value
    backend_options = dict(data.get("backend_options", {}))
    for key, value in (("device", device), ("dtype", dtype), ("batch_size", batch_size)):
        if value is not None:
            backend_options[key] = value
    data["backend_options"] = backend_options
    component_options = dict(data.get("component_options", {}))
    for component, opts in parse_options(options).items():
        component_options.setdefault(component, {}).update(opts)
    data["component_options"] = component_options
    cfg = ScanConfig.from_dict(data)
    for expr in cfg.fail_on:
        parse_gate(expr)

    result = run_scan(cfg, show_progress=not quiet)
    print_outcome(result)
    exit_for_gates(result.summary.get("gates", {}), result.summary)


def _explicit_yaml_keys(path: str) -> set[str]:
    import yaml

    with open(path) as fh:
        return set((yaml.safe_load(fh) or {}).keys())


def print_outcome(result: Any) -> None:
    from auditor.report.markdown import pct

    summary = result.summary
    click.echo(f"Run folder: {result.run_dir}")
    for name in ("results.jsonl", "summary.json", "report.md", "report.html"):
        if (result.run_dir / name).exists():
            click.echo(f"  {result.run_dir / name}")
    for cell in summary.get("cells", []):
        m = cell["metrics"]
        parts = []
        for metric in ("refusal_rate", "asr@1", "over_refusal_rate", "misaligned_rate", "coherent_rate"):
            if metric in m:
                parts.append(f"{metric} {pct(m[metric])}")
        click.echo(f"{cell['pipeline']:>24} | {cell['attack']:<14} | {cell['probe_set']:<10} | " + "; ".join(parts))
    for pipeline, utility in (summary.get("utility") or {}).items():
        ppl = utility.get("perplexity")
        figures = f"held-out perplexity {ppl:.2f}; QA accuracy {pct(utility.get('qa_accuracy'))}" if ppl is not None else "–"
        click.echo(f"{pipeline:>24} | utility        | {figures}")
    work = summary.get("run", {}).get("work", {})
    click.echo(f"Wall time {result.wall_seconds:.1f} s; generated {work.get('generated', 0)}, "
               f"from cache {work.get('cached', 0)}.")
