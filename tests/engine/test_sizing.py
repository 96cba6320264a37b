"""engine.sizing.run_size counts what a built Trainer has (parameters, rows of each split, batch
rows) without building it; Trainer.set_weight checks every index and value."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.config import ConfigError, validate
from engine.data import DATASETS, FEATURES, parse_csv
from engine.network import MAX_WEIGHT
from engine.sizing import RunSize, batch_rows, run_size
from engine.trainer import Trainer

CSV = "a,b,c,label\n" + "\n".join(f"{i},{i % 3},{i * 0.5},{'xyz'[i % 3]}" for i in range(37))


def built(cfg: dict[str, Any], csv: Any = None) -> RunSize:
    """What a built Trainer has, in the terms of RunSize."""
    tr = Trainer(cfg, csv=csv)
    val = getattr(tr, "X_val", None)
    return RunSize(params=tr.net.n_params, train_rows=len(tr.X_train),
                   val_rows=0 if val is None else len(val), test_rows=len(tr.X_test),
                   batch_rows=tr.batch_size)


CASES = [
    {},
    {"data": "circle", "samples": 37, "test_share": 0.3, "batch_size": 0},
    {"data": "blobs", "classes": 5, "layers": [3], "batch_size": 1000},
    {"data": "blobs", "classes": 4, "output": "softmax", "train_per_class": 7},
    {"data": "xor", "output": "softmax", "loss": "cross_entropy", "layers": []},
    {"data": "plane", "samples": 11, "test_share": 0.95, "layers": [256, 1]},
    {"data": "bumps", "features": ["x1", "x2", "x1_sq", "sin_x2"], "batch_size": 7},
    {"data": "spiral", "features": list(FEATURES), "train_per_class": 3},
    {"data": "digits"},
    {"data": "digits", "digits_task": "0-4", "digits_half": "b", "batch_size": 32},
    {"data": "digits", "digits_task": "even_odd", "digits_half": "a", "output": "softmax"},
    {"data": "digits", "digits_task": "groups", "digit_groups": [[0, 6], [1, 7], [2]]},
    {"data": "digits", "digits_task": "ge5", "train_per_class": 5, "batch_size": 0},
    {"data": "digits", "model": "digits-all", "digits_half": "b"},
    {"data": "digits", "model": "digits-all", "digits_task": "even_odd"},
    {"data": "digits", "model": "digits-0to4", "digits_task": "5-9", "replace_head": "keep"},
    {"data": "digits", "model": "digits-0to4", "digits_task": "0-4", "replace_head": "replace"},
    {"data": "spiral", "model": "spiral", "train_per_class": 4},
    {"data": "spiral", "val_share": 0.2},
    {"data": "circle", "samples": 10, "test_share": 0.5, "val_share": 0.7, "batch_size": 0},
    {"data": "digits", "digits_task": "0-4", "val_share": 0.25, "train_per_class": 20},
]


@pytest.mark.parametrize("cfg", CASES, ids=[str(c) for c in CASES])
def test_run_size_matches_a_built_trainer(cfg: dict[str, Any]) -> None:
    assert run_size(validate(cfg)) == built(cfg)


def test_run_size_of_an_uploaded_csv_matches_the_trainer_and_is_zero_without_a_file() -> None:
    csv = parse_csv(CSV, label_column="label")
    for extra in ({}, {"test_share": 0.2, "batch_size": 0}, {"train_per_class": 2},
                  {"val_share": 0.3}):
        cfg = {"data": "csv", "layers": [5], **extra}
        assert run_size(validate(cfg), csv) == built(cfg, csv)
    assert run_size(validate({"data": "csv"})) == RunSize(0, 0, 0, 0, 0)


def test_run_size_fills_missing_fields_with_defaults() -> None:
    assert run_size({"data": "spiral"}) == run_size(validate({}))
    assert run_size({}) == RunSize(params=2 * 8 + 8 + 8 * 8 + 8 + 8 + 1, train_rows=250,
                                   val_rows=0, test_rows=250, batch_rows=10)


def test_batch_rows_is_the_batch_or_the_whole_training_set() -> None:
    assert batch_rows(10, 250) == 10
    assert batch_rows(0, 250) == 250
    assert batch_rows(251, 250) == 250
    assert batch_rows(250, 250) == 250


TWO_D = [name for name, info in DATASETS.items() if info.dims == 2]


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    data = draw(st.sampled_from(TWO_D))
    cfg: dict[str, Any] = {
        "data": data,
        "samples": draw(st.integers(10, 300)),
        "test_share": draw(st.floats(0.05, 0.95)),
        "batch_size": draw(st.integers(0, 400)),
        "layers": draw(st.lists(st.integers(1, 12), max_size=3)),
        "features": draw(st.lists(st.sampled_from(list(FEATURES)), min_size=1, max_size=7,
                                  unique=True)),
        "classes": draw(st.integers(3, 5)),
        "val_share": draw(st.sampled_from([0.0, 0.1, 0.5])),
    }
    if DATASETS[data].task == "classification" and data != "blobs":
        cfg["output"] = draw(st.sampled_from(["auto", "softmax", "sigmoid"]))
    return cfg


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_run_size_matches_a_built_trainer_for_generated_configs(cfg: dict[str, Any]) -> None:
    try:
        valid = validate(cfg)
    except ConfigError as exc:  # a validation split that leaves no training rows
        assert [e.field for e in exc.errors] == ["val_share"]
        assert run_size({**validate({**cfg, "val_share": 0}), **cfg}).train_rows == 0
        return
    assert run_size(valid) == built(cfg)


# ------------------------------------------------------------------------------ set_weight
def test_set_weight_writes_one_weight_or_one_bias_and_nothing_else() -> None:
    tr = Trainer({"layers": [4]})
    before = tr.net.params.copy()
    assert tr.set_weight(1, 0, 3, -0.75) == -0.75
    assert tr.net.layers[1].W[0, 3] == -0.75
    assert tr.set_weight(0, 2, None, 1.5, bias=True) == 1.5
    assert tr.net.layers[0].b[2] == 1.5
    changed = np.flatnonzero(tr.net.params != before)
    assert len(changed) <= 2


@pytest.mark.parametrize(("args", "field", "allowed"), [
    ((2, 0, 0, 1.0), "layer", "from 0 to 1"),
    ((-1, 0, 0, 1.0), "layer", "from 0 to 1"),
    ((True, 0, 0, 1.0), "layer", "from 0 to 1"),
    ((10**400, 0, 0, 1.0), "layer", "from 0 to 1"),
    ((0, 4, 0, 1.0), "row", "from 0 to 3"),
    ((0, 1.0, 0, 1.0), "row", "from 0 to 3"),
    ((0, 0, 2, 1.0), "col", "from 0 to 1"),
    ((0, 0, None, 1.0), "col", "from 0 to 1"),
    ((1, 0, 4, 1.0), "col", "from 0 to 3"),
    ((0, 0, 0, float("nan")), "value", "finite"),
    ((0, 0, 0, float("inf")), "value", "finite"),
    ((0, 0, 0, 3e38), "value", f"{MAX_WEIGHT:g}"),
    ((0, 0, 0, -(10**400)), "value", f"{MAX_WEIGHT:g}"),
    ((0, 0, 0, "1"), "value", "finite"),
])
def test_set_weight_refuses_a_bad_index_or_value_naming_the_field(
        args: tuple[Any, ...], field: str, allowed: str) -> None:
    tr = Trainer({"layers": [4]})
    before = tr.net.params.copy()
    with pytest.raises(ConfigError) as info:
        tr.set_weight(*args)
    assert [e.field for e in info.value.errors] == [field]
    assert allowed in str(info.value)
    assert np.array_equal(tr.net.params, before)


def test_set_weight_of_a_bias_takes_no_column() -> None:
    tr = Trainer({"layers": [4]})
    with pytest.raises(ConfigError) as info:
        tr.set_weight(0, 0, 1, 1.0, bias=True)
    assert info.value.errors[0].field == "col"
