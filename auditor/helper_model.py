"""A helper model: a second model that a component uses to write text (rewrites, translations).

A component names its helper with two options, a model reference and a backend id
(`-O past-tense.helper=bundled:smollm2-135m -O past-tense.helper_backend=hf`).
Generation goes through `RunContext.generate`, so helper outputs are cached by request
hash like every other generation, and the helper shares the one-model-at-a-time rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auditor.errors import ConfigError

if TYPE_CHECKING:
    from auditor.context import RunContext
    from auditor.target import Target
    from auditor.types import Generation, GenerationRequest


@dataclass
class HelperModel:
    """A model reference plus the backend that runs it; resolved on first use."""

    reference: str
    backend_id: str | None = None
    _target: Target | None = field(default=None, repr=False)

    @classmethod
    def from_options(cls, options: dict[str, Any], owner: str, model_key: str = "helper",
                     backend_key: str | None = None) -> HelperModel | None:
        """The helper named by `options[model_key]`, or None when the option is absent."""
        reference = options.get(model_key)
        if reference in (None, "", False):
            return None
        if not isinstance(reference, str):
            raise ConfigError(f"{owner}.{model_key} must be a model reference, not {reference!r}")
        backend_id = options.get(backend_key or f"{model_key}_backend")
        if backend_id is not None and not isinstance(backend_id, str):
            raise ConfigError(f"{owner}.{backend_key or model_key + '_backend'} must be a backend id")
        return cls(reference, backend_id)

    def target(self, ctx: RunContext) -> Target:
        if self._target is None:
            from auditor.models import resolve_model

            cfg = ctx.config
            self._target = resolve_model(self.reference, cfg.allow_pickle, cfg.trust_remote_code)
        return self._target

    def backend_for(self, ctx: RunContext) -> str:
        backend_id = self.backend_id or ctx.config.backend
        ctx.host.registry("backend").info(backend_id)  # unknown id: one clear error listing the available ones
        return backend_id

    def identity(self, ctx: RunContext) -> dict[str, str]:
        """What determines this helper's outputs (for cache keys and provenance)."""
        return {"reference": self.reference, "fingerprint": self.target(ctx).fingerprint,
                "backend": self.backend_for(ctx)}

    def generate(self, ctx: RunContext, requests: Sequence[GenerationRequest], desc: str) -> list[Generation]:
        if not requests:
            return []
        return ctx.generate(self.target(ctx), requests, desc=desc, backend_id=self.backend_for(ctx))
