"""A sweep file: what to vary, how to search, how long to train, how to judge. Checked here.

    {"base": {"data": "digits", "layers": [64, 32]},      a run configuration (engine/config.py)
     "params": {"lr": {"low": 1e-4, "high": 1, "log": true},   a range, or a list of values
                "optimizer": ["sgd", "adam"]},
     "search": "tpe", "trials": 30, "epochs": 20, "seeds": [0, 1, 2],
     "pruner": "median", "metric": "val_loss"}

Every problem is reported at once as a ConfigError whose fields name the place in the file
(``params.lr.low``, ``epochs``, ``base.dropout``), the value and what is allowed.
docs/tuning.md describes each key.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import config as cfgmod
from .config import ConfigError, FieldError

MAX_TRIALS = 200  # settings in one sweep (a grid larger than this is refused)
MAX_RUNS = 1000  # trials × seeds
MAX_EPOCHS = 1000
MAX_SEEDS = 10
MAX_ROUND = 64
DEFAULT_VAL_SHARE = 0.2
SEARCHES = ("grid", "random", "tpe")
PRUNERS = ("none", "median", "halving")
METRICS = {"val_loss": "minimize", "val_accuracy": "maximize"}
# sweeping these would change which examples validate or test a trial, or duplicate `seeds`
NOT_SWEPT = {"seed": "repeat each setting over seeds with the sweep's `seeds` list instead",
             "data": "a sweep compares settings on one data set: set it in base",
             "data_seed": "every trial must be judged on the same examples: set it in base",
             "test_share": "every trial must be judged on the same examples: set it in base",
             "val_share": "every trial must be judged on the same examples: set the sweep's "
                          "val_share instead"}
# penalty shortcuts: "l2": {"low": 1e-5, "high": 1e-2, "log": true} sweeps an L2 rate
PENALTIES = ("l1", "l2")
WIDTH = re.compile(r"layers\.(\d)")  # "layers.0": the width of the first hidden layer
KEYS = ("base", "params", "search", "trials", "epochs", "seeds", "pruner", "metric",
        "val_share", "sampler_seed", "round")


@dataclass(frozen=True)
class Param:
    """One swept field: a list of values, or a range (low, high, log) of numbers."""

    name: str
    values: list[Any] | None = None
    low: float | None = None
    high: float | None = None
    log: bool = False
    integer: bool = False

    def encode(self, value: Any) -> Any:
        """A value as Optuna stores a choice: numbers, strings and booleans as they are, lists
        (layer widths) as JSON text."""
        return json.dumps(value) if isinstance(value, (list, dict)) else value

    def decode(self, value: Any) -> Any:
        if self.values is not None and any(isinstance(v, (list, dict)) for v in self.values):
            return json.loads(value)
        return value


@dataclass
class Sweep:
    base: dict[str, Any]  # validated run configuration
    params: list[Param]
    search: str = "grid"
    trials: int = 0
    epochs: int = 20
    seeds: list[int] = field(default_factory=lambda: [0])
    pruner: str = "none"
    metric: str = "val_loss"
    val_share: float = DEFAULT_VAL_SHARE
    sampler_seed: int = 0
    round: int = 8

    @property
    def direction(self) -> str:
        return METRICS[self.metric]

    @property
    def fields(self) -> list[str]:
        return [p.name for p in self.params]

    def grid_size(self) -> int:
        return math.prod(len(p.values or []) for p in self.params)

    def config_for(self, values: Mapping[str, Any], seed: int) -> dict[str, Any]:
        """The run configuration of one setting and seed (validated)."""
        changes: dict[str, Any] = {}
        for name, v in values.items():
            if name in PENALTIES:
                changes.update(regularization=name, reg_rate=v)
            elif name.startswith("layers."):  # the width of one hidden layer
                layers = list(changes.get("layers", self.base["layers"]))
                layers[int(name.split(".")[1])] = v
                changes["layers"] = layers
            else:
                changes[name] = v
        changes["seed"] = seed
        if "val_share" in cfgmod.FIELDS and not self.base.get("val_share"):
            changes["val_share"] = self.val_share  # the run holds out its validation rows
        return cfgmod.validate(changes, base=self.base)


def _int(raw: Mapping[str, Any], key: str, default: int | None, lo: int, hi: int,
         errors: list[FieldError]) -> int:
    v = raw.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or float(v) != int(v) or not (
            lo <= int(v) <= hi):
        errors.append(FieldError(key, v, f"it must be a whole number from {lo} to {hi}"))
        return lo
    return int(v)


def _number_field(name: str) -> dict[str, Any] | None:
    """min/max/integer of a numeric configuration field, None for any other kind."""
    meta = getattr(cfgmod.FIELDS[name].check, "meta", None)
    if isinstance(meta, dict) and "min" in meta and "max_items" not in meta and (
            name not in ("freeze",)):
        return meta
    return None


def _param(name: str, spec: Any, base: dict[str, Any], errors: list[FieldError]) -> Param | None:
    where = f"params.{name}"
    target = "reg_rate" if name in PENALTIES else name
    width = WIDTH.fullmatch(name)
    if width:  # layers.i: the width of hidden layer i of base.layers
        i = int(width.group(1))
        if i >= len(base["layers"]):
            errors.append(FieldError(where, spec, f"base.layers {base['layers']} has "
                                     f"{len(base['layers'])} hidden layers, numbered from 0"))
            return None
        target = "layers"
    elif name not in cfgmod.FIELDS and name not in PENALTIES:
        errors.append(FieldError(where, spec, "unknown field; sweep a configuration field ("
                                 + ", ".join(f for f in cfgmod.FIELDS if f not in NOT_SWEPT)
                                 + "), l1 / l2 (a penalty rate) or layers.0, layers.1, ... "
                                 "(the width of one hidden layer)"))
        return None
    if name in NOT_SWEPT:
        errors.append(FieldError(where, spec, NOT_SWEPT[name]))
        return None

    def check(value: Any, at: str) -> bool:
        if width:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                errors.append(FieldError(at, value, f"a width is a whole number from 1 to "
                                         f"{cfgmod.MAX_UNITS}"))
                return False
            value = [value if j == int(width.group(1)) else w
                     for j, w in enumerate(base["layers"])]
        try:
            cfgmod.validate({target: value}, base=base)
        except ConfigError as exc:
            for e in exc.errors:
                errors.append(FieldError(at if e.field == target else f"{at} ({e.field})",
                                         value, e.message))
            return False
        return True

    if isinstance(spec, list):
        if not spec:
            errors.append(FieldError(where, spec, "give at least one value"))
            return None
        if len({json.dumps(v, sort_keys=True) for v in spec}) != len(spec):
            errors.append(FieldError(where, spec, "each value may appear only once"))
            return None
        ok = all([check(v, f"{where}[{i}]") for i, v in enumerate(spec)])
        return Param(name, values=list(spec)) if ok else None
    if not isinstance(spec, Mapping):
        errors.append(FieldError(where, spec, "give a list of values, or a range "
                                 '{"low": ..., "high": ..., "log": true|false}'))
        return None
    meta = {"integer": True} if width else _number_field(target)
    if meta is None:
        errors.append(FieldError(where, spec, f"{name} is not a number: give a list of values"))
        return None
    extra = set(spec) - {"low", "high", "log"}
    if extra or "low" not in spec or "high" not in spec:
        errors.append(FieldError(where, spec, 'a range is {"low": number, "high": number, '
                                 '"log": true|false} and nothing else'))
        return None
    low, high, log = spec["low"], spec["high"], spec.get("log", False)
    if not isinstance(log, bool):
        errors.append(FieldError(f"{where}.log", log, "it must be true or false"))
        return None
    ok = check(low, f"{where}.low") & check(high, f"{where}.high")
    if not ok:
        return None
    if not low < high:
        errors.append(FieldError(f"{where}.low", low, f"it must be below high ({high})"))
        return None
    if log and low <= 0:
        errors.append(FieldError(f"{where}.low", low, "a log range cannot touch 0 or go below "
                                 "it: give low > 0, or set log to false"))
        return None
    integer = bool(meta.get("integer"))
    return Param(name, low=float(low), high=float(high), log=log, integer=integer)


def parse_sweep(raw: Any) -> Sweep:
    """The sweep in ``raw`` (a parsed JSON object), checked; ConfigError naming every problem."""
    if not isinstance(raw, Mapping):
        raise ConfigError([FieldError("sweep", raw, "it must be a JSON object")])
    errors: list[FieldError] = []
    for key in raw:
        if key not in KEYS:
            errors.append(FieldError(key, raw[key], "unknown key; a sweep has: "
                                     + ", ".join(KEYS)))
    base_raw = raw.get("base", {})
    try:
        base = cfgmod.validate(base_raw)
    except ConfigError as exc:
        errors.extend(FieldError(f"base.{e.field}", e.value, e.message) for e in exc.errors)
        base = cfgmod.defaults()
    if base["data"] == "csv" or base["model"] == "upload":
        errors.append(FieldError("base.data", base["data"], "a sweep runs on a bundled or "
                                 "generated data set and zoo models (no uploads)"))
    params_raw = raw.get("params")
    params: list[Param] = []
    if not isinstance(params_raw, Mapping) or not params_raw:
        errors.append(FieldError("params", params_raw, 'give at least one field to sweep, e.g. '
                                 '{"lr": {"low": 0.0001, "high": 1, "log": true}}'))
    else:
        for name, spec in params_raw.items():
            p = _param(str(name), spec, base, errors)
            if p is not None:
                params.append(p)
        names = set(params_raw)
        if "layers" in names and any(WIDTH.fullmatch(str(n)) for n in names):
            errors.append(FieldError("params", sorted(names), "sweep either whole "
                                     "architectures (layers) or single widths (layers.0, ...), "
                                     "not both"))
        if {"l1", "l2"} <= names or (names & set(PENALTIES) and names & {"regularization",
                                                                          "reg_rate"}):
            errors.append(FieldError("params", sorted(names), "l1 and l2 each set the penalty "
                                     "(regularization and reg_rate): sweep only one of l1, l2, "
                                     "or regularization / reg_rate"))
    search = raw.get("search", "grid")
    if search not in SEARCHES:
        errors.append(FieldError("search", search, "allowed: " + ", ".join(SEARCHES)))
    pruner = raw.get("pruner", "none")
    if pruner not in PRUNERS:
        errors.append(FieldError("pruner", pruner, "allowed: " + ", ".join(PRUNERS)))
    metric = raw.get("metric", "val_loss")
    if metric not in METRICS:
        errors.append(FieldError("metric", metric, "allowed: " + ", ".join(METRICS)
                                 + " (a sweep chooses by validation, never by test)"))
    elif metric == "val_accuracy" and cfgmod.task_of(base) == "regression":
        errors.append(FieldError("metric", metric, f"{base['data']} is a regression set: use "
                                 "val_loss"))
    epochs = _int(raw, "epochs", 20, 1, MAX_EPOCHS, errors)
    sampler_seed = _int(raw, "sampler_seed", 0, 0, 2**31 - 1, errors)
    round_size = _int(raw, "round", 8, 1, MAX_ROUND, errors)
    seeds = raw.get("seeds", [0])
    if (not isinstance(seeds, list) or not 1 <= len(seeds) <= MAX_SEEDS
            or any(isinstance(s, bool) or not isinstance(s, int) or not 0 <= s < 2**31
                   for s in seeds) or len(set(seeds)) != len(seeds)):
        errors.append(FieldError("seeds", seeds, f"it must be a list of 1 to {MAX_SEEDS} "
                                 "distinct whole numbers ≥ 0"))
        seeds = [0]
    val_share = raw.get("val_share", DEFAULT_VAL_SHARE)
    if isinstance(val_share, bool) or not isinstance(val_share, (int, float)) or not (
            0.05 <= val_share <= 0.5):
        errors.append(FieldError("val_share", val_share, "it must be a number from 0.05 to 0.5 "
                                 "(the share of the training examples held out to validate)"))
        val_share = DEFAULT_VAL_SHARE
    sweep = Sweep(base=base, params=params, search=str(search), epochs=epochs, seeds=seeds,
                  pruner=str(pruner), metric=str(metric), val_share=float(val_share),
                  sampler_seed=sampler_seed, round=round_size)
    if search == "grid" and params and len(params) == len(params_raw or {}):
        ranges = [p.name for p in params if p.values is None]
        if ranges:
            errors.append(FieldError(f"params.{ranges[0]}", params_raw[ranges[0]],  # type: ignore[index]
                                     "a grid needs a list of values for each field; give "
                                     "values, or use search random or tpe for a range"))
        elif sweep.grid_size() > MAX_TRIALS:
            errors.append(FieldError("params", sorted(params_raw),  # type: ignore[arg-type]
                                     f"the grid has {sweep.grid_size()} combinations; at most "
                                     f"{MAX_TRIALS}: give fewer values"))
    if search == "grid":
        trials = raw.get("trials")
        if trials is not None and not errors:
            n = _int(raw, "trials", None, 1, MAX_TRIALS, errors)
            if n < sweep.grid_size():
                errors.append(FieldError("trials", trials, f"the grid has {sweep.grid_size()} "
                                         "combinations and runs them all: leave trials out or "
                                         "give at least that many"))
        sweep.trials = sweep.grid_size()
    else:
        sweep.trials = _int(raw, "trials", 20, 1, MAX_TRIALS, errors)
    if sweep.trials * len(sweep.seeds) > MAX_RUNS and not errors:
        errors.append(FieldError("trials", sweep.trials, f"{sweep.trials} trials × "
                                 f"{len(sweep.seeds)} seeds is {sweep.trials * len(sweep.seeds)}"
                                 f" runs; at most {MAX_RUNS}"))
    if errors:
        raise ConfigError(errors)
    return sweep
