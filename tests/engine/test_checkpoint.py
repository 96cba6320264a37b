"""A checkpoint restores a run that continues bit for bit as the saved one would have."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine import checkpoint
from engine.data import parse_csv
from engine.optim import OPTIMIZERS
from engine.race import Race
from engine.serialize import encode
from engine.trainer import HISTORY_KEYS, Trainer


def _train(tr: Trainer, steps: int, every: int = 5) -> None:
    for _ in range(steps // every):
        tr.step(every)
        tr.evaluate()


def assert_same_run(a: Trainer, b: Trainer) -> None:
    assert a.step_count == b.step_count and a.epoch == b.epoch
    assert np.array_equal(a.net.params, b.net.params)
    assert np.array_equal(a.net.update, b.net.update)
    assert np.array_equal(a.net.grads, b.net.grads)
    for k in a.opt.state:
        assert np.array_equal(a.opt.state[k], b.opt.state[k]), k
    assert a.opt.t == b.opt.t
    for k in HISTORY_KEYS:
        if k != "seconds":  # wall-clock time differs between the two runs
            assert np.array_equal(a.history[k], b.history[k], equal_nan=True), k
    sa, sb = a.snapshot(grid=8, neuron_grid=4), b.snapshot(grid=8, neuron_grid=4)
    assert sa["arrays"].keys() == sb["arrays"].keys()
    for k, v in sa["arrays"].items():
        assert np.array_equal(v, sb["arrays"][k], equal_nan=True), k


def _continue_both(tr: Trainer, more: int = 23) -> Trainer:
    back = checkpoint.restore(checkpoint.save(tr))
    assert_same_run(tr, back)
    _train(tr, more, every=1)
    _train(back, more, every=1)
    assert_same_run(tr, back)
    return back


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_every_optimizer_with_dropout_continues_bit_for_bit(optimizer: str) -> None:
    tr = Trainer({"data": "spiral", "samples": 200, "layers": [8, 6], "optimizer": optimizer,
                  "lr": 0.01, "dropout": 0.2, "batch_size": 16, "seed": 3})
    _train(tr, 37)  # mid-epoch, with a shuffled order and a running optimizer state
    _continue_both(tr, more=40)  # across epoch boundaries


def test_sgd_momentum_nesterov_l2_and_a_live_change_continue_bit_for_bit() -> None:
    tr = Trainer({"data": "xor", "samples": 120, "optimizer": "sgd", "momentum": 0.9,
                  "nesterov": True, "regularization": "l2", "reg_rate": 0.01, "batch_size": 8})
    _train(tr, 10)
    tr.set({"lr": 0.3, "batch_size": 5})
    _train(tr, 10)
    back = _continue_both(tr)
    assert back.config["lr"] == 0.3 and back.batch_size == 5


def test_a_step_in_progress_continues_from_its_phase() -> None:
    tr = Trainer({"data": "circle", "samples": 100, "dropout": 0.3, "optimizer": "adam"})
    _train(tr, 10)
    tr.step_phase()
    tr.step_phase()  # forward and loss done: backward and update still to come
    back = checkpoint.restore(checkpoint.save(tr))
    assert back.phase == "loss"
    for a in (tr, back):
        details = a.step_phase()
        assert details["phase"] == "backward"
    _train(tr, 6, every=3)
    _train(back, 6, every=3)
    assert_same_run(tr, back)


def test_frozen_layers_and_an_uploaded_csv_come_back() -> None:
    rng = np.random.default_rng(0)
    rows = ["a,b,c,label"] + [f"{x:.3f},{y:.3f},{z:.3f},{'yes' if x + y > 0 else 'no'}"
                              for x, y, z in rng.normal(size=(60, 3))]
    csv = parse_csv("\n".join(rows))
    tr = Trainer({"data": "csv", "layers": [5, 4], "freeze": [0], "optimizer": "rmsprop",
                  "lr": 0.01}, csv=csv)
    _train(tr, 12)
    back = _continue_both(tr)
    assert not back.net.layers[0].trainable and back.net.layers[1].trainable
    assert back.data.class_names == ["no", "yes"]
    assert np.array_equal(back.data.standardizer.mean, tr.data.standardizer.mean)


def test_a_checkpoint_without_its_upload_restores_with_the_upload_given() -> None:
    rows = ["a,b,label"] + [f"{i % 7},{i % 3},{'x' if i % 2 else 'y'}" for i in range(40)]
    tr = Trainer({"data": "csv", "samples": 40}, csv=parse_csv("\n".join(rows)))
    first = checkpoint.save(tr)
    _train(tr, 6)
    light = checkpoint.save(tr, include_data=False)
    assert len(light) < len(checkpoint.save(tr)) - 40 * 2 * 8  # the rows (x, y) left out
    with pytest.raises(checkpoint.CheckpointError, match="without its uploaded CSV"):
        checkpoint.restore(light)
    csv, model_file = checkpoint.uploads(first)
    assert csv is not None and model_file is None
    back = checkpoint.restore(light, csv=csv)
    assert_same_run(tr, back)


def test_a_fine_tuned_zoo_model_continues_bit_for_bit() -> None:
    tr = Trainer({"data": "digits", "digits_task": "5-9", "model": "digits-0to4",
                  "train_per_class": 10, "batch_size": 10, "optimizer": "adam", "lr": 0.01})
    _train(tr, 8)
    back = _continue_both(tr, more=8)
    assert back.head == tr.head and back.config["freeze"] == tr.config["freeze"]


def test_a_diverged_run_stays_diverged() -> None:
    tr = Trainer({"data": "plane", "standardize": False, "optimizer": "sgd", "lr": 10,
                  "momentum": 0.0, "batch_size": 10})
    tr.step(1000)
    assert tr.diverged
    back = checkpoint.restore(checkpoint.save(tr))
    assert back.diverged == tr.diverged and back.step(5) == 0


def test_reset_after_restore_returns_to_the_same_initial_weights() -> None:
    tr = Trainer({"data": "moons", "samples": 100})
    init = tr.net.params.copy()
    _train(tr, 10)
    back = checkpoint.restore(checkpoint.save(tr))
    back.reset()
    assert np.array_equal(back.net.params, init) and back.step_count == 0


def test_a_race_runner_continues_bit_for_bit() -> None:
    race = Race({"data": "spiral", "samples": 100, "dropout": 0.1},
                runners=[{"optimizer": "sgd", "lr": 0.1, "momentum": 0},
                         {"optimizer": "adam", "lr": 0.01}])
    for _ in range(3):
        race.step(7)
        race.evaluate()
    for runner in race.runners:
        _continue_both(runner.trainer, more=9)


@pytest.mark.parametrize("blob, words", [
    (b"", "not a checkpoint"),
    (b"\x10\x00\x00\x00\x00\x00\x00\x00{}              ", "not a checkpoint"),
])
def test_bytes_that_are_not_a_checkpoint_are_refused(blob: bytes, words: str) -> None:
    with pytest.raises(checkpoint.CheckpointError, match=words):
        checkpoint.restore(blob)


def test_a_model_file_is_not_taken_for_a_checkpoint() -> None:
    tr = Trainer({"data": "xor", "samples": 50})
    with pytest.raises(checkpoint.CheckpointError, match="no backprop-lab-checkpoint"):
        checkpoint.restore(tr.model_bytes())


def test_data_that_no_longer_rebuilds_the_same_is_refused() -> None:
    tr = Trainer({"data": "xor", "samples": 50})
    blob = checkpoint.save(tr)
    tensors, state = checkpoint.read(blob)
    state["data_digest"] = "0" * 64
    bad = encode(tensors, {"format": checkpoint.FORMAT, "version": "1",
                           "state": json.dumps(state)})
    with pytest.raises(checkpoint.CheckpointError, match="data rebuilt"):
        checkpoint.restore(bad)


def test_a_run_started_from_a_network_object_continues_bit_for_bit() -> None:
    from engine.network import Network

    tr0 = Trainer({"data": "xor", "samples": 80})
    net = Network([tr0.X_train.shape[1], 6, 2], activation="relu", output="softmax", seed=5)
    net.freeze(0)
    tr = Trainer({"data": "xor", "samples": 80, "optimizer": "adam", "dropout": 0.1},
                 model=net, preprocessing=tr0.preprocessing())
    _train(tr, 12)
    back = _continue_both(tr)
    assert back.pretrained is not None and not back.net.layers[0].trainable
