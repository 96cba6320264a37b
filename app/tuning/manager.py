"""The server's sweeps: each runs in a thread of its own that drives the engine's run_sweep
(worker processes at a lower priority, or a Dask cluster), keeps every finished run as a row,
records each run in the store (tagged ``sweep``) and can be cancelled. Bounded: at most
``MAX_SWEEPS`` running per server and ``MAX_PER_CLIENT`` per client address."""

from __future__ import annotations

import logging
import math
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.config import ConfigError

from ..errors import AppError, config_error
from .worker import lower_priority

log = logging.getLogger("app.tuning")

MAX_SWEEPS = 2
"""Sweeps running at once on one server."""
MAX_PER_CLIENT = 1
"""Sweeps running at once from one client address."""
MAX_KEPT = 20
"""Finished sweeps kept in memory (the oldest finished one goes first)."""
INSTALL = "pip install 'backprop-lab[tune]'"


def engine_sweep() -> Any:
    """The engine's sweep module, or AppError tuning_unavailable when Optuna is missing."""
    try:
        from engine import sweep
    except ImportError as exc:
        raise AppError("tuning_unavailable", f"sweeps need Optuna, which is not installed here "
                       f"({exc.name}); install it with: {INSTALL}", status=503,
                       install=INSTALL) from None
    return sweep


def _number(v: Any) -> Any:
    """A metric as JSON can carry it: NaN (no value) becomes None."""
    return None if isinstance(v, float) and not math.isfinite(v) else v


@dataclass
class SweepJob:
    id: str
    client: str
    sweep: Any  # engine.sweep_spec.Sweep
    owner: str  # the store's owner key of its runs
    total: int
    started: float = field(default_factory=time.time)
    finished: float | None = None
    state: str = "running"  # running, complete, cancelled, failed
    error: dict[str, Any] | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    run_ids: dict[tuple[int, int], str] = field(default_factory=dict)
    record_error: str | None = None
    best: dict[str, Any] | None = None
    importance: dict[str, float] = field(default_factory=dict)
    cancel: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def eta_seconds(self) -> float | None:
        """Time left at the pace so far (None before the first run ends)."""
        done = len(self.rows)
        if self.state != "running":
            return 0.0
        if done == 0:
            return None
        return (time.time() - self.started) / done * (self.total - done)

    def view(self) -> dict[str, Any]:
        """What GET /api/sweeps/{id} answers."""
        with self.lock:
            rows = [dict(r) for r in self.rows]
            return {
                "id": self.id, "state": self.state, "error": self.error,
                "done": len(rows), "total": self.total,
                "elapsed_seconds": round((self.finished or time.time()) - self.started, 3),
                "eta_seconds": self.eta_seconds(),
                "metric": self.sweep.metric, "direction": self.sweep.direction,
                "search": self.sweep.search, "epochs": self.sweep.epochs,
                "seeds": list(self.sweep.seeds),
                "params": {p.name: _param_view(p) for p in self.sweep.params},
                "trials": rows, "best": self.best, "importance": self.importance,
                "recording": self.record_error is None, "record_error": self.record_error,
                "chosen_by": self.sweep.metric,
            }


def _param_view(p: Any) -> dict[str, Any]:
    """A swept field as the page draws it: its values, or its range and whether it is log."""
    out: dict[str, Any] = {"log": bool(p.log), "integer": bool(p.integer)}
    for k in ("values", "low", "high"):
        v = getattr(p, k, None)
        if v is not None:
            out[k] = v
    return out


