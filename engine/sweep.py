"""Hyperparameter sweeps: many runs of one configuration with some fields varied, judged on
validation examples, in worker processes or on a Dask cluster.

    >>> from engine.sweep import load_sweep, run_sweep
    >>> result = run_sweep(load_sweep("sweep.json"), workers=2)
    >>> result.best               # the setting with the best mean validation metric
    >>> result.write_csv("results.csv")

A sweep file is checked by engine/sweep_spec.py, Optuna picks the settings (engine/sweep_search.py),
each run is ``engine.sweep_trial.run_trial`` in a worker. Runs never execute in the caller's
threads: a local pool of processes (spawn context) or an existing Dask cluster does the work.

Failures stay with their run: a run that diverges, a bad combination of fields, or a worker
process that dies mid-run (killed, crashed, or the run ended the process) marks that run failed
with its reason, and the sweep goes on with a fresh worker; runs on the other workers are not
touched. An unreachable Dask scheduler fails the sweep before it starts (SweepError).
"""

from __future__ import annotations

import csv
import json
import math
import multiprocessing
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import ConfigError
from .sweep_search import Search
from .sweep_spec import Sweep, parse_sweep
from .sweep_trial import init_worker, ping, run_trial

Progress = Callable[[int, int, dict[str, Any]], None]
RESULT_COLUMNS = ("val_loss", "val_accuracy", "test_accuracy", "state", "reason")
DASK_CONNECT_SECONDS = 10
WORKER_START_SECONDS = 120


class SweepError(Exception):
    """The sweep cannot run at all (for example its Dask scheduler is unreachable)."""


@dataclass
class SweepResult:
    sweep: Sweep
    rows: list[dict[str, Any]]  # one per (trial, seed), in that order
    settings: dict[int, dict[str, Any]]  # trial -> {field: value}
    cancelled: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def scores(self) -> dict[int, float]:
        """Mean validation metric per trial whose every seed completed."""
        out: dict[int, float] = {}
        for trial in self.settings:
            rows = [r for r in self.rows if r["trial"] == trial]
            if rows and all(r["state"] == "complete" for r in rows):
                out[trial] = sum(r[self.sweep.metric] for r in rows) / len(rows)
        return {t: v for t, v in out.items() if math.isfinite(v)}

    @property
    def best(self) -> dict[str, Any] | None:
        """{"trial", "params", metric (mean over seeds), "spread" (max − min over seeds)} of the
        best trial by the validation metric, or None when no trial completed."""
        scores = self.scores()
        if not scores:
            return None
        sign = 1.0 if self.sweep.direction == "minimize" else -1.0
        trial = min(scores, key=lambda t: (sign * scores[t], t))
        values = [r[self.sweep.metric] for r in self.rows if r["trial"] == trial]
        return {"trial": trial, "params": self.settings[trial],
                self.sweep.metric: scores[trial], "spread": max(values) - min(values)}

    def table(self) -> list[dict[str, Any]]:
        """The CSV's rows: trial, seed, one column per swept field, then RESULT_COLUMNS."""
        out = []
        for r in self.rows:
            row: dict[str, Any] = {"trial": r["trial"], "seed": r["seed"]}
            for name, v in self.settings[r["trial"]].items():
                row[name] = json.dumps(v) if isinstance(v, (list, dict)) else v
            for k in RESULT_COLUMNS:
                v = r[k]
                row[k] = "" if isinstance(v, float) and math.isnan(v) else v
            out.append(row)
        return out

    def write_csv(self, path: str | Path) -> None:
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, ["trial", "seed", *self.sweep.fields, *RESULT_COLUMNS])
            writer.writeheader()
            writer.writerows(self.table())


