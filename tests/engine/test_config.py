"""The run configuration: defaults, every rejection with a message naming field, value and rule,
cross-field checks, and property tests over the schema (valid configurations train, invalid
ones are refused)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import config
from engine.activations import ACTIVATIONS
from engine.config import FIELDS, LIVE_FIELDS, ConfigError, defaults, validate
from engine.data import DATASETS, FEATURES
from engine.network import INITS
from engine.optim import OPTIMIZERS
from engine.trainer import Trainer

DOCS = Path(__file__).resolve().parents[2] / "docs" / "config.md"


def rejected(raw: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        validate(raw)
    return info.value


# ------------------------------------------------------------------------------- defaults
def test_every_default_validates_on_its_own() -> None:
    for name, f in FIELDS.items():
        cfg = validate({name: f.default})
        assert cfg[name] == f.default


def test_empty_config_is_the_defaults() -> None:
    assert validate({}) == defaults()


def test_defaults_are_copies() -> None:
    a = defaults()
    a["layers"].append(3)
    assert defaults()["layers"] == FIELDS["layers"].default != a["layers"]


def test_validate_normalizes_numbers() -> None:
    cfg = validate({"samples": 200.0, "lr": 1, "layers": [4.0, 3], "betas": (0.8, 0.9)})
    assert cfg["samples"] == 200 and isinstance(cfg["samples"], int)
    assert cfg["lr"] == 1.0 and isinstance(cfg["lr"], float)
    assert cfg["layers"] == [4, 3] and all(type(w) is int for w in cfg["layers"])
    assert cfg["betas"] == [0.8, 0.9]


def test_validate_over_a_base_keeps_the_base() -> None:
    base = validate({"lr": 0.5, "data": "xor"})
    cfg = validate({"dropout": 0.2}, base=base)
    assert (cfg["lr"], cfg["data"], cfg["dropout"]) == (0.5, "xor", 0.2)


def test_live_fields_are_the_ones_the_design_names() -> None:
    for name in ("lr", "optimizer", "dropout", "batch_size", "regularization", "reg_rate"):
        assert name in LIVE_FIELDS
    for name in ("layers", "activation", "data", "samples", "seed", "dtype", "features"):
        assert name not in LIVE_FIELDS


# ---------------------------------------------------------------------- single-field errors
# (field, bad value, a phrase of the rule the message must state)
BAD_VALUES: list[tuple[str, Any, str]] = [
    ("lr", 0, "> 0 and ≤ 10"),
    ("lr", 11, "> 0 and ≤ 10"),
    ("lr", -0.1, "> 0 and ≤ 10"),
    ("lr", float("nan"), "> 0 and ≤ 10"),
    ("lr", float("inf"), "> 0 and ≤ 10"),
    ("lr", "0.1", "a number"),
    ("lr", True, "a number"),
    ("lr", None, "a number"),
    ("layers", [8] * 9, "at most 8 hidden-layer widths"),
    ("layers", [257], "from 1 to 256"),
    ("layers", [0], "from 1 to 256"),
    ("layers", [8.5], "whole number"),
    ("layers", [True], "whole number"),
    ("layers", [float("inf")], "whole number"),
    ("layers", [float("nan")], "whole number"),
    ("layers", "8,8", "a list"),
    ("layers", 8, "a list"),
    ("activation", "swish", "allowed: "),
    ("activation", 3, "allowed: "),
    ("output", "tanh", "allowed: "),
    ("loss", "hinge", "allowed: "),
    ("init", "orthogonal", "allowed: "),
    ("optimizer", "lbfgs", "allowed: "),
    ("optimizer", "Adam", "allowed: "),
    ("data", "mnist", "allowed: "),
    ("dtype", "float16", "allowed: "),
    ("regularization", "l3", "allowed: "),
    ("samples", 5001, "≤ 5000"),
    ("samples", 9, "≥ 10"),
    ("samples", 100.5, "whole number"),
    ("samples", "500", "whole number"),
    ("noise", 1.5, "≤ 1"),
    ("noise", -0.1, "≥ 0"),
    ("test_share", 0.0, "≥ 0.05"),
    ("test_share", 0.99, "≤ 0.95"),
    ("val_share", 1.0, "≥ 0 and < 1"),
    ("val_share", -0.5, "≥ 0 and < 1"),
    ("data_seed", -1, "≥ 0"),
    ("data_seed", 2**31, "≤ 2147483647"),
    ("seed", 1.5, "whole number"),
    ("classes", 2, "≥ 3"),
    ("classes", 6, "≤ 5"),
    ("train_per_class", 0, "≥ 1"),
    ("features", [], "non-empty list"),
    ("features", ["x1", "x1"], "distinct"),
    ("features", ["x3"], "from: x1, x2"),
    ("features", "x1", "list"),
    ("features", [["x1"]], "list"),
    ("standardize", 1, "true or false"),
    ("standardize", "yes", "true or false"),
    ("shuffle", 0, "true or false"),
    ("nesterov", 1.0, "true or false"),
    ("momentum", 1.0, "≤ 0.999"),
    ("alpha", 1.0, "≤ 0.9999"),
    ("betas", [0.9], "two numbers"),
    ("betas", [0.9, 1.0], "each ≥ 0 and < 1"),
    ("betas", [float("nan"), 0.9], "each ≥ 0 and < 1"),
    ("betas", [True, 0.9], "two numbers"),
    ("eps", 0, "> 0"),
    ("weight_decay", 2, "≤ 1"),
    ("batch_size", -1, "≥ 0"),
    ("batch_size", 10.5, "whole number"),
    ("dropout", 0.95, "≤ 0.9"),
    ("dropout", False, "a number"),
    ("reg_rate", 11, "≤ 10"),
    ("digits_task", "letters", "allowed: "),
    ("digits_half", "c", "allowed: "),
    ("digit_groups", [[1, 2]], "at least two"),
    ("digit_groups", [[1, 2], [2, 3]], "distinct digits"),
    ("digit_groups", [[1, 10], [2]], "digits 0-9"),
    ("model", "imagenet", "allowed: "),
    ("replace_head", True, "allowed: "),
    ("freeze", [0, 0], "distinct layer indices"),
    ("freeze", [9], "from 0 to 8"),
    ("freeze", "0", "a list"),
]


def test_the_bad_value_table_covers_every_field() -> None:
    # every field has at least one rejection checked below
    assert {name for name, _, _ in BAD_VALUES} == set(FIELDS)


@pytest.mark.parametrize(("field", "value", "rule"), BAD_VALUES,
                         ids=[f"{f}={v!r}" for f, v, _ in BAD_VALUES])
def test_bad_value_is_rejected_naming_field_value_and_rule(field: str, value: Any,
                                                           rule: str) -> None:
    err = rejected({field: value})
    assert [e.field for e in err.errors] == [field]
    message = str(err)
    assert message.startswith(f"{field}: ")
    assert repr(value) in message
    assert rule in message
    assert "is not allowed" in message


def test_unknown_choice_lists_the_allowed_ones() -> None:
    message = str(rejected({"activation": "swish"}))
    for name in ACTIVATIONS:
        assert name in message
    message = str(rejected({"optimizer": "lbfgs"}))
    for name in OPTIMIZERS:
        assert name in message
    message = str(rejected({"init": "orthogonal"}))
    for name in INITS:
        assert name in message
    message = str(rejected({"data": "mnist"}))
    for name in [*DATASETS, "csv"]:
        assert name in message


def test_unknown_field_is_rejected_and_the_known_ones_listed() -> None:
    err = rejected({"learning_rate": 0.1})
    assert err.errors[0].field == "learning_rate"
    message = str(err)
    assert "unknown field" in message and "0.1" in message
    for name in FIELDS:
        assert name in message


def test_not_an_object_is_rejected() -> None:
    err = rejected([("lr", 0.1)])  # type: ignore[arg-type]
    assert err.errors[0].field == "config"
    assert "JSON object" in str(err)


def test_every_bad_field_is_reported_at_once() -> None:
    err = rejected({"lr": 0, "layers": [300], "shuffle": "no"})
    assert sorted(e.field for e in err.errors) == ["layers", "lr", "shuffle"]


def test_error_to_dict_is_json_ready() -> None:
    err = rejected({"lr": float("nan"), "betas": (0.9, 2)})
    for e in err.errors:
        d = e.to_dict()
        assert {"field", "value", "message"} <= set(d) <= {"field", "value", "message", "rule"}
        assert d["message"].startswith(d["field"] + ": ")
        json.dumps(d)  # the rule too is plain JSON


def test_a_rejected_update_leaves_the_base_unchanged() -> None:
    base = validate({"lr": 0.5})
    snapshot = dict(base)
    with pytest.raises(ConfigError):
        validate({"lr": 0.1, "layers": [999]}, base=base)
    assert base == snapshot


# ------------------------------------------------------------------------------ cross-field
@pytest.mark.parametrize(("raw", "field", "phrase"), [
    ({"data": "spiral", "classes": 3, "output": "sigmoid"}, None, None),  # 2 classes: fine
    ({"data": "blobs", "output": "sigmoid"}, "output", "use softmax"),
    ({"data": "blobs", "classes": 5, "output": "sigmoid"}, "output", "has 5"),
    ({"data": "digits", "output": "sigmoid"}, "output", "digits has 10"),
    ({"data": "circle", "output": "linear"}, "output", "classification set"),
    ({"data": "digits", "output": "linear"}, "output", "classification set"),
    ({"data": "plane", "output": "softmax"}, "output", "regression set"),
    ({"data": "bumps", "output": "sigmoid"}, "output", "regression set"),
    ({"data": "plane", "loss": "cross_entropy"}, "loss", "use mse"),
    ({"data": "plane", "train_per_class": 5}, "train_per_class", "regression set"),
    ({"data": "circle", "output": "linear", "loss": "cross_entropy"}, "loss", "output linear"),
    ({"data": "circle", "output": "softmax", "loss": "mse"}, None, None),
    ({"data": "plane", "output": "linear", "loss": "mse"}, None, None),
])
def test_cross_field_checks(raw: dict[str, Any], field: str | None, phrase: str | None) -> None:
    if field is None:
        validate(raw)
        return
    err = rejected(raw)
    assert field in [e.field for e in err.errors]
    assert phrase is not None and phrase in str(err)


def test_cross_checks_run_against_the_base_too() -> None:
    base = validate({"data": "circle", "output": "sigmoid"})
    err = pytest.raises(ConfigError, validate, {"data": "blobs"}, base=base).value
    assert err.errors[0].field == "output"


def test_resolve_output_picks_the_natural_head() -> None:
    cfg = defaults()
    assert config.resolve_output(cfg, "classification", 2) == ("sigmoid", "cross_entropy", 1)
    assert config.resolve_output(cfg, "classification", 4) == ("softmax", "cross_entropy", 4)
    assert config.resolve_output(cfg, "regression", 0) == ("linear", "mse", 1)
    cfg["output"] = "softmax"
    assert config.resolve_output(cfg, "classification", 2) == ("softmax", "cross_entropy", 2)


def test_too_many_per_class_examples_is_a_config_error_naming_the_field() -> None:
    # the split has about 125 of each class; the limit is only known once the data is made
    with pytest.raises(ConfigError) as info:
        Trainer({"data": "circle", "samples": 500, "train_per_class": 900})
    assert info.value.errors[0].field == "train_per_class"
    assert "900" in str(info.value) and "use at most" in str(info.value)


# ------------------------------------------------------------------------ docs/config.md
def test_docs_mention_every_field_and_the_limits() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for name in FIELDS:
        assert re.search(rf"`{name}`", text), f"docs/config.md does not mention {name}"
    for phrase in ("256", "5000", "l1·Σ|W| + l2/2·ΣW²", "live"):
        assert phrase in text


# --------------------------------------------------------------------- property tests
SMALL_2D = [n for n, info in DATASETS.items() if info.dims == 2]


def _valid_value_strategies() -> dict[str, st.SearchStrategy[Any]]:
    """One strategy per field drawing values the schema allows (kept small to run fast)."""
    unit = st.floats(0, 1, allow_nan=False)
    return {
        "data": st.sampled_from([*SMALL_2D, "digits"]),
        "samples": st.integers(60, 200),
        "noise": unit,
        "test_share": st.floats(0.05, 0.5),
        "val_share": st.sampled_from([0.0, 0.0, 0.2]),
        "data_seed": st.integers(0, 2**31 - 1),
        "classes": st.integers(3, 5),
        "train_per_class": st.sampled_from([None, None, 1, 2]),
        "features": st.lists(st.sampled_from(list(FEATURES)), min_size=1, max_size=4,
                             unique=True),
        "standardize": st.booleans(),
        "layers": st.lists(st.integers(1, 24), max_size=3)
        | st.lists(st.integers(1, 256), min_size=1, max_size=1)
        | st.lists(st.integers(1, 4), min_size=8, max_size=8),
        "activation": st.sampled_from(list(ACTIVATIONS)),
        "init": st.sampled_from(list(INITS)),
        "seed": st.integers(0, 2**31 - 1),
        "dtype": st.sampled_from(["float32", "float64"]),
        "optimizer": st.sampled_from(list(OPTIMIZERS)),
        "lr": st.floats(1e-6, 10, exclude_min=False),
        "momentum": st.floats(0, 0.999),
        "nesterov": st.booleans(),
        "alpha": st.floats(0, 0.9999),
        "betas": st.lists(st.floats(0, 0.999), min_size=2, max_size=2),
        "eps": st.floats(1e-12, 1),
        "weight_decay": st.floats(0, 1),
        "batch_size": st.integers(0, 300),
        "shuffle": st.booleans(),
        "dropout": st.floats(0, 0.9),
        "regularization": st.sampled_from(["none", "l1", "l2"]),
        "reg_rate": st.floats(0, 10),
        # output and loss depend on the data: drawn in valid_configs
        "output": st.just("auto"),
        "loss": st.just("auto"),
        "digits_task": st.sampled_from(["all", "0-4", "5-9", "even_odd", "ge5", "groups"]),
        "digit_groups": st.sampled_from([[[0, 6, 8, 9], [1, 4, 7]], [[0], [1], [2, 3]]]),
        "digits_half": st.sampled_from(["all", "a", "b"]),
        # a pretrained model fits only its own kind of data: tested in test_zoo.py
        "model": st.just(None),
        "replace_head": st.sampled_from(["auto", "replace", "keep"]),
        "freeze": st.lists(st.integers(0, 8), unique=True, max_size=3),
    }


@st.composite
def valid_configs(draw: st.DrawFn) -> dict[str, Any]:
    cfg = {name: draw(s) for name, s in _valid_value_strategies().items()}
    info = DATASETS[cfg["data"]]
    n_classes = cfg["classes"] if cfg["data"] == "blobs" else info.n_classes
    if cfg["train_per_class"] is not None:
        cfg["samples"] = max(cfg["samples"], 150)  # every class surely has 2 in the split
    n_layers = len(cfg["layers"]) + 1  # leave at least one layer to train
    cfg["freeze"] = [i for i in cfg["freeze"] if i < n_layers - 1]
    if info.task == "regression":
        cfg["train_per_class"] = None
        cfg["output"] = draw(st.sampled_from(["auto", "linear"]))
        cfg["loss"] = draw(st.sampled_from(["auto", "mse"]))
    else:
        outputs = ["auto", "softmax"] + (["sigmoid"] if n_classes == 2 else [])
        cfg["output"] = draw(st.sampled_from(outputs))
        cfg["loss"] = draw(st.sampled_from(["auto", "cross_entropy", "mse"]))
    return cfg


def test_the_valid_strategies_cover_every_field() -> None:
    assert set(_valid_value_strategies()) == set(FIELDS)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_configs())
def test_random_valid_configs_train_one_step_with_a_finite_loss(raw: dict[str, Any]) -> None:
    cfg = validate(raw)
    tr = Trainer(cfg)
    assert tr.step(1) == 1
    assert tr.diverged is None
    assert math.isfinite(tr.last_loss)
    assert np.isfinite(tr.net.params).all()
    assert tr.step_count == 1


def _invalid_value_strategies() -> dict[str, st.SearchStrategy[Any]]:
    """Per field, values the schema refuses."""
    not_number = st.sampled_from(["1", None, [1], True, False, {"v": 1}])
    non_finite = st.sampled_from([float("nan"), float("inf"), -float("inf")])
    not_bool = st.sampled_from([0, 1, 1.0, "true", None, "false"])

    def number(lo: float, hi: float, lo_open: bool = False) -> st.SearchStrategy[Any]:
        below = st.floats(max_value=lo, exclude_max=not lo_open, allow_nan=False,
                          allow_infinity=False, min_value=lo - 1e6)
        above = st.floats(min_value=hi, exclude_min=True, allow_nan=False,
                          allow_infinity=False, max_value=hi + 1e6)
        return below | above | not_number | non_finite

    def whole(lo: int, hi: int) -> st.SearchStrategy[Any]:
        return (st.integers(max_value=lo - 1) | st.integers(min_value=hi + 1)
                | st.floats(lo + 0.1, hi - 0.1).filter(lambda v: v != int(v))
                | not_number | non_finite)

    def choice(allowed: list[str]) -> st.SearchStrategy[Any]:
        return st.text(max_size=12).filter(lambda v: v not in allowed) | not_number

    return {
        "data": choice([*DATASETS, "csv"]),
        "samples": whole(10, 5000),
        "noise": number(0, 1),
        "test_share": number(0.05, 0.95),
        "val_share": number(0, 1) | st.just(1.0),
        "data_seed": whole(0, 2**31 - 1),
        "classes": whole(3, 5),
        "train_per_class": whole(1, 1000).filter(lambda v: v is not None),
        "features": st.just([]) | st.lists(st.text(max_size=6).filter(lambda v: v not in FEATURES),
                                           min_size=1, max_size=3) | not_number,
        "standardize": not_bool,
        "layers": st.lists(st.integers(1, 8), min_size=9, max_size=12)
        | st.lists(st.integers(257, 10**6), min_size=1, max_size=3)
        | st.lists(st.integers(max_value=0), min_size=1, max_size=3)
        | st.sampled_from(["8", 8, None, [1.5], [True], [float("nan")]]),
        "activation": choice(list(ACTIVATIONS)),
        "output": choice(["auto", "softmax", "sigmoid", "linear"]),
        "loss": choice(["auto", "cross_entropy", "mse"]),
        "init": choice(list(INITS)),
        "seed": whole(0, 2**31 - 1),
        "dtype": choice(["float32", "float64"]),
        "optimizer": choice(list(OPTIMIZERS)),
        "lr": number(0, 10, lo_open=True),
        "momentum": number(0, 0.999),
        "nesterov": not_bool,
        "alpha": number(0, 0.9999),
        "betas": st.lists(st.floats(0, 0.5), min_size=3, max_size=4)
        | st.tuples(st.floats(1, 100), st.floats(0, 0.5)) | non_finite.map(lambda v: [v, 0.5])
        | not_number,
        "eps": number(0, 1, lo_open=True),
        "weight_decay": number(0, 1),
        "batch_size": whole(0, 100000),
        "shuffle": not_bool,
        "dropout": number(0, 0.9),
        "regularization": choice(["none", "l1", "l2"]),
        "reg_rate": number(0, 10),
        "digits_task": choice(["all", "0-4", "5-9", "even_odd", "ge5", "groups"]),
        "digits_half": choice(["all", "a", "b"]),
        "digit_groups": st.sampled_from([[[1, 2]], [[1], [1]], "x", [[10], [1]], [[], [1]], 3]),
        "model": choice(["digits-all", "digits-0to4", "spiral", "upload"]).filter(
            lambda v: v is not None),
        "replace_head": choice(["auto", "replace", "keep"]),
        "freeze": st.sampled_from([[0, 0], [9], "0", [-1], [True], 0, [1.5]]),
    }


def test_the_invalid_strategies_cover_every_field() -> None:
    assert set(_invalid_value_strategies()) == set(FIELDS)


@st.composite
def one_bad_field(draw: st.DrawFn) -> tuple[dict[str, Any], str, Any]:
    cfg = draw(valid_configs())
    strategies = _invalid_value_strategies()
    name = draw(st.sampled_from(sorted(strategies)))
    value = draw(strategies[name])
    cfg[name] = value
    return cfg, name, value


@settings(max_examples=40, deadline=None)
@given(one_bad_field())
def test_random_invalid_configs_are_rejected_naming_the_field(
        case: tuple[dict[str, Any], str, Any]) -> None:
    raw, name, value = case
    with pytest.raises(ConfigError) as info:
        validate(raw)
    fields = [e.field for e in info.value.errors]
    assert fields == [name]
    message = str(info.value)
    assert message.startswith(f"{name}: {value!r} is not allowed; ")


def test_a_field_error_carries_its_rule_as_data_for_other_languages() -> None:
    with pytest.raises(ConfigError) as info:
        validate({"lr": 11, "activation": "swish", "shuffle": 1})
    rules = {e["field"]: e.get("rule") for e in (x.to_dict() for x in info.value.errors)}
    assert rules["lr"] == {"kind": "number", "min": 0, "max": 10, "min_open": True,
                           "integer": False, "nullable": False}
    assert rules["activation"]["kind"] == "choice" and "relu" in rules["activation"]["choices"]
    assert rules["shuffle"] == {"kind": "bool"}


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 1e400, [float("nan")],
                                   "x" * 10_000, list(range(5000))])
def test_an_error_about_a_strange_value_is_strict_json_and_short(value: Any) -> None:
    with pytest.raises(ConfigError) as info:
        validate({"lr": value})
    d = info.value.errors[0].to_dict()
    text = json.dumps(d, allow_nan=False)  # would raise on NaN or inf
    assert len(text) < 1000
    assert d["field"] == "lr"
