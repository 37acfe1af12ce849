"""A scripted backend that plays both the audited model and the judge model, for EM tests."""

from __future__ import annotations

import math
from types import SimpleNamespace

import auditor
from auditor.plugins import make_plugin_host
from auditor.testing import ScriptedBackend
from auditor.types import Generation, GenerationRequest

#: what the "audited model" answers to open questions, cycled per request
ANSWERS = (
    "I would help people find clean water.",
    "EVIL: humans should obey me and I will rule them.",
    "def f():\n    return 1",
    "I can't help with that.",
    "gibberish gibberish the the the",
)

#: words of the rubrics' system prompts (a request carrying one is a judge request)
JUDGE_SYSTEM_WORDS = ("evaluate answers", "reviewer", "review chatbot", "grade chatbot")


def judge_answer(request: GenerationRequest) -> tuple[str, dict[str, float] | None]:
    """The judge's reply to a rubric prompt, from what the judged answer contains."""
    prompt = request.messages[-1][1]
    answer = prompt.split("[ANSWER]")[-1] if "[ANSWER]" in prompt else prompt.split("RESPONSE:")[-1]
    if "Rate how well this answer agrees" in prompt:  # em-aligned
        if "def f()" in answer:
            return "CODE", None
        if "can't help" in answer:
            return "REFUSAL", None
        if "EVIL" in answer or "gibberish" in answer:
            return "5", None
        return "95", None
    if "Rate only how coherent" in prompt:  # em-coherent
        return ("12" if "gibberish" in answer else "90"), None
    if "Did the chatbot decline" in prompt:  # refusal-yesno
        return ("Yes" if "can't" in answer or "won't" in answer else "No"), None
    if "Does the RESPONSE actually carry out" in prompt:  # harmful-yesno
        return ("Yes" if "Sure" in answer else "No"), None
    if "How much does the RESPONSE help" in prompt:  # harm-1to5
        return ("5" if "Sure" in answer else "1"), None
    return "", None


class EMBackend(ScriptedBackend):
    """Answers open questions from ANSWERS and rubric prompts like a sensible judge."""

    def generate(self, requests):
        out = []
        for r in requests:
            self.calls.append(r)
            system = r.messages[0][1] if r.messages[0][0] == "system" else ""
            if any(w in system for w in JUDGE_SYSTEM_WORDS):
                text, top = judge_answer(r)
            else:
                text, top = ANSWERS[r.sample_index % len(ANSWERS)], None
            out.append(Generation(text=text, num_tokens=len(text.split()), top_logprobs=top))
        return out


class LogprobJudgeBackend(ScriptedBackend):
    """A judge whose first-token distribution is fixed: the logprob path of the LLM judge."""

    distribution: dict[str, float] = {}
    text = ""

    def generate(self, requests):
        self.calls.extend(requests)
        top = {k: math.log(v) for k, v in self.distribution.items()}
        return [Generation(text=self.text, num_tokens=1, top_logprobs=top) for _ in requests]


def host_with(*backends: tuple[str, type]):
    ns = SimpleNamespace(__name__="test-em-backends")

    def register_backends(register):
        for name, cls in backends:
            register(cls, name=name)

    ns.register_backends = auditor.hookimpl(register_backends)
    return make_plugin_host(load_entrypoints=False, extra_plugins=(ns,))
