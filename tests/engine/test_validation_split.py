"""val_share: a seeded validation split held out of the training rows, reported by evaluate()
as val_loss and val_acc (NaN without one), counted by run_size, refused when it leaves no
training rows."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.config import ConfigError, describe, validate
from engine.data import load_dataset, split_sizes
from engine.losses import loss_forward_backward
from engine.sizing import run_size
from engine.trainer import HISTORY_KEYS, Trainer

BASE = {"data": "moons", "samples": 200, "test_share": 0.25, "layers": [6]}


def rows(X: np.ndarray) -> set[bytes]:
    return {r.tobytes() for r in X}


def test_validation_rows_come_out_of_the_training_rows_and_leave_the_test_rows_alone() -> None:
    plain = load_dataset("moons", samples=200, test_share=0.25, seed=3)
    held = load_dataset("moons", samples=200, test_share=0.25, seed=3, val_share=0.2)
    assert np.array_equal(plain.raw_test, held.raw_test)
    assert (len(held.raw_train), len(held.raw_val), len(held.raw_test)) == (120, 30, 50)
    assert rows(held.raw_train) | rows(held.raw_val) == rows(plain.raw_train)
    assert not rows(held.raw_train) & rows(held.raw_val)
    again = load_dataset("moons", samples=200, test_share=0.25, seed=3, val_share=0.2)
    assert np.array_equal(again.raw_val, held.raw_val)
    other = load_dataset("moons", samples=200, test_share=0.25, seed=4, val_share=0.2)
    assert not np.array_equal(other.raw_val, held.raw_val)


def test_the_standardizer_never_sees_the_validation_rows() -> None:
    d = load_dataset("moons", samples=200, test_share=0.25, seed=3, val_share=0.4)
    assert np.allclose(d.standardizer.mean, d.raw_train.mean(axis=0))
    assert np.allclose(d.X_val, (d.raw_val - d.raw_train.mean(axis=0)) / d.raw_train.std(axis=0))


def test_split_sizes_hold_out_at_least_one_validation_row_and_none_at_zero() -> None:
    assert split_sizes(100, 0.5, 0.0) == (50, 0, 50)
    assert split_sizes(100, 0.5, 0.001) == (49, 1, 50)
    assert split_sizes(100, 0.5, 0.5) == (25, 25, 50)
    assert split_sizes(10, 0.5, 0.99) == (0, 5, 5)


def test_evaluate_reports_validation_loss_and_accuracy_on_the_validation_rows() -> None:
    tr = Trainer({**BASE, "val_share": 0.3})
    tr.step(50)
    m = tr.evaluate()
    loss, _, p = loss_forward_backward(tr.net.output, tr.net.loss, tr.net.forward(tr.X_val),
                                       tr.y_val)
    assert m["val_loss"] == pytest.approx(loss)
    assert m["val_acc"] == pytest.approx(float(((p[:, 0] > 0.5) == tr.data.y_val).mean()))
    assert 0 < len(tr.X_val) < len(tr.X_test) + 100


def test_without_a_validation_split_the_validation_metrics_are_nan() -> None:
    m = Trainer(BASE).evaluate()
    assert math.isnan(m["val_loss"]) and math.isnan(m["val_acc"])


def test_a_regression_has_a_validation_loss_and_no_accuracy() -> None:
    m = Trainer({"data": "plane", "samples": 100, "val_share": 0.2}).evaluate()
    assert math.isfinite(m["val_loss"]) and math.isnan(m["val_acc"])


def test_validation_history_runs_beside_the_history_and_the_history_keeps_its_columns() -> None:
    tr = Trainer({**BASE, "val_share": 0.3})
    for _ in range(3):
        tr.step(5)
        tr.evaluate()
    assert tuple(tr.history) == HISTORY_KEYS
    assert len(tr.val_history["val_loss"]) == len(tr.history["step"]) == 3
    assert all(math.isfinite(v) for v in tr.val_history["val_loss"])
    tr.reset()
    assert tr.val_history["val_loss"] == []


@pytest.mark.parametrize("bad", [1, 1.0, -0.1, float("nan"), True, "0.2"])
def test_val_share_outside_zero_to_one_is_refused(bad: object) -> None:
    with pytest.raises(ConfigError) as info:
        validate({"val_share": bad})
    assert [e.field for e in info.value.errors] == ["val_share"]
    assert "≥ 0 and < 1" in str(info.value)


def test_a_val_share_that_leaves_no_training_rows_is_refused_naming_the_counts() -> None:
    with pytest.raises(ConfigError) as info:
        validate({"data": "circle", "samples": 10, "test_share": 0.5, "val_share": 0.99})
    err = info.value.errors[0]
    assert err.field == "val_share"
    assert "no training rows" in str(info.value) and "5 are for testing" in str(info.value)
    assert err.to_dict()["rule"]["kind"] == "no_train_rows"


def test_a_digits_val_share_that_leaves_no_training_rows_is_refused_by_the_trainer() -> None:
    with pytest.raises(ConfigError) as info:
        Trainer({"data": "digits", "test_share": 0.95, "val_share": 0.999, "layers": [2]})
    assert info.value.errors[0].field == "val_share"


def test_val_share_rebuilds_the_data_and_run_size_counts_it() -> None:
    entry = {f["name"]: f for f in describe()}["val_share"]
    assert (entry["live"], entry["rebuilds"], entry["default"]) == (False, "data", 0.0)
    tr = Trainer(BASE)
    assert tr.set({"val_share": 0.5})["rebuilt"] == "data"
    size = run_size(tr.config)
    assert (size.train_rows, size.val_rows, size.test_rows) == (75, 75, 50)
    assert (len(tr.X_train), len(tr.X_val), len(tr.X_test)) == (75, 75, 50)
