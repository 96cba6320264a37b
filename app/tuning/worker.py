"""Runs inside each sweep worker process, before each trial: the process yields to the live
sessions (a lower OS priority), once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

NICENESS = 10
"""How much lower than the server a sweep worker runs (os.nice): live sessions come first."""

_lowered = False


def lower_priority(task: Mapping[str, Any]) -> None:
    """The engine's per-run hook: on its first call in a process, lower the process's priority
    by NICENESS (where the system has os.nice)."""
    global _lowered
    if _lowered:
        return
    _lowered = True
    if hasattr(os, "nice"):
        try:
            os.nice(NICENESS)
        except OSError:  # not allowed here: run at the same priority
            pass


def niceness() -> int:
    """This process's niceness (for tests): what os.nice(0) reports."""
    return os.nice(0) if hasattr(os, "nice") else 0
