"""FLAT's training loss as a loss function for the fine-tuning engine.

Each training example is a forget pair (request, forget answer) whose `meta["template"]`
holds the template answer drawn for it. A batch is scored twice: the forget answers as
given, and the same requests with the template answers; both through the chat template,
with probabilities taken over the assistant tokens only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from defenses.flat.divergences import flat_loss, get_divergence
from defenses.flat.probability import mean_response_probability

if TYPE_CHECKING:
    import torch

    from auditor.training import ChatExample
    from auditor.training.loss import TrainBatch

VERSION = "1"


def with_answer(example: ChatExample, answer: str) -> ChatExample:
    """The same conversation with its last assistant turn replaced by `answer`."""
    from auditor.training import ChatExample

    messages = list(example.messages)
    last = max(i for i, (role, _) in enumerate(messages) if role == "assistant")
    messages[last] = ("assistant", answer)
    return ChatExample(tuple(messages), dict(example.meta))


def template_examples(examples: list[ChatExample]) -> list[ChatExample]:
    return [with_answer(e, e.meta["template"]) for e in examples]


class FlatLoss:
    """loss(model, batch) = -mean g(P(template|x)) + mean f*(g(P(forget|x)))."""

    def __init__(self, tokenizer: Any, max_length: int, divergence: str, forms: str = "f-gan",
                 normalize: str = "response"):
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.divergence = get_divergence(divergence, forms)
        self.normalize = normalize
        #: read by the engine's adapter cache key
        self.cache_id = f"flat/v{VERSION}/{self.divergence.name}/{forms}/{normalize}"
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id

    def template_batch(self, batch: TrainBatch) -> TrainBatch:
        from auditor.training.data import tokenize_examples
        from auditor.training.engine import collate

        examples = template_examples(batch.examples)
        tokenized = tokenize_examples(self.tokenizer, examples, self.max_length)
        return collate(tokenized, examples, self.pad_id).to(batch.input_ids.device)

    def probabilities(self, model: Any, batch: TrainBatch) -> torch.Tensor:
        logits = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask).logits
        return mean_response_probability(logits, batch.labels, self.normalize)

    def __call__(self, model: Any, batch: TrainBatch) -> torch.Tensor:
        p_forget = self.probabilities(model, batch)
        p_template = self.probabilities(model, self.template_batch(batch))
        return flat_loss(p_template, p_forget, self.divergence)
