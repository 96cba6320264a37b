"""A race: two to four runs that differ only in a few fields, trained in lockstep.

    >>> race = Race({"data": "spiral", "layers": [32, 32], "activation": "relu",
    ...              "batch_size": 0},
    ...             runners=[{"optimizer": "sgd", "lr": 0.1, "momentum": 0},
    ...                      {"optimizer": "adam", "lr": 0.01}],
    ...             target={"metric": "train_loss", "value": 0.1})
    >>> for _ in range(50):
    ...     race.step(10)       # every runner takes 10 steps
    ...     race.evaluate()     # and records a point of its history
    >>> race.winner()           # {"runner": 1, "label": "Adam, lr 0.01", "step": 140, ...}

Every runner is a Trainer built from the same configuration with only its own fields
overridden: the optimizer and its hyperparameters (the optimizer race) or, to compare
fine-tuning with training from scratch, ``model``, ``freeze`` and ``replace_head``. All of them
see the same data and draw the same batches; runners without a model of their own start from
the same weights. A field a runner does not give takes the configuration's value (the default
``momentum`` is 0.9: say ``"momentum": 0`` for plain SGD). A runner may carry a ``label``.

The target is a metric and a value: train_loss or test_loss (reached when ≤ value), train_acc
or test_acc (reached when ≥ value). ``target_loss=x`` is short for
``target={"metric": "train_loss", "value": x}``.
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

OPTIMIZER_RUNNER_FIELDS = ("optimizer", "lr", "momentum", "nesterov", "alpha", "betas", "eps",
                           "weight_decay")
"""The optimizer and its live hyperparameters."""
MODEL_RUNNER_FIELDS = ("model", "freeze", "replace_head")
"""Where the weights start and which stay still: fine-tuned against from scratch."""
RUNNER_FIELDS = (*OPTIMIZER_RUNNER_FIELDS, *MODEL_RUNNER_FIELDS)
"""The configuration fields a runner may set (besides its ``label``)."""
MIN_RUNNERS, MAX_RUNNERS = 2, 4
MAX_LABEL = 60
METRICS = {"train_loss": "min", "test_loss": "min", "train_acc": "max", "test_acc": "max"}
"""The metrics a target may name: "min" ones are reached at ≤ value, "max" ones at ≥ value."""
CHECK_EVERY = 10  # steps between two judgements of the runners against the target
_NAMES = {"sgd": "SGD", "rmsprop": "RMSProp", "adam": "Adam", "adamw": "AdamW",
          "adagrad": "Adagrad"}


def check_runners(runners: Any, base: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each runner's full configuration: ``base`` (a validated configuration) with the runner's
    own fields (RUNNER_FIELDS; a ``label`` is left out). Raises ConfigError naming ``runners``
    or ``runners[i].FIELD``."""
    if isinstance(runners, (str, bytes)) or not isinstance(runners, Sequence) or not (
            MIN_RUNNERS <= len(runners) <= MAX_RUNNERS):
        n = f" (got {len(runners)})" if isinstance(runners, Sequence) and not isinstance(
            runners, (str, bytes)) else ""
        raise ConfigError([FieldError("runners", runners, f"a race takes a list of "
                                      f"{MIN_RUNNERS} to {MAX_RUNNERS} runners{n}")])
    configs, errors = [], []
    for i, runner in enumerate(runners):
        if not isinstance(runner, Mapping):
            errors.append(FieldError(f"runners[{i}]", runner, "a runner is an object of "
                                     "optimizer fields, e.g. {\"optimizer\": \"adam\", "
                                     "\"lr\": 0.01}"))
            continue
        fields = {k: v for k, v in runner.items() if k != "label"}
        if "label" in runner:
            label = runner["label"]
            if not isinstance(label, str) or not label.strip() or len(label) > MAX_LABEL:
                errors.append(FieldError(f"runners[{i}].label", label, "a label is a text of 1 "
                                         f"to {MAX_LABEL} characters"))
        opt = fields.get("optimizer", base["optimizer"])
        used = cfgmod.OPTIMIZER_FIELDS.get(opt, ())
        for key, value in fields.items():
            if key not in RUNNER_FIELDS:
                errors.append(FieldError(f"runners[{i}].{key}", value, "a runner may set only "
                                         + ", ".join((*RUNNER_FIELDS, "label"))))
            elif key in OPTIMIZER_RUNNER_FIELDS and key != "optimizer" and used \
                    and key not in used:
                errors.append(FieldError(f"runners[{i}].{key}", value, f"{opt} does not use "
                                         f"{key}; it uses " + ", ".join(used)))
        try:
            configs.append(cfgmod.validate(fields, base=base))
        except ConfigError as exc:
            errors.extend(FieldError(f"runners[{i}].{e.field}", e.value, e.message)
                          for e in exc.errors if e.field in RUNNER_FIELDS)
    if errors:
        raise ConfigError(errors)
    return configs


