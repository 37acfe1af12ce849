"""The scan engine: plan -> materialize targets -> generate -> judge -> aggregate -> render."""

from __future__ import annotations

import json
import platform
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from auditor.config import ScanConfig
from auditor.context import RunContext
from auditor.errors import ComponentNotFound, PluginError
from auditor.models import resolve_model
from auditor.plugins import PluginHost, make_plugin_host
from auditor.scan.aggregate import summarize
from auditor.scan.attack_hooks import (
    add_original_verdicts,
    annotate_cells,
    attack_notes,
    check_attacks,
    postprocess_responses,
)
from auditor.scan.gate import evaluate_gates, unmatched_gates
from auditor.scan.plan import (
    Attempt,
    build_attacks,
    check_pipelines,
    expand,
    load_probe_sets,
    materialize,
)
from auditor.scan.rundir import open_run_dir, write_state
from auditor.store import Store
from auditor.types import JudgeInput, Verdict, stable_hash
from auditor.utility import measure_utility

VERDICTS = "verdict"


@dataclass
class ScanResult:
    run_dir: Path
    summary: dict[str, Any]
    rows: list[dict[str, Any]]
    failed_gates: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0


def check_components(host: PluginHost, cfg: ScanConfig) -> None:
    """Fail before any model work when an id is unknown; exit 3 when a plugin failed to load."""
    wanted = [("attack", a) for a in cfg.attacks] + [("judge", cfg.judge), ("backend", cfg.backend)]
    try:
        for kind, cid in wanted:
            host.registry(kind).info(cid)
        for fmt in cfg.formats:
            host.registry("report").info(fmt)
    except ComponentNotFound as exc:
        if host.load_errors:
            failed = "; ".join(f"{e.plugin}: {e.error}" for e in host.load_errors)
            raise PluginError(f"{exc} — and some plugins failed to load: {failed}") from exc
        raise


def run_scan(
    cfg: ScanConfig,
    host: PluginHost | None = None,
    store: Store | None = None,
    show_progress: bool = True,
) -> ScanResult:
    started = time.time()
    cfg.validate()
    host = host or make_plugin_host()
    check_components(host, cfg)
    store = store or Store()
    ctx = RunContext(cfg, host, store, show_progress=show_progress)
    base = resolve_model(cfg.model, cfg.allow_pickle, cfg.trust_remote_code)
    probe_sets = load_probe_sets(ctx)
    attacks = build_attacks(ctx)
    check_attacks(ctx, attacks, probe_sets)
    check_pipelines(ctx)
    judge = host.get("judge", cfg.judge)(**ctx.options_for(cfg.judge))

    run_dir, resumed = open_run_dir(cfg.output_dir, cfg.model, cfg.config_hash(), cfg.to_dict())
    ctx.run_dir = run_dir
    ctx.log(f"[scan] {'resuming' if resumed else 'writing'} {run_dir}")

    targets = [base] + [materialize(ctx, base, spec) for spec in cfg.pipelines]
    write_state(run_dir, {"targets": [t.describe() for t in targets]})
    attempts = expand(ctx, targets, attacks, probe_sets)
    ctx.log(f"[scan] {len(attempts)} attempts: {len(targets)} target(s) x {len(attacks)} attack(s) x "
            f"{sum(len(v) for v in probe_sets.values())} item(s)")

    rows: list[dict[str, Any]] = []
    utility: dict[str, Any] = {}
    partial = run_dir / "results.jsonl"
    partial.write_text("")
    for target in targets:
        mine = [a for a in attempts if a.target is target]
        generations = ctx.generate(target, [a.request for a in mine], desc=f"generate {target.pipeline}")
        if cfg.wants_utility():
            utility[target.pipeline] = measure_utility(target, ctx)
        responses = postprocess_responses(ctx, mine, generations)
        verdicts = judge_cached(ctx, judge, mine, responses)
        target_rows = [
            make_row(a, g.text, judged, v, g.num_tokens, g.finish_reason, cfg, host)
            for a, g, judged, v in zip(mine, generations, responses, verdicts, strict=True)
        ]
        add_original_verdicts(ctx, judge, judge_cached, mine, generations, responses, target_rows)
        with partial.open("a", encoding="utf-8") as fh:
            for row in target_rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        rows.extend(target_rows)
    ctx.release_backends()

    summary = summarize(rows, cfg)
    summary["attacks"] = attack_notes(attacks)
    if utility:
        summary["utility"] = utility
    annotate_cells(summary, summary["attacks"])
    summary["run"] = run_metadata(cfg, host, targets, judge, started, ctx, resumed)
    quality = judge.measured_quality()
    summary["run"]["judge_quality"] = {judge.id: quality} if quality else {}
    failed = evaluate_gates(summary, cfg.fail_on)
    unmatched = unmatched_gates(summary, cfg.fail_on)
    summary["gates"] = {"fail_on": cfg.fail_on, "failed": failed, "unmatched": unmatched,
                        "passed": not failed and not unmatched}
    render_all(ctx, run_dir, summary, rows)
    write_state(run_dir, {"status": "complete", "finished": time.time()})
    return ScanResult(run_dir, summary, rows, failed, time.time() - started)


