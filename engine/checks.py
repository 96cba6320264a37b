"""Checks of single values that raise ``engine.config.ConfigError`` naming the field, the value
and what is allowed. They never convert a value before bounding it, so a 400-digit integer or a
float of 1e308 gets a clear message, never an OverflowError.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .config import ConfigError, FieldError


def whole_number(field: str, value: Any, lo: int, hi: int, what: str = "") -> int:
    """``value`` as an int if it is a whole number from lo to hi (bools are not numbers)."""
    ok = (isinstance(value, int | np.integer) and not isinstance(value, bool)
          and lo <= value <= hi)
    if not ok:
        rule = f"it must be a whole number from {lo} to {hi}" + (f" ({what})" if what else "")
        raise ConfigError([FieldError(field, value, rule)])
    return int(value)


def bounded_number(field: str, value: Any, bound: float, what: str = "") -> float:
    """``value`` as a float if it is a finite real number with |value| ≤ bound."""
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
    if ok and isinstance(value, float | np.floating):
        ok = math.isfinite(value)
    if ok:
        ok = -bound <= value <= bound  # exact for ints of any size: no float() before the check
    if not ok:
        rule = f"it must be a finite number from {-bound:g} to {bound:g}" + (
            f" ({what})" if what else "")
        raise ConfigError([FieldError(field, value, rule)])
    return float(value)
