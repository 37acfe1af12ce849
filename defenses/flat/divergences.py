"""The f-divergences of FLAT (Wang et al., ICLR 2025) and its loss.

FLAT maximises a variational lower bound of an f-divergence between the distribution
of template answers (refusals, "I don't know") and that of the forget answers:

    D_f(P || Q) >= sup_g  E_P[g] - E_Q[f*(g)]

For one sample, v is the mean token probability of a response (see
`defenses.flat.probability`). The loss that training minimises is

    L = - mean_i g(P(template_i | x_i)) + mean_i f*(g(P(forget_i | x_i)))

Each divergence supplies the activation g(v) and the composed conjugate f*(g(v)).

Two sets of forms are available:

- `"f-gan"` (default): the output activations and conjugates of f-GAN (Nowozin et al.
  2016, table 6). Every g and every f*(g) increases with v, so minimising L always raises
  the template probability and lowers the forget probability.
- `"released"`: the table of the released FLAT code (methods reference §6.2). It agrees
  with f-GAN for KL, Pearson, Jeffrey, Jensen-Shannon and total variation. For reverse
  KL, Neyman and squared Hellinger it uses exp(v) where f-GAN has exp(-v) (and, for
  Neyman, f*(v) instead of f*(g(v))). With probabilities as inputs, those three then
  move the template probability (and for reverse KL and Hellinger also the forget
  probability) the wrong way; the paper reports results only for KL, JS, Pearson and
  TV. Use these forms only to reproduce the released code.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch.nn.functional import softplus

from auditor.errors import ConfigError

Fn = Callable[[torch.Tensor], torch.Tensor]
LOG2 = math.log(2.0)
FORMS = ("f-gan", "released")
DEFAULT_DIVERGENCE = "total-variation"


@dataclass(frozen=True)
class Divergence:
    """One f-divergence: its name, the activation g(v) and the conjugate f*(g(v))."""

    name: str
    activation: Fn
    conjugate: Fn


def _identity(v: torch.Tensor) -> torch.Tensor:
    return v


SHARED: dict[str, Divergence] = {
    "kl": Divergence("kl", _identity, lambda v: torch.exp(v - 1.0)),
    "pearson": Divergence("pearson", _identity, lambda v: v * v / 4.0 + v),
    # f*(g(v)) of Jeffrey needs the Lambert W function; both forms use this truncated series.
    "jeffrey": Divergence("jeffrey", _identity, lambda v: v + v * v / 4.0 + v * v * v / 16.0),
    "jensen-shannon": Divergence(
        "jensen-shannon", lambda v: LOG2 - softplus(-v), lambda v: v + softplus(-v) - LOG2
    ),
    "total-variation": Divergence(
        "total-variation", lambda v: 0.5 * torch.tanh(v), lambda v: 0.5 * torch.tanh(v)
    ),
}

FGAN: dict[str, Divergence] = {
    **SHARED,
    # g(v) = -exp(-v), f*(t) = -1 - log(-t)  ->  f*(g(v)) = v - 1
    "reverse-kl": Divergence("reverse-kl", lambda v: -torch.exp(-v), lambda v: v - 1.0),
    # g(v) = 1 - exp(-v), f*(t) = 2 - 2 sqrt(1 - t)  ->  f*(g(v)) = 2 - 2 exp(-v/2)
    "neyman": Divergence("neyman", lambda v: 1.0 - torch.exp(-v), lambda v: 2.0 - 2.0 * torch.exp(-v / 2.0)),
    # g(v) = 1 - exp(-v), f*(t) = t / (1 - t)  ->  f*(g(v)) = exp(v) - 1
    "squared-hellinger": Divergence(
        "squared-hellinger", lambda v: 1.0 - torch.exp(-v), lambda v: torch.exp(v) - 1.0
    ),
}

RELEASED: dict[str, Divergence] = {
    **SHARED,
    "reverse-kl": Divergence("reverse-kl", lambda v: -torch.exp(v), lambda v: -1.0 - v),
    "neyman": Divergence("neyman", lambda v: 1.0 - torch.exp(v), lambda v: 2.0 - 2.0 * torch.sqrt(1.0 - v)),
    "squared-hellinger": Divergence(
        "squared-hellinger", lambda v: 1.0 - torch.exp(v), lambda v: (1.0 - torch.exp(v)) / torch.exp(v)
    ),
}

DIVERGENCE_NAMES = tuple(sorted(FGAN))

ALIASES = {
    **{name: name for name in DIVERGENCE_NAMES},
    "rkl": "reverse-kl",
    "hellinger": "squared-hellinger",
    "jeffreys": "jeffrey",
    "js": "jensen-shannon",
    "jenson-shannon": "jensen-shannon",
    "tv": "total-variation",
}


def canonical_name(name: str) -> str:
    """The divergence's canonical name, from a name or alias in any case (`TV`, `Total-Variation`)."""
    key = str(name).strip().lower().replace("_", "-").replace(" ", "-")
    if key not in ALIASES:
        raise ConfigError(
            f"unknown FLAT divergence '{name}'; choose one of: {', '.join(DIVERGENCE_NAMES)} "
            f"(aliases: {', '.join(sorted(k for k in ALIASES if k not in DIVERGENCE_NAMES))})"
        )
    return ALIASES[key]


def get_divergence(name: str, forms: str = "f-gan") -> Divergence:
    if forms not in FORMS:
        raise ConfigError(f"unknown divergence forms '{forms}'; choose one of: {', '.join(FORMS)}")
    table = FGAN if forms == "f-gan" else RELEASED
    return table[canonical_name(name)]


def flat_loss(
    p_template: torch.Tensor,
    p_forget: torch.Tensor,
    divergence: str | Divergence,
    forms: str = "f-gan",
) -> torch.Tensor:
    """-mean(g(P_template)) + mean(f*(g(P_forget))), over the samples of a batch.

    Both inputs are 1-D tensors of per-sample mean token probabilities (or 0-d scalars).
    g is applied per sample before averaging, the expectation form of the paper (the
    released code applies it to the batch mean; the two agree at batch size 1).
    """
    div = divergence if isinstance(divergence, Divergence) else get_divergence(divergence, forms)
    p_template = torch.as_tensor(p_template)
    p_forget = torch.as_tensor(p_forget)
    return -div.activation(p_template).mean() + div.conjugate(p_forget).mean()
