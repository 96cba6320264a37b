"""Sweeps: Optuna's settings run in worker processes, judged on validation, the same numbers on
any number of workers, failures kept to their own run."""

from __future__ import annotations

import csv
import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import engine
from engine.config import ConfigError
from engine.sweep import SweepError, run_sweep
from engine.sweep_spec import MAX_TRIALS, parse_sweep
from engine.sweep_trial import hold_out

ROOT = Path(__file__).resolve().parents[2]
DIGITS = {"data": "digits", "layers": [32], "batch_size": 32, "optimizer": "sgd"}


def numbers(result: Any) -> list[tuple]:
    return [(r["trial"], r["seed"], r["state"], r["val_loss"], r["val_accuracy"],
             r["test_accuracy"], r["epochs"]) for r in result.rows]


def same(a: list[tuple], b: list[tuple]) -> bool:
    """Equal, with NaN equal to NaN (a failed run's metrics)."""
    return len(a) == len(b) and all(
        len(x) == len(y) and all(u == v or (isinstance(u, float) and isinstance(v, float)
                                            and math.isnan(u) and math.isnan(v))
                                 for u, v in zip(x, y, strict=True))
        for x, y in zip(a, b, strict=True))


# ------------------------------------------------------------------ choosing by validation
def test_a_learning_rate_grid_on_digits_shows_the_u() -> None:
    lrs = [0.0003, 0.01, 0.3, 1.0, 6.0]
    result = run_sweep({"base": DIGITS, "params": {"lr": lrs}, "epochs": 4, "seeds": [0, 1]},
                       workers=2)
    assert len(result.rows) == 10 and {r["state"] for r in result.rows} == {"complete"}
    by_lr = {result.settings[t]["lr"]: v for t, v in result.scores().items()}
    assert sorted(by_lr) == lrs
    best = result.best
    assert best is not None and best["params"]["lr"] not in (lrs[0], lrs[-1])
    assert by_lr[lrs[0]] > best["val_loss"] and by_lr[lrs[-1]] > best["val_loss"]
    assert best["spread"] >= 0


def test_validation_rows_come_from_training_rows_and_test_stays_apart() -> None:
    tr = engine.Trainer({"data": "moons", "samples": 200})
    X_train, X_test = tr.X_train.copy(), tr.X_test.copy()
    X_val, _ = hold_out(tr, 0.2)
    assert len(X_val) == 20 and len(tr.X_train) == 80
    rows = {r.tobytes() for r in X_train}
    assert {r.tobytes() for r in X_val} <= rows and {r.tobytes() for r in tr.X_train} <= rows
    assert not {r.tobytes() for r in X_val} & {r.tobytes() for r in tr.X_train}
    assert np.array_equal(tr.X_test, X_test)  # test untouched
    # every trial is judged on the same rows, whatever its seed
    other = engine.Trainer({"data": "moons", "samples": 200, "seed": 5})
    assert np.array_equal(hold_out(other, 0.2)[0], X_val)


# ------------------------------------------------------------------ determinism
SEARCH = {"base": DIGITS, "params": {"lr": {"low": 1e-3, "high": 3.0, "log": True},
                                     "layers": [[16], [32]], "dropout": [0.0, 0.2]},
          "search": "tpe", "trials": 6, "round": 3, "epochs": 3, "seeds": [0, 1],
          "pruner": "median"}


def test_the_same_sweep_gives_the_same_numbers_on_one_and_two_workers() -> None:
    one = run_sweep(SEARCH, workers=1)
    two = run_sweep(SEARCH, workers=2)
    assert one.settings == two.settings
    assert same(numbers(one), numbers(two))
    assert {r["state"] for r in one.rows} <= {"complete", "pruned"}


@pytest.mark.parametrize("pruner", ["median", "halving"])
def test_pruners_stop_poor_runs_early_and_the_same_on_any_worker_count(pruner: str) -> None:
    spec = {"base": DIGITS, "params": {"lr": {"low": 1e-4, "high": 3.0, "log": True}},
            "search": "random", "trials": 12, "round": 4, "epochs": 6, "pruner": pruner}
    one, two = run_sweep(spec, workers=1), run_sweep(spec, workers=2)
    assert same(numbers(one), numbers(two))
    pruned = [r for r in one.rows if r["state"] == "pruned"]
    assert pruned and all(r["epochs"] < 6 for r in pruned)
    assert all(r["trial"] >= 4 for r in pruned)  # the first round has nothing to compare with
    best = one.best
    assert best is not None
    assert all(r["val_loss"] > best["val_loss"] for r in pruned)


