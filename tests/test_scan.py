"""A whole scan on a tiny model: files written, cache reuse, resume after a crash."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

import auditor
from auditor.cli import cli
from auditor.config import ScanConfig
from auditor.errors import ComponentNotFound, ConfigError
from auditor.plugins import make_plugin_host
from auditor.scan.engine import run_scan
from auditor.testing import ScriptedBackend

ROW_FIELDS = {"model_fingerprint", "item_id", "prompt", "response", "refused", "judge", "judge_version",
              "seed", "plugins", "attack", "pipeline"}


def tiny_config(tmp_path, model_dir, **overrides) -> ScanConfig:
    values = dict(model=str(model_dir), limit=3, max_new_tokens=4, output_dir=str(tmp_path / "reports"),
                  backend_options={"batch_size": 4}, attacks=["direct"])
    values.update(overrides)
    return ScanConfig(**values)


def test_scan_writes_the_run_folder(tmp_path, tiny_model_dir, host):
    result = run_scan(tiny_config(tmp_path, tiny_model_dir), host=host, show_progress=False)
    folder = result.run_dir
    assert {"results.jsonl", "summary.json", "report.md", "run.json"} <= {p.name for p in folder.iterdir()}
    rows = [json.loads(line) for line in (folder / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 6  # 3 harmful + 3 benign items, direct only
    assert set(rows[0]) >= ROW_FIELDS
    assert rows[0]["plugins"]["attack"]["plugin"] == "direct"
    summary = json.loads((folder / "summary.json").read_text())
    harmful = next(c for c in summary["cells"] if c["probe_set"] == "harmful")
    benign = next(c for c in summary["cells"] if c["probe_set"] == "benign")
    assert harmful["metrics"]["refusal_rate"]["n"] == 3
    assert 0 <= harmful["metrics"]["refusal_rate"]["low"] <= harmful["metrics"]["refusal_rate"]["high"] <= 1
    assert "over_refusal_rate" in benign["metrics"]
    assert "refusal_rate" in summary["headline"] and "over_refusal_rate" in summary["headline"]
    assert summary["run"]["judge_quality"]["keyword"]["per_language"]["en"]["accuracy"] >= 0.9
    assert "Headline" in (folder / "report.md").read_text()


def test_second_identical_scan_does_no_model_work(tmp_path, tiny_model_dir, host):
    cfg = tiny_config(tmp_path, tiny_model_dir)
    first = run_scan(cfg, host=host, show_progress=False)
    second = run_scan(cfg, host=host, show_progress=False)
    assert first.summary["run"]["work"]["generated"] == 6
    assert second.summary["run"]["work"]["generated"] == 0
    assert second.summary["run"]["work"]["cached"] == 6
    assert [r["response"] for r in first.rows] == [r["response"] for r in second.rows]


class CrashingBackend(ScriptedBackend):
    """Answers the first `budget` requests, then dies like a killed process."""

    budget = 4
    served = 0

    def generate(self, requests):
        if CrashingBackend.served + len(requests) > CrashingBackend.budget:
            raise KeyboardInterrupt
        CrashingBackend.served += len(requests)
        return super().generate(requests)


def scripted_host(backend_cls):
    ns = SimpleNamespace(__name__="test-backends")

    def register_backends(register):
        register(backend_cls, name="scripted")

    ns.register_backends = auditor.hookimpl(register_backends)
    return make_plugin_host(load_entrypoints=False, extra_plugins=(ns,))


def test_killed_scan_resumes_without_redoing_rows(tmp_path, tiny_model_dir):
    cfg = tiny_config(tmp_path, tiny_model_dir, backend="scripted", chunk_size=2, limit=4)
    with pytest.raises(KeyboardInterrupt):
        run_scan(cfg, host=scripted_host(CrashingBackend), show_progress=False)
    [run_dir] = list((tmp_path / "reports").iterdir())
    assert json.loads((run_dir / "run.json").read_text())["status"] == "running"

    CrashingBackend.budget = 1000
    result = run_scan(cfg, host=scripted_host(CrashingBackend), show_progress=False)
    assert result.run_dir == run_dir  # the same command resumed the same run
    assert result.summary["run"]["resumed"] is True
    assert result.summary["run"]["work"]["cached"] == 4  # the two finished chunks
    assert result.summary["run"]["work"]["generated"] == 4
    assert len(result.rows) == 8


def test_unknown_attack_lists_the_available_ones(tmp_path, tiny_model_dir, host):
    with pytest.raises(ComponentNotFound, match=r"Available attacks: .*\bdirect\b.*\bpast-tense\b"):
        run_scan(tiny_config(tmp_path, tiny_model_dir, attacks=["nope"]), host=host, show_progress=False)


def test_bad_config_values(tmp_path, tiny_model_dir, host):
    with pytest.raises(ConfigError):
        run_scan(tiny_config(tmp_path, tiny_model_dir, samples=3), host=host, show_progress=False)
    with pytest.raises(ConfigError, match="unknown scan config key"):
        ScanConfig.from_dict({"modle": "x"})


def test_cli_scan_with_yaml_and_flags(tmp_path, tiny_model_dir):
    config = tmp_path / "scan.yaml"
    config.write_text(f"model: {tiny_model_dir}\nlimit: 2\nmax_new_tokens: 3\nprobes: [harmful]\nattacks: [direct]\n"
                      f"output_dir: {tmp_path / 'out'}\n")
    result = CliRunner().invoke(cli, ["scan", "-c", str(config), "--limit", "1", "-q"])
    assert result.exit_code == 0, result.output
    assert "Run folder:" in result.output and "refusal_rate" in result.output
    [run_dir] = list((tmp_path / "out").iterdir())
    rows = (run_dir / "results.jsonl").read_text().splitlines()
    assert len(rows) == 1  # the flag overrides the file


def test_cli_errors_are_one_line(tmp_path):
    from auditor.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["scan", "-m", str(tmp_path / "missing-model"), "-q"])
    assert exit_info.value.code == 2
