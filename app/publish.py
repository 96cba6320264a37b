"""(worker thread) What a session publishes for its clients: its state under the lock, the
metric history, frames (evaluate, snapshot, encode once, newest wins) and the events that
end a run (diverged, crashed)."""

from __future__ import annotations

import logging
import time
from typing import Any

from engine.race import Race
from engine.trainer import HISTORY_KEYS, Trainer

from . import frames
from .errors import AppError
from .races import race_frame, sync_race_history
from .runs import trainer_info
from .session import Session
from .store import live

log = logging.getLogger("app.sessions")


def publish_state(s: Session) -> None:
    """Configuration, info, race, step and divergence as clients read them."""
    tr, lead = s.trainer, s.lead
    report = s.diverged_report()
    race_info = frames.clean(s.race_description())
    with s.lock:
        s.config = dict(s.race.config if s.race is not None else tr.config)
        s.info = trainer_info(tr)
        s.race_info = race_info
        s.step, s.epoch = lead.step_count, lead.epoch
        s.diverged = frames.clean(report) if report else None


def rebuilt(s: Session, data: bool) -> None:
    """After a new network or new data: the history restarts; new data gets a data frame."""
    tr = s.trainer
    publish_state(s)
    if data:
        payload = frames.encode({"kind": "data", "data_version": s.data_version + 1},
                                tr.data_arrays())
        with s.lock:
            s.data_version += 1
            s.data_payload = payload
    restart_history(s)


def restart_history(s: Session) -> None:
    """(reset, rebuilds) The history starts again; the last walked step is forgotten. A
    new run is recorded."""
    with s.lock:
        s.rows = []
        s.gen += 1
        s.phase_events = []
    s.dropped = s.trainer.history_dropped
    if s.race is not None:
        s.race_counts = [0] * len(s.race.runners)
        s.race_dropped = [tr.history_dropped for tr in s.race.trainers]
    s.dirty = True
    live.started(s)


def replace_run(s: Session, trainer: Trainer, race: Race | None) -> None:
    """A new run (new data, new network): paused, history restarted."""
    s.set_run(trainer, race)
    s.running = False
    s.pending_steps = 0
    s.set_until(None)
    s.error = None
    with s.lock:
        s.phase_event = None
    rebuilt(s, data=True)


def sync_history(s: Session) -> None:
    """Mirror the trainer's history (which may thin itself) into ``rows``."""
    if s.race is not None:
        sync_race_history(s)
        return
    h = s.trainer.history
    n = len(h["step"])
    with s.lock:
        if s.trainer.history_dropped != s.dropped or n < len(s.rows):
            s.rows = [frames.history_row(r)
                      for r in zip(*(h[k] for k in HISTORY_KEYS), strict=True)]
            s.gen += 1
            s.dropped = s.trainer.history_dropped
        else:
            for i in range(len(s.rows), n):
                s.rows.append(frames.history_row([h[k][i] for k in HISTORY_KEYS]))


def publish_frame(s: Session) -> None:
    """Evaluate, snapshot and encode once; the frame replaces the latest one."""
    tr = s.trainer
    s.dirty = False
    now, period = time.perf_counter(), 1.0 / s.settings.fps
    # keep to the schedule (a late frame does not push every later one back), unless the
    # session was idle or fell far behind
    late = now - s.last_frame - period
    s.last_frame = now - late if 0 <= late < period else now
    # mid-step (phase by phase) is fine: evaluate and snapshot keep the step's caches
    extra: dict[str, Any] = {}
    if s.race is not None:
        metrics = s.race.evaluate()
        m = metrics[0]
    else:
        m = tr.evaluate()
    sync_history(s)
    live.points(s)  # hands the new points to the recorder's buffer (microseconds)
    snap = tr.snapshot(s.settings.grid_output, s.settings.grid_neurons)
    arrays, ranges = frames.quantize_snapshot(snap["arrays"], tr.output)
    if s.race is not None:
        extra = race_frame(s, snap, metrics, arrays, ranges)
    lead = s.lead
    with s.lock:
        gen = s.gen
        start = s.frame_hist_end if s.frame_gen == gen else 0
        start = min(start, len(s.rows))
        points = s.rows[start:]
        s.frame_hist_end, s.frame_gen = len(s.rows), gen
        data_version = s.data_version
    s.seq += 1
    header = {
        "kind": "frame", "seq": s.seq, "step": lead.step_count, "epoch": lead.epoch,
        "metrics": {k: m[k] for k in ("train_loss", "test_loss", "train_acc", "test_acc",
                                      "val_loss", "val_acc") if k in m},
        "history_from": start, "history_gen": gen, "points": points,
        "running": s.running, "diverged": s.is_diverged(), **extra,
    }
    payload = frames.encode(header, arrays, ranges)
    frame = frames.Frame(s.seq, gen, start, len(points), data_version, payload)
    with s.lock:
        s.latest = frame
        s.step, s.epoch = lead.step_count, lead.epoch
        conns = list(s.conns)
        s.unsent = len(conns)
        s.sent.clear()
    for c in conns:
        c.notify_threadsafe()


def on_diverged(s: Session) -> None:
    """The run diverged: stop, and tell every client where and what."""
    d = s.diverged_report() or {}
    s.running = False
    s.pending_steps = 0
    publish_state(s)
    s.broadcast({"type": "diverged", "code": "race_diverged" if s.race else "diverged",
                 "step": d.get("step"), "quantity": d.get("quantity"),
                 "message": d.get("message")})
    s.broadcast(s.state_event())
    s.dirty = True


def crashed(s: Session, exc: BaseException) -> None:
    """Training raised: stop the run (the session stays) and tell every client."""
    log.exception("session %s: training failed", s.id, exc_info=exc)
    s.running = False
    s.pending_steps = 0
    s.error = f"{type(exc).__name__}: {exc}"
    publish_state(s)
    s.refuse(None, AppError("training_crashed", f"training stopped: {s.error}"))
    s.broadcast(s.state_event())


def announce_rebuild(s: Session, changed: list[str], rebuilt_what: str) -> None:
    """The notice of a change that rebuilt a single run, then the state."""
    what = "new data and a new network" if rebuilt_what == "data" else "a new network"
    s.notice("rebuilt", f"changing {', '.join(changed)} rebuilt the run: {what}, starting "
             "again from step 0", changed=changed, rebuilt=rebuilt_what)
    s.broadcast(s.state_event())
