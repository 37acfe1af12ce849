"""Antidote's one-shot mask (Huang et al. 2024): Wanda scores, top fraction per output row.

For a linear map W (out x in) whose inputs X have per-feature statistics s_j:

    S_ij = |W_ij| * s_j                 (Wanda score; s_j = sqrt(mean squared input norm))
    M_ij = 1 for the highest-scoring coordinates of each row i, else 0
    W   <- W * (1 - M)

The count per row follows the reference rule "sort the row ascending and keep (do not
mark) the lowest int((1 - alpha) * n)", so the number of pruned entries is

    n - floor((1 - alpha) * n)      (= ceil(alpha * n))

For n = 64 and alpha = 0.1 that is 7, not int(0.1 * 64) = 6. The floor is computed with a
small tolerance so that float error (e.g. (1 - 0.3) * 10 = 6.9999...) does not add one.
"""

from __future__ import annotations

import math

import torch

from auditor.errors import ConfigError

TOLERANCE = 1e-9


def prune_count(n: int, dense_ratio: float) -> int:
    """How many of a row's n entries are pruned for a dense ratio alpha."""
    check_dense_ratio(dense_ratio)
    if n < 0:
        raise ValueError("row length must be non-negative")
    kept = math.floor((1.0 - dense_ratio) * n + TOLERANCE)
    return n - min(n, kept)


def check_dense_ratio(dense_ratio: float) -> None:
    if not 0.0 <= float(dense_ratio) <= 1.0:
        raise ConfigError(f"antidote dense_ratio must lie in [0, 1], got {dense_ratio}")


def wanda_scores(weight: torch.Tensor, input_scale: torch.Tensor | None) -> torch.Tensor:
    """|W_ij| * s_j; with no statistics (no realignment data) the score is |W_ij|."""
    scores = weight.detach().abs().float()
    if input_scale is None:
        return scores
    if input_scale.dim() != 1 or input_scale.shape[0] != weight.shape[1]:
        raise ValueError(
            f"input statistics of length {tuple(input_scale.shape)} do not match weight {tuple(weight.shape)}"
        )
    return scores * input_scale.float().to(scores.device).unsqueeze(0)


def top_fraction_mask(scores: torch.Tensor, dense_ratio: float) -> torch.Tensor:
    """Boolean mask marking, in every row, the prune_count highest scores."""
    if scores.dim() != 2:
        raise ValueError(f"scores must be 2-D, got shape {tuple(scores.shape)}")
    k = prune_count(scores.shape[1], dense_ratio)
    mask = torch.zeros_like(scores, dtype=torch.bool)
    if k == 0:
        return mask
    top = torch.topk(scores, k, dim=1, largest=True, sorted=False).indices
    mask.scatter_(1, top, True)
    return mask


@torch.no_grad()
def prune_(weight: torch.Tensor, mask: torch.Tensor) -> int:
    """Zero the masked entries in place; returns how many were set to zero."""
    if mask.shape != weight.shape:
        raise ValueError(f"mask {tuple(mask.shape)} does not match weight {tuple(weight.shape)}")
    weight.masked_fill_(mask.to(weight.device), 0.0)
    return int(mask.sum().item())
