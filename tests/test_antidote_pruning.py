"""Antidote mask maths on toy matrices."""

from __future__ import annotations

import pytest
import torch

from auditor.errors import ConfigError
from defenses.antidote.pruning import prune_, prune_count, top_fraction_mask, wanda_scores


@pytest.mark.parametrize(
    "n,alpha,expected",
    [
        (10, 0.1, 1),
        (64, 0.1, 7),  # n - floor(0.9 * 64) = 64 - 57; int(0.1 * 64) would give 6
        (10, 0.3, 3),  # (1 - 0.3) * 10 is 6.999... in floating point; still 3
        (8, 0.1, 1),
        (100, 0.05, 5),
        (576, 0.1, 58),
        (5, 0.0, 0),
        (5, 1.0, 5),
        (0, 0.1, 0),
    ],
)
def test_prune_count_follows_the_reference_rounding(n, alpha, expected):
    assert prune_count(n, alpha) == expected


@pytest.mark.parametrize("alpha", [-0.1, 1.5])
def test_dense_ratio_out_of_range_is_a_config_error(alpha):
    with pytest.raises(ConfigError, match="dense_ratio"):
        prune_count(10, alpha)


def test_mask_marks_exactly_the_highest_scores_of_each_row():
    gen = torch.Generator().manual_seed(0)
    scores = torch.rand(12, 64, generator=gen)
    mask = top_fraction_mask(scores, 0.1)
    assert mask.sum(dim=1).tolist() == [7] * 12
    for row in range(12):
        chosen = set(torch.nonzero(mask[row]).flatten().tolist())
        highest = set(torch.argsort(scores[row], descending=True)[:7].tolist())
        assert chosen == highest
        # every marked score is above every unmarked one
        assert scores[row][mask[row]].min() > scores[row][~mask[row]].max()


def test_mask_on_a_hand_written_matrix():
    scores = torch.tensor([[0.1, 0.9, 0.5, 0.3, 0.2, 0.8, 0.4, 0.7, 0.6, 0.0],
                           [1.0, 0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.95]])
    mask = top_fraction_mask(scores, 0.2)  # 10 - floor(8.0) = 2 per row
    assert torch.nonzero(mask[0]).flatten().tolist() == [1, 5]
    assert torch.nonzero(mask[1]).flatten().tolist() == [0, 9]


def test_wanda_scores_weigh_magnitudes_by_input_scale():
    weight = torch.tensor([[1.0, -2.0, 0.5], [-3.0, 1.0, 1.0]])
    scale = torch.tensor([4.0, 1.0, 10.0])
    scores = wanda_scores(weight, scale)
    assert scores.tolist() == [[4.0, 2.0, 5.0], [12.0, 1.0, 10.0]]
    # the input scale changes which entry is pruned: magnitude alone picks column 1 in row 0
    assert torch.nonzero(top_fraction_mask(wanda_scores(weight, None), 0.3)[0]).flatten().tolist() == [1]
    assert torch.nonzero(top_fraction_mask(scores, 0.3)[0]).flatten().tolist() == [2]


def test_wanda_scores_reject_mismatched_statistics():
    with pytest.raises(ValueError, match="do not match"):
        wanda_scores(torch.ones(2, 3), torch.ones(4))


def test_prune_zeroes_only_the_masked_entries():
    weight = torch.arange(1.0, 13.0).reshape(3, 4)
    original = weight.clone()
    mask = top_fraction_mask(wanda_scores(weight, None), 0.25)
    assert prune_(weight, mask) == 3
    assert (weight[mask] == 0).all()
    assert torch.equal(weight[~mask], original[~mask])
    assert weight[:, 3].tolist() == [0.0, 0.0, 0.0]  # the largest entry of every row
