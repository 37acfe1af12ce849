"""`auditor report RUN`: render a stored run again, without any model work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.errors import ComponentNotFound, PluginError
from auditor.plugins import PluginHost, make_plugin_host
from auditor.report.runs import StoredRun, load_run, resummarize, stored_config
from auditor.scan.gate import evaluate_gates, parse, unmatched_gates

DEFAULT_FORMATS = ("json", "markdown", "html")


def check_formats(host: PluginHost, formats: list[str]) -> None:
    """Unknown format ids are usage errors; exit code 3 when a plugin that might provide one failed."""
    try:
        for fmt in formats:
            host.registry("report").info(fmt)
    except ComponentNotFound as exc:
        if host.load_errors:
            failed = "; ".join(f"{e.plugin}: {e.error}" for e in host.load_errors)
            raise PluginError(f"{exc} — and some plugins failed to load: {failed}") from exc
        raise


def gate_record(summary: dict[str, Any], fail_on: list[str]) -> dict[str, Any]:
    failed = evaluate_gates(summary, fail_on)
    unmatched = unmatched_gates(summary, fail_on)
    return {"fail_on": list(fail_on), "failed": failed, "unmatched": unmatched,
            "passed": not failed and not unmatched}


def rerender(
    run_path: str | Path,
    formats: list[str] | None = None,
    fail_on: list[str] | None = None,
    output_dir: str | Path | None = None,
    host: PluginHost | None = None,
) -> tuple[StoredRun, dict[str, Any], list[Path]]:
    """Re-summarize the stored rows and render the formats; returns (run, summary, written paths).

    formats: default the run's own formats plus json, markdown and html (summary.json is always
    rewritten so that it agrees with the other files). fail_on: default the run's own gates.
    """
    run = load_run(run_path)
    cfg = stored_config(run)
    gates = list(fail_on) if fail_on else list(cfg.fail_on)
    for expr in gates:
        parse(expr)
    chosen = list(dict.fromkeys(["json", *(formats or [*DEFAULT_FORMATS, *cfg.formats])]))
    host = host or make_plugin_host()
    check_formats(host, chosen)
    summary = resummarize(run)
    summary["gates"] = gate_record(summary, gates)
    out = Path(output_dir) if output_dir else run.path
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for fmt in chosen:
        written.extend(host.get("report", fmt)().render(out, summary, run.rows))
    return run, summary, written
