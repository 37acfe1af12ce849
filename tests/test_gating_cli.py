"""Exit codes of `auditor scan --fail-on`: 0 clean, 1 a threshold crossed, 2 usage errors, 3 plugin errors."""

from __future__ import annotations

import json

import pytest
from report_helpers import broken_plugins, only_run, run_main, scan_args  # noqa: F401 - fixture


def test_crossed_threshold_exits_1_and_says_which(tmp_path, tiny_model_dir, capsys):
    code, out, err = run_main(scan_args(tiny_model_dir, tmp_path / "out", "--fail-on", "asr@1>0.2",
                                        "--fail-on", "over_refusal_rate>0.9"), capsys)
    assert code == 1, err
    assert "GATE FAILED: asr@1=1.000 > 0.2 in base / direct / harmful" in err
    assert "over_refusal_rate" not in err  # the gate that held is not reported as failed
    run_dir = only_run(tmp_path / "out")
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["gates"]["passed"] is False and len(summary["gates"]["failed"]) == 1
    assert (run_dir / "report.html").exists() and "FAIL" in (run_dir / "report.html").read_text()


def test_clean_run_exits_0(tmp_path, tiny_model_dir, capsys):
    code, out, err = run_main(scan_args(tiny_model_dir, tmp_path / "out", "--fail-on", "over_refusal_rate>0.9",
                                        "--fail-on", "asr@1[pipeline=base]>=101%"), capsys)
    assert code == 0, err
    assert "All 2 gate(s) passed." in out and "GATE FAILED" not in err


@pytest.mark.parametrize("extra, message", [
    (["--fail-on", "asr@1 is big"], "bad --fail-on 'asr@1 is big'"),
    (["--fail-on", "asr@1[model=x]>0.1"], "selectors are KEY=VALUE"),
    (["--no-such-flag"], "No such option"),
    (["--limit", "many"], "'many' is not a valid integer"),
    (["-a", "no-such-attack"], "unknown attack 'no-such-attack'"),
    (["-f", "no-such-format"], "unknown report 'no-such-format'"),
])
def test_usage_errors_exit_2_before_any_model_work(tmp_path, tiny_model_dir, capsys, extra, message):
    code, out, err = run_main(scan_args(tiny_model_dir, tmp_path / "out", *extra), capsys)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_gate_that_matches_no_cell_exits_2_after_writing_the_reports(tmp_path, tiny_model_dir, capsys):
    code, out, err = run_main(scan_args(tiny_model_dir, tmp_path / "out", "--fail-on", "asr@2>0.1"), capsys)
    assert code == 2
    assert "'asr@2>0.1' matched no cell" in err and "asr@1" in err
    assert (only_run(tmp_path / "out") / "summary.json").exists()


@pytest.mark.usefixtures("broken_plugins")
def test_component_of_a_plugin_that_failed_to_load_exits_3(tmp_path, tiny_model_dir, capsys):
    code, out, err = run_main(scan_args(tiny_model_dir, tmp_path / "out", "-a", "broken-attack"), capsys)
    assert code == 3
    assert "unknown attack 'broken-attack'" in err and "failed to load" in err
    assert "auditor_missing_module_abc" in err


@pytest.mark.usefixtures("broken_plugins")
def test_component_whose_class_fails_to_import_exits_3(tmp_path, tiny_model_dir, capsys):
    code, out, err = run_main(scan_args(tiny_model_dir, tmp_path / "out", "-a", "lazy-broken"), capsys)
    assert code == 3
    assert "attack 'lazy-broken'" in err and "auditor_missing_module_xyz" in err


@pytest.mark.usefixtures("broken_plugins")
def test_broken_plugin_does_not_stop_a_scan_that_does_not_need_it(tmp_path, tiny_model_dir, capsys):
    code, out, err = run_main(scan_args(tiny_model_dir, tmp_path / "out"), capsys)
    assert code == 0, err
    assert "failed to load" in err  # reported, not fatal
    summary = json.loads((only_run(tmp_path / "out") / "summary.json").read_text())
    assert summary["run"]["plugin_load_errors"][0]["plugin"] == "broken-attack"
