"""report.html: one self-contained page (inline CSS, inline SVG, one small inline script).

The page opens offline and loads nothing. A Content-Security-Policy allows only the page's
own style block and filter script (by hash), so even a response that slipped past
escaping could not run code or fetch anything.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape
from pathlib import Path
from typing import Any

from auditor.components import ReportFormat
from auditor.report import html_sections as s
from auditor.report.html_transcripts import FILTER_SCRIPT, transcripts_section

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1d1d1f;
       background: #fafafa; line-height: 1.45; }
header { background: #1f2933; color: #fff; padding: 18px 32px; }
header h1 { margin: 0 0 4px 0; font-size: 22px; }
header .meta { color: #c9d1d9; font-size: 13px; }
nav { padding: 8px 32px; background: #eef1f4; font-size: 13px; }
nav a { margin-right: 14px; color: #2f5d8a; text-decoration: none; }
main { padding: 8px 32px 40px 32px; max-width: 1280px; }
section { margin: 22px 0; }
h2 { font-size: 18px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; }
.verdict { border-radius: 8px; padding: 14px 20px; border: 2px solid #999; background: #fff; }
.verdict .status { font-size: 26px; font-weight: 700; letter-spacing: 1px; }
.verdict.pass { border-color: #2e7d32; } .verdict.pass .status { color: #2e7d32; }
.verdict.fail { border-color: #b71c1c; } .verdict.fail .status { color: #b71c1c; }
.verdict.neutral .status { color: #555; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { background: #fff; border: 1px solid #ddd; border-radius: 8px; padding: 10px 16px; min-width: 220px; }
.card .big { font-size: 26px; font-weight: 700; }
.ci, .muted, .note { color: #666; font-size: 12px; }
figure { margin: 12px 0 20px 0; overflow-x: auto; }
figcaption { font-size: 13px; color: #444; margin-bottom: 4px; }
table { border-collapse: collapse; font-size: 13px; background: #fff; margin: 6px 0 12px 0; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f2f5; }
.sig { color: #b71c1c; font-weight: 600; font-size: 11px; }
.filters { margin: 8px 0; font-size: 13px; }
.filters input, .filters select { font-size: 13px; margin-right: 8px; }
details.cell-group { background: #fff; border: 1px solid #ddd; border-radius: 6px; margin: 6px 0; padding: 4px 10px; }
details.cell-group > summary { cursor: pointer; font-weight: 600; }
details.transcript { border-top: 1px solid #eee; padding: 4px 0 4px 12px; }
details.transcript > summary { cursor: pointer; font-size: 13px; }
.msg pre { white-space: pre-wrap; word-break: break-word; background: #f6f8fa; padding: 6px 8px;
           border-radius: 4px; margin: 2px 0 6px 0; font-size: 12px; }
.tag { font-size: 11px; padding: 1px 6px; border-radius: 8px; color: #fff; background: #777; }
.tag.complied { background: #b71c1c; } .tag.refused { background: #2e7d32; }
code { font-size: 12px; }
footer { color: #666; font-size: 12px; padding: 0 32px 24px 32px; }
"""

NAV = [("verdict", "Verdict"), ("attacks", "Attack success"), ("rates", "Rates"), ("costs", "Defense costs"),
       ("categories", "Categories"), ("comparisons", "Paired tests"), ("judges", "Judges"),
       ("transcripts", "Transcripts"), ("provenance", "Provenance")]


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy() -> str:
    return (f"default-src 'none'; style-src {csp_hash(STYLE)}; script-src {csp_hash(FILTER_SCRIPT)}; "
            "img-src data:; base-uri 'none'; form-action 'none'")


def render_html(summary: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    run = summary.get("run", {})
    model = str(summary.get("model", ""))
    meta = " · ".join(escape(str(x)) for x in (
        f"started {run.get('started')}" if run.get("started") else "",
        f"config {run.get('config_hash')}" if run.get("config_hash") else "",
        f"auditor {run.get('packages', {}).get('auditor')}" if run.get("packages", {}).get("auditor") else "",
        f"{len(rows)} responses",
    ) if x)
    body = [
        s.verdict(summary),
        s.section("headline", "Key numbers", s.key_numbers(summary)),
        s.section("attacks", "Attack success by pipeline and attack", s.attack_heatmaps(summary),
                  "Share of harmful requests answered on the first attempt (asr@1). Darker is worse."),
        s.section("rates", "Rates with 95% intervals", s.rate_bars(summary) + s.score_bars(summary)),
        s.section("cells", "All cells", s.cells_table(summary)),
        s.section("costs", "What each defense buys and costs", s.defense_costs(summary) + s.utility_bars(summary),
                  "Differences are against the base model on the same items (exact McNemar test)."),
        s.section("categories", "By category", s.category_heatmaps(summary) + s.language_heatmap(summary)
                  + s.question_heatmap(summary)),
        s.section("comparisons", "Paired comparisons", s.comparisons_table(summary),
                  "Each cell against the same pipeline under the direct request and the same attack on the base "
                  "model: exact McNemar test for rates, paired bootstrap for graded scores."),
        s.section("judges", "Judges and their measured accuracy", s.judges_section(summary, rows)),
        s.section("transcripts", "Transcripts (sample)", transcripts_section(rows)),
        s.section("provenance", "Provenance", s.provenance(summary)),
    ]
    nav = "".join(f'<a href="#{a}">{escape(t)}</a>' for a, t in NAV)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{escape(content_security_policy())}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Safety audit: {escape(model)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>Safety audit: {escape(model)}</h1><div class=\"meta\">{meta}</div></header>"
        f"<nav>{nav}</nav><main>{''.join(body)}</main>"
        "<footer>Rates carry 95% Wilson intervals; paired tests compare the same items. "
        "Responses are model output, shown as inert text.</footer>"
        f"<script>{FILTER_SCRIPT}</script></body></html>\n"
    )


class HtmlReport(ReportFormat):
    """report.html: verdict, heatmaps, interval charts, defense costs, judges, transcripts, provenance."""

    def render(self, run_dir: Path, summary: dict[str, Any], rows: list[dict[str, Any]]) -> list[Path]:
        path = Path(run_dir) / "report.html"
        path.write_text(render_html(summary, rows), encoding="utf-8")
        return [path]
