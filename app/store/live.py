"""A live session's recording: the few calls the session's rooms make (worker thread), and
bringing the remembered sessions back when the server starts.

    restart_history  -> started(s)        a run is built (start, reset, rebuild): a new run
    publish_frame    -> points(s)         the new history points; recorder status notices
    set (before)     -> points(s)         points before a change that may clear the history
    set (after)      -> changed(s, i, old, result)   live fields become events
    pause / save     -> checkpoint(s, reason)
    worker ends      -> ended(s)          "end" checkpoint; forgotten unless the server stops

Every function does nothing for a session that records nothing (``s.recording`` is None), and
never raises into training: a failure is logged and recording of that session stops.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from typing import Any

from .recorder import Recorder
from .session_runs import RunRecording, restore_session

log = logging.getLogger("app.store")

STATUS_EVERY = 1.0
"""Seconds between two looks at the Recorder's status (a notice when it changes)."""


def attach(s: Any, recorder: Recorder | None, owner_key: str | None) -> None:
    """Record session ``s`` (before its worker starts). Without an owner key its runs are
    owned by its control token (whoever holds the token may rename or delete them)."""
    if recorder is None:
        s.recording = None
        return
    s.recording = RunRecording(recorder, owner_key or s.token, session_id=s.id, token=s.token,
                               kind="race" if s.race is not None else "train")
    s.recording_paused = False
    s.recording_seen = 0.0


def kinds(s: Any) -> list[str]:
    """Tags saying what kind of run it is: race, lesson, finetune."""
    out = []
    if s.race is not None:
        out.append("race")
    if s.lesson is not None:
        out.append("lesson")
    config = s.trainer.config
    if config.get("model") is not None or config.get("freeze"):
        out.append("finetune")
    return out


def run_name(s: Any) -> str:
    c = s.config if s.race is not None else s.trainer.config
    layers = "-".join(str(n) for n in c.get("layers", []) or [])
    return f"{c.get('data', 'run')}, {layers or 'linear'}, {c.get('optimizer', '')}".strip(", ")


def _guard(s: Any, what: str, fn: Any) -> None:
    rec = getattr(s, "recording", None)
    if rec is None:
        return
    try:
        fn(rec)
    except Exception:  # noqa: BLE001 - recording never stops training
        log.exception("session %s: recording failed (%s); this session is no longer recorded",
                      s.id, what)
        s.recording = None


def started(s: Any) -> None:
    """The session's run was built (or reset, or rebuilt): a new run for each trainer. The
    first call of a session brought back at its checkpoint goes on with its run instead."""
    if getattr(s, "resume_run", None) is not None:
        run_id, s.resume_run = s.resume_run, None
        _guard(s, "resume", lambda rec: rec.resume(run_id, s.trainer, name=run_name(s),
                                                     kinds=kinds(s)))
        return
    labels = list(s.race.labels) if s.race is not None else None
    _guard(s, "start", lambda rec: rec.start(s.trainers, name=run_name(s), kinds=kinds(s),
                                              labels=labels))


def points(s: Any) -> None:
    """Hand the new history points over; tell the clients when recording pauses or resumes."""
    _guard(s, "points", lambda rec: rec.points(s.trainers))
    rec = getattr(s, "recording", None)
    now = time.monotonic()
    if rec is None or now - s.recording_seen < STATUS_EVERY:
        return
    s.recording_seen = now
    status = rec.recorder.status()
    paused = status.get("state") == "paused"
    if paused == s.recording_paused:
        return
    s.recording_paused = paused
    if paused:
        s.notice("recording_paused", "recording of this run paused: " + str(
            status.get("reason") or "the database does not answer") + "; training goes on and "
            "what is recorded meanwhile is kept to write later", reason=status.get("code"))
    else:
        s.notice("recording_resumed", "recording of this run goes on: the database answers "
                 "again")


def changed(s: Any, index: int, old_config: Mapping[str, Any], result: Mapping[str, Any]
            ) -> None:
    """After ``Trainer.set``: live fields become events at the run's step. (A rebuild starts
    its new run through ``started``.)"""
    if result.get("rebuilt"):
        return
    tr = s.trainers[index]
    _guard(s, "event", lambda rec: rec.changed(index, tr, old_config, {"live":
                                                                       result.get("live", [])}))


def checkpoint(s: Any, reason: str) -> None:
    """A checkpoint of each of the session's runs (pause, save, periodic, reaped ...)."""
    _guard(s, reason, lambda rec: rec.checkpoint(s.trainers, reason))


def ended(s: Any) -> None:
    """The worker stopped. A session ended (deleted, reaped, evicted) gets its "end"
    checkpoint and is forgotten; one stopped with the server (``s.keep_on_restart``) gets it
    and comes back at the next start."""
    if getattr(s, "keep_on_restart", False):
        checkpoint(s, "end")
    else:
        _guard(s, "close", lambda rec: rec.close(s.trainers))


def restore_all(manager: Any, store: Any, recorder: Recorder, make_session: Any) -> list[str]:
    """Bring back every remembered single-run session, paused at its newest checkpoint, with
    its id and control token (by hash); ``make_session(session_id, trainer)`` builds the
    session object. Returns the ids brought back; a session that cannot be restored is
    logged and forgotten."""
    back = []
    for row in store.live_sessions():
        sid = row["session_id"]
        try:
            if row.get("kind") != "train" or sid in manager.sessions:
                raise ValueError(f"a {row.get('kind')!r} session is not brought back")
            trainer = restore_session(store, row)
            if trainer is None:
                raise ValueError("its run has no checkpoint left")
        except Exception as exc:  # noqa: BLE001 - one broken row must not stop the start
            log.warning("session %s not brought back: %s", sid, exc)
            recorder.end_live_session(sid)
            continue
        s = make_session(sid, trainer)
        s.token, s.token_sha256 = "", row["token_sha256"]
        s.recording = RunRecording(recorder, "", session_id=sid, token="", kind="train",
                                   owner_sha256=store.run_owner(row["run_id"]),
                                   token_sha256=row["token_sha256"])
        s.recording_paused, s.recording_seen = False, 0.0
        s.resume_run = row["run_id"]
        s.presenter = row.get("presenter")
        s.claimed = True  # its clients come back at their own pace
        back.append(sid)
    return back


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


__all__ = ["attach", "changed", "checkpoint", "ended", "points", "restore_all", "started",
           "token_hash"]