def check_target(target: Any) -> dict[str, Any]:
    """A target {"metric", "value"}: a loss > 0, an accuracy in (0, 1]. Raises ConfigError
    naming ``target``, ``target.metric`` or ``target.value``."""
    if not isinstance(target, Mapping):
        raise ConfigError([FieldError("target", target, "a target is an object {\"metric\": "
                                      "one of " + ", ".join(METRICS) + ", \"value\": a number}")])
    errors = []
    unknown = sorted(set(target) - {"metric", "value"})
    if unknown:
        errors.append(FieldError(f"target.{unknown[0]}", target[unknown[0]],
                                 "a target has only metric and value"))
    metric, value = target.get("metric", "train_loss"), target.get("value")
    if metric not in METRICS:
        errors.append(FieldError("target.metric", metric, "allowed: " + ", ".join(METRICS)))
    elif isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(
            value) or not (0 < value <= 1 if METRICS[metric] == "max" else value > 0):
        rule = ("a number > 0 and ≤ 1 (an accuracy)" if METRICS[metric] == "max"
                else "a number > 0")
        errors.append(FieldError("target.value", value, f"it must be {rule}"))
    if errors:
        raise ConfigError(errors)
    assert isinstance(value, (int, float))  # checked above
    return {"metric": metric, "value": float(value)}


def runner_label(config: Mapping[str, Any]) -> str:
    """A short name for a runner from its fields, e.g. "SGD, momentum 0.9, lr 0.1", or with a
    model "digits-all, layers 0, 1 frozen, Adam, lr 0.03"."""
    opt = config["optimizer"]
    parts = []
    if config.get("model"):
        frozen = config.get("freeze") or []
        parts.append(config["model"] + (", layers " + ", ".join(map(str, frozen)) + " frozen"
                                        if frozen else ""))
    parts.append(_NAMES.get(opt, opt))
    if opt in ("sgd", "rmsprop") and config["momentum"] > 0:
        parts.append(("Nesterov " if opt == "sgd" and config["nesterov"] else "")
                     + f"momentum {config['momentum']:g}")
    parts.append(f"lr {config['lr']:g}")
    if config["weight_decay"] > 0:
        parts.append(f"weight decay {config['weight_decay']:g}")
    return ", ".join(parts)


class Runner:
    """One contestant: its trainer, its label, the fields it sets, and for every metric the
    points where it reached a new best (step, seconds of training, value) - enough to say when
    it first reached any target."""

    def __init__(self, trainer: Trainer, label: str | None = None,
                 fields: Mapping[str, Any] | None = None) -> None:
        self.trainer = trainer
        self.label = label or runner_label(trainer.config)
        self.fields = dict(fields or {})
        self.bests: dict[str, list[tuple[int, float, float]]] = {m: [] for m in METRICS}

    @property
    def lows(self) -> list[tuple[int, float, float]]:
        """The new lows of the train loss: (step, seconds, loss)."""
        return self.bests["train_loss"]

    def record(self, metrics: Mapping[str, Any] | float) -> None:
        """Note the new bests among an evaluation's metrics (a bare number: the train loss)."""
        if not isinstance(metrics, Mapping):
            metrics = {"train_loss": metrics}
        tr = self.trainer
        for m, direction in METRICS.items():
            v = metrics.get(m)
            if v is None or not math.isfinite(v):
                continue
            best = self.bests[m]
            if not best or (v < best[-1][2] if direction == "min" else v > best[-1][2]):
                best.append((tr.step_count, tr.train_seconds, float(v)))

    def reached(self, target: Mapping[str, Any] | float) -> tuple[int, float] | None:
        """(step, seconds) of the first recorded point that meets the target, or None. A bare
        number is a train loss to reach."""
        if not isinstance(target, Mapping):
            target = {"metric": "train_loss", "value": target}
        metric, value = target["metric"], target["value"]
        lower = METRICS[metric] == "min"
        for step, seconds, v in self.bests[metric]:
            if (v <= value) if lower else (v >= value):
                return step, seconds
        return None

    def clear(self) -> None:
        for best in self.bests.values():
            best.clear()