def load_sweep(path: str | Path) -> Sweep:
    """The checked sweep in a JSON file (ConfigError naming each bad key, ValueError for a file
    that is not JSON)."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
                         ) from None
    return parse_sweep(raw)


# -------------------------------------------------------------------------- executors
class LocalPool:
    """Runs in ``workers`` worker processes, each its own one-process ProcessPoolExecutor, so
    that a worker's death touches only the runs sent to it: a one-process pool runs them in
    order, so the oldest unfinished one is the run that was running when it died (failed), and
    the one waiting behind it goes back to the queue. Each worker has one run waiting beside the
    one it runs, so it never idles while the parent, busy or descheduled, hands out the next."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.ctx = multiprocessing.get_context("spawn")
        self.cancel_flag = self.ctx.Event()
        self.pools = [self._new_pool() for _ in range(workers)]
        try:  # a worker that cannot even start (a broken install) fails the sweep, not each run
            for fut in [pool.submit(ping) for pool in self.pools]:  # all start at once
                fut.result(timeout=WORKER_START_SECONDS)
        except Exception as exc:
            for pool in self.pools:
                pool.shutdown(wait=False, cancel_futures=True)
            raise SweepError(f"the worker processes could not start ({type(exc).__name__}); "
                             "their error is printed above") from None

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(1, mp_context=self.ctx, initializer=init_worker,
                                   initargs=(self.cancel_flag,))

    def run(self, tasks: Sequence[dict[str, Any]], done: Callable[[dict[str, Any]], None],
            cancel: threading.Event | None) -> None:
        queue = deque(tasks)
        # per worker, its runs in the order sent: the first one is running, the next waits
        sent: list[deque[tuple[Future[dict[str, Any]], dict[str, Any]]]] = [
            deque() for _ in self.pools]
        while queue or any(sent):
            if cancel is not None and cancel.is_set():
                self.cancel_flag.set()  # running runs stop at their next epoch
                while queue:
                    done(_failed(queue.popleft(), "the sweep was cancelled", state="cancelled"))
            for i, pool in enumerate(self.pools):
                while queue and len(sent[i]) < 2:
                    task = queue.popleft()
                    sent[i].append((pool.submit(run_trial, task), task))
            futures = [fut for runs in sent for fut, _ in runs]
            wait(futures, timeout=0.5, return_when=FIRST_COMPLETED)
            for i in range(len(self.pools)):
                while sent[i] and sent[i][0][0].done():
                    fut, task = sent[i].popleft()
                    try:
                        done(fut.result())
                    except BrokenProcessPool:  # this worker died while running this run
                        done(_failed(task, "the worker process running this trial died (it "
                                           "was killed or crashed)"))
                        for _, waiting in reversed(sent[i]):  # never started: run them later
                            queue.appendleft(waiting)
                        sent[i].clear()
                        self.pools[i].shutdown(wait=False, cancel_futures=True)
                        self.pools[i] = self._new_pool()
                    except Exception as exc:  # e.g. the result could not be sent back
                        done(_failed(task, f"{type(exc).__name__}: {exc}"))

    def close(self) -> None:
        self.cancel_flag.set()  # nothing runs at a normal end; after an error, stop quickly
        for pool in self.pools:
            pool.shutdown(wait=True, cancel_futures=True)


class DaskPool:
    """Runs on an existing Dask distributed cluster, given its scheduler's address."""

    def __init__(self, address: str) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise SweepError("Dask distributed is not installed: pip install distributed"
                             ) from None
        try:
            self.client = Client(address, timeout=DASK_CONNECT_SECONDS, set_as_default=False)
        except Exception as exc:  # OSError, TimeoutError, ValueError for a bad address
            raise SweepError(f"cannot reach the Dask scheduler at {address}: {exc}") from None

    def run(self, tasks: Sequence[dict[str, Any]], done: Callable[[dict[str, Any]], None],
            cancel: threading.Event | None) -> None:
        futures = {self.client.submit(run_trial, t, pure=False): t for t in tasks}
        remaining = set(futures)
        while remaining:
            if cancel is not None and cancel.is_set():
                self.client.cancel(list(remaining))
                for fut in sorted(remaining, key=lambda f: _order(futures[f])):
                    done(_failed(futures[fut], "the sweep was cancelled", state="cancelled"))
                return
            finished = [f for f in remaining if f.done()]
            if not finished:
                time.sleep(0.05)
            for fut in sorted(finished, key=lambda f: _order(futures[f])):
                remaining.discard(fut)
                try:
                    done(fut.result())
                except Exception as exc:  # KilledWorker, a lost worker, ...
                    done(_failed(futures[fut], f"{type(exc).__name__}: {exc}"))

    def close(self) -> None:
        self.client.close()