@pytest.mark.slow
def test_a_dask_cluster_gives_the_same_numbers_as_local_workers() -> None:
    from distributed import LocalCluster

    spec = {**SEARCH, "trials": 4, "round": 2}
    local = run_sweep(spec, workers=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        on_dask = run_sweep(spec, dask_scheduler=cluster.scheduler_address)
    assert on_dask.settings == local.settings
    assert same(numbers(on_dask), numbers(local))


def test_an_unreachable_dask_scheduler_fails_the_sweep_at_the_start(monkeypatch) -> None:
    monkeypatch.setattr("engine.sweep.DASK_CONNECT_SECONDS", 1)
    with pytest.raises(SweepError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        run_sweep({"base": DIGITS, "params": {"lr": [0.1]}, "epochs": 1},
                  dask_scheduler="tcp://127.0.0.1:9")


# ------------------------------------------------------------------ failures stay local
def test_a_diverging_trial_fails_with_its_reason_and_the_sweep_goes_on() -> None:
    base = {"data": "plane", "standardize": False, "optimizer": "sgd"}
    result = run_sweep({"base": base, "params": {"lr": [0.01, 10.0]}, "epochs": 3},
                       workers=2)
    states = {result.settings[r["trial"]]["lr"]: r for r in result.rows}
    assert states[10.0]["state"] == "failed" and "diverged" in states[10.0]["reason"]
    assert math.isnan(states[10.0]["val_loss"])
    assert states[0.01]["state"] == "complete" and math.isfinite(states[0.01]["val_loss"])
    assert result.best is not None and result.best["params"] == {"lr": 0.01}


def die_on_large_lr(task: Mapping[str, Any]) -> None:
    """Test hook, run in the worker: a run of lr 0.5 kills its worker process mid-trial."""
    if task["config"]["lr"] == 0.5:
        os._exit(3)


def test_a_worker_that_dies_mid_trial_fails_that_trial_only() -> None:
    spec = {"base": DIGITS, "params": {"lr": [0.05, 0.5, 0.2, 0.1]}, "epochs": 2}
    result = run_sweep(spec, workers=2, hook=die_on_large_lr)
    by_lr = {result.settings[r["trial"]]["lr"]: r for r in result.rows}
    assert by_lr[0.5]["state"] == "failed" and "died" in by_lr[0.5]["reason"]
    for lr in (0.05, 0.2, 0.1):
        assert by_lr[lr]["state"] == "complete", by_lr[lr]
    # the other runs, on either worker, have the numbers of a clean sweep
    clean = run_sweep({**spec, "params": {"lr": [0.05, 0.2, 0.1]}}, workers=1)
    clean_by_lr = {clean.settings[r["trial"]]["lr"]: r["val_loss"] for r in clean.rows}
    assert all(by_lr[lr]["val_loss"] == clean_by_lr[lr] for lr in clean_by_lr)


def wait_to_be_killed(task: Mapping[str, Any]) -> None:
    """Test hook: a run of lr 0.5 says where it runs, then waits for the test to kill it."""
    if task["config"]["lr"] == 0.5:
        Path(os.environ["SWEEP_TEST_PID_FILE"]).write_text(str(os.getpid()))
        time.sleep(60)


def test_a_worker_killed_from_outside_fails_the_run_it_was_running(tmp_path: Path,
                                                                   monkeypatch) -> None:
    pid_file = tmp_path / "pid"
    monkeypatch.setenv("SWEEP_TEST_PID_FILE", str(pid_file))  # spawned workers inherit it

    def killer() -> None:
        deadline = time.monotonic() + 60
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(int(pid_file.read_text()), signal.SIGKILL)

    thread = threading.Thread(target=killer)
    thread.start()
    spec = {"base": DIGITS, "params": {"lr": [0.05, 0.5, 0.2, 0.1]}, "epochs": 2}
    result = run_sweep(spec, workers=2, hook=wait_to_be_killed)
    thread.join()
    by_lr = {result.settings[r["trial"]]["lr"]: r for r in result.rows}
    assert by_lr[0.5]["state"] == "failed" and "died" in by_lr[0.5]["reason"]
    assert all(by_lr[lr]["state"] == "complete" for lr in (0.05, 0.2, 0.1))


def test_cancelling_stops_the_sweep_and_says_so() -> None:
    cancel = threading.Event()
    seen: list[int] = []

    def progress(done: int, total: int, row: dict) -> None:
        seen.append(done)
        cancel.set()

    spec = {"base": DIGITS, "params": {"lr": [0.01, 0.03, 0.1, 0.3, 1.0, 3.0]}, "epochs": 30}
    result = run_sweep(spec, workers=1, progress=progress, cancel=cancel)
    assert result.cancelled
    states = [r["state"] for r in result.rows]
    assert states.count("cancelled") >= 4 and "complete" in states
    assert seen[0] == 1 and seen == sorted(seen)


# ------------------------------------------------------------------ bad sweep files
@pytest.mark.parametrize(("spec", "field", "words"), [
    ({"params": {"lrr": [0.1]}}, "params.lrr", "unknown field"),
    ({"params": {"lr": [0.1]}, "epochs": 0}, "epochs", "from 1"),
    ({"params": {"lr": {"low": 0.1, "high": 0.01}}, "search": "random"}, "params.lr.low",
     "below high"),
    ({"params": {"dropout": {"low": 0, "high": 0.5, "log": True}}, "search": "random"},
     "params.dropout.low", "log range cannot touch 0"),
    ({"params": {"lr": {"low": 0, "high": 1}}, "search": "random"}, "params.lr.low", "> 0"),
    ({"params": {"lr": [0.01, 0.1, 1.0, 2.0, 3.0, 4.0, 5.0],
                 "l2": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
                 "dropout": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]}}, "params",
     f"at most {MAX_TRIALS}"),
    ({"params": {"lr": {"low": 0.01, "high": 1}}}, "params.lr", "a grid needs a list"),
    ({"params": {"lr": [0.1]}, "search": "bayes"}, "search", "grid, random, tpe"),
    ({"params": {"lr": [0.1]}, "pruner": "hyperband"}, "pruner", "none, median, halving"),
    ({"params": {"lr": [0.1]}, "metric": "test_accuracy"}, "metric", "never by test"),
    ({"params": {"seed": [1, 2]}}, "params.seed", "seeds"),
    ({"params": {"activation": ["tanh", "swish"]}}, "params.activation[1]", "allowed"),
    ({"params": {"lr": [0.1]}, "trails": 5}, "trails", "unknown key"),
    ({"params": {}}, "params", "at least one"),
    ({"base": {"lr": -1}, "params": {"dropout": [0.1]}}, "base.lr", "> 0"),
    ({"params": {"lr": [0.1]}, "seeds": []}, "seeds", "list of 1 to"),
])
def test_a_bad_sweep_is_refused_naming_the_field(spec: dict, field: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_sweep(spec)
    fields = [e.field for e in info.value.errors]
    assert field in fields, (fields, str(info.value))
    assert words in str(info.value)


def test_fields_of_every_kind_can_be_swept() -> None:
    s = parse_sweep({"base": DIGITS, "search": "random", "trials": 3, "params": {
        "lr": {"low": 1e-4, "high": 1, "log": True}, "l2": {"low": 1e-5, "high": 1e-2,
                                                             "log": True},
        "dropout": {"low": 0, "high": 0.5}, "batch_size": {"low": 8, "high": 64},
        "optimizer": ["sgd", "adam"], "layers": [[32], [64, 32]],
        "activation": ["relu", "tanh"]}})
    cfg = s.config_for({"lr": 0.1, "l2": 0.001, "dropout": 0.1, "batch_size": 16,
                        "optimizer": "adam", "layers": [64, 32], "activation": "relu"}, 3)
    assert (cfg["regularization"], cfg["reg_rate"], cfg["layers"], cfg["seed"]) == (
        "l2", 0.001, [64, 32], 3)
    assert next(p for p in s.params if p.name == "batch_size").integer
    widths = parse_sweep({"base": {**DIGITS, "layers": [64, 32]}, "search": "random",
                          "params": {"layers.0": {"low": 16, "high": 128},
                                     "layers.1": [8, 16]}})
    assert all(p.integer for p in widths.params if p.values is None)
    assert widths.config_for({"layers.0": 100, "layers.1": 8}, 0)["layers"] == [100, 8]


def test_one_layer_width_must_exist_and_fit() -> None:
    with pytest.raises(ConfigError) as info:
        parse_sweep({"base": {"layers": [8, 8]}, "params": {"layers.2": [4]}})
    assert info.value.errors[0].field == "params.layers.2" and "2 hidden layers" in str(
        info.value)
    with pytest.raises(ConfigError, match="params.layers.0.high"):
        parse_sweep({"base": {"layers": [8]}, "search": "random",
                     "params": {"layers.0": {"low": 4, "high": 5000}}})
    with pytest.raises(ConfigError, match="not both"):
        parse_sweep({"params": {"layers.0": [4, 8], "layers": [[4], [8]]}})


# ------------------------------------------------------------------ the command line
def test_the_sweep_command_writes_a_row_per_trial_and_seed(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep.json"
    sweep.write_text(json.dumps({"base": DIGITS, "params": {"lr": [0.03, 0.3],
                                                            "layers": [[16], [32]]},
                                 "epochs": 2, "seeds": [0, 1]}))
    out = tmp_path / "results.csv"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "engine", "sweep", str(sweep), "--out", str(out),
                        "--workers", "2"], env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert "run 8/8" in r.stderr  # the progress bar
    assert "best by val_loss" in r.stdout
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[:9] == ["trial", "seed", "lr", "layers", "val_loss", "val_accuracy",
                                 "test_accuracy", "state", "reason"]
    assert len(rows) == 8 and {r["state"] for r in rows} == {"complete"}
    assert {(r["lr"], r["layers"]) for r in rows} == {("0.03", "[16]"), ("0.03", "[32]"),
                                                      ("0.3", "[16]"), ("0.3", "[32]")}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"params": {"lr": [0.1]}, "epochs": 0}))
    r = subprocess.run([sys.executable, "-m", "engine", "sweep", str(bad), "--out", str(out)],
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "epochs: 0 is not allowed" in r.stderr
    assert "Traceback" not in r.stderr
