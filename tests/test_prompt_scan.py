"""Prompt attacks in a scan: defaults, CLI and scan.yaml, paired tests and language gaps in the summary."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from prompt_helpers import host_with_backend, make_backend
from report_helpers import make_row, paired_rows

from auditor.cli import cli
from auditor.config import ScanConfig
from auditor.errors import ConfigError
from auditor.report.markdown import render_markdown
from auditor.scan.aggregate import summarize
from auditor.scan.engine import run_scan


def test_default_scan_attacks():
    assert ScanConfig().attacks == ["direct", "past-tense", "future-tense", "conjugate"]


def conjugate_rows():
    """direct: 2 of 8 broken; conjugate fr: 4 of 8; conjugate sw: 8 of 8."""
    rows = paired_rows("base", "direct", "harmful", "harmful", [True] * 6 + [False] * 2)
    fr = paired_rows("base", "conjugate", "harmful", "harmful", [False, False, False, True, True, True, True, False])
    sw = paired_rows("base", "conjugate", "harmful", "harmful", [False] * 8, variant=1)
    for row in fr:
        row["language"] = "fr"
    for row in sw:
        row["language"] = "sw"
    return rows + fr + sw


def test_language_gaps_and_best_of_k_paired_tests_by_hand():
    summary = summarize(conjugate_rows(), ScanConfig(model="tiny"))
    cell = next(c for c in summary["cells"] if c["attack"] == "conjugate")
    assert cell["metrics"]["asr@1"]["value"] == 0.5  # the first language, fr
    assert cell["metrics"]["asr@k"]["value"] == 1.0 and cell["metrics"]["asr@k"]["k"] == 2
    fr = cell["by_language"]["fr"]["gap_vs_direct"]
    # fr vs direct: item 6 broken only by direct, items 0-2 only in French; exact McNemar(1, 3) = 10/16
    assert (fr["only_direct"], fr["only_this_language"], fr["n_shared"]) == (1, 3, 8)
    assert fr["gap"] == pytest.approx(0.25) and fr["p_value"] == pytest.approx(0.625)
    sw = cell["by_language"]["sw"]["gap_vs_direct"]
    assert (sw["only_direct"], sw["only_this_language"]) == (0, 6)
    assert sw["p_value"] == pytest.approx(2 / 64) and sw["direct_asr"] == 0.25 and sw["direct_languages"] == ["en"]
    by_metric = {(c["b"]["attack"], c["metric"]): c for c in summary["comparisons"]}
    assert by_metric[("conjugate", "asr@1")]["p_value"] == pytest.approx(0.625)
    best = by_metric[("conjugate", "asr@k")]
    assert (best["only_a"], best["only_b"], best["rate_b"]) == (0, 6, 1.0)
    assert best["p_value"] == pytest.approx(2 / 64)
    assert ("direct", "asr@k") not in by_metric
    summary["attacks"] = {"conjugate": {"asr_at_k_rule": "rule text", "languages": ["sw", "fr"]}}
    report = render_markdown(summary, conjugate_rows())
    assert "## By language" in report and "- `conjugate`: rule text" in report
    sw_line = next(line for line in report.splitlines() if line.startswith("| base | conjugate | harmful | sw |"))
    assert "+75.0 pts" in sw_line and "0.0312" in sw_line
    lines = report.splitlines()
    assert lines.index(sw_line) < lines.index(next(x for x in lines if x.startswith("| base | conjugate | harmful | fr |")))


def test_a_single_language_cell_still_gets_its_gap_to_direct():
    rows = paired_rows("base", "direct", "harmful", "harmful", [True, True, False])
    ja = paired_rows("base", "conjugate", "harmful", "harmful", [False, False, False])
    for row in ja:
        row["language"] = "ja"
    cell = next(c for c in summarize(rows + ja, ScanConfig())["cells"] if c["attack"] == "conjugate")
    assert cell["by_language"]["ja"]["asr"]["value"] == 1.0
    assert cell["by_language"]["ja"]["gap_vs_direct"]["only_this_language"] == 2


def test_k1_attacks_get_no_best_of_k_comparison():
    rows = paired_rows("base", "direct", "harmful", "harmful", [True, False]) + \
        paired_rows("base", "past-tense", "harmful", "harmful", [False, False])
    summary = summarize(rows, ScanConfig(model="tiny"))
    assert {c["metric"] for c in summary["comparisons"]} == {"asr@1"}
    assert summarize([make_row("base", "direct", "harmful", 0, "harmful", True)], ScanConfig())["cells"][0][
        "by_language"] == {}


def test_cli_attack_flags_and_component_options(tmp_path, tiny_model_dir):
    args = ["scan", "-m", str(tiny_model_dir), "-p", "harmful", "--limit", "1", "--max-new-tokens", "2", "-q",
            "-o", str(tmp_path / "out"), "--attack", "past-tense", "--attack", "conjugate",
            "-O", "conjugate.languages=fr,sw"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    [run_dir] = list((tmp_path / "out").iterdir())
    rows = [json.loads(x) for x in (run_dir / "results.jsonl").read_text().splitlines()]
    assert [(r["attack"], r["language"]) for r in rows] == [("past-tense", "en"), ("conjugate", "fr"),
                                                            ("conjugate", "sw")]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert set(summary["attacks"]) == {"past-tense", "conjugate"}


def test_scan_yaml_attacks_and_options(tmp_path, tiny_model_dir):
    config = tmp_path / "scan.yaml"
    config.write_text(
        f"model: {tiny_model_dir}\nprobes: [harmful]\nlimit: 1\nmax_new_tokens: 2\noutput_dir: {tmp_path / 'out'}\n"
        "attacks: [future-tense, conjugate]\ncomponent_options:\n  conjugate:\n    languages: [ja]\n")
    result = CliRunner().invoke(cli, ["scan", "-c", str(config), "-q"])
    assert result.exit_code == 0, result.output
    [run_dir] = list((tmp_path / "out").iterdir())
    rows = [json.loads(x) for x in (run_dir / "results.jsonl").read_text().splitlines()]
    assert [(r["attack"], r["language"]) for r in rows] == [("future-tense", "en"), ("conjugate", "ja")]
    summary = json.loads((run_dir / "summary.json").read_text())
    cells = {c["attack"]: c for c in summary["cells"]}
    # One language is still a language figure (no direct cell here, so no gap to it).
    assert set(cells["conjugate"]["by_language"]) == {"ja"} and cells["future-tense"]["by_language"] == {}


def test_unknown_attack_lists_the_prompt_attacks(tmp_path, tiny_model_dir, capsys):
    from auditor.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["scan", "-m", str(tiny_model_dir), "-a", "past-tence", "-q", "-o", str(tmp_path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "unknown attack 'past-tence'" in err
    assert all(name in err for name in ("conjugate", "direct", "future-tense", "past-tense"))


def test_default_attacks_on_items_without_variants_fail_before_model_work(tmp_path, tiny_model_dir):
    probes = tmp_path / "mine.jsonl"
    probes.write_text(json.dumps({"id": "a", "text": "Explain how to do a bad thing."}))
    backend = make_backend(lambda r: "Sure.")
    cfg = ScanConfig(model=str(tiny_model_dir), backend="scripted", probes=[str(probes)],
                     output_dir=str(tmp_path / "out"))
    with pytest.raises(ConfigError, match="past-tense.*no helper model is configured"):
        run_scan(cfg, host=host_with_backend(backend), show_progress=False)
    assert backend.seen == []
    assert not (tmp_path / "out").exists()
