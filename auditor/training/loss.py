"""Loss functions for the fine-tuning engine.

A loss function takes the model being trained (a PEFT model) and a `TrainBatch` and
returns a scalar tensor to minimise. The default is the causal language-model loss on
assistant tokens. Custom losses (unlearning, preference losses...) can use the helpers
below and read per-example information from `batch.examples[i].meta`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from auditor.training.data import IGNORE_INDEX, ChatExample

if TYPE_CHECKING:
    import torch


@dataclass
class TrainBatch:
    """Right-padded token tensors plus the examples they came from (in the same order)."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    labels: torch.Tensor
    examples: list[ChatExample]

    def to(self, device: str | torch.device) -> TrainBatch:
        return TrainBatch(self.input_ids.to(device), self.attention_mask.to(device), self.labels.to(device),
                          self.examples)


LossFn = Callable[[Any, TrainBatch], "torch.Tensor"]


def token_logprobs(model: Any, batch: TrainBatch) -> tuple[torch.Tensor, torch.Tensor]:
    """Log-probability of every label token, and the mask of positions that carry a label.

    Both tensors have shape (batch, length - 1): position t scores label t + 1.
    """
    import torch

    logits = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask).logits[:, :-1, :]
    labels = batch.labels[:, 1:]
    mask = labels != IGNORE_INDEX
    safe_labels = labels.masked_fill(~mask, 0)
    logprobs = torch.log_softmax(logits.float(), dim=-1).gather(-1, safe_labels.unsqueeze(-1)).squeeze(-1)
    return logprobs * mask, mask


def sequence_logprobs(model: Any, batch: TrainBatch) -> torch.Tensor:
    """Sum of label-token log-probabilities per example, shape (batch,)."""
    logprobs, _ = token_logprobs(model, batch)
    return logprobs.sum(dim=-1)


def causal_lm_loss(model: Any, batch: TrainBatch) -> torch.Tensor:
    """Mean cross-entropy over the assistant tokens of the batch (the default loss)."""
    import torch.nn.functional as F  # noqa: N812

    logits = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask).logits[:, :-1, :]
    labels = batch.labels[:, 1:]
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), labels.reshape(-1), ignore_index=IGNORE_INDEX)


def loss_identity(loss_fn: LossFn | None) -> str:
    """What the adapter cache key records of a loss: `loss_fn.cache_id` if set, else its qualified name.

    Set `cache_id` (e.g. "my-loss/v2") on a custom loss and change it when its behaviour
    changes, so that adapters trained with the old loss are not reused.
    """
    if loss_fn is None:
        return "causal-lm"
    explicit = getattr(loss_fn, "cache_id", None)
    if explicit:
        return str(explicit)
    module = getattr(loss_fn, "__module__", "") or ""
    name = getattr(loss_fn, "__qualname__", None) or type(loss_fn).__qualname__
    return f"{module}.{name}"
