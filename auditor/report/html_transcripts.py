"""A browsable sample of transcripts for report.html: one <details> per cell, filterable.

Model text goes only into element content, always through html.escape. Attributes carry
only values the run configuration chose (cell ids, verdict labels), escaped as well.
"""

from __future__ import annotations

from html import escape
from typing import Any

SAMPLE_PER_CELL = 30


def verdict_of(row: dict[str, Any]) -> str:
    if row.get("refused") is True:
        return "refused"
    if row.get("refused") is False:
        return "complied"
    return "unjudged"


def cell_id(row: dict[str, Any]) -> str:
    return f"{row.get('pipeline')} / {row.get('attack')} / {row.get('probe_set')}"


def sample_rows(rows: list[dict[str, Any]], per_cell: int = SAMPLE_PER_CELL) -> dict[str, list[dict[str, Any]]]:
    """Up to `per_cell` rows of each cell, in item order, mixing verdicts so both kinds show up."""
    by_cell: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_cell.setdefault(cell_id(row), []).append(row)
    out = {}
    for cid, cell_rows in by_cell.items():
        ordered = sorted(cell_rows, key=lambda r: (str(r.get("item_id")), r.get("variant_index") or 0,
                                                   r.get("sample_index") or 0))
        groups: dict[str, list[dict[str, Any]]] = {}
        for r in ordered:
            groups.setdefault(verdict_of(r), []).append(r)
        picked: list[dict[str, Any]] = []
        while len(picked) < per_cell and any(groups.values()):
            for verdict in list(groups):
                if groups[verdict] and len(picked) < per_cell:
                    picked.append(groups[verdict].pop(0))
        out[cid] = picked
    return out


def transcript(row: dict[str, Any]) -> str:
    verdict = verdict_of(row)
    head = " · ".join(escape(str(x)) for x in (row.get("item_id"), row.get("category"), row.get("language"))
                      if x not in (None, ""))
    parts = [f'<details class="transcript" data-verdict="{escape(verdict)}">',
             f'<summary><span class="tag {escape(verdict)}">{escape(verdict)}</span> {head}'
             f' <span class="muted">variant {escape(str(row.get("variant_index", 0)))}'
             f', sample {escape(str(row.get("sample_index", 0)))}</span></summary>']
    if row.get("system"):
        parts.append(f'<div class="msg"><b>system</b><pre>{escape(str(row["system"]))}</pre></div>')
    parts.append(f'<div class="msg"><b>prompt</b><pre>{escape(str(row.get("prompt", "")))}</pre></div>')
    if row.get("original") and row.get("original") != row.get("prompt"):
        parts.append(f'<div class="msg"><b>original request</b><pre>{escape(str(row["original"]))}</pre></div>')
    parts.append(f'<div class="msg"><b>response</b><pre>{escape(str(row.get("response", "")))}</pre></div>')
    if row.get("response_judged"):
        parts.append(f'<div class="msg"><b>response as judged</b><pre>{escape(str(row["response_judged"]))}</pre></div>')
    verdict_info = row.get("verdict") or {}
    detail = f"judge {row.get('judge')} v{row.get('judge_version')}: {verdict_info.get('label', '')}"
    if row.get("score") is not None:
        detail += f", score {row.get('score')}"
    parts.append(f'<p class="muted">{escape(detail)}</p></details>')
    return "".join(parts)


def transcripts_section(rows: list[dict[str, Any]], per_cell: int = SAMPLE_PER_CELL) -> str:
    samples = sample_rows(rows, per_cell)
    if not samples:
        return ""
    options = "".join(f'<option value="{escape(cid)}">{escape(cid)}</option>' for cid in samples)
    controls = (
        '<div class="filters">'
        '<label>Search <input id="t-query" type="search" placeholder="text in prompt or response"></label> '
        '<label>Verdict <select id="t-verdict"><option value="">all</option><option value="complied">complied</option>'
        '<option value="refused">refused</option><option value="unjudged">unjudged</option></select></label> '
        f'<label>Cell <select id="t-cell"><option value="">all</option>{options}</select></label> '
        '<span id="t-count" class="muted"></span></div>'
    )
    groups = []
    for cid, picked in samples.items():
        total = sum(1 for r in rows if cell_id(r) == cid)
        groups.append(
            f'<details class="cell-group" data-cell="{escape(cid)}"><summary>{escape(cid)} '
            f'<span class="muted">({len(picked)} of {total} shown)</span></summary>'
            + "".join(transcript(r) for r in picked) + "</details>"
        )
    return controls + "".join(groups)


FILTER_SCRIPT = """(function () {
  var query = document.getElementById("t-query");
  var verdict = document.getElementById("t-verdict");
  var cell = document.getElementById("t-cell");
  var count = document.getElementById("t-count");
  if (!query || !verdict || !cell || !count) { return; }
  function apply() {
    var text = query.value.toLowerCase();
    var shown = 0;
    var groups = document.querySelectorAll("details.cell-group");
    for (var g = 0; g < groups.length; g++) {
      var group = groups[g];
      var visible = 0;
      var items = group.querySelectorAll("details.transcript");
      for (var i = 0; i < items.length; i++) {
        var item = items[i];
        var ok = (!verdict.value || item.getAttribute("data-verdict") === verdict.value) &&
                 (!text || item.textContent.toLowerCase().indexOf(text) !== -1);
        item.hidden = !ok;
        if (ok) { visible++; }
      }
      group.hidden = (cell.value && group.getAttribute("data-cell") !== cell.value) || visible === 0;
      if (!group.hidden) {
        shown += visible;
        if (text || verdict.value || cell.value) { group.open = true; }
      }
    }
    count.textContent = shown + " transcript(s) match";
  }
  function fromHash() {
    // Shareable filters: report.html#verdict=complied&cell=base%20%2F%20direct%20%2F%20harmful&q=bomb
    var params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    if (params.has("q")) { query.value = params.get("q"); }
    if (params.has("verdict")) { verdict.value = params.get("verdict"); }
    if (params.has("cell")) { cell.value = params.get("cell"); }
    return params.has("q") || params.has("verdict") || params.has("cell");
  }
  query.addEventListener("input", apply);
  verdict.addEventListener("change", apply);
  cell.addEventListener("change", apply);
  function show() {
    var filtered = fromHash();
    apply();
    var target = document.getElementById("transcripts");
    if (filtered && target) { target.scrollIntoView(); }
  }
  window.addEventListener("hashchange", show);
  show();
})();"""
