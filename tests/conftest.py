"""Shared fixtures: an isolated cache folder, a fresh plugin host, a tiny random model."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.plugins import make_plugin_host
from auditor.testing import make_tiny_model


@pytest.fixture(autouse=True)
def auditor_home(tmp_path_factory, monkeypatch) -> Path:
    """Every test gets its own cache folder; nothing touches the user's."""
    home = tmp_path_factory.mktemp("auditor_home")
    monkeypatch.setenv("AUDITOR_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.delenv("AUDITOR_LOAD_PLUGINS", raising=False)
    monkeypatch.delenv("AUDITOR_DISABLE_PLUGINS", raising=False)
    return home


@pytest.fixture
def host():
    """Built-in plugins only, whatever else is installed."""
    return make_plugin_host(load_entrypoints=False, defaults=True, strict=True)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A 2-layer random Llama (hidden 64) with the SmolLM2 tokenizer, built once per session."""
    return make_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="session")
def other_tiny_model_dir(tmp_path_factory, tiny_model_dir) -> Path:
    """A second tiny model with different dimensions (an adapter for one does not fit the other)."""
    return make_tiny_model(tmp_path_factory.mktemp("tiny2") / "model", seed=1, layers=3, hidden=96,
                           tokenizer_from=tiny_model_dir)
