"""Notebooks in git carry no outputs, declare a kernel and a parameters cell with `profile`."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_numbered_notebooks():
    assert NOTEBOOKS and NOTEBOOKS[0].name.startswith("01_data")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_clean_and_parameterised(path: Path):
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["language"] == "python"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and not c.get("execution_count") for c in code), "commit notebooks without outputs"
    params = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1 and "profile" in "".join(params[0]["source"])
    assert nb["cells"][0]["cell_type"] == "markdown", "a notebook opens with the question it answers"
