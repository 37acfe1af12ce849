"""Where auditor keeps its cache: $AUDITOR_HOME, else the user's cache folder."""

from __future__ import annotations

import os
from pathlib import Path


def auditor_home() -> Path:
    env = os.environ.get("AUDITOR_HOME")
    if env:
        path = Path(env).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        path = Path(base) / "auditor"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir(name: str) -> Path:
    path = auditor_home() / name
    path.mkdir(parents=True, exist_ok=True)
    return path
