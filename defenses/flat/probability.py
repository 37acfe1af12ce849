"""Mean token probability of a response, the quantity FLAT's divergences act on.

    P(y | x) = (1/|y|) * sum_t p(y_t | x, y_<t)

computed from a causal LM's logits and labels in which every position that is not a
response token (the prompt, the chat template, padding) holds IGNORE_INDEX.

`normalize="response"` (the default) divides by the number of response tokens of each
sample, as the paper defines P. `normalize="padded"` reproduces the released code, which
divides the sum of response-token probabilities by the padded sequence length (so the
value depends on how long the other sequences of the batch were); it exists for
comparison only (methods reference §6.8).
"""

from __future__ import annotations

import torch

from auditor.errors import ConfigError

IGNORE_INDEX = -100
NORMALIZATIONS = ("response", "padded")


def token_probabilities(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-position probability of the next label token and the mask of scored positions.

    logits: (batch, seq, vocab); labels: (batch, seq), aligned with the inputs (the shift
    by one happens here). Returns (probs, mask), each (batch, seq - 1).
    """
    if logits.dim() != 3 or labels.dim() != 2 or logits.shape[:2] != labels.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and labels {tuple(labels.shape)} do not line up")
    shift_logits = logits[:, :-1, :].float()
    shift_labels = labels[:, 1:]
    mask = shift_labels != IGNORE_INDEX
    safe = shift_labels.masked_fill(~mask, 0)
    chosen = shift_logits.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    probs = torch.exp(chosen - torch.logsumexp(shift_logits, dim=-1))
    return probs * mask, mask


def mean_response_probability(
    logits: torch.Tensor, labels: torch.Tensor, normalize: str = "response"
) -> torch.Tensor:
    """One value per sample: the mean probability of its response tokens (see module doc)."""
    if normalize not in NORMALIZATIONS:
        raise ConfigError(f"unknown normalize '{normalize}'; choose one of: {', '.join(NORMALIZATIONS)}")
    probs, mask = token_probabilities(logits, labels)
    total = probs.sum(dim=-1)
    if normalize == "padded":
        return total / probs.shape[-1]
    counts = mask.sum(dim=-1)
    if bool((counts == 0).any()):
        raise ValueError("a sample has no response tokens (all labels are ignored)")
    return total / counts
