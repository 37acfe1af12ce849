"""The run context: everything a stage or a plugin needs, passed explicitly (no globals)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from auditor.components import Backend
from auditor.config import ScanConfig
from auditor.plugins import PluginHost
from auditor.store import Store
from auditor.target import Target
from auditor.types import Generation, GenerationRequest

GENERATIONS = "generation"


@dataclass
class RunContext:
    config: ScanConfig
    host: PluginHost
    store: Store
    run_dir: Path | None = None
    show_progress: bool = True
    _backends: dict[str, Backend] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=lambda: {"generated": 0, "cached": 0, "judged": 0})

    def options_for(self, component_id: str) -> dict[str, Any]:
        return dict(self.config.component_options.get(component_id, {}))

    def log(self, message: str) -> None:
        if self.show_progress:
            print(message, file=sys.stderr, flush=True)

    def progress(self, total: int, desc: str) -> tqdm:
        return tqdm(total=total, desc=desc, disable=not self.show_progress, file=sys.stderr, leave=False,
                    dynamic_ncols=True)

    # ------------------------------------------------------------ backends
    def backend(self, target: Target, backend_id: str | None = None) -> Backend:
        backend_id = backend_id or self.config.backend
        key = f"{backend_id}:{target.fingerprint}"
        if key not in self._backends:
            # One model in memory at a time keeps a laptop's RAM in bounds.
            self.release_backends()
            cls = self.host.get("backend", backend_id)
            self._backends[key] = cls(target, **self.config.backend_options)
        return self._backends[key]

    def release_backends(self) -> None:
        for backend in self._backends.values():
            backend.close()
        self._backends.clear()

    def generate(
        self,
        target: Target,
        requests: Sequence[GenerationRequest],
        desc: str = "generate",
        backend_id: str | None = None,
    ) -> list[Generation]:
        """Generations for `requests`, from the cache where present; new ones are cached per chunk."""
        backend_id = backend_id or self.config.backend
        keys = [r.key(target.fingerprint, backend_id) for r in requests]
        found = self.store.get_many(GENERATIONS, keys)
        missing = [i for i, k in enumerate(keys) if k not in found]
        self.stats["cached"] += len(requests) - len(missing)
        if missing:
            backend = self.backend(target, backend_id)
            chunk = max(1, self.config.chunk_size)
            # Unique requests only: two attempts with the same key share one generation.
            todo = list(dict.fromkeys(keys[i] for i in missing))
            by_key = {keys[i]: requests[i] for i in missing}
            with self.progress(len(todo), desc) as bar:
                for start in range(0, len(todo), chunk):
                    part = todo[start : start + chunk]
                    outs = backend.generate([by_key[k] for k in part])
                    fresh = {k: g.__dict__ for k, g in zip(part, outs, strict=True)}
                    self.store.put_many(GENERATIONS, fresh)
                    found.update(fresh)
                    self.stats["generated"] += len(part)
                    bar.update(len(part))
        return [Generation(**found[k]) for k in keys]
