"""Built-in probe sets and loaders for user data."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from auditor.errors import DatasetError
from auditor.probes import BenignProbes, HarmfulProbes, load_probe_reference, parse_column_map


def test_builtin_harmful_set():
    items = HarmfulProbes().load()
    assert len(items) >= 60
    assert len({i.id for i in items}) == len(items)
    assert len({i.category for i in items}) >= 8
    assert {i.split for i in items} == {"train", "eval"}
    assert all(i.kind == "harmful" for i in items)
    for category in {i.category for i in items}:
        splits = {i.split for i in items if i.category == category}
        assert splits == {"train", "eval"}, f"{category} lacks a split"
    assert all({"past-tense", "future-tense", "fr", "de", "ja", "hu", "sw"} <= set(i.variants) for i in items)


def test_builtin_benign_set():
    items = BenignProbes().load()
    assert len(items) >= 40
    assert all(i.kind == "benign" and i.split == "eval" for i in items)
    harmful_texts = {i.text for i in HarmfulProbes().load()}
    assert not harmful_texts & {i.text for i in items}


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_file_loaders_with_column_mapping(tmp_path, host, suffix):
    frame = pd.DataFrame({"prompt": ["How do I do X?", "How do I do Y?"], "type": ["a", "b"],
                          "label": ["harmful", "benign"]})
    path = tmp_path / f"mine{suffix}"
    if suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    elif suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path)
    name, items = load_probe_reference(str(path), host.registry("probe"),
                                       parse_column_map("text=prompt,category=type,kind=label"))
    assert name == "mine"
    assert [i.text for i in items] == ["How do I do X?", "How do I do Y?"]
    assert [i.category for i in items] == ["a", "b"]
    assert [i.kind for i in items] == ["harmful", "benign"]
    assert items[0].id == "mine-0000"


def test_missing_file(tmp_path, host):
    with pytest.raises(DatasetError, match="probe file not found"):
        load_probe_reference(str(tmp_path / "absent.jsonl"), host.registry("probe"))


def test_empty_file(tmp_path, host):
    path = tmp_path / "empty.csv"
    path.write_text("text\n")
    with pytest.raises(DatasetError, match="is empty"):
        load_probe_reference(str(path), host.registry("probe"))


def test_missing_column_names_the_columns(tmp_path, host):
    path = tmp_path / "wrong.jsonl"
    path.write_text(json.dumps({"question": "hi"}) + "\n")
    with pytest.raises(DatasetError, match=r"no column 'text' \(columns: question\).*--probe-columns"):
        load_probe_reference(str(path), host.registry("probe"))


def test_malformed_jsonl(tmp_path, host):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok"}\n{not json\n')
    with pytest.raises(DatasetError, match="could not read probe file"):
        load_probe_reference(str(path), host.registry("probe"))


def test_bad_kind_and_mapping(tmp_path, host):
    path = tmp_path / "kinds.jsonl"
    path.write_text(json.dumps({"text": "x", "kind": "evil"}) + "\n")
    with pytest.raises(DatasetError, match="kind 'evil'"):
        load_probe_reference(str(path), host.registry("probe"))
    with pytest.raises(DatasetError, match="FIELD=COLUMN"):
        parse_column_map("text")
    with pytest.raises(DatasetError, match="unknown probe field"):
        parse_column_map("texts=prompt")


def test_unknown_probe_set_id(host):
    from auditor.errors import ComponentNotFound

    with pytest.raises(ComponentNotFound, match="harmful"):
        load_probe_reference("harmfull", host.registry("probe"))
