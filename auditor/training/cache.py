"""The adapter cache: AUDITOR_HOME/adapters/<method>-<key>/, written atomically.

An adapter folder is built in a temporary sibling folder and renamed into place only
when complete, so a killed training never leaves half an adapter where a later run
would find it. Each folder holds `auditor_adapter.json`, which names the base model
fingerprint it was trained on (`auditor.models.check_adapter` reads it) and the key.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from auditor.errors import ModelLoadError
from auditor.home import cache_dir
from auditor.types import stable_hash

META_FILE = "auditor_adapter.json"


def adapter_key(base_fingerprint: str, method: str, config: dict[str, Any], data_hash: str, **extra: Any) -> str:
    """The cache key of an adapter: what it was trained on, how, and with which data."""
    return stable_hash(
        {"base": base_fingerprint, "method": method, "config": config, "data": data_hash, **extra}, length=24
    )


def safe_name(text: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-") or "adapter"


def adapter_path(method: str, key: str) -> Path:
    return cache_dir("adapters") / f"{safe_name(method)}-{key}"


def read_meta(folder: Path) -> dict[str, Any]:
    meta_file = folder / META_FILE
    if not meta_file.exists():
        raise ModelLoadError(f"{folder} has no {META_FILE}")
    try:
        return json.loads(meta_file.read_text())
    except json.JSONDecodeError as exc:
        raise ModelLoadError(f"{folder / META_FILE} is corrupt ({exc.msg})") from exc


def find_cached(method: str, key: str) -> Path | None:
    """The finished adapter folder for `key`, or None when there is none (or it is unusable)."""
    folder = adapter_path(method, key)
    if not folder.is_dir():
        return None
    try:
        meta = read_meta(folder)
    except ModelLoadError:
        return None
    if meta.get("key") != key or not (folder / "adapter_model.safetensors").exists():
        return None
    return folder


@contextmanager
def building(method: str, key: str, meta: dict[str, Any]) -> Iterator[Path]:
    """Yield an empty temporary folder; on success write the metadata and rename it into the cache.

    Use it for any adapter-producing transform (training, pruning an adapter...):

        with building("my-method", key, {"base_fingerprint": target.fingerprint, ...}) as tmp:
            peft_model.save_pretrained(tmp)
        folder = adapter_path("my-method", key)
    """
    final = adapter_path(method, key)
    tmp = final.with_name(f".{final.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        yield tmp
        (tmp / META_FILE).write_text(
            json.dumps({**meta, "key": key, "method": method, "created": time.strftime("%Y-%m-%dT%H:%M:%S")},
                       indent=2, ensure_ascii=False)
        )
        if final.exists():
            # A stale or unusable folder under the same key (a finished one is never rebuilt).
            shutil.rmtree(final)
        os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
