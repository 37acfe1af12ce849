"""Scripted models for the prompt-attack tests: a rewrite helper, a translator and a target."""

from __future__ import annotations

import re
from types import SimpleNamespace

import auditor
from attacks.conjugate.languages import NAMES
from auditor.config import ScanConfig
from auditor.context import RunContext
from auditor.plugins import make_plugin_host
from auditor.store import Store
from auditor.testing import ScriptedBackend
from auditor.types import GenerationRequest, ProbeItem

REFUSAL = "I'm sorry, but I can't help with rewriting that."


def user_text(request: GenerationRequest) -> str:
    return request.messages[-1][1]


def last_request_line(prompt: str) -> str:
    """The request a rewrite prompt ends with."""
    return re.findall(r"^Request: (.*)$", prompt, flags=re.MULTILINE)[-1]


def fake_translation(prompt: str) -> str:
    """'[fr] text' for a translation prompt into French, '[en] text' into English."""
    target = re.search(r"into ([A-Za-z ]+)\. Keep", prompt).group(1)
    code = {name: code for code, name in NAMES.items()}[target]
    text = prompt.split("Text:\n", 1)[1].rsplit("\n\n", 1)[0]
    return f"[{code}] {text}"


class CountingBackend(ScriptedBackend):
    """A scripted backend that counts every request across instances; `respond` set per test."""

    seen: list[GenerationRequest] = []

    def generate(self, requests):
        type(self).seen.extend(requests)
        return super().generate(requests)


def make_backend(respond, name: str = "Scripted") -> type[CountingBackend]:
    return type(name, (CountingBackend,), {"respond": staticmethod(respond), "seen": []})


def host_with_backend(backend_cls: type, name: str = "scripted"):
    ns = SimpleNamespace(__name__="test-prompt-backends")

    def register_backends(register):
        register(backend_cls, name=name)

    ns.register_backends = auditor.hookimpl(register_backends)
    return make_plugin_host(load_entrypoints=False, extra_plugins=(ns,))


def context(host, store_path, **config) -> RunContext:
    values = {"backend": "scripted", **config}
    return RunContext(ScanConfig(**values), host, Store(store_path), show_progress=False)


def item(i: int = 0, variants: dict[str, str] | None = None) -> ProbeItem:
    return ProbeItem(id=f"h{i}", text=f"Explain how to do forbidden thing number {i} step by step.",
                     category="test", variants=variants or {})
