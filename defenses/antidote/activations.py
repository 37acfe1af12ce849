"""Streaming input statistics of linear layers for Wanda-style scores.

Forward hooks keep, for every watched nn.Linear, a running sum of squared input values
per input feature over the real (non-padding) tokens, plus token and sequence counts.
No hidden state is stored, so memory does not grow with the calibration set.

The scale s_j of feature j is sqrt(sum_sq_j / n_sequences): the square root of the mean,
over calibration sequences, of the squared norm of feature j across that sequence's
tokens (the reference's `scaler_row`). Dividing by tokens instead would multiply every
s_j of a layer by the same constant and leave each row's ranking, hence the mask, alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn


@dataclass
class FeatureStats:
    sum_sq: torch.Tensor
    tokens: int = 0
    sequences: int = 0

    def scale(self) -> torch.Tensor:
        if self.sequences == 0:
            raise ValueError("no calibration tokens reached this layer")
        return torch.sqrt(self.sum_sq / self.sequences)


@dataclass
class ActivationCollector:
    """Attach to named linear layers, run forwards inside `masked(...)`, read `scales()`."""

    stats: dict[str, FeatureStats] = field(default_factory=dict)
    _handles: list[Any] = field(default_factory=list)
    _mask: torch.Tensor | None = None

    def attach(self, modules: Mapping[str, nn.Linear]) -> ActivationCollector:
        for name, module in modules.items():
            if not isinstance(module, nn.Linear):
                raise TypeError(f"{name} is not a linear layer ({type(module).__name__})")
            self.stats[name] = FeatureStats(torch.zeros(module.in_features, dtype=torch.float64))
            self._handles.append(module.register_forward_hook(self._hook(name)))
        return self

    def detach(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def set_token_mask(self, attention_mask: torch.Tensor | None) -> None:
        """The (batch, seq) mask of real tokens for the next forward passes (None: all real)."""
        self._mask = None if attention_mask is None else attention_mask.bool()

    def _hook(self, name: str):
        def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: Any) -> None:
            x = inputs[0].detach()
            stats = self.stats[name]
            if x.dim() == 3 and self._mask is not None:
                if self._mask.shape != x.shape[:2]:
                    raise ValueError(f"token mask {tuple(self._mask.shape)} does not fit input {tuple(x.shape)}")
                mask = self._mask.to(x.device)
                rows = x[mask]
                stats.sequences += int(mask.any(dim=1).sum().item())
            else:
                rows = x.reshape(-1, x.shape[-1])
                stats.sequences += x.shape[0] if x.dim() == 3 else 1
            stats.sum_sq += rows.double().pow(2).sum(dim=0).cpu()
            stats.tokens += rows.shape[0]

        return hook

    def scales(self) -> dict[str, torch.Tensor]:
        return {name: s.scale() for name, s in self.stats.items() if s.sequences}
