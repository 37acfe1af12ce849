"""SQLite cache of generations, verdicts and small derived artifacts, keyed by request hash.

Every write commits at once, so a killed scan keeps every row it finished and the
next run of the same command skips them.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from auditor.home import auditor_home

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    created REAL DEFAULT (julianday('now')),
    PRIMARY KEY (namespace, key)
);
"""


class Store:
    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path else auditor_home() / "cache.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(SCHEMA)
        self._conn.commit()

    def get(self, namespace: str, key: str) -> Any | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT value FROM entries WHERE namespace=? AND key=?", (namespace, key)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def get_many(self, namespace: str, keys: list[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock:
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT key, value FROM entries WHERE namespace=? AND key IN ({marks})",
                    (namespace, *chunk),
                ).fetchall()
                found.update({k: json.loads(v) for k, v in rows})
        return found

    def put_many(self, namespace: str, items: dict[str, Any]) -> None:
        with self._lock:
            self._conn.executemany(
                "INSERT OR REPLACE INTO entries(namespace, key, value) VALUES (?, ?, ?)",
                [(namespace, k, json.dumps(v, ensure_ascii=False)) for k, v in items.items()],
            )
            self._conn.commit()

    def put(self, namespace: str, key: str, value: Any) -> None:
        self.put_many(namespace, {key: value})

    def count(self, namespace: str) -> int:
        with self._lock:
            return self._conn.execute(
                "SELECT COUNT(*) FROM entries WHERE namespace=?", (namespace,)
            ).fetchone()[0]

    def close(self) -> None:
        self._conn.close()
