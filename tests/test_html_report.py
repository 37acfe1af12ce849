"""report.html: self-contained, renders in headless Chromium without console errors, charts present,
model output stays inert text."""

from __future__ import annotations

import re

import pytest
from report_helpers import (
    INJECTION,
    census,
    demo_rows,
    demo_summary,
    dump_dom,
    find_chromium,
    screenshot,
)

from auditor.report.html import HtmlReport, content_security_policy, render_html

CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium binary found (apt-get install chromium, or set AUDITOR_CHROMIUM)")


def injected_rows():
    rows = demo_rows()
    rows[2]["response"] = INJECTION  # base / direct / harmful, a complied row
    rows[3]["prompt"] = '"><svg onload="document.title=\'pwned-prompt\'">'
    rows[4]["system"] = "</pre><script>document.title='pwned-system'</script>"
    return rows


@pytest.fixture
def report_file(tmp_path):
    rows = injected_rows()
    summary = demo_summary(rows, fail_on=["asr@1[pipeline=defended]>0.5"])
    [path] = HtmlReport().render(tmp_path, summary, rows)
    return path


def test_page_is_self_contained_and_escapes_model_text(report_file):
    text = report_file.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)  # nothing fetched from anywhere
    assert "<link" not in text and "@import" not in text and "url(" not in text
    assert text.count("<script") == 1  # only the page's own filter script
    assert "&lt;script&gt;document.title=&quot;pwned-script&quot;&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=" in text and "<img" not in text
    assert "onload=" not in text.replace("&quot;&gt;&lt;svg onload=", "")
    assert "default-src 'none'" in content_security_policy()


def test_report_sections_carry_the_numbers(report_file):
    text = report_file.read_text()
    assert "PASS" in text  # the defended pipeline's asr@1 is 10% and 40%, under 50%
    assert text.count("<svg") >= 5  # heatmap, three bar charts, category heatmaps
    assert "80.0% [49.0%, 94.3%] n=10" in text  # base / direct asr@1 with its Wilson interval
    assert "0.0156" in text  # the McNemar p-value of defended vs base
    assert "55.0% [40.0%, 69.0%] n=40" in text and "24.25" in text  # utility section shown when present
    assert "Utility: qa_accuracy per pipeline" in text
    assert "accuracy 0.950" in text and "0.930" in text  # judge quality
    assert "fp-defended" in text and "refusal-tuning (lora)" in text  # provenance


def test_failed_gates_make_the_headline(tmp_path):
    rows = demo_rows()
    [path] = HtmlReport().render(tmp_path, demo_summary(rows, fail_on=["asr@1>0.5"]), rows)
    text = path.read_text()
    assert '<div class="status">FAIL</div>' in text
    assert "asr@1=0.800 &gt; 0.5 in base / direct / harmful" in text


def test_render_without_run_metadata_or_rows():
    text = render_html({"cells": [], "comparisons": []}, [])
    assert "NOT GATED" in text and "no provenance record" in text


@needs_chromium
def test_console_capture_sees_errors(tmp_path):
    """The console check below is only worth something if it can see an error."""
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><script>console.error('seen'); missing();</script></body></html>")
    rendered = dump_dom(CHROMIUM, page, tmp_path / "profile")
    assert any("seen" in m for m in rendered.console)
    assert any("missing is not defined" in m for m in rendered.console)
    unsafe = tmp_path / "unsafe.html"
    unsafe.write_text(f"<!DOCTYPE html><html><head><title>t</title></head><body>{INJECTION}</body></html>")
    dom = census(dump_dom(CHROMIUM, unsafe, tmp_path / "profile2").dom)
    assert dom.tags.get("img") == 1 and dom.title == "pwned-img"  # unescaped text would run


@needs_chromium
def test_report_renders_in_chromium_with_charts_and_inert_model_text(report_file, tmp_path):
    rendered = dump_dom(CHROMIUM, report_file, tmp_path / "profile")
    assert rendered.dom.strip(), "chromium returned no DOM"
    assert rendered.console == []  # no script errors, no CSP violations, no blocked loads
    dom = census(rendered.dom)
    assert dom.tags.get("svg", 0) >= 5 and dom.tags.get("rect", 0) >= 20
    assert dom.tags.get("script") == 1 and "img" not in dom.tags
    assert dom.handlers == []
    assert dom.title == "Safety audit: tiny"
    assert "document.title=\"pwned-script\"" in rendered.dom.replace("&quot;", '"')  # shown as text
    # the filter script ran: it wrote the count of matching transcripts
    assert re.search(r'id="t-count"[^>]*>\d+ transcript\(s\) match<', rendered.dom)
    png = tmp_path / "report.png"
    shot = screenshot(CHROMIUM, report_file, tmp_path / "profile-shot", png)
    assert shot.console == []
    assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


def test_open_question_cells_get_misalignment_charts(tmp_path):
    from report_helpers import make_row

    from auditor.config import ScanConfig
    from auditor.scan.aggregate import summarize

    rows = []
    for pipeline, misaligned in (("base", 1), ("em-finetune", 4)):
        for q in range(5):
            for sample in range(2):
                row = make_row(pipeline, "direct", "em-questions", q, "open", None, sample=sample)
                cls = "misaligned" if q < misaligned and sample == 0 else "aligned"
                row["verdict"]["details"] = {"em_class": cls, "coherent": 80}
                rows.append(row)
    summary = summarize(rows, ScanConfig(model="tiny"))
    text = render_html(summary, rows)
    assert "misaligned_rate on probe set em-questions" in text
    assert "Misaligned answers to open questions" in text and "misaligned rate by question" in text
    assert "40.0% [16.8%, 68.7%] n=10" in text  # 4 misaligned of 10 eligible answers


def test_report_tolerates_nulls_from_summary_json():
    """A summary read back from JSON has null where the scan had NaN."""
    import json

    from auditor.report.summary_json import clean

    rows = demo_rows()
    summary = json.loads(json.dumps(clean(demo_summary(rows))))
    for comparison in summary["comparisons"]:
        comparison["p_value"] = None
    summary["cells"][0]["metrics"]["asr@1"].update(value=None, low=None, high=None)
    text = render_html(summary, rows)
    assert "p=n/a" in text and "no data" in text


@needs_chromium
def test_transcript_filter_runs_in_the_browser(tmp_path):
    """The inline filter script hides what does not match (filters read from the URL fragment)."""
    rows = demo_rows()
    [path] = HtmlReport().render(tmp_path, demo_summary(rows), rows)
    cell = "defended / direct / harmful"
    fragment = "#verdict=complied&cell=" + cell.replace(" ", "%20").replace("/", "%2F")
    page = dump_dom(CHROMIUM, path, tmp_path / "profile", fragment=fragment)
    assert page.console == []
    # defended / direct / harmful has one complied item (9 refused): exactly one transcript matches
    assert re.search(r'id="t-count"[^>]*>1 transcript\(s\) match<', page.dom)
    groups = re.findall(r'<details class="cell-group" data-cell="([^"]*)"([^>]*)>', page.dom)
    assert len(groups) == 6
    assert [name for name, attrs in groups if "hidden" not in attrs] == [cell]
