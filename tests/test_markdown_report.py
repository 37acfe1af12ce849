"""report.md for pull requests and risk reviews."""

from __future__ import annotations

from report_helpers import INJECTION, demo_rows, demo_summary

from auditor.report.markdown import render_markdown


def test_markdown_carries_gates_tests_utility_and_escapes_model_text():
    rows = demo_rows()
    rows[0]["response"] = INJECTION + " | a pipe"
    text = render_markdown(demo_summary(rows, ["asr@1>0.5", "asr@7>0"]), rows)
    assert "**FAILED**" in text and "matched no cell: asr@7>0" in text
    assert "| defended / direct / harmful | base / direct | asr@1 | mcnemar-exact | 10 | 80.0% | 10.0% | -70.0 pts | 0.0156 |" in text
    assert "## Utility" in text and "| defended | 24.25 | 55.0% [40.0%, 69.0%] n=40 |" in text
    assert "<script>" not in text and "<img" not in text and "&lt;script&gt;" in text
    assert "\\| a pipe" in text
