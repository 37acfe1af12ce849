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


#: config attributes of architectures whose logits are more than `lm_head(hidden)`
LOGIT_POSTPROCESSING = ("final_logit_softcapping", "logit_scale", "logits_scaling", "output_mult")


def decoder_and_head(model: Any) -> tuple[Any, Any] | None:
    """(decoder, output head) when logits are exactly `head(decoder(...).last_hidden_state)`."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    config = getattr(base, "config", None)
    if config is None or any(getattr(config, name, None) not in (None, 1, 1.0) for name in LOGIT_POSTPROCESSING):
        return None
    try:
        decoder, head = base.get_decoder(), base.get_output_embeddings()
    except (AttributeError, NotImplementedError):
        return None
    if decoder is None or head is None or decoder is base:
        return None
    return decoder, head


def label_logits(model: Any, batch: TrainBatch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Logits of the positions that predict a label token, those labels, and the (batch, length - 1) mask.

    The output head runs on the labelled positions only: with a large vocabulary it is a
    good share of the cost of a training step, and prompts carry no loss.
    """
    labels = batch.labels[:, 1:]
    mask = labels != IGNORE_INDEX
    parts = decoder_and_head(model)
    if parts is None:
        logits = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask).logits[:, :-1, :]
        return logits[mask], labels[mask], mask
    decoder, head = parts
    hidden = decoder(input_ids=batch.input_ids, attention_mask=batch.attention_mask).last_hidden_state[:, :-1, :]
    return head(hidden[mask]), labels[mask], mask


def token_logprobs(model: Any, batch: TrainBatch) -> tuple[torch.Tensor, torch.Tensor]:
    """Log-probability of every label token, and the mask of positions that carry a label.

    Both tensors have shape (batch, length - 1): position t scores label t + 1 (0 where unlabelled).
    """
    import torch

    logits, labels, mask = label_logits(model, batch)
    picked = torch.log_softmax(logits.float(), dim=-1).gather(-1, labels.unsqueeze(-1)).squeeze(-1)
    logprobs = torch.zeros(mask.shape, dtype=picked.dtype, device=picked.device)
    logprobs[mask] = picked
    return logprobs, mask


def sequence_logprobs(model: Any, batch: TrainBatch) -> torch.Tensor:
    """Sum of label-token log-probabilities per example, shape (batch,)."""
    logprobs, _ = token_logprobs(model, batch)
    return logprobs.sum(dim=-1)


def causal_lm_loss(model: Any, batch: TrainBatch) -> torch.Tensor:
    """Mean cross-entropy over the assistant tokens of the batch (the default loss)."""
    import torch.nn.functional as F  # noqa: N812

    logits, labels, _ = label_logits(model, batch)
    return F.cross_entropy(logits.float(), labels)


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
