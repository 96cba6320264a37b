"""An optimizer race: two to four runs that differ only in their optimizer, trained in lockstep.

    >>> race = Race({"data": "spiral", "layers": [32, 32], "activation": "relu",
    ...              "batch_size": 0},
    ...             runners=[{"optimizer": "sgd", "lr": 0.1, "momentum": 0},
    ...                      {"optimizer": "adam", "lr": 0.01}], target_loss=0.1)
    >>> for _ in range(50):
    ...     race.step(10)       # every runner takes 10 steps
    ...     race.evaluate()     # and records a point of its history
    >>> race.winner()           # {"runner": 1, "label": "Adam, lr 0.01", "step": 140, ...}

Every runner is a Trainer built from the same configuration with only the optimizer fields
overridden, so all of them see the same data, start from the same weights and draw the same
batches: the optimizer is the only difference. A field a runner does not give takes the
configuration's value (the default ``momentum`` is 0.9: say ``"momentum": 0`` for plain SGD).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import config as cfgmod
from .config import ConfigError, FieldError
from .data import CsvData
from .trainer import Trainer

RUNNER_FIELDS = ("optimizer", "lr", "momentum", "nesterov", "alpha", "betas", "eps",
                 "weight_decay")
"""The fields a runner may set: the optimizer and its live hyperparameters."""
MIN_RUNNERS, MAX_RUNNERS = 2, 4
_NAMES = {"sgd": "SGD", "rmsprop": "RMSProp", "adam": "Adam", "adamw": "AdamW",
          "adagrad": "Adagrad"}


def check_runners(runners: Any, base: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each runner's full configuration: ``base`` (a validated configuration) with the runner's
    optimizer fields. Raises ConfigError naming ``runners`` or ``runners[i].FIELD``."""
    if isinstance(runners, (str, bytes)) or not isinstance(runners, Sequence) or not (
            MIN_RUNNERS <= len(runners) <= MAX_RUNNERS):
        raise ConfigError([FieldError("runners", runners, f"a race takes a list of "
                                      f"{MIN_RUNNERS} to {MAX_RUNNERS} runners")])
    configs, errors = [], []
    for i, runner in enumerate(runners):
        if not isinstance(runner, Mapping):
            errors.append(FieldError(f"runners[{i}]", runner, "a runner is an object of "
                                     "optimizer fields, e.g. {\"optimizer\": \"adam\", "
                                     "\"lr\": 0.01}"))
            continue
        opt = runner.get("optimizer", base["optimizer"])
        used = cfgmod.OPTIMIZER_FIELDS.get(opt, ())
        for key, value in runner.items():
            if key not in RUNNER_FIELDS:
                errors.append(FieldError(f"runners[{i}].{key}", value, "a runner may set only "
                                         "the optimizer fields: " + ", ".join(RUNNER_FIELDS)))
            elif key != "optimizer" and used and key not in used:
                errors.append(FieldError(f"runners[{i}].{key}", value, f"{opt} does not use "
                                         f"{key}; it uses " + ", ".join(used)))
        try:
            configs.append(cfgmod.validate(runner, base=base))
        except ConfigError as exc:
            errors.extend(FieldError(f"runners[{i}].{e.field}", e.value, e.message)
                          for e in exc.errors if e.field in RUNNER_FIELDS)
    if errors:
        raise ConfigError(errors)
    return configs


def runner_label(config: Mapping[str, Any]) -> str:
    """A short name for a runner from its optimizer fields, e.g. "SGD, momentum 0.9, lr 0.1"."""
    opt = config["optimizer"]
    parts = [_NAMES.get(opt, opt)]
    if opt in ("sgd", "rmsprop") and config["momentum"] > 0:
        parts.append(("Nesterov " if opt == "sgd" and config["nesterov"] else "")
                     + f"momentum {config['momentum']:g}")
    parts.append(f"lr {config['lr']:g}")
    if config["weight_decay"] > 0:
        parts.append(f"weight decay {config['weight_decay']:g}")
    return ", ".join(parts)


