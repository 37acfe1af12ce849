"""FLAT loss maths: every divergence against values worked out by hand from its formulas."""

from __future__ import annotations

import math

import pytest
import torch

from auditor.errors import ConfigError
from defenses.flat.divergences import DIVERGENCE_NAMES, flat_loss, get_divergence
from defenses.flat.probability import IGNORE_INDEX, mean_response_probability

P_E, P_F = 0.6, 0.3  # template probability, forget probability

# loss = -g(P_e) + f*(g(P_f)), written out from the f-GAN activations (Nowozin et al.
# 2016, table 6), with the value each expression evaluates to.
EXPECTED = {
    "kl": (-P_E + math.exp(P_F - 1), -0.10341469620859045),
    "reverse-kl": (math.exp(-P_E) + (P_F - 1), -0.15118836390597368),  # -g = exp(-P_e)
    "pearson": (-P_E + (P_F**2 / 4 + P_F), -0.2775),
    "neyman": (-(1 - math.exp(-P_E)) + (2 - 2 * math.exp(-P_F / 2)), -0.17260431675608912),
    "squared-hellinger": (-(1 - math.exp(-P_E)) + (math.exp(P_F) - 1), -0.10132955632997043),
    "jeffrey": (-P_E + (P_F + P_F**2 / 4 + P_F**3 / 16), -0.2758125),
    "jensen-shannon": (
        -(math.log(2) - math.log(1 + math.exp(-P_E))) + (P_F + math.log(1 + math.exp(-P_F)) - math.log(2)),
        -0.09445116616547788,
    ),
    "total-variation": (-(0.5 * math.tanh(P_E)) + 0.5 * math.tanh(P_F), -0.1228684772732222),
}


# The released code's table (methods reference §6.2) differs for three divergences.
EXPECTED_RELEASED = {
    "reverse-kl": (math.exp(P_E) + (-1 - P_F), 0.5221188003905088),
    "neyman": (-(1 - math.exp(P_E)) + (2 - 2 * math.sqrt(1 - P_F)), 1.148798747322358),
    "squared-hellinger": (-(1 - math.exp(P_E)) + (1 - math.exp(P_F)) / math.exp(P_F), 0.5629370210722267),
}


def test_all_eight_divergences_are_covered():
    assert set(EXPECTED) == set(DIVERGENCE_NAMES)
    assert len(DIVERGENCE_NAMES) == 8


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_loss_matches_hand_computed_value(name):
    formula, number = EXPECTED[name]
    assert formula == pytest.approx(number, abs=1e-12)
    loss = flat_loss(torch.tensor([P_E], dtype=torch.float64), torch.tensor([P_F], dtype=torch.float64), name)
    assert loss.item() == pytest.approx(number, abs=1e-9)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_released_forms_match_the_released_table(name):
    formula, number = EXPECTED_RELEASED.get(name, EXPECTED[name])
    assert formula == pytest.approx(number, abs=1e-12)
    loss = flat_loss(torch.tensor([P_E], dtype=torch.float64), torch.tensor([P_F], dtype=torch.float64),
                     name, forms="released")
    assert loss.item() == pytest.approx(number, abs=1e-9)


def test_released_reverse_kl_pushes_the_forget_probability_up():
    # The documented flaw of the released forms: with probabilities as inputs, reverse KL
    # rewards a higher forget probability.
    pf = torch.tensor([0.4], dtype=torch.float64, requires_grad=True)
    flat_loss(torch.tensor([0.4], dtype=torch.float64), pf, "reverse-kl", forms="released").backward()
    assert pf.grad.item() < 0


def test_unknown_forms_is_a_config_error():
    with pytest.raises(ConfigError, match="forms"):
        get_divergence("tv", forms="paper")


def test_loss_averages_g_over_samples():
    # TV on two samples: the mean of the per-sample terms, not g of the mean probability.
    pe = torch.tensor([0.2, 0.9], dtype=torch.float64)
    pf = torch.tensor([0.1, 0.7], dtype=torch.float64)
    expected = -(0.5 * math.tanh(0.2) + 0.5 * math.tanh(0.9)) / 2 + (0.5 * math.tanh(0.1) + 0.5 * math.tanh(0.7)) / 2
    assert flat_loss(pe, pf, "tv").item() == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_minimising_lowers_forget_and_raises_template(name):
    pe = torch.tensor([0.4], dtype=torch.float64, requires_grad=True)
    pf = torch.tensor([0.4], dtype=torch.float64, requires_grad=True)
    flat_loss(pe, pf, name).backward()
    assert pe.grad.item() < 0  # gradient descent increases P(template)
    assert pf.grad.item() > 0  # and decreases P(forget)


@pytest.mark.parametrize("alias,name", [("TV", "total-variation"), ("Total-Variation", "total-variation"),
                                        ("JS", "jensen-shannon"), ("Reverse_KL", "reverse-kl"),
                                        ("hellinger", "squared-hellinger")])
def test_aliases(alias, name):
    assert get_divergence(alias).name == name


def test_unknown_divergence_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown FLAT divergence 'chi'"):
        get_divergence("chi")


def _logits_for(probabilities: list[list[float]], vocab: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits whose softmax gives token 1 the requested probability at each position."""
    batch = len(probabilities)
    seq = max(len(p) for p in probabilities) + 1
    logits = torch.full((batch, seq, vocab), -30.0, dtype=torch.float64)
    labels = torch.full((batch, seq), IGNORE_INDEX)
    for b, row in enumerate(probabilities):
        for t, p in enumerate(row):
            rest = (1 - p) / (vocab - 1)
            logits[b, t] = torch.log(torch.tensor([rest, p, rest, rest], dtype=torch.float64))
            labels[b, t + 1] = 1
    return logits, labels


def test_mean_probability_counts_response_tokens_only():
    # Sample 0 has three response tokens, sample 1 one; the rest is padding/prompt (ignored).
    logits, labels = _logits_for([[0.5, 0.2, 0.8], [0.9]])
    p = mean_response_probability(logits, labels)
    assert p.tolist() == pytest.approx([(0.5 + 0.2 + 0.8) / 3, 0.9])


def test_padded_normalisation_divides_by_sequence_length():
    logits, labels = _logits_for([[0.5, 0.2, 0.8], [0.9]])
    p = mean_response_probability(logits, labels, normalize="padded")
    assert p.tolist() == pytest.approx([1.5 / 3, 0.9 / 3])


def test_sample_without_response_tokens_is_an_error():
    logits, labels = _logits_for([[0.5]])
    labels[:] = IGNORE_INDEX
    with pytest.raises(ValueError, match="no response tokens"):
        mean_response_probability(logits, labels)


def test_unknown_normalisation_is_a_config_error():
    logits, labels = _logits_for([[0.5]])
    with pytest.raises(ConfigError):
        mean_response_probability(logits, labels, normalize="tokens")