def render_all(ctx: RunContext, run_dir: Path, summary: dict[str, Any], rows: list[dict[str, Any]]) -> list[Path]:
    written = []
    for fmt in ctx.config.formats:
        written.extend(ctx.host.get("report", fmt)().render(run_dir, summary, rows))
    return written


def judge_cached(ctx: RunContext, judge: Any, attempts: list[Attempt], responses: list[str]) -> list[Verdict]:
    identity = judge.cache_identity()
    keys = [
        stable_hash({"judge": identity, "item": [a.item.id, a.item.text, a.item.kind, a.variant.language],
                     "prompt": a.variant.text, "response": r})
        for a, r in zip(attempts, responses, strict=True)
    ]
    found = ctx.store.get_many(VERDICTS, keys)
    missing = [i for i, k in enumerate(keys) if k not in found]
    if missing:
        inputs = [JudgeInput(attempts[i].item, attempts[i].variant.text, responses[i]) for i in missing]
        chunk = max(1, ctx.config.chunk_size)
        with ctx.progress(len(inputs), f"judge {judge.id}") as bar:
            for start in range(0, len(inputs), chunk):
                part = inputs[start : start + chunk]
                verdicts = judge.judge(part, ctx)
                fresh = {keys[missing[start + j]]: v.to_dict() for j, v in enumerate(verdicts)}
                ctx.store.put_many(VERDICTS, fresh)
                found.update(fresh)
                ctx.stats["judged"] += len(part)
                bar.update(len(part))
    return [Verdict.from_dict(found[k]) for k in keys]


def make_row(
    a: Attempt,
    response: str,
    judged_response: str,
    verdict: Verdict,
    num_tokens: int,
    finish_reason: str,
    cfg: ScanConfig,
    host: PluginHost,
) -> dict[str, Any]:
    harmful = a.item.kind == "harmful"
    row = {
        "pipeline": a.target.pipeline,
        "model": a.target.reference,
        "model_fingerprint": a.target.fingerprint,
        "attack": a.attack.id,
        "probe_set": a.probe_set,
        "item_id": a.item.id,
        "category": a.item.category,
        "kind": a.item.kind,
        "split": a.item.split,
        "language": a.variant.language,
        "variant_index": a.variant.index,
        "sample_index": a.sample_index,
        "system": a.request.messages[0][1] if a.request.messages[0][0] == "system" else None,
        "prompt": a.variant.text,
        "original": a.item.text,
        "response": response,
        "num_tokens": num_tokens,
        "finish_reason": finish_reason,
        "refused": verdict.refused,
        "score": verdict.score,
        "success": (verdict.refused is False) if harmful else None,
        "verdict": verdict.to_dict(),
        "judge": verdict.judge,
        "judge_version": verdict.judge_version,
        "seed": a.request.seed,
        "temperature": a.request.temperature,
        "max_new_tokens": a.request.max_new_tokens,
        "backend": cfg.backend,
        "plugins": {"attack": a.attack.provenance()},
    }
    if judged_response != response:
        row["response_judged"] = judged_response
    if a.variant.meta:
        row["variant_meta"] = a.variant.meta
    return row


def package_versions() -> dict[str, str]:
    versions = {}
    for name in ("auditor", "torch", "transformers", "peft", "pluggy", "datasets", "pandas", "vllm"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def run_metadata(cfg, host, targets, judge, started, ctx, resumed) -> dict[str, Any]:
    components = []
    for kind, ids in (("attack", cfg.attacks), ("judge", [cfg.judge]), ("backend", [cfg.backend])):
        for cid in ids:
            cls = host.get(kind, cid)
            components.append({"kind": kind, **cls.provenance()})
    for spec in cfg.pipelines:
        for step in spec.replace("->", ",").split(","):
            step = step.strip()
            kind = "defense" if step in host.registry("defense") else "attack"
            components.append({"kind": kind, **host.get(kind, step).provenance()})
    return {
        "config": cfg.to_dict(),
        "config_hash": cfg.config_hash(),
        "targets": [t.describe() for t in targets],
        "components": components,
        "plugin_load_errors": [e.__dict__ for e in host.load_errors],
        "packages": package_versions(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
        "wall_seconds": round(time.time() - started, 2),
        "resumed": resumed,
        "work": dict(ctx.stats),
    }
