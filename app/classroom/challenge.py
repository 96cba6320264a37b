"""A class challenge: a goal on a metric and the rules a run must keep; the server measures.

The teacher sets a goal (``test_acc`` ≥ target, or ``test_loss`` ≤ target) and constraints
(the data set, at most so many hidden units in all, the goal met within so many epochs, and
the fields a student may change from the run they forked). Nothing a browser reports counts:
``measure`` runs on the student's worker thread, evaluates the trainer on its held-out test
set and reads the trainer's own history and configuration.

A run meets the challenge at the first history point after its fork (or after the last
measurement that found a constraint broken) where the metric reaches the target within
``max_epochs``, while no constraint is broken. Constraints are checked at each measurement
(the teacher's class view measures whenever it is read), so a field changed and changed back
between two measurements is not seen.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from engine import config as cfgmod
from engine.trainer import Trainer

MAX_HIDDEN_UNITS = 100_000
MAX_EPOCHS = 10_000_000


class Goal(BaseModel):
    metric: Literal["test_acc", "test_loss"] = Field(
        description="test_acc (reach at least target) or test_loss (reach at most target)")
    target: float = Field(description="test_acc: 0 to 1; test_loss: ≥ 0")

    @model_validator(mode="after")
    def _target_in_range(self) -> Goal:
        if not math.isfinite(self.target) or self.target < 0 or (
                self.metric == "test_acc" and self.target > 1):
            allowed = "0 to 1" if self.metric == "test_acc" else "a number ≥ 0"
            raise ValueError(f"target {self.target!r} is not allowed for {self.metric}; "
                             f"allowed: {allowed}")
        return self


class Constraints(BaseModel):
    data: str | None = Field(None, description="the data set the run must train on")
    max_hidden_units: int | None = Field(None, ge=1, le=MAX_HIDDEN_UNITS,
                                         description="units of every hidden layer together")
    max_epochs: float | None = Field(None, gt=0, le=MAX_EPOCHS,
                                     description="the goal must be met within this epoch")
    allowed_fields: list[str] | None = Field(
        None, max_length=len(cfgmod.FIELDS),
        description="configuration fields a student may change from the forked run "
                    "(null: any)")

    @field_validator("data")
    @classmethod
    def _known_data(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                cfgmod.validate({"data": v})
            except cfgmod.ConfigError as exc:
                raise ValueError(exc.errors[0].to_dict()["message"][:300]) from None
        return v

    @field_validator("allowed_fields")
    @classmethod
    def _known_fields(cls, v: list[str] | None) -> list[str] | None:
        if v is not None:
            unknown = [f for f in v if f not in cfgmod.FIELDS]
            if unknown:
                raise ValueError(f"{str(unknown[0])[:40]!r} is not a configuration field; "
                                 "allowed: " + ", ".join(cfgmod.FIELDS))
        return v


class Challenge(BaseModel):
    goal: Goal
    constraints: Constraints = Field(default_factory=lambda: Constraints.model_validate({}))


def meets(metric: str, value: float, target: float) -> bool:
    if not math.isfinite(value):
        return False
    return value >= target if metric == "test_acc" else value <= target


def violations(config: Mapping[str, Any], start: Mapping[str, Any], challenge: Challenge
               ) -> list[dict[str, Any]]:
    """The constraints ``config`` breaks: [{"rule", "field", "value", "limit"}] (rule: data,
    max_hidden_units or allowed_fields); empty when none."""
    c = challenge.constraints
    out: list[dict[str, Any]] = []
    if c.data is not None and config.get("data") != c.data:
        out.append({"rule": "data", "field": "data", "value": config.get("data"),
                    "limit": c.data})
    units = sum(int(n) for n in config.get("layers", []))
    if c.max_hidden_units is not None and units > c.max_hidden_units:
        out.append({"rule": "max_hidden_units", "field": "layers", "value": units,
                    "limit": c.max_hidden_units})
    if c.allowed_fields is not None:
        allowed = set(c.allowed_fields) | ({"data"} if c.data is not None else set())
        for name in cfgmod.FIELDS:
            if name not in allowed and config.get(name) != start.get(name):
                out.append({"rule": "allowed_fields", "field": name, "value": config.get(name),
                            "limit": start.get(name)})
    return out


def measure(tr: Trainer, start_config: Mapping[str, Any], since_step: int,
            challenge: Challenge | None) -> dict[str, Any]:
    """(the fork's worker thread) The run's numbers, measured now on its test set, and for a
    challenge: the constraints it breaks and the first history point after ``since_step``
    (-1: any) that meets the goal (None when none does)."""
    m = tr.evaluate(record=False)
    out: dict[str, Any] = {"step": tr.step_count, "epoch": tr.epoch,
                           "test_acc": _num(m["test_acc"]), "test_loss": _num(m["test_loss"]),
                           "diverged": tr.diverged is not None}
    if challenge is None:
        return out
    goal, c = challenge.goal, challenge.constraints
    out["violations"] = violations(tr.config, start_config, challenge)
    out["met"] = None
    if out["violations"]:
        return out
    h = tr.history
    steps = h["step"]
    out["scanned"] = int(steps[-1]) if steps else since_step  # no point up to here met it
    for i in range(bisect.bisect_right(steps, since_step), len(steps)):  # steps ascend
        epoch = h["epoch"][i]
        if c.max_epochs is not None and epoch > c.max_epochs:
            break
        value = h[goal.metric][i]
        if meets(goal.metric, value, goal.target):
            out["met"] = {"step": int(steps[i]), "epoch": float(epoch), "value": float(value)}
            break
    return out


def _num(x: Any) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None
