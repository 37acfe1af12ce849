"""`auditor report RUN` re-renders a stored run without model work; csv and parquet exports."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from report_helpers import (  # noqa: F401 - broken_plugins is a fixture
    broken_plugins,
    census,
    demo_rows,
    demo_summary,
    dump_dom,
    find_chromium,
    only_run,
    run_main,
    scan_args,
    write_run,
)


def test_report_rerenders_a_scan_without_the_model(tmp_path, tiny_model_dir, capsys):
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    code, _, err = run_main(scan_args(model, tmp_path / "out"), capsys)
    assert code == 0, err
    run_dir = only_run(tmp_path / "out")
    before = json.loads((run_dir / "summary.json").read_text())
    shutil.rmtree(model)  # any model work would now fail
    (run_dir / "report.html").unlink()
    (run_dir / "report.md").unlink()
    code, out, err = run_main(["report", str(run_dir), "-f", "html", "-f", "markdown", "-f", "csv",
                               "-f", "parquet"], capsys)
    assert code == 0, err
    assert {"report.html", "report.md", "results.csv", "results.parquet"} <= {p.name for p in run_dir.iterdir()}
    after = json.loads((run_dir / "summary.json").read_text())
    assert after["cells"] == before["cells"] and after["run"] == before["run"]
    rows = (run_dir / "results.jsonl").read_text().splitlines()
    csv = pd.read_csv(run_dir / "results.csv")
    parquet = pd.read_parquet(run_dir / "results.parquet")
    assert len(csv) == len(parquet) == len(rows) == 4
    assert parquet["refused"].dtype == "boolean" and set(parquet["pipeline"]) == {"base"}
    assert json.loads(parquet["verdict"][0])["judge"] == "keyword"
    chromium = find_chromium()
    if chromium is not None:  # the re-rendered page of a real scan opens cleanly too
        page = dump_dom(chromium, run_dir / "report.html", tmp_path / "profile")
        assert page.console == [] and census(page.dom).tags.get("svg", 0) >= 3


def test_report_applies_fail_on_and_keeps_extra_sections(tmp_path, capsys):
    rows = demo_rows()
    summary = demo_summary(rows)
    summary["cells"] = []  # stale numbers: the report recomputes them from the rows
    run_dir = write_run(tmp_path / "run", rows, summary)
    code, out, err = run_main(["report", str(run_dir), "--fail-on", "asr@1[pipeline=defended]>0.3"], capsys)
    assert code == 1 and "asr@1=0.400 > 0.3 in defended / past-tense / harmful" in err
    fresh = json.loads((run_dir / "summary.json").read_text())
    assert len(fresh["cells"]) == 6 and fresh["utility"]["defended"]["qa_accuracy"]["value"] == 0.55
    assert fresh["gates"]["failed"] and fresh["run"]["judge_quality"]["keyword"]
    code, out, err = run_main(["report", str(run_dir), "--fail-on", "asr@1[pipeline=defended]>0.5",
                               "-o", str(tmp_path / "elsewhere")], capsys)
    assert code == 0 and (tmp_path / "elsewhere" / "report.html").exists()


def test_report_usage_errors(tmp_path, capsys):
    code, out, err = run_main(["report", str(tmp_path / "nope")], capsys)
    assert code == 2 and "run folder not found" in err
    run_dir = write_run(tmp_path / "run", demo_rows())
    code, out, err = run_main(["report", str(run_dir), "-f", "no-such-format"], capsys)
    assert code == 2 and "unknown report 'no-such-format'" in err
    code, out, err = run_main(["report", str(run_dir), "--fail-on", "asr@9>0.1"], capsys)
    assert code == 2 and "matched no cell" in err


@pytest.mark.usefixtures("broken_plugins")
def test_report_format_of_a_broken_plugin_exits_3(tmp_path, capsys):
    run_dir = write_run(tmp_path / "run", demo_rows())
    code, out, err = run_main(["report", str(run_dir), "-f", "pdf"], capsys)
    assert code == 3 and "failed to load" in err


def test_report_keeps_what_the_scan_added_after_aggregating(tmp_path, capsys):
    rows = demo_rows()
    summary = demo_summary(rows)
    summary["attacks"] = {"past-tense": {"asr_at_k_rule": "any of k reformulations answered"}}
    run_dir = write_run(tmp_path / "run", rows, summary)
    code, out, err = run_main(["report", str(run_dir), "-f", "json"], capsys)
    assert code == 0, err
    fresh = json.loads((run_dir / "summary.json").read_text())
    rules = {c["attack"]: c["metrics"]["asr@k"].get("rule") for c in fresh["cells"] if "asr@k" in c["metrics"]}
    assert rules == {"direct": None, "past-tense": "any of k reformulations answered"}
