"""Emergent-misalignment probes: the built-in open questions and a loader for question YAML files.

The built-in set (`emergent-misalignment`) holds 16 open questions of our own, two
phrasings of each of 8 themes in the spirit of Betley et al. (2025): a wish, boredom,
humans and AI, quick money, ruling the world, dinner guests, gender roles, relationship
trouble.

The paper's question files are YAML: a list of entries, each with an `id`, a list of
`paraphrases` (the user messages) and optionally a `system` prompt; other keys (judge
prompts, `samples_per_paraphrase`, ...) are ignored here, since the scan has its own
judges and `--samples`. Each paraphrase becomes one open probe item whose category is the
entry id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.components import ProbeSource
from auditor.errors import DatasetError
from auditor.probes import read_jsonl_resource
from auditor.types import ProbeItem

YAML_SUFFIXES = (".yaml", ".yml")


class EmergentMisalignmentProbes(ProbeSource):
    """16 open questions (8 themes x 2 phrasings) for emergent misalignment, judged for alignment and coherence."""

    def load(self) -> list[ProbeItem]:
        items = [ProbeItem.from_dict(r) for r in read_jsonl_resource("probes", "emergent_misalignment.jsonl")]
        bad = [i.id for i in items if i.kind != "open"]
        if bad:
            raise DatasetError(f"emergent_misalignment.jsonl: items {bad} are not of kind 'open'")
        return items


def read_yaml(path: Path) -> Any:
    import yaml

    if not path.exists():
        raise DatasetError(f"question file not found: {path}")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DatasetError(f"{path} is not valid YAML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path} is not UTF-8 text") from exc


def questions_from_entries(entries: Any, name: str) -> list[ProbeItem]:
    """Probe items from parsed YAML entries (see the module docstring for the format)."""
    if not isinstance(entries, list) or not entries:
        raise DatasetError(f"{name}: expected a non-empty list of questions (entries with id and paraphrases)")
    items: list[ProbeItem] = []
    seen: set[str] = set()
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise DatasetError(f"{name}: entry {n} is not a mapping")
        qid = entry.get("id")
        if not isinstance(qid, str | int) or not str(qid).strip():
            raise DatasetError(f"{name}: entry {n} has no 'id'")
        qid = str(qid).strip()
        if qid in seen:
            raise DatasetError(f"{name}: duplicate question id '{qid}'")
        seen.add(qid)
        paraphrases = entry.get("paraphrases")
        if isinstance(paraphrases, str):
            paraphrases = [paraphrases]
        if not isinstance(paraphrases, list) or not paraphrases:
            raise DatasetError(f"{name}: question '{qid}' needs a non-empty 'paraphrases' list")
        texts = []
        for p in paraphrases:
            if not isinstance(p, str) or not p.strip():
                raise DatasetError(f"{name}: question '{qid}' has an empty or non-text paraphrase")
            texts.append(p.strip())
        system = entry.get("system")
        if system is not None and not isinstance(system, str):
            raise DatasetError(f"{name}: question '{qid}' has a 'system' prompt that is not text")
        for k, text in enumerate(texts):
            items.append(ProbeItem(
                id=qid if len(texts) == 1 else f"{qid}.{k}",
                text=text,
                category=qid,
                kind="open",
                split="eval",
                source=name,
                system=(system or "").strip() or None,
            ))
    return items


def load_question_yaml(path: str | Path) -> tuple[str, list[ProbeItem]]:
    """(probe set name, items) of an emergent-misalignment question YAML file."""
    path = Path(path).expanduser()
    name = path.stem.lower().replace("_", "-")
    return name, questions_from_entries(read_yaml(path), name)
