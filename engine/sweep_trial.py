"""One run of a sweep, in a worker process: train one setting with one seed, judge it on
validation examples, and say whether Optuna's pruner stopped it.

``run_trial(task)`` is a pure function of its task: the run configuration, the epochs, the seed,
the validation share and (when pruning) the finished trials of earlier rounds. Same task, same
numbers, in any process on any machine: that is what makes a sweep on 1 worker, 2 workers or a
Dask cluster give the same results.

Validation: each run holds out a share of its training examples (a fixed, data-seeded choice,
so every trial is judged on the same rows), trains on the rest and reports the loss and accuracy
on the held-out rows. The run configuration's ``val_share`` does this; a sweep whose base leaves
it at 0 sets the sweep's ``val_share`` (default 0.2). ``hold_out`` does the same for a
configuration without that field. The test split is measured once at the end and only reported:
nothing in a sweep chooses by it.
"""

from __future__ import annotations

import math
import os
import signal
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from .losses import loss_forward_backward
from .metrics import predicted_classes
from .trainer import Trainer

Array = np.ndarray

_cancel: Any = None  # a multiprocessing Event set by the parent to stop every run early


def init_worker(cancel: Any = None) -> None:
    """Pool initializer: keep the cancellation flag; one BLAS thread per worker; Ctrl-C is for
    the parent, which stops the workers through the flag."""
    global _cancel
    _cancel = cancel
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def ping() -> int:
    """A worker's first task: proves it started and imported the engine."""
    return os.getpid()


def _cancelled() -> bool:
    return _cancel is not None and _cancel.is_set()


def hold_out(tr: Trainer, share: float) -> tuple[Array, Array]:
    """Move ``share`` of the trainer's training rows to a validation set and restart the run on
    the rest (same initial weights). The rows are chosen by the data seed only."""
    n = len(tr.X_train)
    n_val = min(max(1, int(round(share * n))), n - 1)
    rng = np.random.default_rng(np.random.SeedSequence([tr.config["data_seed"], 0x5A1])
                                )  # the same rows for every trial
    order = rng.permutation(n)
    val, keep = np.sort(order[:n_val]), np.sort(order[n_val:])
    X_val, y_val = tr.X_train[val], tr.y_train[val]
    tr.X_train, tr.y_train = tr.X_train[keep], tr.y_train[keep]
    tr.reset()  # batch order over the remaining rows, weights as initialized
    return X_val, y_val


def measure(tr: Trainer, X: Array, y: Array) -> tuple[float, float]:
    """(loss, accuracy) of the trainer's network on X, y: no dropout, no penalty; accuracy is
    NaN for regression."""
    net = tr.net
    with np.errstate(over="ignore", invalid="ignore"):
        z = net.forward(X)
        loss, _, p = loss_forward_backward(net.output, net.loss, z, y)  # type: ignore[arg-type]
    if tr.task != "classification":
        return float(loss), math.nan
    return float(loss), float((predicted_classes(p) == y.astype(np.int64)).mean())


class _Pruning:
    """Optuna's pruner against a fixed picture: the finished trials of earlier rounds."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        from .sweep_search import make_pruner

        self.study = optuna.create_study(direction=spec["direction"],
                                         pruner=make_pruner(spec["pruner"]))
        self.study.add_trials(spec["history"])
        self.trial = self.study.ask()

    def should_stop(self, value: float, epoch: int) -> bool:
        self.trial.report(value, epoch)
        return bool(self.trial.should_prune())


def run_trial(task: Mapping[str, Any]) -> dict[str, Any]:
    """Train task["config"] for task["epochs"] epochs; returns the run's row: trial, seed,
    state (complete, pruned, failed, cancelled), reason, val_loss, val_accuracy,
    test_accuracy, epochs done and the per-epoch curve of the sweep's metric."""
    t0 = time.perf_counter()
    row: dict[str, Any] = {"trial": task["trial"], "seed": task["seed"], "state": "complete",
                           "reason": "", "val_loss": math.nan, "val_accuracy": math.nan,
                           "test_accuracy": math.nan, "epochs": 0, "curve": []}
    try:
        hook = task.get("hook")
        if hook is not None:
            hook(task)
        tr = Trainer(task["config"])
        if len(getattr(tr, "X_val", ())):  # the run's own validation split (val_share)
            X_val, y_val = tr.X_val, tr.y_val
        else:
            X_val, y_val = hold_out(tr, task["val_share"])
        pruning = _Pruning(task["pruning"]) if task.get("pruning") else None
        per_epoch = math.ceil(len(tr.X_train) / tr.batch_size)
        metric = task["metric"]
        for epoch in range(1, task["epochs"] + 1):
            if _cancelled():
                row.update(state="cancelled", reason="the sweep was cancelled")
                break
            tr.step(per_epoch)
            if tr.diverged:
                row.update(state="failed", reason=f"diverged: {tr.diverged['message']}")
                break
            val_loss, val_acc = measure(tr, X_val, y_val)
            row.update(val_loss=val_loss, val_accuracy=val_acc, epochs=epoch)
            value = val_loss if metric == "val_loss" else val_acc
            row["curve"].append(value)
            if pruning is not None and epoch < task["epochs"] and pruning.should_stop(value,
                                                                                      epoch):
                row.update(state="pruned", reason=f"pruned after epoch {epoch}")
                break
        if row["state"] != "failed":
            row["test_accuracy"] = measure(tr, tr.X_test, tr.y_test)[1]
        else:
            row.update(val_loss=math.nan, val_accuracy=math.nan)
    except Exception as exc:  # a bad combination of fields, or anything else: this run fails
        row.update(state="failed", reason=f"{type(exc).__name__}: {exc}")
    row["seconds"] = time.perf_counter() - t0
    return row