def _order(task: Mapping[str, Any]) -> tuple[int, int]:
    return task["trial"], task["seed"]


def _failed(task: Mapping[str, Any], reason: str, state: str = "failed") -> dict[str, Any]:
    nan = math.nan
    return {"trial": task["trial"], "seed": task["seed"], "state": state, "reason": reason,
            "val_loss": nan, "val_accuracy": nan, "test_accuracy": nan, "epochs": 0,
            "curve": [], "seconds": 0.0}


# ------------------------------------------------------------------------------ sweeps
def run_sweep(sweep: Sweep | Mapping[str, Any], workers: int = 1,
              dask_scheduler: str | None = None, progress: Progress | None = None,
              cancel: threading.Event | None = None,
              hook: Callable[[Mapping[str, Any]], None] | None = None) -> SweepResult:
    """Run every trial of ``sweep`` (a Sweep or the parsed JSON of a sweep file) over its seeds.

    ``workers``: local worker processes (ignored with ``dask_scheduler``, the address of a
    running Dask scheduler, e.g. "tcp://10.0.0.5:8786"). ``progress(done, total, row)`` is
    called in the caller's thread after each run. Setting ``cancel`` stops the sweep: queued
    runs never start, running ones stop at their next epoch, and the result is marked
    cancelled. ``hook`` (tests): called in the worker with the task before each run.
    """
    if not isinstance(sweep, Sweep):
        sweep = parse_sweep(sweep)
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= 64:
        raise ValueError(f"workers: {workers!r} is not allowed; it must be a whole number from "
                         "1 to 64")
    executor: LocalPool | DaskPool = (DaskPool(dask_scheduler) if dask_scheduler
                                      else LocalPool(workers))
    search = Search(sweep)
    total = sweep.trials * len(sweep.seeds)
    rows: list[dict[str, Any]] = []
    settings: dict[int, dict[str, Any]] = {}
    cancelled = False
    try:
        while not cancelled:
            chosen = search.next_round()
            if not chosen:
                break
            pruning = None
            if sweep.pruner != "none":
                pruning = {"pruner": sweep.pruner, "direction": sweep.direction,
                           "history": search.history()}
            got: dict[int, list[dict[str, Any]]] = {t: [] for t, _ in chosen}

            def done(row: dict[str, Any], got: dict[int, list[dict[str, Any]]] = got) -> None:
                got[row["trial"]].append(row)
                rows.append(row)
                if progress is not None:  # with the trial's setting, for a live table
                    progress(len(rows), total, {**row, "params": settings[row["trial"]]})

            tasks = []
            for trial, values in chosen:
                settings[trial] = values
                for seed in sweep.seeds:
                    task = {"trial": trial, "seed": seed, "epochs": sweep.epochs,
                            "val_share": sweep.val_share, "metric": sweep.metric,
                            "pruning": pruning, "hook": hook}
                    try:
                        task["config"] = sweep.config_for(values, seed)
                    except ConfigError as exc:  # fields that do not go together
                        done(_failed(task, f"invalid combination: {exc}"))
                        continue
                    tasks.append(task)
            executor.run(tasks, done, cancel)
            cancelled = cancel is not None and cancel.is_set()
            search.tell(got)
    finally:
        executor.close()
    rows.sort(key=_order)
    return SweepResult(sweep=sweep, rows=rows, settings=settings, cancelled=cancelled)