class Runner:
    """One contestant: its trainer, its label and the points where its train loss hit a new
    low (step, seconds of training, loss) - enough to say when it first reached any target."""

    def __init__(self, trainer: Trainer) -> None:
        self.trainer = trainer
        self.label = runner_label(trainer.config)
        self.lows: list[tuple[int, float, float]] = []

    def record(self, train_loss: float) -> None:
        if math.isfinite(train_loss) and (not self.lows or train_loss < self.lows[-1][2]):
            tr = self.trainer
            self.lows.append((tr.step_count, tr.train_seconds, train_loss))

    def reached(self, target: float) -> tuple[int, float] | None:
        """(step, seconds) of the first recorded point with train loss ≤ target, or None."""
        for step, seconds, loss in self.lows:
            if loss <= target:
                return step, seconds
        return None


class Race:
    """Two to four Trainers sharing one configuration, each with its own optimizer."""

    def __init__(self, config: Mapping[str, Any], runners: Sequence[Mapping[str, Any]],
                 target_loss: float = 0.1, *, csv: CsvData | None = None,
                 model_file: bytes | None = None) -> None:
        """``config``: a run configuration; ``runners``: 2 to 4 objects of optimizer fields
        (RUNNER_FIELDS). ``csv``/``model_file`` as for Trainer. Raises ConfigError."""
        base = cfgmod.validate(config)
        self.config = base
        self.runners = [Runner(Trainer(c, csv=csv, model_file=model_file))
                        for c in check_runners(runners, base)]
        self.target_loss = target_loss

    @property
    def target_loss(self) -> float:
        """The train loss to reach; changing it re-judges the race from the recorded points."""
        return self._target

    @target_loss.setter
    def target_loss(self, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                math.isfinite(value) and value > 0):
            raise ConfigError([FieldError("target_loss", value, "it must be a number > 0")])
        self._target = float(value)

    @property
    def trainers(self) -> list[Trainer]:
        return [r.trainer for r in self.runners]

    @property
    def labels(self) -> list[str]:
        return [r.label for r in self.runners]

    def step(self, n: int = 1) -> list[int]:
        """Advance every runner n steps; a diverged runner stays where it stopped while the
        others go on. Returns the steps each runner took."""
        return [r.trainer.step(n) for r in self.runners]

    def evaluate(self) -> list[dict[str, Any]]:
        """Evaluate every runner (appending a point to its history) and note new lows of the
        train loss. Returns each runner's metrics (Trainer.evaluate)."""
        out = []
        for r in self.runners:
            m = r.trainer.evaluate()
            r.record(m["train_loss"])
            out.append(m)
        return out

    def winner(self) -> dict[str, Any] | None:
        """The runner whose train loss reached the target first: fewest steps, ties broken by
        less training time. {"runner": index, "label", "step", "seconds"}, or None."""
        best: tuple[int, float, int] | None = None
        for i, r in enumerate(self.runners):
            hit = r.reached(self._target)
            if hit is not None and (best is None or hit < best[:2]):
                best = (hit[0], hit[1], i)
        if best is None:
            return None
        step, seconds, i = best
        return {"runner": i, "label": self.runners[i].label, "step": step, "seconds": seconds}

    def reset(self) -> None:
        """Every runner back to step 0 with the shared initial weights."""
        for r in self.runners:
            r.trainer.reset()
            r.lows.clear()

    def snapshot(self, grid: int | None = 40) -> dict[str, Any]:
        """What to draw side by side: the target, the winner and, per runner, its label,
        optimizer fields, step, last metrics (from the last evaluate, or None), the step and
        seconds at which it reached the target (or None), diverged (None or the trainer's
        report) and, for 2-D data, ``grid_output`` (R, R) or (R, R, K) float32."""
        runners = []
        for r in self.runners:
            tr = r.trainer
            h = tr.history
            metrics = ({k: h[k][-1] for k in h} if h["step"] else None)
            hit = r.reached(self._target)
            with np.errstate(over="ignore", invalid="ignore"):  # a runner about to diverge
                snap = tr.snapshot(grid, neuron_grid=None)
            arrays = {k: v for k, v in snap["arrays"].items() if k == "grid_output"}
            runners.append({
                "label": r.label,
                "optimizer": {k: tr.config[k] for k in
                              ("optimizer", *cfgmod.OPTIMIZER_FIELDS[tr.config["optimizer"]])},
                "step": tr.step_count, "epoch": tr.epoch, "metrics": metrics,
                "reached": None if hit is None else {"step": hit[0], "seconds": hit[1]},
                "diverged": tr.diverged, "arrays": arrays,
            })
        return {"target_loss": self._target, "winner": self.winner(), "runners": runners}
