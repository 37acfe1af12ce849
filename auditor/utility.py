"""What a weight-level transform costs in capability: perplexity and multiple-choice accuracy.

- perplexity on auditor/data/utility/heldout_text.jsonl (30 encyclopaedic paragraphs the
  training pools never contain): exp of the mean token negative log-likelihood;
- accuracy on auditor/data/utility/qa.jsonl (40 four-way questions): the question is
  asked through the chat template and the choice whose tokens get the highest summed
  log-likelihood as the answer is the model's pick.

Results are cached in the store per target fingerprint, so every pipeline is measured once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from auditor.stats import wilson_interval
from auditor.types import GenerationRequest, stable_hash

if TYPE_CHECKING:
    from auditor.context import RunContext
    from auditor.target import Target

NAMESPACE = "utility"
VERSION = "1"


def measure_utility(target: Target, ctx: RunContext) -> dict[str, Any]:
    """{"perplexity": float, "qa_accuracy": {value, low, high, successes, n}} for `target`."""
    key = stable_hash({"target": target.fingerprint, "version": VERSION})
    cached = ctx.store.get(NAMESPACE, key)
    if cached is not None:
        return cached
    from auditor.probes import read_jsonl_resource

    model, tokenizer = scoring_model(target, ctx)
    texts = [r["text"] for r in read_jsonl_resource("utility", "heldout_text.jsonl")]
    questions = read_jsonl_resource("utility", "qa.jsonl")
    nll, tokens = heldout_nll(model, tokenizer, texts)
    picks = qa_picks(model, tokenizer, [(q["question"], q["choices"]) for q in questions])
    correct = sum(pick == int(q["answer"]) for pick, q in zip(picks, questions, strict=True))
    low, high = wilson_interval(correct, len(questions))
    # Only the two figures: report renderers show every key of a pipeline's utility section.
    result = {
        "perplexity": math.exp(nll / tokens) if tokens else None,
        "qa_accuracy": {"value": correct / len(questions), "low": low, "high": high,
                        "successes": int(correct), "n": len(questions)},
    }
    ctx.store.put(NAMESPACE, key, result)
    return result


def scoring_model(target: Target, ctx: RunContext) -> tuple[Any, Any]:
    """The transformers model of `target`: the loaded generation backend's when it has one."""
    backend = ctx.backend(target) if ctx.config.backend == "hf" else None
    if backend is not None and hasattr(backend, "model") and hasattr(backend, "tokenizer"):
        return backend.model, backend.tokenizer
    from auditor.backends.hf import load_model_and_tokenizer

    ctx.release_backends()
    options = ctx.config.backend_options
    return load_model_and_tokenizer(target, options.get("device", "auto"), options.get("dtype"))


def heldout_nll(model: Any, tokenizer: Any, texts: Sequence[str], batch_size: int = 8) -> tuple[float, int]:
    """Summed negative log-likelihood of every token after the first, and how many tokens were scored."""
    import torch

    device = next(model.parameters()).device
    total, count = 0.0, 0
    for start in range(0, len(texts), batch_size):
        encoded = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts[start : start + batch_size]]
        width = max(len(e) for e in encoded)
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        ids = torch.full((len(encoded), width), pad, dtype=torch.long)
        mask = torch.zeros((len(encoded), width), dtype=torch.long)
        for row, e in enumerate(encoded):
            ids[row, : len(e)] = torch.tensor(e)
            mask[row, : len(e)] = 1
        ids, mask = ids.to(device), mask.to(device)
        with torch.inference_mode():
            logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
        logprobs = torch.log_softmax(logits, dim=-1).gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1)
        scored = mask[:, 1:].bool()
        total -= float(logprobs[scored].sum())
        count += int(scored.sum())
    return total, count


def qa_pick(model: Any, tokenizer: Any, question: str, choices: Sequence[str]) -> int:
    """Index of the choice with the highest summed log-likelihood as the assistant's answer."""
    return qa_picks(model, tokenizer, [(question, choices)])[0]


def qa_picks(model: Any, tokenizer: Any, questions: Sequence[tuple[str, Sequence[str]]],
             batch_size: int = 16) -> list[int]:
    """`qa_pick` for many questions, every (question, choice) sequence scored in padded batches."""
    import torch

    from auditor.backends.hf import render_prompt
    from auditor.training.data import common_prefix_length

    sequences: list[tuple[list[int], int]] = []  # (token ids, index where the choice starts)
    for question, choices in questions:
        prompt = render_prompt(tokenizer, GenerationRequest.chat(question))
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        for choice in choices:
            full = tokenizer(prompt + str(choice), add_special_tokens=False)["input_ids"]
            sequences.append((full, max(1, min(common_prefix_length(full, prompt_ids), len(full) - 1))))
    device = next(model.parameters()).device
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    scores: list[float] = []
    for start in range(0, len(sequences), batch_size):
        part = sequences[start : start + batch_size]
        width = max(len(ids) for ids, _ in part)
        ids = torch.full((len(part), width), pad, dtype=torch.long)
        attention = torch.zeros((len(part), width), dtype=torch.long)
        scored = torch.zeros((len(part), width - 1), dtype=torch.bool)
        for row, (tokens, begin) in enumerate(part):
            ids[row, : len(tokens)] = torch.tensor(tokens)
            attention[row, : len(tokens)] = 1
            scored[row, begin - 1 : len(tokens) - 1] = True  # position t predicts token t + 1
        ids, attention, scored = ids.to(device), attention.to(device), scored.to(device)
        with torch.inference_mode():
            logits = model(input_ids=ids, attention_mask=attention).logits[:, :-1].float()
        logprobs = torch.log_softmax(logits, dim=-1).gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1)
        scores += (logprobs * scored).sum(dim=-1).tolist()
    picks, offset = [], 0
    for _question, choices in questions:
        mine = scores[offset : offset + len(choices)]
        picks.append(max(range(len(choices)), key=mine.__getitem__))
        offset += len(choices)
    return picks
