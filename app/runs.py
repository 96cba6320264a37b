"""Building a run (one Trainer, or a Race of runners) from a validated configuration, and
what a client needs to know about it beyond its configuration."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any

from engine import config as cfgmod
from engine.data import CsvData
from engine.race import CHECK_EVERY, Race
from engine.trainer import HISTORY_KEYS, Trainer

from . import frames
from .run_limits import check_built, check_limits
from .settings import Settings

HISTORY_COLUMNS = list(HISTORY_KEYS)
RACE_HISTORY_COLUMNS = ["runner", *HISTORY_KEYS]


def build_run(cfg: Mapping[str, Any], race: Mapping[str, Any] | None, settings: Settings,
              csv: CsvData | None = None, model_file: bytes | None = None,
              changed: Collection[str] = (), check: bool = True,
              check_every: int = CHECK_EVERY) -> tuple[Trainer, Race | None]:
    """A run from a validated configuration: one Trainer, or a Race (its first runner is the
    Trainer) when ``race`` = {"runners": [...], "target": {...}} is given, its runners judged
    against the target every ``check_every`` steps. Raises ConfigError (naming
    ``runners[i].FIELD``, ``target.FIELD`` or ``race.FIELD``) or AppError (the parameter and
    compute limits of ``settings``; ``check=False``: the caller checks the built run)."""
    runners = race.get("runners") if isinstance(race, Mapping) else None
    if check:
        check_limits(cfg, settings, csv, changed,
                     len(runners) if isinstance(runners, list) and runners else 1)
    if race is None:
        tr = Trainer(cfg, csv=csv, model_file=model_file)
        if check:
            check_built([tr], settings)
        return tr, None
    if not isinstance(race, Mapping):
        raise cfgmod.ConfigError([cfgmod.FieldError(
            "race", race, "a race is an object {\"runners\": [...], \"target\": {...}}")])
    unknown = sorted(set(race) - {"runners", "target"})
    if unknown:
        raise cfgmod.ConfigError([cfgmod.FieldError(
            f"race.{unknown[0]}", race[unknown[0]], "a race has only runners and target")])
    r = Race(cfg, race.get("runners") or [], target=race.get("target", {"metric": "train_loss",
                                                                   "value": 0.1}),
             csv=csv, model_file=model_file, check_every=check_every)
    if check:
        check_built(r.trainers, settings)
    return r.trainers[0], r


def trainer_info(tr: Trainer) -> dict[str, Any]:
    """What a client needs to draw the run, beyond its configuration."""
    d = tr.data
    n = len(tr.X_train)
    return {
        "task": tr.task, "classes": tr.n_classes, "input_names": list(d.input_names),
        "class_names": list(d.class_names), "sizes": list(tr.net.sizes),
        "activation": tr.net.activation, "output": tr.output, "loss": tr.loss_name,
        "image_shape": list(d.image_shape) if d.image_shape else None,
        "dims": int(d.raw_train.shape[1]), "train_size": n, "test_size": len(tr.X_test),
        "batches_per_epoch": math.ceil(n / tr.batch_size),
        "params": tr.net.n_params, "trainable": tr.net.n_trainable,
        "frozen": [i for i, la in enumerate(tr.net.layers) if not la.trainable],
        "head": frames.clean(tr.head),  # what loading a model did to its output layer
    }


def race_description(race: Race | None) -> dict[str, Any] | None:
    """The ``race`` of hello, config events and the summary: runners, target, check_every."""
    if race is None:
        return None
    return {"runners": [{"label": r.label, "fields": dict(r.fields),
                         "info": trainer_info(r.trainer)} for r in race.runners],
            "target": race.target, "check_every": race.check_every}
