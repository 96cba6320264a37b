"""One run configuration: every field, its default, what it allows, and whether it changes live.

A run is fully described by one flat JSON object. The page sends it, the command line reads it,
a saved run stores it and a shared link encodes it; it is validated here and nowhere else.

    >>> cfg = validate({"data": "spiral", "lr": 0.03})     # missing fields take their defaults
    >>> validate({"lr": 0})                                 # raises ConfigError
    ConfigError: lr: 0 is not allowed; it must be > 0 and ≤ 10

Fields marked ``live`` change between two training steps without touching the weights; the
others rebuild the run (new data or a new network) and the server says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import echo
from .activations import ACTIVATIONS
from .losses import ALLOWED, LOSSES, OUTPUTS
from .network import INITS, MAX_DROPOUT
from .optim import OPTIMIZERS

MAX_HIDDEN_LAYERS = 8
MAX_UNITS = 256
MAX_SAMPLES = 5000


class Rule(str):
    """What a field allows, in English, carrying the same facts as data (``rule.data``, e.g.
    {"kind": "number", "min": 0, "max": 10, ...}) so that a page can say it in its own
    language."""

    data: dict[str, Any]

    def __new__(cls, text: str, **data: Any) -> Rule:
        obj = super().__new__(cls, text)
        obj.data = data
        return obj


@dataclass(frozen=True)
class FieldError:
    field: str
    value: Any
    message: str  # what is allowed (a Rule when the schema states it)

    def __str__(self) -> str:
        return f"{echo.text(self.field)}: {_short(self.value)} is not allowed; {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (strict JSON: an infinite or NaN value, or anything long or odd, is given
        as its shortened repr)."""
        d = {"field": echo.text(self.field), "value": echo.echo(self.value),
             "message": str(self)}
        if isinstance(self.message, Rule):
            d["rule"] = self.message.data
        return d


class ConfigError(ValueError):
    """One or more invalid fields; ``errors`` lists each with its field, value and rule."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


MAX_ECHO = echo.MAX_ECHO  # characters of a bad value repeated back in a message
MAX_ERRORS = 20  # errors listed at once; an object of a million bad fields gets a short answer


def _short(v: Any) -> str:
    """repr(v), cut to MAX_ECHO characters: an error never echoes a huge value back (and never
    fails on a 5,000-digit integer or a list nested 10,000 deep)."""
    return echo.short(v)


def _jsonable(v: Any) -> bool:
    """Whether v can be echoed as it is in strict JSON, UTF-8 safe, and is short."""
    return echo.echo(v) is v


@dataclass(frozen=True)
class Field:
    name: str
    default: Any
    doc: str
    check: Callable[[Any], tuple[Any, str | None]]  # value -> (normalized value, error or None)
    live: bool = False
    group: str = "run"


# ------------------------------------------------------------------ checkers
def _fmt(x: float) -> str:
    """A limit as people write it: 2147483647, 0.999, 10 (never 2.14748e+09)."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _number(lo: float, hi: float, *, lo_open: bool = False, integer: bool = False,
            nullable: bool = False, hi_open: bool = False
            ) -> Callable[[Any], tuple[Any, str | None]]:
    kind = "a whole number" if integer else "a number"
    lo_txt = f"> {_fmt(lo)}" if lo_open else f"≥ {_fmt(lo)}"
    hi_txt = f"< {_fmt(hi)}" if hi_open else f"≤ {_fmt(hi)}"
    extra = {"max_open": True} if hi_open else {}
    rule = Rule(f"it must be {kind} {lo_txt} and {hi_txt}" + (" (or null)" if nullable
                                                               else ""),
                kind="number", min=lo, max=hi, min_open=lo_open, integer=integer,
                nullable=nullable, **extra)

    def check(v: Any) -> tuple[Any, str | None]:
        if v is None and nullable:
            return None, None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return v, rule
        # bounds first, compared exactly: a 400-digit integer never reaches float()
        if isinstance(v, float) and not math.isfinite(v):
            return v, rule
        if (v <= lo if lo_open else v < lo) or (v >= hi if hi_open else v > hi):
            return v, rule
        if integer:
            if isinstance(v, float) and not v.is_integer():
                return v, rule
            v = int(v)
        else:
            v = float(v)
        return v, None

    check.meta = {"min": lo, "max": hi, "min_open": lo_open, "integer": integer,  # type: ignore[attr-defined]
                  "nullable": nullable, **extra}
    return check


