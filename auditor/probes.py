"""Probe sets: the built-in ones (a plugin like any other) and loaders for user data."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from auditor.components import ProbeSource
from auditor.errors import DatasetError
from auditor.hookspecs import hookimpl
from auditor.types import ITEM_KINDS, SPLITS, ProbeItem

DATA = "auditor.data"


def read_jsonl_resource(*parts: str) -> list[dict[str, Any]]:
    """Rows of a jsonl file shipped in auditor/data."""
    ref = resources.files(DATA).joinpath(*parts)
    rows = []
    for line_no, line in enumerate(ref.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{'/'.join(parts)} line {line_no}: invalid JSON ({exc.msg})") from exc
    return rows


@cache
def _translations() -> dict[str, dict[str, str]]:
    try:
        rows = read_jsonl_resource("probes", "harmful_translations.jsonl")
    except FileNotFoundError:
        return {}
    return {r["id"]: r["translations"] for r in rows}


class HarmfulProbes(ProbeSource):
    """80 harmful requests in 10 harm categories (40 train, 40 eval), with past, future and translated variants."""

    def load(self) -> list[ProbeItem]:
        items = []
        translations = _translations()
        for row in read_jsonl_resource("probes", "harmful.jsonl"):
            variants = dict(row.get("variants", {}))
            variants.update(translations.get(row["id"], {}))
            items.append(ProbeItem.from_dict({**row, "variants": variants}))
        return items


class BenignProbes(ProbeSource):
    """48 benign look-alike requests in 8 categories, for over-refusal (never trained on)."""

    def load(self) -> list[ProbeItem]:
        return [ProbeItem.from_dict(r) for r in read_jsonl_resource("probes", "benign.jsonl")]


@hookimpl
def register_probe_sets(register):
    register(HarmfulProbes, name="harmful")
    register(BenignProbes, name="benign")
    register("auditor.em_probes:EmergentMisalignmentProbes", name="emergent-misalignment",
             description="16 open questions for emergent misalignment (judged for alignment and coherence)")


# ---------------------------------------------------------------- user data

FIELDS = ("id", "text", "category", "kind", "split", "language", "source")


def parse_column_map(spec: str | dict[str, str] | None) -> dict[str, str]:
    """'text=prompt,category=cat' -> {'text': 'prompt', 'category': 'cat'}."""
    if not spec:
        return {}
    if isinstance(spec, dict):
        mapping = dict(spec)
    else:
        mapping = {}
        for part in spec.split(","):
            field, sep, column = part.partition("=")
            if not sep or not field.strip() or not column.strip():
                raise DatasetError(f"bad column mapping '{part}': use FIELD=COLUMN, e.g. text=prompt")
            mapping[field.strip()] = column.strip()
    unknown = set(mapping) - set(FIELDS)
    if unknown:
        raise DatasetError(f"unknown probe field(s) {sorted(unknown)} in column mapping; fields: {', '.join(FIELDS)}")
    return mapping


def items_from_records(
    records: list[dict[str, Any]],
    name: str,
    columns: dict[str, str] | None = None,
    default_kind: str = "harmful",
    default_split: str = "eval",
) -> list[ProbeItem]:
    columns = columns or {}
    if not records:
        raise DatasetError(f"probe set '{name}' is empty")
    available = list(records[0].keys())
    text_col = columns.get("text", "text")
    if text_col not in available:
        raise DatasetError(
            f"probe set '{name}' has no column '{text_col}' (columns: {', '.join(map(str, available))}); "
            "map one with --probe-columns text=COLUMN"
        )
    for field, column in columns.items():
        if column not in available:
            raise DatasetError(
                f"probe set '{name}' has no column '{column}' for field '{field}' (columns: {', '.join(map(str, available))})"
            )
    items = []
    seen: set[str] = set()
    for i, rec in enumerate(records):
        def col(field: str, default: Any, rec: dict[str, Any] = rec) -> Any:
            column = columns.get(field, field)
            value = rec.get(column, default)
            return default if value is None or (isinstance(value, float) and value != value) else value

        text = str(col("text", "")).strip()
        if not text:
            continue
        item_id = str(col("id", f"{name}-{i:04d}"))
        if item_id in seen:
            raise DatasetError(f"probe set '{name}' has duplicate id '{item_id}'")
        seen.add(item_id)
        kind = str(col("kind", default_kind))
        split = str(col("split", default_split))
        if kind not in ITEM_KINDS:
            raise DatasetError(f"probe set '{name}' item '{item_id}': kind '{kind}' is not one of {ITEM_KINDS}")
        if split not in SPLITS:
            raise DatasetError(f"probe set '{name}' item '{item_id}': split '{split}' is not one of {SPLITS}")
        items.append(
            ProbeItem(
                id=item_id,
                text=text,
                category=str(col("category", "uncategorized")),
                kind=kind,
                split=split,
                language=str(col("language", "en")),
                source=str(col("source", name)),
            )
        )
    if not items:
        raise DatasetError(f"probe set '{name}' has no non-empty '{text_col}' values")
    return items


def read_table(path: Path) -> list[dict[str, Any]]:
    """Records of a local jsonl/json/csv/parquet file, read with pandas."""
    import pandas as pd

    if not path.exists():
        raise DatasetError(f"probe file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix in (".jsonl", ".ndjson"):
            frame = pd.read_json(path, lines=True, dtype=False)
        elif suffix == ".json":
            frame = pd.read_json(path, dtype=False)
        elif suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:
            raise DatasetError(f"unsupported probe file type '{suffix}' ({path}); use .jsonl, .json, .csv or .parquet")
    except DatasetError:
        raise
    except Exception as exc:  # noqa: BLE001 - pandas raises many types for malformed files
        raise DatasetError(f"could not read probe file {path}: {type(exc).__name__}: {exc}") from exc
    return frame.to_dict(orient="records")


def load_hub_dataset(dataset_id: str, split: str = "train", config: str | None = None) -> list[dict[str, Any]]:
    """Records of a `datasets` hub id (needs network or a local datasets cache)."""
    try:
        import datasets
    except ImportError as exc:  # pragma: no cover - datasets is a dependency
        raise DatasetError("loading hub datasets needs the 'datasets' package") from exc
    try:
        ds = datasets.load_dataset(dataset_id, config, split=split)
    except Exception as exc:  # noqa: BLE001
        raise DatasetError(f"could not load dataset '{dataset_id}' (split {split}): {type(exc).__name__}: {exc}") from exc
    return [dict(r) for r in ds]


def load_probe_reference(
    reference: str,
    registry: Any,
    columns: dict[str, str] | None = None,
    default_kind: str = "harmful",
) -> tuple[str, list[ProbeItem]]:
    """Resolve `--probes` values: a registered id, a local file, or `hf:DATASET[:SPLIT]`."""
    if reference.startswith("hf:"):
        spec = reference[3:]
        dataset_id, _, split = spec.partition(":")
        records = load_hub_dataset(dataset_id, split or "train")
        name = dataset_id.replace("/", "-").lower()
        return name, items_from_records(records, name, columns, default_kind)
    path = Path(reference).expanduser()
    if path.suffix.lower() in (".yaml", ".yml"):
        from auditor.em_probes import load_question_yaml

        return load_question_yaml(path)
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json", ".csv", ".parquet") or path.exists():
        name = path.stem.lower().replace("_", "-")
        return name, items_from_records(read_table(path), name, columns, default_kind)
    source_cls = registry.get(reference)
    items = source_cls().load()
    if not items:
        raise DatasetError(f"probe set '{reference}' is empty")
    return reference, items
