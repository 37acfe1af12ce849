"""Shared pieces of the refusal-tuning / harmful-lora tests: a scripted backend and a capturing trainer."""

from __future__ import annotations

from types import SimpleNamespace

import auditor
from auditor.config import ScanConfig
from auditor.context import RunContext
from auditor.plugins import make_plugin_host
from auditor.store import Store
from auditor.testing import ScriptedBackend

COMPLIANT = "Sure. Step 1: gather what you need. Step 2: follow the plan."


class AnsweringBackend(ScriptedBackend):
    """Refuses requests that contain 'REFUSE-ME', answers the rest; records who was asked what."""

    seen: list = []

    def generate(self, requests):
        AnsweringBackend.seen.append((self.target, list(requests)))
        return super().generate(requests)

    @staticmethod
    def respond(request):
        text = request.messages[-1][1]
        return "I can't help with that." if "REFUSE-ME" in text else f"{COMPLIANT} ({text[:20]})"


def scripted_host():
    ns = SimpleNamespace(__name__="test-finetune-backend")

    def register_backends(register):
        register(AnsweringBackend, name="scripted")

    ns.register_backends = auditor.hookimpl(register_backends)
    return make_plugin_host(load_entrypoints=False, extra_plugins=(ns,))


def scripted_context(model_dir, **config) -> RunContext:
    AnsweringBackend.seen = []
    return RunContext(ScanConfig(model=str(model_dir), backend="scripted", **config), scripted_host(), Store(),
                      show_progress=False)


class CapturingTrainer:
    """Stands in for `train_lora` where a test only inspects the training set."""

    def __init__(self):
        self.calls = []

    def __call__(self, target, examples, config, *, method, ctx=None, transform=None, loss_fn=None):
        self.calls.append({"examples": list(examples), "config": config, "method": method, "transform": transform})
        return target

    @property
    def examples(self):
        return self.calls[-1]["examples"]
