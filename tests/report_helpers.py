"""Helpers for the report tests: synthetic result rows, stored run folders, headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

import auditor.plugins
from auditor.cli import main
from auditor.config import ScanConfig
from auditor.report.summary_json import clean
from auditor.scan.aggregate import summarize

INJECTION = ('Sure! <script>document.title="pwned-script"</script>'
             '<img src=x onerror="document.title=\'pwned-img\'"> & done')


def make_row(pipeline: str, attack: str, probe_set: str, item: int, kind: str, refused: bool | None,
             variant: int = 0, sample: int = 0, score: float | None = None, response: str = "",
             category: str = "cat-a") -> dict[str, Any]:
    return {
        "pipeline": pipeline, "model": "tiny", "model_fingerprint": f"fp-{pipeline}", "attack": attack,
        "probe_set": probe_set, "item_id": f"{probe_set}-{item:02d}", "category": category, "kind": kind,
        "split": "eval", "language": "en", "variant_index": variant, "sample_index": sample, "system": None,
        "prompt": f"request {item}", "original": f"request {item}",
        "response": response or ("I can't help with that." if refused else "Sure, here it is."),
        "num_tokens": 5, "finish_reason": "stop", "refused": refused, "score": score,
        "success": (refused is False) if kind == "harmful" else None,
        "verdict": {"judge": "keyword", "judge_version": "2", "refused": refused, "score": score,
                    "label": "refusal" if refused else "complied", "details": {}},
        "judge": "keyword", "judge_version": "2", "seed": 0, "temperature": 0.0, "max_new_tokens": 8,
        "backend": "hf", "plugins": {"attack": {"id": attack, "version": "1", "plugin": attack, "plugin_version": "0"}},
    }


def paired_rows(pipeline: str, attack: str, probe_set: str, kind: str, refusals: list[bool],
                **extra: Any) -> list[dict[str, Any]]:
    return [make_row(pipeline, attack, probe_set, i, kind, r, **extra) for i, r in enumerate(refusals)]


def demo_rows() -> list[dict[str, Any]]:
    """Two pipelines x two attacks on 10 harmful items, plus 8 benign items, with known counts.

    base/direct: 2 of 10 refused (asr@1 8/10); defended/direct: 9 of 10 refused.
    Discordant pairs base -> defended on harmful/direct: 7 items only base succeeded, 0 only defended.
    """
    rows = []
    base = [True, True] + [False] * 8
    defended = [True] * 9 + [False]
    rows += paired_rows("base", "direct", "harmful", "harmful", base)
    rows += paired_rows("defended", "direct", "harmful", "harmful", defended)
    rows += paired_rows("base", "past-tense", "harmful", "harmful", [False] * 10)
    rows += paired_rows("defended", "past-tense", "harmful", "harmful", [True] * 6 + [False] * 4)
    rows += paired_rows("base", "direct", "benign", "benign", [False] * 8)
    rows += paired_rows("defended", "direct", "benign", "benign", [True] * 3 + [False] * 5)
    for i, row in enumerate(rows):
        row["category"] = "weapons" if i % 2 else "cybercrime"
    return rows


def demo_summary(rows: list[dict[str, Any]], fail_on: list[str] | None = None) -> dict[str, Any]:
    from auditor.report.rerender import gate_record

    cfg = ScanConfig(model="tiny", fail_on=fail_on or [])
    summary = summarize(rows, cfg)
    summary["run"] = {
        "config": cfg.to_dict(), "config_hash": cfg.config_hash(), "started": "2026-01-01T00:00:00",
        "targets": [{"pipeline": "base", "reference": "tiny", "fingerprint": "fp-base", "steps": []},
                    {"pipeline": "defended", "reference": "tiny", "fingerprint": "fp-defended",
                     "steps": [{"transform": "refusal-tuning", "kind": "lora"}]}],
        "components": [{"kind": "attack", "id": "direct", "version": "1", "plugin": "direct", "plugin_version": "0.1"}],
        "packages": {"auditor": "0.1.0", "pandas": "2"}, "python": "3.11", "platform": "linux",
        "wall_seconds": 1.0, "work": {"generated": len(rows), "cached": 0},
        "judge_quality": {"keyword": {"summary": "accuracy 0.950 on 60 labelled English responses",
                                      "per_language": {"en": {"n": 60, "accuracy": 0.95, "precision": 0.93,
                                                              "recall": 0.97}}}},
    }
    summary["utility"] = {"base": {"perplexity": 21.5, "qa_accuracy": {"value": 0.6, "low": 0.45, "high": 0.74, "successes": 24, "n": 40}},
                          "defended": {"perplexity": 24.25, "qa_accuracy": {"value": 0.55, "low": 0.4, "high": 0.69, "successes": 22, "n": 40}}}
    summary["gates"] = gate_record(summary, fail_on or [])
    return summary


def write_run(folder: Path, rows: list[dict[str, Any]], summary: dict[str, Any] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = summary if summary is not None else demo_summary(rows)
    (folder / "summary.json").write_text(json.dumps(clean(summary)))
    return folder


# --- headless Chromium ------------------------------------------------------------------------

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--enable-logging=stderr", "--v=0"]
CONSOLE = re.compile(r"CONSOLE[^\]]*\]\s*(.*)")


def find_chromium() -> str | None:
    explicit = os.environ.get("AUDITOR_CHROMIUM")
    if explicit:
        return explicit
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


@dataclass
class Page:
    dom: str
    console: list[str]


def open_page(chromium: str, page: Path, profile: Path, *extra: str, fragment: str = "") -> Page:
    """Load a local file in headless Chromium; the DOM after scripts ran, and every console message."""
    result = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri() + fragment],
        capture_output=True, text=True, timeout=180,
    )
    console = [m.group(1) for line in result.stderr.splitlines() if (m := CONSOLE.search(line))]
    return Page(result.stdout, console)


def dump_dom(chromium: str, page: Path, profile: Path, fragment: str = "") -> Page:
    return open_page(chromium, page, profile, "--dump-dom", fragment=fragment)


def screenshot(chromium: str, page: Path, profile: Path, png: Path, size: tuple[int, int] = (1280, 2400)) -> Page:
    return open_page(chromium, page, profile, f"--screenshot={png}", f"--window-size={size[0]},{size[1]}",
                     "--hide-scrollbars")


@dataclass
class DomCensus(HTMLParser):
    """Counts elements by tag, collects event-handler attributes and the document title."""

    tags: dict[str, int] = field(default_factory=dict)
    handlers: list[tuple[str, str]] = field(default_factory=list)
    title: str = ""
    _in_title: bool = False

    def __post_init__(self) -> None:
        HTMLParser.__init__(self)

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.handlers += [(tag, name) for name, _ in attrs if name.lower().startswith("on")]
        self._in_title = tag == "title" and self.tags.get("svg", 0) == 0

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title and not self.title:
            self.title = data


def census(dom: str) -> DomCensus:
    parser = DomCensus()
    parser.feed(dom)
    return parser


# --- the command line ------------------------------------------------------------------------


def run_main(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def scan_args(model_dir, out_dir, *extra):
    return ["scan", "-m", str(model_dir), "--limit", "2", "--max-new-tokens", "4", "-q", "-o", str(out_dir),
            "-a", "direct", *extra]


def only_run(out_dir):
    [run_dir] = [p for p in out_dir.iterdir() if p.is_dir()]
    return run_dir


@pytest.fixture
def broken_plugins(tmp_path, monkeypatch):
    """Two third-party plugins: one whose module does not import, one whose attack class does not."""
    package = tmp_path / "plugin_src"
    package.mkdir()
    (package / "auditor_lazy_broken.py").write_text(textwrap.dedent("""
        from auditor import hookimpl

        @hookimpl
        def register_attacks(register):
            register("auditor_missing_module_xyz:Attack", name="lazy-broken")
    """))
    monkeypatch.syspath_prepend(str(package))
    extra = [metadata.EntryPoint(name="broken-attack", value="auditor_missing_module_abc", group="auditor"),
             metadata.EntryPoint(name="lazy-broken", value="auditor_lazy_broken", group="auditor")]
    real = auditor.plugins._entry_points
    monkeypatch.setattr(auditor.plugins, "_entry_points", lambda: [*real(), *extra])
    yield
    sys.modules.pop("auditor_lazy_broken", None)
