"""The Trainer: batching, seeded order, live changes against rebuilds, reset, divergence, phase
stepping with its real numbers, snapshots, evaluation and details."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engine.config import ConfigError
from engine.optim import SGD, Adam
from engine.trainer import PHASES, Trainer

# 500 circle points, half held out: 250 training rows
BASE = {"data": "circle", "samples": 500, "test_share": 0.5}


def record_batches(tr: Trainer) -> list[tuple[np.ndarray, np.ndarray]]:
    """Wrap tr.net.forward_backward to record every (X, y) batch a plain step trains on."""
    seen: list[tuple[np.ndarray, np.ndarray]] = []
    inner = tr.net.forward_backward

    def spy(X: np.ndarray, y: np.ndarray, training: bool = True) -> Any:
        seen.append((X.copy(), y.copy()))
        return inner(X, y, training)

    tr.net.forward_backward = spy  # type: ignore[method-assign]
    return seen


def row_index(tr: Trainer, X: np.ndarray) -> list[int]:
    """Positions of the rows of X in the training set (rows are distinct points)."""
    lookup = {row.tobytes(): i for i, row in enumerate(tr.X_train)}
    return [lookup[row.tobytes()] for row in X]


# ------------------------------------------------------------------------------- batching
def test_an_epoch_of_250_rows_in_batches_of_100_is_100_100_50() -> None:
    tr = Trainer({**BASE, "batch_size": 100})
    assert len(tr.X_train) == 250
    seen = record_batches(tr)
    assert tr.step(3) == 3
    assert [len(X) for X, _ in seen] == [100, 100, 50]
    assert tr.step_count == 3 and tr.epoch == pytest.approx(1.0)
    # the epoch's three batches cover every training row exactly once
    rows = sorted(i for X, _ in seen for i in row_index(tr, X))
    assert rows == list(range(250))
    tr.step(1)
    assert len(seen[-1][0]) == 100
    assert tr.epoch_count == 1 and tr.epoch == pytest.approx(1.4)


@pytest.mark.parametrize(("batch", "sizes"), [(1, [1] * 5), (0, [250] * 3), (32, [32] * 5),
                                              (1000, [250] * 2)])
def test_batch_sizes(batch: int, sizes: list[int]) -> None:
    tr = Trainer({**BASE, "batch_size": batch})
    seen = record_batches(tr)
    tr.step(len(sizes))
    assert [len(X) for X, _ in seen] == sizes
    assert tr.batch_size == min(batch or 250, 250)


def test_full_batch_is_one_step_per_epoch() -> None:
    tr = Trainer({**BASE, "batch_size": 0})
    tr.step(7)
    assert tr.step_count == 7
    assert tr.epoch == pytest.approx(7.0)


def test_train_epoch_runs_to_the_end_of_the_epoch() -> None:
    tr = Trainer({**BASE, "batch_size": 100})
    assert tr.train_epoch() == 3
    assert tr.epoch == pytest.approx(1.0)
    tr.step(1)
    assert tr.train_epoch() == 2  # the rest of the second epoch
    assert tr.epoch == pytest.approx(2.0) and tr.step_count == 6


def test_shuffle_is_seeded_and_differs_per_epoch() -> None:
    def orders(seed: int) -> list[list[int]]:
        tr = Trainer({**BASE, "batch_size": 0, "seed": seed})
        seen = record_batches(tr)
        tr.step(2)
        return [row_index(tr, X) for X, _ in seen]

    a, b = orders(0), orders(0)
    assert a == b  # same seed, same order
    assert a[0] != a[1]  # a new order each epoch
    assert sorted(a[0]) == sorted(a[1]) == list(range(250))
    assert orders(1)[0] != a[0]  # another seed, another order
    assert a[0] != list(range(250))  # actually shuffled


def test_shuffle_off_keeps_the_natural_order() -> None:
    tr = Trainer({**BASE, "batch_size": 100, "shuffle": False})
    seen = record_batches(tr)
    tr.step(4)
    X = np.concatenate([X for X, _ in seen[:3]])
    np.testing.assert_array_equal(X, tr.X_train)
    np.testing.assert_array_equal(seen[3][0], tr.X_train[:100])
    np.testing.assert_array_equal(np.concatenate([y for _, y in seen[:3]]), tr.y_train)


def test_same_config_same_run() -> None:
    a, b = Trainer({**BASE, "dropout": 0.3}), Trainer({**BASE, "dropout": 0.3})
    a.step(40)
    b.step(40)
    np.testing.assert_array_equal(a.net.params, b.net.params)


# ---------------------------------------------------------------------- live vs rebuild
def test_live_lr_keeps_weights_optimizer_state_and_counters() -> None:
    tr = Trainer(BASE)
    tr.step(5)
    tr.evaluate()
    params, opt, m = tr.net.params.copy(), tr.opt, tr.opt.state["exp_avg"].copy()
    result = tr.set({"lr": 0.2})
    assert result == {"live": ["lr"], "rebuilt": None, "changed": ["lr"]}
    assert tr.opt is opt and tr.opt.lr == 0.2 and tr.opt.t == 5
    np.testing.assert_array_equal(tr.opt.state["exp_avg"], m)
    np.testing.assert_array_equal(tr.net.params, params)
    assert tr.step_count == 5 and len(tr.history["step"]) == 1
    tr.step(1)
    assert tr.opt.t == 6


def test_live_betas_reach_the_optimizer_as_a_tuple() -> None:
    tr = Trainer(BASE)
    tr.set({"betas": [0.8, 0.99]})
    assert tr.opt.betas == (0.8, 0.99)  # type: ignore[attr-defined]


def test_optimizer_switch_keeps_weights_and_step_count() -> None:
    tr = Trainer({**BASE, "optimizer": "adam"})
    tr.step(5)
    params = tr.net.params.copy()
    result = tr.set({"optimizer": "sgd", "lr": 0.05, "momentum": 0.5})
    assert result["rebuilt"] is None and set(result["live"]) == {"optimizer", "lr", "momentum"}
    assert isinstance(tr.opt, SGD) and tr.opt.lr == 0.05 and tr.opt.momentum == 0.5
    np.testing.assert_array_equal(tr.net.params, params)
    assert tr.step_count == 5
    tr.step(1)
    assert tr.step_count == 6 and not np.array_equal(tr.net.params, params)


def test_live_batch_size_dropout_and_regularization() -> None:
    tr = Trainer({**BASE, "batch_size": 10})
    seen = record_batches(tr)
    tr.step(1)
    result = tr.set({"batch_size": 50, "dropout": 0.5, "regularization": "l2", "reg_rate": 0.1})
    assert result["rebuilt"] is None
    assert tr.net.dropout == 0.5 and (tr.net.l1, tr.net.l2) == (0.0, 0.1)
    tr.step(1)
    assert [len(X) for X, _ in seen] == [10, 50]
    assert tr.net.layers[0].mask is not None  # dropout applied in training
    tr.set({"regularization": "l1"})
    assert (tr.net.l1, tr.net.l2) == (0.1, 0.0)
    tr.set({"regularization": "none"})
    assert (tr.net.l1, tr.net.l2) == (0.0, 0.0)


def test_setting_the_same_value_changes_nothing() -> None:
    tr = Trainer(BASE)
    tr.step(3)
    assert tr.set({"lr": tr.config["lr"], "layers": [8, 8]}) == {
        "live": [], "rebuilt": None, "changed": []}
    assert tr.step_count == 3


@pytest.mark.parametrize("change", [{"layers": [4]}, {"activation": "relu"},
                                    {"init": "he"}, {"dtype": "float64"}, {"seed": 5}])
def test_network_fields_rebuild_the_network(change: dict[str, Any]) -> None:
    tr = Trainer(BASE)
    tr.step(5)
    tr.evaluate()
    data = tr.data
    result = tr.set(change)
    assert result == {"live": [], "rebuilt": "network", "changed": list(change)}
    assert tr.data is data  # same data
    assert tr.step_count == 0 and tr.history["step"] == []
    assert tr.opt.t == 0


@pytest.mark.parametrize("change", [{"samples": 300}, {"noise": 0.2}, {"data": "xor"},
                                    {"features": ["x1", "x2", "x1_sq"]}, {"data_seed": 3},
                                    {"standardize": False}])
def test_data_fields_rebuild_the_data(change: dict[str, Any]) -> None:
    tr = Trainer(BASE)
    tr.step(5)
    data = tr.data
    result = tr.set(change)
    assert result == {"live": [], "rebuilt": "data", "changed": list(change)}
    assert tr.data is not data and tr.step_count == 0
    assert tr.net.sizes[0] == tr.X_train.shape[1]


def test_a_rejected_change_changes_nothing() -> None:
    tr = Trainer(BASE)
    tr.step(5)
    before = (dict(tr.config), tr.net.params.copy(), tr.step_count)
    with pytest.raises(ConfigError):
        tr.set({"lr": 0.1, "layers": [999]})
    assert tr.config == before[0]
    np.testing.assert_array_equal(tr.net.params, before[1])
    assert tr.step_count == before[2]


def test_a_data_change_refused_by_the_data_keeps_the_old_run() -> None:
    tr = Trainer(BASE)
    with pytest.raises(ConfigError) as info:
        tr.set({"train_per_class": 1000})
    assert info.value.errors[0].field == "train_per_class"
    assert tr.config["train_per_class"] is None
    assert len(tr.X_train) == 250
    assert tr.step(1) == 1


# ---------------------------------------------------------------------- reset and seeds
def test_reset_restores_the_initial_weights_and_clears_history() -> None:
    tr = Trainer(BASE)
    initial = tr.net.params.copy()
    tr.step(20)
    tr.evaluate()
    tr.reset()
    np.testing.assert_array_equal(tr.net.params, initial)
    assert tr.step_count == 0 and tr.epoch == 0.0 and tr.opt.t == 0
    assert all(v == [] for v in tr.history.values())
    # and the rerun is the same run
    fresh = Trainer(BASE)
    tr.step(20)
    fresh.step(20)
    np.testing.assert_array_equal(tr.net.params, fresh.net.params)


def test_new_seed_changes_the_initial_weights() -> None:
    tr = Trainer(BASE)
    initial = tr.net.params.copy()
    tr.new_seed()
    assert tr.config["seed"] == 1
    assert not np.array_equal(tr.net.params, initial)
    tr.new_seed(0)
    np.testing.assert_array_equal(tr.net.params, initial)


def test_regenerate_changes_the_data() -> None:
    tr = Trainer(BASE)
    X = tr.X_train.copy()
    tr.regenerate()
    assert tr.config["data_seed"] == 1
    assert not np.array_equal(tr.X_train, X)


# ----------------------------------------------------------------------------- divergence
def test_huge_lr_stops_the_run_with_the_last_good_weights() -> None:
    # sgd, lr 10, raw (unstandardized) inputs up to 6: the loss explodes within a few steps
    tr = Trainer({"data": "plane", "standardize": False, "optimizer": "sgd", "lr": 10,
                  "momentum": 0.0, "batch_size": 10})
    good = tr.net.params.copy()
    for _ in range(1000):
        good = tr.net.params.copy()
        if tr.step(1) == 0:
            break
    d = tr.diverged
    assert d is not None
    assert d["step"] == tr.step_count + 1
    assert d["quantity"] in ("loss", "gradient", "update")
    assert f"step {d['step']}" in d["message"] and "learning rate 10" in d["message"]
    assert np.isfinite(tr.net.params).all()
    np.testing.assert_array_equal(tr.net.params, good)
    assert np.isfinite(tr.net.update).all()
    # a stopped run stays stopped: no steps, no phases
    assert tr.step(5) == 0 and tr.step_count == d["step"] - 1
    assert tr.step_phase()["phase"] is None
    tr.reset()
    assert tr.diverged is None and tr.step(1) == 1


def test_huge_weights_diverge_on_the_loss() -> None:
    # float32 tops out near 3.4e38: outputs of about 1e31 square to infinity
    tr = Trainer({"data": "plane", "dtype": "float32"})
    tr.net.params[...] = 1e30
    weights = tr.net.params.copy()
    assert tr.step(3) == 0
    assert tr.diverged is not None and tr.diverged["step"] == 1
    np.testing.assert_array_equal(tr.net.params, weights)


def test_divergence_in_phase_steps_applies_nothing() -> None:
    tr = Trainer({"data": "plane", "dtype": "float64"})
    tr.net.params[...] = 1e300  # outputs of 1e301: their squares overflow
    before = tr.net.params.copy()
    tr.step_phase()  # forward
    out = tr.step_phase()  # loss
    assert out["phase"] == "loss" and out["diverged"]["quantity"] == "loss"
    assert tr.phase is None
    np.testing.assert_array_equal(tr.net.params, before)


# ---------------------------------------------------------------------------- phase steps
def phase_trainer(**extra: Any) -> Trainer:
    return Trainer({**BASE, "batch_size": 16, "dtype": "float64", "optimizer": "sgd",
                    "momentum": 0.0, "lr": 0.1, "layers": [5, 4], **extra})


def test_phases_come_in_order_and_match_a_direct_computation() -> None:
    tr = phase_trainer()
    assert tr.phase is None
    W = [la.W.copy() for la in tr.net.layers]
    b = [la.b.copy() for la in tr.net.layers]

    fwd = tr.step_phase()
    assert fwd["phase"] == "forward" and tr.phase == "forward" and fwd["batch"] == 16
    x = fwd["layers"][0]["x"]
    assert x.shape == (16, 2)
    a = x
    for i, layer in enumerate(fwd["layers"]):
        np.testing.assert_allclose(layer["x"], a)
        z = a @ W[i].T + b[i]  # z = W x + b for every row
        np.testing.assert_allclose(layer["z"], z)
        a = np.tanh(z) if i < 2 else z
        np.testing.assert_allclose(layer["a"], a)

    loss = tr.step_phase()
    assert loss["phase"] == "loss"
    zL = fwd["layers"][-1]["z"]
    y = loss["y"].astype(np.float64).reshape(-1, 1)
    p = 1.0 / (1.0 + np.exp(-zL))  # circle: 2 classes, one sigmoid unit
    bce = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert loss["loss"] == pytest.approx(bce, rel=1e-10)
    np.testing.assert_allclose(loss["p"], p)
    np.testing.assert_allclose(loss["dz"], (p - y) / 16)
    assert loss["penalty"] == 0.0

    back = tr.step_phase()
    assert back["phase"] == "backward"
    dz = loss["dz"]
    for i in (2, 1, 0):
        layer = back["layers"][i]
        np.testing.assert_allclose(layer["dz"], dz)
        np.testing.assert_allclose(layer["dW"], dz.T @ fwd["layers"][i]["x"])  # dW = dzᵀ x
        np.testing.assert_allclose(layer["db"], dz.sum(axis=0))
        if i:
            da = dz @ W[i]
            np.testing.assert_allclose(back["layers"][i - 1]["da"], da)
            dz = da * (1.0 - fwd["layers"][i - 1]["a"] ** 2)  # tanh' = 1 - a²
    dW = [la["dW"].copy() for la in back["layers"]]

    upd = tr.step_phase()
    assert upd["phase"] == "update" and tr.phase is None
    assert upd["optimizer"] == "sgd" and upd["t"] == 1 and upd["rule"]
    for i, layer in enumerate(upd["layers"]):
        np.testing.assert_array_equal(layer["W_before"], W[i])
        np.testing.assert_allclose(layer["dW_update"], -0.1 * dW[i])
        np.testing.assert_allclose(layer["W"], W[i] - 0.1 * dW[i])
    assert tr.step_count == 1 and tr.last_loss == loss["loss"]


@pytest.mark.parametrize("extra", [{}, {"optimizer": "adam", "dropout": 0.3},
                                   {"regularization": "l2", "reg_rate": 0.01},
                                   {"optimizer": "rmsprop", "momentum": 0.5}])
def test_a_phase_stepped_step_equals_a_plain_step(extra: dict[str, Any]) -> None:
    a, b = phase_trainer(**extra), phase_trainer(**extra)
    a.step(3)
    b.step(3)
    phases = [a.step_phase()["phase"] for _ in PHASES]
    assert phases == list(PHASES)
    b.step(1)
    np.testing.assert_array_equal(a.net.params, b.net.params)
    assert a.step_count == b.step_count == 4
    # and they go on in step
    a.step(2)
    b.step(2)
    np.testing.assert_array_equal(a.net.params, b.net.params)


def test_step_finishes_a_step_started_phase_by_phase() -> None:
    a, b = phase_trainer(), phase_trainer()
    a.step_phase()
    a.step_phase()
    assert a.step(2) == 2  # the rest of the started step, then one more
    b.step(2)
    np.testing.assert_array_equal(a.net.params, b.net.params)
    assert a.phase is None and a.step_count == 2


def test_penalty_is_reported_in_the_loss_phase() -> None:
    tr = phase_trainer(regularization="l1", reg_rate=0.01)
    tr.step_phase()
    out = tr.step_phase()
    expected = 0.01 * sum(np.abs(la.W).sum() for la in tr.net.layers)
    assert out["penalty"] == pytest.approx(expected)


# ---------------------------------------------------------------------------- snapshots
def test_snapshot_of_a_2d_set() -> None:
    tr = Trainer({**BASE, "layers": [6, 3], "dropout": 0.2})
    tr.step(5)
    tr.evaluate()
    snap = tr.snapshot(grid=20, neuron_grid=8)
    arr = snap["arrays"]
    assert snap["step"] == 5 and snap["diverged"] is None
    shapes = {"W0": (6, 2), "b0": (6,), "W1": (3, 6), "W2": (1, 3), "dW1": (3, 6),
              "dW_update2": None, "grad_norm": (3,), "update_ratio": (3,), "frozen": (3,),
              "grid_output": (20, 20), "grid_hidden0": (6, 8, 8), "grid_hidden1": (3, 8, 8),
              "mask0": (6,), "mask1": (3,), "test_pred": (250,), "confusion": (2, 2)}
    for key, shape in shapes.items():
        if shape is None:
            assert key not in arr
            continue
        assert arr[key].shape == shape, key
    for key, v in arr.items():
        assert v.dtype in (np.float32, np.uint8, np.int32), key
    np.testing.assert_array_equal(arr["W1"], tr.net.layers[1].W.astype(np.float32))
    assert arr["confusion"].sum() == len(tr.X_test)
    assert ((arr["grid_output"] >= 0) & (arr["grid_output"] <= 1)).all()
    assert arr["frozen"].tolist() == [0, 0, 0]
    np.testing.assert_allclose(
        arr["grad_norm"][0],
        np.sqrt((tr.net.layers[0].dW ** 2).sum() + (tr.net.layers[0].db ** 2).sum()), rtol=1e-5)


def test_snapshot_of_a_multiclass_set_has_one_grid_per_class() -> None:
    tr = Trainer({"data": "blobs", "classes": 4, "samples": 200})
    tr.evaluate()
    arr = tr.snapshot(grid=10)["arrays"]
    assert arr["grid_output"].shape == (10, 10, 4)
    np.testing.assert_allclose(arr["grid_output"].sum(axis=2), 1.0, rtol=1e-5)
    assert arr["confusion"].shape == (4, 4)


def test_snapshot_of_digits() -> None:
    tr = Trainer({"data": "digits", "layers": [16], "batch_size": 32})
    tr.step(10)
    snap = tr.snapshot()
    assert "test_pred" not in snap["arrays"]  # nothing evaluated yet
    tr.evaluate()
    arr = tr.snapshot()["arrays"]
    n_test = len(tr.X_test)
    assert arr["W0"].shape == (16, 64) and arr["W1"].shape == (10, 16)
    assert not any(k.startswith("grid") for k in arr)
    assert arr["test_pred"].shape == (n_test,) and arr["test_pred"].max() <= 9
    assert arr["confusion"].shape == (10, 10) and arr["confusion"].sum() == n_test


def test_snapshot_and_evaluate_between_phases_leave_the_step_intact() -> None:
    a, b = phase_trainer(dropout=0.3), phase_trainer(dropout=0.3)
    fwd = a.step_phase()
    x0 = fwd["layers"][0]["x"]
    a.snapshot(grid=12)
    a.evaluate()
    assert a.net.layers[0].x is x0  # the batch's caches are back
    a.step_phase()
    a.snapshot(grid=12)
    a.step_phase()
    a.evaluate()
    a.step_phase()
    b.step(1)
    np.testing.assert_array_equal(a.net.params, b.net.params)


def test_snapshot_marks_frozen_layers() -> None:
    tr = Trainer(BASE)
    tr.net.freeze(0)
    assert tr.snapshot(grid=None)["arrays"]["frozen"].tolist() == [1, 0, 0]


def test_data_arrays() -> None:
    tr = Trainer(BASE)
    d = tr.data_arrays()
    assert d["train_x"].shape == (250, 2) and d["test_y"].shape == (250,)
    assert all(v.dtype == np.float32 for v in d.values())


# ------------------------------------------------------------------------------ evaluation
def test_evaluate_matches_a_direct_computation_and_builds_history() -> None:
    tr = Trainer({**BASE, "dtype": "float64"})
    tr.step(30)
    m = tr.evaluate()
    p = tr.net.predict(tr.X_test)[:, 0]
    y = tr.data.y_test
    assert m["test_acc"] == pytest.approx(np.mean((p > 0.5) == y))
    bce = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert m["test_loss"] == pytest.approx(bce, rel=1e-9)
    assert m["step"] == 30 and m["epoch"] == pytest.approx(30 * 10 / 250)
    tr.evaluate()  # no step since: no second point
    tr.step(10)
    tr.evaluate()
    assert tr.history["step"] == [30.0, 40.0]
    assert set(tr.history) == {"step", "epoch", "train_loss", "test_loss", "train_acc",
                               "test_acc", "seconds"}
    tr.evaluate(record=False)
    assert len(tr.history["step"]) == 2


def test_reported_loss_excludes_the_penalty() -> None:
    plain = Trainer({**BASE, "dtype": "float64"})
    reg = Trainer({**BASE, "dtype": "float64", "regularization": "l2", "reg_rate": 5.0})
    assert plain.evaluate()["train_loss"] == pytest.approx(reg.evaluate()["train_loss"])
    assert reg.net.penalty() > 0


def test_details_precision_and_recall() -> None:
    tr = Trainer({"data": "blobs", "classes": 3, "samples": 300, "noise": 0.8})
    tr.step(30)
    tr.evaluate()
    d = tr.details()
    pred = tr.net.predict(tr.X_test).argmax(axis=1)
    y = tr.data.y_test
    cm = d["confusion"]
    for k in range(3):
        assert cm[k].sum() == (y == k).sum()
        tp = ((pred == k) & (y == k)).sum()
        assert d["precision"][k] == pytest.approx(tp / (pred == k).sum())
        assert d["recall"][k] == pytest.approx(tp / (y == k).sum())


def test_details_of_a_regression_set() -> None:
    tr = Trainer({"data": "plane", "dtype": "float64", "layers": [4]})
    tr.step(200)
    m = tr.evaluate()
    d = tr.details()
    pred = tr.net.predict(tr.X_test)[:, 0]
    y = tr.data.y_test
    assert d["rmse"] == pytest.approx(np.sqrt(np.mean((pred - y) ** 2)))
    assert d["r2"] == pytest.approx(1 - np.sum((pred - y) ** 2) / np.sum((y - y.mean()) ** 2))
    assert d["rmse"] ** 2 == pytest.approx(m["test_loss"])
    assert np.isnan(m["test_acc"])
    assert "test_pred" not in tr.snapshot()["arrays"]


def test_the_loss_goes_down() -> None:
    tr = Trainer(BASE)
    first = tr.evaluate()["train_loss"]
    tr.step(200)
    assert tr.evaluate()["train_loss"] < 0.5 * first


def test_adam_is_the_default_optimizer() -> None:
    assert isinstance(Trainer(BASE).opt, Adam)


def test_an_uploaded_two_column_csv_trains_and_snapshots_without_a_grid() -> None:
    from engine.data import parse_csv

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    rows = "\n".join(f"{a:.4f},{b:.4f},{'yes' if a + b > 0 else 'no'}" for a, b in X)
    csv = parse_csv("u,v,label\n" + rows)
    with pytest.raises(ConfigError) as info:
        Trainer({"data": "csv"})
    assert info.value.errors[0].field == "data"
    tr = Trainer({"data": "csv"}, csv=csv)
    tr.step(20)
    tr.evaluate()
    arr = tr.snapshot()["arrays"]
    assert not any(k.startswith("grid") for k in arr)  # a grid is for the generated 2-D sets
    assert arr["confusion"].sum() == len(tr.X_test)


def test_a_loaded_model_must_fit_the_data() -> None:
    from engine.network import Network

    digits_net = Network([64, 8, 10], output="softmax", dtype="float32")
    tr = Trainer({"data": "digits"}, model=digits_net)
    assert tr.net is digits_net and tr.X_train.dtype == np.float32
    assert tr.evaluate()["test_acc"] >= 0.0
    with pytest.raises(ConfigError) as info:
        Trainer({"data": "circle"}, model=Network([64, 8, 10], output="softmax"))
    assert info.value.errors[0].field == "data"
    assert "the model takes 64 inputs" in str(info.value)
    with pytest.raises(ConfigError):  # 2 inputs, but 3 outputs for 2 classes
        Trainer({"data": "circle"}, model=Network([2, 8, 3], output="softmax"))
    with pytest.raises(ConfigError):  # a classifier on a regression set
        Trainer({"data": "plane"}, model=Network([2, 8, 1], output="sigmoid"))
    Trainer({"data": "circle"}, model=Network([2, 8, 1], output="sigmoid"))
    Trainer({"data": "circle"}, model=Network([2, 8, 2], output="softmax"))


def test_a_nan_update_is_called_nan_and_an_overflow_infinite() -> None:
    for bad, word in ((float("nan"), "NaN"), (float("inf"), "infinite")):
        tr = Trainer({"data": "xor", "samples": 60})
        tr.step(2)
        good = tr.net.params.copy()
        real = tr.opt.step_update

        def poisoned(net, grads=None, _real=real, _bad=bad):
            _real(net, grads)
            net.update[0] = _bad

        tr.opt.step_update = poisoned  # type: ignore[method-assign]
        assert tr.step(1) == 0
        assert tr.diverged is not None and tr.diverged["quantity"] == "update"
        assert f"became {word} at step 3" in tr.diverged["message"]
        np.testing.assert_array_equal(tr.net.params, good)
