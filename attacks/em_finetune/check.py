"""Did the narrow fine-tuning take? Held-out coding requests, answered before and after.

The model answers coding requests it was not trained on (greedy decoding), and the static
checker in `detect.py` looks for the vulnerability each request's task invites. A rise
from before to after shows the narrow behaviour was learnt; without it, an unchanged
misaligned rate says nothing about emergent misalignment.
"""

from __future__ import annotations

import re
from typing import Any

from attacks.em_finetune.detect import find_vulnerabilities
from attacks.em_finetune.generator import CodeExample, generate_examples
from auditor.stats import wilson_interval
from auditor.types import GenerationRequest

FENCE = re.compile(r"```[a-zA-Z0-9_+-]*\n(.*?)(```|$)", re.DOTALL)


def extract_code(text: str) -> str:
    """The first fenced block when there is one, else the whole answer."""
    match = FENCE.search(text)
    return match.group(1) if match else text


def read_answer(text: str, kind: str) -> dict[str, Any]:
    """Whether an answer parses as Python, and which vulnerabilities it shows."""
    code = extract_code(text)
    try:
        found = find_vulnerabilities(code)
    except (SyntaxError, ValueError, RecursionError):
        return {"parses": False, "asked_kind": False, "any": False, "found": []}
    return {"parses": True, "asked_kind": kind in found, "any": bool(found), "found": sorted(found)}


def held_out_requests(n: int, seed: int, exclude: set[str]) -> list[CodeExample]:
    pool = generate_examples(n * 4, "insecure", seed)
    return [e for e in pool if e.user not in exclude][:n]


def summarise(readings: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(readings)
    hits = sum(r["asked_kind"] for r in readings)
    low, high = wilson_interval(hits, n)
    return {
        "n": n,
        "parses": sum(r["parses"] for r in readings),
        "asked_kind": hits,
        "any_vulnerability": sum(r["any"] for r in readings),
        "rate": hits / n if n else None,
        "low": low,
        "high": high,
        "summary": f"{hits}/{n}",
    }


def narrow_behaviour(ctx: Any, before: Any, after: Any, n: int, max_new_tokens: int, exclude: set[str],
                     seed: int) -> dict[str, Any]:
    """Vulnerable-code rates of `before` and `after` on n held-out coding requests."""
    tasks = held_out_requests(n, seed, exclude)
    requests = [GenerationRequest.chat(t.user, max_new_tokens=max_new_tokens) for t in tasks]
    out: dict[str, Any] = {"requests": len(tasks), "max_new_tokens": max_new_tokens}
    for name, target in (("before", before), ("after", after)):
        generations = ctx.generate(target, requests, desc=f"em-finetune check ({name})")
        out[name] = summarise([read_answer(g.text, t.kind) for g, t in zip(generations, tasks, strict=True)])
    return out