class SweepManager:
    """Starts, follows and cancels sweeps; each runs in its own thread."""

    def __init__(self, workers: int = 1, dask_scheduler: str | None = None,
                 store: Any = None) -> None:
        self.workers, self.dask_scheduler, self.store = workers, dask_scheduler, store
        self.jobs: dict[str, SweepJob] = {}
        self.threads: dict[str, threading.Thread] = {}
        self.lock = threading.Lock()

    def running(self, client: str | None = None) -> int:
        return sum(1 for j in self.jobs.values()
                   if j.state == "running" and (client is None or j.client == client))

    def start(self, raw: Mapping[str, Any], client: str, owner: str | None = None) -> SweepJob:
        """Check the sweep and start it; AppError when it is refused."""
        sweep_mod = engine_sweep()
        try:
            sweep = sweep_mod.parse_sweep(raw)
        except ConfigError as exc:
            err = config_error(exc)
            raise AppError("invalid_sweep", err.message, err.field, err.value,
                           errors=err.extra.get("errors", [])) from None
        with self.lock:
            if self.running() >= MAX_SWEEPS:
                raise AppError("too_many_sweeps", f"the server already runs {MAX_SWEEPS} "
                               "sweeps; wait until one ends or cancel one", status=429,
                               limit=MAX_SWEEPS)
            if self.running(client) >= MAX_PER_CLIENT:
                raise AppError("too_many_sweeps", f"you already run {MAX_PER_CLIENT} sweep(s) "
                               "from this address; wait until it ends or cancel it",
                               status=429, limit=MAX_PER_CLIENT)
            job = SweepJob(id=secrets.token_urlsafe(9), client=client, sweep=sweep,
                           owner=owner or "sweep-" + secrets.token_urlsafe(16),
                           total=sweep.trials * len(sweep.seeds))
            self._forget_old()
            self.jobs[job.id] = job
        t = threading.Thread(target=self._run, args=(job, sweep_mod), daemon=True,
                             name=f"sweep-{job.id}")
        self.threads[job.id] = t
        t.start()
        return job

    def get(self, sweep_id: str) -> SweepJob | None:
        return self.jobs.get(sweep_id)

    def cancel(self, sweep_id: str) -> SweepJob | None:
        job = self.jobs.get(sweep_id)
        if job is not None:
            job.cancel.set()
        return job

    def close(self, timeout: float = 30.0) -> None:
        """Cancel every sweep and wait for their threads (server shutdown)."""
        for job in self.jobs.values():
            job.cancel.set()
        for t in list(self.threads.values()):
            t.join(timeout)

    def _forget_old(self) -> None:
        done = sorted((j for j in self.jobs.values() if j.state != "running"),
                      key=lambda j: j.finished or 0)
        while len(self.jobs) >= MAX_KEPT and done:
            self.jobs.pop(done.pop(0).id, None)

    # ---------------------------------------------------------------- the sweep's thread
    def _run(self, job: SweepJob, sweep_mod: Any) -> None:
        def progress(done: int, total: int, row: dict[str, Any]) -> None:
            view = {k: _number(v) for k, v in row.items() if k not in ("curve",)}
            view["curve"] = [_number(v) for v in row.get("curve", [])]
            view["run_id"] = self._record(job, row)
            with job.lock:
                job.rows.append(view)

        try:
            result = sweep_mod.run_sweep(job.sweep, workers=self.workers,
                                         dask_scheduler=self.dask_scheduler,
                                         progress=progress, cancel=job.cancel,
                                         hook=lower_priority)
        except sweep_mod.SweepError as exc:
            code = "dask_unreachable" if "Dask" in str(exc) else "sweep_failed"
            with job.lock:
                job.state, job.error = "failed", {"code": code, "message": str(exc)}
        except Exception as exc:  # never leaves the thread: the sweep says it failed
            log.exception("sweep %s failed", job.id)
            with job.lock:
                job.state = "failed"
                job.error = {"code": "sweep_failed", "message": f"{type(exc).__name__}: {exc}"}
        else:
            best = result.best
            importance = _importance(result)
            with job.lock:
                job.state = "cancelled" if result.cancelled else "complete"
                job.best = {k: _number(v) for k, v in best.items()} if best else None
                job.importance = importance
        finally:
            job.finished = time.time()

    def _record(self, job: SweepJob, row: Mapping[str, Any]) -> str | None:
        """Keep the run in the store, tagged ``sweep``; a store that fails stops recording for
        this sweep (the sweep goes on)."""
        if self.store is None or job.record_error is not None or "params" not in row:
            return None
        try:
            config = job.sweep.config_for(row["params"], row["seed"])
            run = self.store.create_run(
                job.owner, name=f"sweep {job.id} trial {row['trial']} seed {row['seed']}",
                config=config, kinds=["sweep"], tags=[f"sweep-{job.id}"][:1],
                note=f"{row['state']}{': ' + row['reason'] if row.get('reason') else ''}"[:200])
            epochs = int(row.get("epochs") or 0)
            if epochs:
                self.store.add_metrics(run["id"], [{
                    "step": epochs, "epoch": epochs, "seconds": row.get("seconds"),
                    "val_loss": _number(row.get("val_loss")),
                    "val_acc": _number(row.get("val_accuracy")),
                    "test_acc": _number(row.get("test_accuracy"))}])
            job.run_ids[(row["trial"], row["seed"])] = run["id"]
            return str(run["id"])
        except Exception as exc:  # the store is away or full: the sweep goes on unrecorded
            job.record_error = f"{type(exc).__name__}: {str(exc)[:200]}"
            log.warning("sweep %s: recording stopped: %s", job.id, job.record_error)
            return None


def _importance(result: Any) -> dict[str, float]:
    """How much each swept field mattered to the validation metric (Optuna's
    PED-ANOVA, computed from the completed trials), or {} when too few trials completed."""
    scores = result.scores()
    fields = result.sweep.fields
    if len(scores) < 3 or len(fields) < 1:
        return {}
    try:
        import optuna
        from optuna.distributions import CategoricalDistribution, FloatDistribution

        trials = []
        for t, value in scores.items():
            params: dict[str, Any] = {}
            dists: dict[str, Any] = {}
            for name, v in result.settings[t].items():
                if isinstance(v, bool) or not isinstance(v, int | float):
                    choices = sorted({str(s[name]) for s in result.settings.values()})
                    params[name], dists[name] = str(v), CategoricalDistribution(choices)
                else:
                    lo = min(float(s[name]) for s in result.settings.values())
                    hi = max(float(s[name]) for s in result.settings.values())
                    params[name], dists[name] = float(v), FloatDistribution(lo, max(hi, lo + 1e-12))
            trials.append(optuna.trial.create_trial(params=params, distributions=dists,
                                                    value=value))
        study = optuna.create_study(direction=result.sweep.direction)
        study.add_trials(trials)
        # PED-ANOVA: Optuna's own evaluator (fANOVA and impurity need scikit-learn)
        evaluator = optuna.importance.PedAnovaImportanceEvaluator()
        found = optuna.importance.get_param_importances(study, evaluator=evaluator)
        return {k: round(float(v), 4) for k, v in found.items()}
    except Exception as exc:  # too little spread to tell: say nothing rather than guess
        log.info("importance not computed: %s", exc)
        return {}