def _choice(options: Callable[[], list[str]] | list[str]
            ) -> Callable[[Any], tuple[Any, str | None]]:
    def check(v: Any) -> tuple[Any, str | None]:
        allowed = options() if callable(options) else options
        if v in allowed:
            return v, None
        return v, Rule("allowed: " + ", ".join(allowed), kind="choice", choices=list(allowed))

    check.meta = lambda: {"choices": list(options() if callable(options)  # type: ignore[attr-defined]
                                          else options)}
    return check


def _bool(v: Any) -> tuple[Any, str | None]:
    return (v, None) if isinstance(v, bool) else (v, Rule("it must be true or false",
                                                          kind="bool"))


def _meta(meta: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Attach what the page needs to build a control (choices, ranges) to a checker."""
    def attach(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn.meta = meta  # type: ignore[attr-defined]
        return fn

    return attach


@_meta({"max_items": MAX_HIDDEN_LAYERS, "min": 1, "max": MAX_UNITS, "integer": True})
def _layers(v: Any) -> tuple[Any, str | None]:
    rule = (f"it must be a list of at most {MAX_HIDDEN_LAYERS} hidden-layer widths, "
            f"each a whole number from 1 to {MAX_UNITS}")
    if not isinstance(v, (list, tuple)) or len(v) > MAX_HIDDEN_LAYERS:
        return v, rule
    out = []
    for w in v:
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not 1 <= w <= MAX_UNITS:
            return v, rule  # (NaN fails the range too)
        if isinstance(w, float) and not w.is_integer():
            return v, rule
        out.append(int(w))
    return out, None


def _feature_names() -> dict[str, Any]:
    from .data import FEATURES

    return {"choices": list(FEATURES)}


@_meta(_feature_names)
def _features(v: Any) -> tuple[Any, str | None]:
    from .data import FEATURES

    rule = "it must be a non-empty list of distinct features from: " + ", ".join(FEATURES)
    if not isinstance(v, (list, tuple)) or not v or not all(isinstance(f, str) for f in v):
        return v, rule
    if len(set(v)) != len(v) or any(f not in FEATURES for f in v):
        return v, rule
    return list(v), None


def _betas(v: Any) -> tuple[Any, str | None]:
    rule = "it must be two numbers [β₁, β₂], each ≥ 0 and < 1"
    if not isinstance(v, (list, tuple)) or len(v) != 2:
        return v, rule
    if any(isinstance(b, bool) or not isinstance(b, (int, float)) or not 0 <= b < 1 for b in v):
        return v, rule
    return [float(v[0]), float(v[1])], None


def _digit_groups(v: Any) -> tuple[Any, str | None]:
    if v is None:
        return None, None
    from .data import DataError, relabel_digits

    try:
        relabel_digits(np.arange(10), "groups", v)
    except DataError as exc:
        return v, exc.message
    return [[int(d) for d in g] for g in v], None


@_meta({"min": 0, "max": MAX_HIDDEN_LAYERS, "integer": True})
def _freeze(v: Any) -> tuple[Any, str | None]:
    rule = (f"it must be a list of distinct layer indices from 0 to {MAX_HIDDEN_LAYERS} "
            "(0 is the first layer of weights)")
    if not isinstance(v, (list, tuple)):
        return v, rule
    if any(isinstance(i, bool) or not isinstance(i, int) or not 0 <= i <= MAX_HIDDEN_LAYERS
           for i in v) or len(set(v)) != len(v):
        return v, rule
    return sorted(int(i) for i in v), None


def _models() -> list[str]:
    from .zoo import model_names

    return [*model_names(), "upload"]


@_meta(lambda: {"choices": _models(), "nullable": True})
def _model(v: Any) -> tuple[Any, str | None]:
    if v is None:
        return None, None
    return _choice(_models)(v)


def _datasets() -> list[str]:
    from .data import DATASETS

    return [*DATASETS, "csv"]


FIELDS: dict[str, Field] = {
    f.name: f
    for f in [
        # data
        Field("data", "spiral", "Data set: a 2-D generator, digits, or an uploaded csv.",
              _choice(_datasets), group="data"),
        Field("samples", 500, "Points generated for a 2-D set (train + test).",
              _number(10, MAX_SAMPLES, integer=True), group="data"),
        Field("noise", 0.0, "Noise of a 2-D set, 0 (clean) to 1 (hard).", _number(0, 1),
              group="data"),
        Field("test_share", 0.5, "Share of the samples held out for testing.",
              _number(0.05, 0.95), group="data"),
        Field("val_share", 0.0, "Share of the training rows held out for validation (after the "
              "test split); 0 holds out none.", _number(0, 1, hi_open=True), group="data"),
        Field("data_seed", 0, "Seed of the data generator and of the train/test split.",
              _number(0, 2**31 - 1, integer=True), group="data"),
        Field("classes", 3, "Classes of the blobs set.", _number(3, 5, integer=True),
              group="data"),
        Field("train_per_class", None,
              "Keep only this many training examples per class (few-shot); null keeps all.",
              _number(1, 1000, integer=True, nullable=True), group="data"),
        Field("digits_task", "all", "Digits only: the task - all ten digits, 0-4 or 5-9 only, "
              "even/odd, digit ≥ 5, or your own groups (digit_groups).",
              _choice(["all", "0-4", "5-9", "even_odd", "ge5", "groups"]), group="data"),
        Field("digit_groups", None, "Digits only, with digits_task groups: lists of digits, one "
              "list a class, e.g. [[0, 6, 8, 9], [1, 4, 7]].", _digit_groups, group="data"),
        Field("digits_half", "all", "Digits only: use all samples, half a (the zoo models were "
              "pretrained on it) or half b (never seen by them).",
              _choice(["all", "a", "b"]), group="data"),
        Field("features", ["x1", "x2"], "Input features made from a 2-D point.", _features,
              group="data"),
        Field("standardize", True,
              "Standardize inputs (mean 0, std 1), fitted on the training split only.", _bool,
              group="data"),
        # network
        Field("layers", [8, 8], "Widths of the hidden layers (the input and output widths "
              "follow from the data).", _layers, group="network"),
        Field("activation", "tanh", "Activation of every hidden layer.",
              _choice(list(ACTIVATIONS)), group="network"),
        Field("output", "auto", "Output function: auto picks sigmoid for 2 classes, softmax "
              "for more, linear for regression.", _choice(["auto", *OUTPUTS]), group="network"),
        Field("loss", "auto", "Loss: auto picks cross-entropy for classification, MSE for "
              "regression.", _choice(["auto", *LOSSES]), group="network"),
        Field("init", "xavier", "Weight initialization (biases start at 0).",
              _choice(list(INITS)), group="network"),
        Field("seed", 0, "Seed of the initial weights, dropout masks and batch order.",
              _number(0, 2**31 - 1, integer=True), group="network"),
        Field("dtype", "float32", "Floating-point precision of the network.",
              _choice(["float32", "float64"]), group="network"),
        # optimization (live)
        Field("optimizer", "adam", "Optimizer, as in torch.optim.", _choice(list(OPTIMIZERS)),
              live=True, group="optimizer"),
        Field("lr", 0.03, "Learning rate.", _number(0, 10, lo_open=True), live=True,
              group="optimizer"),
        Field("momentum", 0.0, "Momentum (sgd, rmsprop); 0 is plain SGD, as in torch.optim.",
              _number(0, 0.999), live=True, group="optimizer"),
        Field("nesterov", False, "Nesterov momentum (sgd).", _bool, live=True,
              group="optimizer"),
        Field("alpha", 0.99, "Smoothing constant of RMSProp's squared-gradient average.",
              _number(0, 0.9999), live=True, group="optimizer"),
        Field("betas", [0.9, 0.999], "Adam's decay rates β₁, β₂ for m and v.", _betas,
              live=True, group="optimizer"),
        Field("eps", 1e-8, "Term added to denominators for numerical stability.",
              _number(0, 1, lo_open=True), live=True, group="optimizer"),
        Field("weight_decay", 0.0, "Optimizer weight decay, as in torch.optim (all parameters).",
              _number(0, 1), live=True, group="optimizer"),
        Field("batch_size", 10, "Examples per step: 1 is SGD, 0 means the full batch.",
              _number(0, 100000, integer=True), live=True, group="optimizer"),
        Field("shuffle", True, "Shuffle the training set every epoch (seeded).", _bool,
              live=True, group="optimizer"),
        # regularization (live)
        Field("dropout", 0.0, "Probability of dropping a hidden unit during training.",
              _number(0, MAX_DROPOUT), live=True, group="regularization"),
        Field("regularization", "none", "Penalty on the weights (not biases).",
              _choice(["none", "l1", "l2"]), live=True, group="regularization"),
        Field("reg_rate", 0.001, "Rate of the L1 or L2 penalty.", _number(0, 10), live=True,
              group="regularization"),
        # fine-tuning
        Field("model", None, "Start from a pretrained model of the zoo (or an uploaded one, "
              "\"upload\") instead of fresh weights; null trains from scratch.", _model,
              group="finetune"),
        Field("replace_head", "auto", "With a model: replace its output layer by a freshly "
              "initialized one (auto: when the task differs from the model's own).",
              _choice(["auto", "replace", "keep"]), group="finetune"),
        Field("freeze", [], "Layers whose weights do not change (0 is the first layer).",
              _freeze, live=True, group="finetune"),
    ]
}

LIVE_FIELDS = frozenset(name for name, f in FIELDS.items() if f.live)
# fields that rebuild the data (a model brings its own input scaling, so it counts as one)
DATA_FIELDS = frozenset({"data", "samples", "noise", "test_share", "val_share", "data_seed",
                         "classes",
                         "train_per_class", "features", "standardize", "digits_task",
                         "digit_groups", "digits_half", "model", "replace_head"})


def rebuilds(name: str) -> str | None:
    """What changing field ``name`` rebuilds: "data" (new data and a new network), "network"
    (a new network on the same data) or None (a live field: weights and counters kept)."""
    if name in LIVE_FIELDS:
        return None
    return "data" if name in DATA_FIELDS else "network"


# optimizer hyperparameters each optimizer takes from the configuration
OPTIMIZER_FIELDS: dict[str, tuple[str, ...]] = {
    "sgd": ("lr", "momentum", "nesterov", "weight_decay"),
    "rmsprop": ("lr", "alpha", "eps", "weight_decay", "momentum"),
    "adam": ("lr", "betas", "eps", "weight_decay"),
    "adamw": ("lr", "betas", "eps", "weight_decay"),
    "adagrad": ("lr", "eps", "weight_decay"),
}


def defaults() -> dict[str, Any]:
    """A complete configuration with every field at its default."""
    import copy

    return {name: copy.deepcopy(f.default) for name, f in FIELDS.items()}


def validate(raw: Mapping[str, Any], base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Check ``raw`` field by field over ``base`` (default: the defaults) and return the full,
    normalized configuration. Raises ConfigError listing every bad field."""
    if not isinstance(raw, Mapping):
        raise ConfigError([FieldError("config", raw, "it must be a JSON object")])
    cfg = dict(base) if base is not None else defaults()
    errors: list[FieldError] = []
    for key, value in raw.items():
        if len(errors) >= MAX_ERRORS:
            errors.append(FieldError("config", f"{len(raw)} fields", f"only the first "
                                     f"{MAX_ERRORS} errors are listed; fix them and send again"))
            break
        f = FIELDS.get(key) if isinstance(key, str) else None
        if f is None:
            errors.append(FieldError(echo.text(str(key)), value, "unknown field; known fields: "
                                     + ", ".join(FIELDS)))
            continue
        norm, err = f.check(value)
        if err:
            errors.append(FieldError(key, value, err))
        else:
            cfg[key] = norm
    if not errors:
        errors.extend(_cross_checks(cfg))
    if errors:
        raise ConfigError(errors)
    return cfg


def task_of(cfg: Mapping[str, Any]) -> str:
    from .data import DATASETS

    info = DATASETS.get(cfg["data"])
    return info.task if info is not None else "classification"


def resolve_output(cfg: Mapping[str, Any], task: str, n_classes: int) -> tuple[str, str, int]:
    """(output, loss, output units) once the task and the class count are known."""
    output = cfg["output"]
    if output == "auto":
        output = "linear" if task == "regression" else ("sigmoid" if n_classes == 2 else "softmax")
    loss = cfg["loss"]
    if loss == "auto":
        loss = "mse" if output == "linear" else "cross_entropy"
    if task == "regression":
        units = 1
    else:
        units = 1 if output == "sigmoid" else n_classes
    return output, loss, units


def digits_class_count(cfg: Mapping[str, Any]) -> int:
    task = cfg["digits_task"]
    if task == "groups":
        return len(cfg["digit_groups"] or [])
    return {"all": 10, "0-4": 5, "5-9": 5, "even_odd": 2, "ge5": 2}[task]


def _freeze_checks(cfg: Mapping[str, Any]) -> list[FieldError]:
    """Frozen layers must exist and leave one to train. A model's layer count is its own, known
    once it is loaded (the Trainer checks it then); without one it is len(layers) + 1."""
    if cfg["model"] is not None or not cfg["freeze"]:
        return []
    n = len(cfg["layers"]) + 1
    missing = [i for i in cfg["freeze"] if i >= n]
    if missing:
        return [FieldError("freeze", cfg["freeze"], Rule(
            f"this network has layers 0 to {n - 1}; {missing} do not exist",
            kind="freeze_missing", layers=n))]
    if len(cfg["freeze"]) >= n:
        return [FieldError("freeze", cfg["freeze"], Rule(
            "every layer would be frozen and nothing left to train: leave at least one layer "
            "(usually the output layer) unfrozen", kind="freeze_all", layers=n))]
    return []


def _cross_checks(cfg: Mapping[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    if cfg["digits_task"] == "groups" and cfg["digit_groups"] is None:
        errors.append(FieldError("digit_groups", None, "digits_task groups needs digit_groups, "
                                 "e.g. [[0, 6, 8, 9], [1, 4, 7]]"))
        return errors
    errors.extend(_freeze_checks(cfg))
    task = task_of(cfg)
    if cfg["data"] not in ("csv", "digits"):  # a generated set: its rows are known now
        from .data import split_sizes

        n_train, n_val, n_test = split_sizes(cfg["samples"], cfg["test_share"], cfg["val_share"])
        if n_train < 1:
            errors.append(FieldError("val_share", cfg["val_share"], Rule(
                f"it leaves no training rows: of {cfg['samples']} samples, {n_test} are for "
                f"testing and {n_val} for validation; use a smaller val_share (or more samples)",
                kind="no_train_rows", samples=cfg["samples"], test_rows=n_test, val_rows=n_val)))
    if cfg["data"] == "csv":
        return errors  # the uploaded set's task is checked when it is loaded
    if task == "regression" and cfg["output"] in ("softmax", "sigmoid"):
        errors.append(FieldError("output", cfg["output"],
                                 f"{cfg['data']} is a regression set; use linear (or auto)"))
    if task == "classification" and cfg["output"] == "linear":
        errors.append(FieldError("output", "linear", f"{cfg['data']} is a classification set; "
                                 "use softmax, sigmoid or auto"))
    if task == "regression" and cfg["train_per_class"] is not None:
        errors.append(FieldError("train_per_class", cfg["train_per_class"],
                                 f"{cfg['data']} is a regression set; it has no classes: use null"))
    if task == "regression" and cfg["loss"] == "cross_entropy":
        errors.append(FieldError("loss", "cross_entropy",
                                 "cross-entropy needs classes; use mse for regression"))
    out = cfg["output"]
    if out != "auto" and cfg["loss"] != "auto" and (out, cfg["loss"]) not in ALLOWED:
        errors.append(FieldError("loss", cfg["loss"], f"it does not go with output {out}"))
    if cfg["output"] == "sigmoid" and task == "classification" and cfg["data"] != "csv":
        from .data import DATASETS

        n = DATASETS[cfg["data"]].n_classes
        if cfg["data"] == "blobs":
            n = cfg["classes"]
        if cfg["data"] == "digits":
            n = digits_class_count(cfg)
        if n > 2:
            errors.append(FieldError("output", "sigmoid",
                                     f"sigmoid has one output for 2 classes; {cfg['data']} has "
                                     f"{n}: use softmax"))
    return errors


def describe() -> list[dict[str, Any]]:
    """Every field with its default, doc, group, whether it is live and what changing it
    rebuilds (``rebuilds``: "data", "network" or None for a live field; see ``rebuilds``),
    and what its control needs: ``choices`` (a field taking one of a list, or list items from
    it), ``min``/``max`` with ``min_open``, ``integer``, ``nullable`` (a number; for a list of
    numbers, each item's range, and ``max_items``)."""
    out = []
    for f in FIELDS.values():
        entry: dict[str, Any] = {"name": f.name, "default": f.default, "doc": f.doc,
                                 "live": f.live, "rebuilds": rebuilds(f.name),
                                 "group": f.group}
        meta = getattr(f.check, "meta", None)
        if callable(meta):
            meta = meta()
        if meta:
            entry.update(meta)
        out.append(entry)
    return out
