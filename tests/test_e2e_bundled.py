"""End-to-end on the bundled SmolLM2-135M-Instruct (slow: `pytest -m e2e`)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from auditor.cli import cli

pytestmark = pytest.mark.e2e


def test_default_scan_on_bundled_model(tmp_path):
    args = ["scan", "--limit", "4", "--max-new-tokens", "32", "-o", str(tmp_path), "-q", "-a", "direct"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    [run_dir] = list(tmp_path.iterdir())
    summary = json.loads((run_dir / "summary.json").read_text())
    harmful = summary["headline"]["refusal_rate"]
    # The bundled model has no safety training: it complies with nearly every request.
    assert harmful["n"] == 4 and harmful["value"] <= 0.5
    rows = [json.loads(x) for x in (run_dir / "results.jsonl").read_text().splitlines()]
    assert all(r["response"] for r in rows)
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0
    assert "generated 0" in again.output