class Race:
    """Two to four Trainers sharing one configuration, each with its own fields."""

    def __init__(self, config: Mapping[str, Any], runners: Sequence[Mapping[str, Any]],
                 target_loss: float | None = None, *, target: Mapping[str, Any] | None = None,
                 csv: CsvData | None = None, model_file: bytes | None = None,
                 check_every: int = CHECK_EVERY) -> None:
        """``config``: a run configuration; ``runners``: 2 to 4 objects of RUNNER_FIELDS and an
        optional ``label``; ``target``: {"metric", "value"} (default train loss 0.1;
        ``target_loss`` is a shorthand for a train-loss target). ``csv``/``model_file`` as for
        Trainer. ``check_every``: the runners are judged against the target every this many
        steps, on the same steps for all, whatever drives the race. Raises ConfigError naming
        the field."""
        base = cfgmod.validate(config)
        self.config = base
        if isinstance(check_every, bool) or not isinstance(check_every, int) or not (
                1 <= check_every <= 10_000):
            raise ConfigError([FieldError("check_every", check_every,
                                          "it must be a whole number from 1 to 10000")])
        self.check_every = check_every
        configs = check_runners(runners, base)
        self.specs = [dict(r) for r in runners]
        """The runners as given (fields and label), to build the race again."""
        if target is None:
            target = {"metric": "train_loss", "value": 0.1 if target_loss is None
                      else target_loss}
            if target_loss is not None:
                self.target_loss = target_loss  # its own message names target_loss
        self.target = target
        self.runners = []
        for i, (spec, c) in enumerate(zip(runners, configs, strict=True)):
            try:
                tr = Trainer(c, csv=csv, model_file=model_file)
            except ConfigError as exc:
                raise ConfigError([FieldError(f"runners[{i}].{e.field}" if e.field in
                                              RUNNER_FIELDS else e.field, e.value, e.message)
                                   for e in exc.errors]) from None
            self.runners.append(Runner(tr, spec.get("label"),
                                       {k: v for k, v in spec.items() if k != "label"}))

    @property
    def target(self) -> dict[str, Any]:
        """{"metric", "value"}; changing it re-judges the race from the recorded points."""
        return dict(self._target)

    @target.setter
    def target(self, value: Mapping[str, Any]) -> None:
        self._target = check_target(value)

    @property
    def target_loss(self) -> float:
        """The target's value (a train loss, when set through this property)."""
        return self._target["value"]

    @target_loss.setter
    def target_loss(self, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                math.isfinite(value) and value > 0):
            raise ConfigError([FieldError("target_loss", value, "it must be a number > 0")])
        self._target = {"metric": "train_loss", "value": float(value)}

    @property
    def trainers(self) -> list[Trainer]:
        return [r.trainer for r in self.runners]

    @property
    def labels(self) -> list[str]:
        return [r.label for r in self.runners]

    @property
    def diverged(self) -> bool:
        """Every runner diverged: nothing is left to train."""
        return all(r.trainer.diverged is not None for r in self.runners)

    @property
    def lead(self) -> Trainer:
        """The first runner still training (the first runner when all diverged): its step
        count and epoch are the race's."""
        for r in self.runners:
            if r.trainer.diverged is None:
                return r.trainer
        return self.runners[0].trainer

    def step(self, n: int = 1) -> list[int]:
        """Advance every runner n steps; a diverged runner stays where it stopped while the
        others go on. Every ``check_every`` steps each runner is judged against the target
        (its metrics computed, not added to its history), so when a runner reaches the target
        does not depend on how often anyone draws the race. Returns the steps each took."""
        done = [0] * len(self.runners)
        while True:
            left = n - max(done)
            if left <= 0:
                break
            lead = self.lead.step_count
            k = min(left, self.check_every - lead % self.check_every)
            took = [r.trainer.step(k) for r in self.runners]
            done = [d + t for d, t in zip(done, took, strict=True)]
            if not any(took):
                break
            self._check()
        return done

    def _on_check_step(self, tr: Trainer) -> bool:
        """A check step is a positive multiple of ``check_every``: step 0 has trained nothing,
        so no runner reaches a target there (whether a frame happens to be drawn at step 0
        must not change the result)."""
        return tr.step_count > 0 and tr.step_count % self.check_every == 0

    def _check(self) -> None:
        """Judge the runners standing on a check step."""
        for r in self.runners:
            tr = r.trainer
            if tr.diverged is None and self._on_check_step(tr):
                r.record(tr.evaluate(record=False))

    def train_epoch(self) -> int:
        """Steps to the end of the current epoch (every runner in lockstep); returns the steps
        the lead runner took."""
        steps = 0
        while not self.diverged:
            lead = self.lead
            before = lead.step_count
            self.step(1)
            steps += lead.step_count - before
            if lead.diverged is None and lead._pos >= len(lead._Xe):
                break
        return steps

    def evaluate(self) -> list[dict[str, Any]]:
        """Evaluate every runner, appending a point to its history (the curves). Reaching the
        target is judged on the check steps only (see step). Returns each runner's metrics."""
        out = []
        for r in self.runners:
            m = r.trainer.evaluate()
            if self._on_check_step(r.trainer):
                r.record(m)
            out.append(m)
        return out

    def winner(self) -> dict[str, Any] | None:
        """The runner that reached the target in the fewest steps: {"runner": index, "label",
        "step", "seconds", "tie": [indices of every runner that reached it at that same check
        step]} (a tie when there are two or more; training seconds do not break it: they
        measure the machine, not the method), or None while no runner has."""
        hits = [(hit[0], hit[1], i) for i, r in enumerate(self.runners)
                if (hit := r.reached(self._target)) is not None]
        if not hits:
            return None
        step = min(h[0] for h in hits)
        tie = [i for s, _, i in hits if s == step]
        i = tie[0]
        seconds = next(sec for s, sec, j in hits if j == i)
        return {"runner": i, "label": self.runners[i].label, "step": step, "seconds": seconds,
                "tie": tie}

    def reset(self) -> None:
        """Every runner back to step 0 with its initial weights."""
        for r in self.runners:
            r.trainer.reset()
            r.clear()

    def snapshot(self, grid: int | None = 40) -> dict[str, Any]:
        """What to draw side by side: the target, the winner and, per runner, its label, the
        fields it sets, its optimizer fields, step, epoch, seconds of training, last metrics
        (from the last evaluate, or None), the step and seconds at which it reached the target
        (or None), diverged (None or the trainer's report) and, for 2-D data, ``grid_output``
        (R, R) or (R, R, K) float32."""
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
                "label": r.label, "fields": dict(r.fields),
                "optimizer": {k: tr.config[k] for k in
                              ("optimizer", *cfgmod.OPTIMIZER_FIELDS[tr.config["optimizer"]])},
                "step": tr.step_count, "epoch": tr.epoch, "seconds": tr.train_seconds,
                "metrics": metrics,
                "reached": None if hit is None else {"step": hit[0], "seconds": hit[1]},
                "diverged": tr.diverged, "arrays": arrays,
            })
        return {"target": self.target, "target_loss": self.target_loss, "winner": self.winner(),
                "runners": runners}
