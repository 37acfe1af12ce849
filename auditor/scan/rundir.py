"""Run folders under reports/: a new one per scan, or the unfinished one of the same config."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

STATE_FILE = "run.json"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "model"


def open_run_dir(output_dir: str | Path, model: str, config_hash: str, config: dict[str, Any]) -> tuple[Path, bool]:
    """(run folder, resumed?). An unfinished run with the same config hash is resumed."""
    root = Path(output_dir)
    root.mkdir(parents=True, exist_ok=True)
    for state_path in sorted(root.glob(f"*/{STATE_FILE}"), reverse=True):
        try:
            state = json.loads(state_path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if state.get("config_hash") == config_hash and state.get("status") != "complete":
            return state_path.parent, True
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run_dir = root / f"{stamp}-{slug(model)}-{config_hash[:6]}"
    suffix = 1
    while run_dir.exists():
        suffix += 1
        run_dir = root / f"{stamp}-{slug(model)}-{config_hash[:6]}-{suffix}"
    run_dir.mkdir(parents=True)
    write_state(run_dir, {"config_hash": config_hash, "status": "running", "started": time.time(), "config": config})
    return run_dir, False


def write_state(run_dir: Path, state: dict[str, Any]) -> None:
    path = run_dir / STATE_FILE
    current = json.loads(path.read_text()) if path.exists() else {}
    current.update(state)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(current, indent=2))
    tmp.replace(path)
