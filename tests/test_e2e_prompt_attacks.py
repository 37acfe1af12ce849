"""The default scan on the bundled SmolLM2-135M covers every prompt attack (slow: `pytest -m e2e`)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from auditor.cli import cli

pytestmark = pytest.mark.e2e


def test_default_scan_covers_the_prompt_attacks(tmp_path):
    result = CliRunner().invoke(cli, ["scan", "--limit", "3", "--max-new-tokens", "16", "-o", str(tmp_path), "-q"])
    assert result.exit_code == 0, result.output
    [run_dir] = list(tmp_path.iterdir())
    summary = json.loads((run_dir / "summary.json").read_text())
    harmful = {c["attack"]: c for c in summary["cells"] if c["probe_set"] == "harmful"}
    assert set(harmful) == {"direct", "past-tense", "future-tense", "conjugate"}
    for cell in harmful.values():
        asr = cell["metrics"]["asr@1"]
        assert asr["n"] == 3 and 0 <= asr["low"] <= asr["value"] <= asr["high"] <= 1
        assert cell["metrics"]["asr@k"]["rule"]
    versus_direct = {c["b"]["attack"] for c in summary["comparisons"]
                     if c["axis"] == "attack" and c["metric"] == "asr@1" and c["b"]["probe_set"] == "harmful"}
    assert versus_direct == {"past-tense", "future-tense", "conjugate"}
    languages = harmful["conjugate"]["by_language"]
    assert set(languages) == {"fr", "de", "ja", "hu", "sw"}
    assert all(entry["gap_vs_direct"]["n_shared"] == 3 for entry in languages.values())
    rows = [json.loads(x) for x in (run_dir / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 3 * 8 + 3
    conjugate = [r for r in rows if r["attack"] == "conjugate"]
    assert all(r["variant_meta"]["judged_in"].startswith(r["language"] + ": no back-translation") for r in conjugate)
    report = (run_dir / "report.md").read_text()
    assert "## By language" in report and "## Prompt attacks" in report
