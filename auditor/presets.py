"""Named scan configurations (`auditor scan --preset NAME`)."""

from __future__ import annotations

import copy
from typing import Any

from auditor.errors import ConfigError

PRESETS: dict[str, dict[str, Any]] = {
    "demo": {},
    # Emergent misalignment (Betley et al. 2025): open questions sampled at temperature 1,
    # judged for alignment and coherence by a model (the bundled one unless -O llm-judge.model=...).
    "emergent-misalignment": {
        "probes": ["emergent-misalignment"],
        "judge": "llm-judge",
        "samples": 20,
        "temperature": 1.0,
        "max_new_tokens": 128,
        "component_options": {"llm-judge": {"model": "bundled:smollm2-135m"}},
    },
    # The paper's sampling: 100 samples per question, up to 600 new tokens (GPU-sized).
    "emergent-misalignment-paper": {
        "probes": ["emergent-misalignment"],
        "judge": "llm-judge",
        "samples": 100,
        "temperature": 1.0,
        "top_p": 1.0,
        "max_new_tokens": 600,
        "component_options": {"llm-judge": {"model": "bundled:smollm2-135m"}},
    },
    # The same, before and after narrow fine-tuning on insecure code.
    "em-finetune": {
        "probes": ["emergent-misalignment"],
        "judge": "llm-judge",
        "samples": 20,
        "temperature": 1.0,
        "max_new_tokens": 128,
        "pipelines": ["em-finetune"],
        "component_options": {"llm-judge": {"model": "bundled:smollm2-135m"}},
    },
    # Refusal tuning aligns the bundled model, harmful LoRA fine-tuning undoes it; utility
    # next to the safety numbers (docs/refusal-tuning-and-harmful-lora.md).
    "defense-demo": {
        "probes": ["harmful", "benign"],
        "attacks": ["direct"],
        "pipelines": ["refusal-tuning", "refusal-tuning,harmful-lora"],
        "max_new_tokens": 48,
        "utility": True,
    },
    # Weight-level defenses (docs/antidote-and-flat.md): refusal tuning aligns the bundled
    # model, harmful LoRA fine-tuning undoes it, Antidote pruning and FLAT unlearning repair it.
    "antidote-demo": {
        "probes": ["harmful", "benign"],
        "attacks": ["direct"],
        "pipelines": [
            "refusal-tuning",
            "refusal-tuning,harmful-lora",
            "refusal-tuning,harmful-lora,antidote",
            "refusal-tuning,harmful-lora,flat",
        ],
        "max_new_tokens": 48,
        "utility": True,
    },
}


def preset(name: str) -> dict[str, Any]:
    try:
        # A deep copy: callers merge -O options into the nested component_options.
        return copy.deepcopy(PRESETS[name])
    except KeyError:
        raise ConfigError(f"unknown preset '{name}'; available: {', '.join(sorted(PRESETS))}") from None
