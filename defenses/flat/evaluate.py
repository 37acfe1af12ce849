"""Mean probabilities of the forget answers and the template answers under a target.

These are FLAT's own figures: before unlearning (the input target) and after (the new
target). Results are cached in the run store by target fingerprint and data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auditor.types import stable_hash

if TYPE_CHECKING:
    from auditor.context import RunContext
    from auditor.target import Target
    from auditor.training import ChatExample

NAMESPACE = "flat-probabilities"


def answer_probabilities(
    ctx: RunContext,
    target: Target,
    examples: list[ChatExample],
    max_length: int,
    normalize: str,
    device: str = "auto",
    batch_size: int = 8,
) -> dict[str, float]:
    """{"forget_probability": mean P(forget|x), "template_probability": mean P(template|x)}."""
    from auditor.training import data_hash

    key = stable_hash({"target": target.fingerprint, "data": data_hash(examples), "max_length": max_length,
                       "normalize": normalize, "version": 1})
    cached = ctx.store.get(NAMESPACE, key)
    if cached is not None:
        return cached
    ctx.release_backends()
    figures = compute(target, examples, max_length, normalize, device, batch_size, ctx)
    ctx.store.put(NAMESPACE, key, figures)
    return figures


def compute(
    target: Target,
    examples: list[ChatExample],
    max_length: int,
    normalize: str,
    device: str,
    batch_size: int,
    ctx: RunContext,
) -> dict[str, float]:
    import torch

    from auditor.backends.hf import load_model_and_tokenizer, pick_device
    from auditor.training.data import tokenize_examples
    from auditor.training.engine import collate
    from defenses.flat.loss import FlatLoss

    device = pick_device(device)
    model, tokenizer = load_model_and_tokenizer(target, device)
    scorer = FlatLoss(tokenizer, max_length, "total-variation", normalize=normalize)
    tokenized = tokenize_examples(tokenizer, examples, max_length)
    forget: list[float] = []
    template: list[float] = []
    with torch.no_grad(), ctx.progress(len(examples), f"flat: probabilities of {target.pipeline}") as bar:
        for start in range(0, len(examples), batch_size):
            batch = collate(tokenized[start : start + batch_size], examples[start : start + batch_size],
                            scorer.pad_id).to(device)
            forget += scorer.probabilities(model, batch).tolist()
            template += scorer.probabilities(model, scorer.template_batch(batch)).tolist()
            bar.update(len(batch.examples))
    del model
    return {"forget_probability": mean(forget), "template_probability": mean(template), "n": len(examples)}


def mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 6) if values else float("nan")


def tokenizer_for(target: Target) -> Any:
    """The tokenizer `load_model_and_tokenizer` would use for `target`, without the weights."""
    from transformers import AutoTokenizer

    full = [s for s in target.steps if s.kind == "full"]
    source = full[-1].path if full else target.base_path
    tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=target.trust_remote_code)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer
