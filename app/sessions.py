"""The session manager: creates sessions (validate, check the limits, build the run, start
its worker), finds them by id, makes room when the server is full and closes the ones nobody
uses. The rest of a session lives in its own rooms (see docs/server.md):

    session.py      state, clients and the events every room sends
    worker.py       the worker loop: queue, chunks, pacing, pause when abandoned
    commands/       the command table, the commands' fields and their handlers
    publish.py      frames, history, the events that end a run
    races.py        what a race adds (each runner's history, arrays, divergence)
    uploads.py      a CSV or model upload starts a new run
    runs.py         building a run; run_limits.py the server's limits on it
    connection.py   one websocket client; the queued command
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine import config as cfgmod

from . import worker
from .errors import AppError
from .gate import Gate
from .run_limits import check_limits
from .runs import build_run
from .session import Session
from .settings import Settings
from .store import live

log = logging.getLogger("app.sessions")


@dataclass
class SessionManager:
    settings: Settings
    sessions: dict[str, Session] = field(default_factory=dict)
    recorder: Any = None  # the run store's Recorder; None: runs are not recorded

    def __post_init__(self) -> None:
        self.gate = Gate(self.settings.training_slots)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.sessions)

    def get(self, session_id: str) -> Session | None:
        return self.sessions.get(session_id)

    def create(self, config: Mapping[str, Any], race: Mapping[str, Any] | None = None,
               owner: str | None = None) -> Session:
        """Validate, check the limits, build the run (a race when ``race`` gives runners) and
        start its worker (call off the event loop: building a run costs a few milliseconds).
        ``owner``: the owner key its recorded runs belong to. Raises ConfigError or
        AppError."""
        cfg = cfgmod.validate(config)
        runners = race.get("runners") if isinstance(race, Mapping) else None
        check_limits(cfg, self.settings,
                     runners=len(runners) if isinstance(runners, list) and runners else 1)
        if len(self.sessions) >= self.settings.max_sessions and all(
                s.conns for s in list(self.sessions.values())):
            raise self._full()  # before the work of building a run nobody could keep
        trainer, built_race = build_run(cfg, race, self.settings)
        with self._lock:
            if len(self.sessions) >= self.settings.max_sessions:
                evicted = self._evict_locked()
            else:
                evicted = None
            sid = secrets.token_urlsafe(8)
            while sid in self.sessions:
                sid = secrets.token_urlsafe(8)
            session = Session(sid, trainer, self.settings, self.gate, built_race)
            self.sessions[sid] = session
        if evicted is not None:
            self._closed_for_room(evicted)
        live.attach(session, self.recorder, owner)
        worker.start(session)
        return session

    def adopt(self, trainer: Any, owner: str | None = None) -> Session:
        """A new session around a trainer made elsewhere (a run continued or forked from a
        checkpoint), paused, recorded as a new run; its limits checked as ``create`` does."""
        check_limits(trainer.config, self.settings, trainer.csv)
        with self._lock:
            evicted = (self._evict_locked()
                       if len(self.sessions) >= self.settings.max_sessions else None)
            sid = secrets.token_urlsafe(8)
            while sid in self.sessions:
                sid = secrets.token_urlsafe(8)
            session = Session(sid, trainer, self.settings, self.gate)
            self.sessions[sid] = session
        if evicted is not None:
            self._closed_for_room(evicted)
        live.attach(session, self.recorder, owner)
        worker.start(session)
        return session

    def restore(self, store: Any) -> list[str]:
        """(at start) Bring back the sessions the store remembers, paused at their newest
        checkpoint, with their ids and tokens; the ids brought back."""
        if self.recorder is None or store is None:
            return []

        def make(sid: str, trainer: Any) -> Session:
            session = Session(sid, trainer, self.settings, self.gate)
            with self._lock:
                self.sessions[sid] = session
            return session

        back = live.restore_all(self, store, self.recorder, make)
        for sid in back:
            worker.start(self.sessions[sid])
        return back

    def _full(self) -> AppError:
        n = len(self.sessions)
        return AppError("server_full", f"the server already runs {n} sessions, its limit, and "
                        "every one has a client connected; try again when one ends",
                        "sessions", n, status=503, limit=self.settings.max_sessions)

    def _evict_locked(self) -> Session:
        """(holding ``_lock``) Take out the session that has had no client for the longest
        time; AppError (503) when every session has a client."""
        idle = [s for s in self.sessions.values() if not s.conns]
        if not idle:
            raise self._full()
        oldest = min(idle, key=lambda s: s.last_seen)
        del self.sessions[oldest.id]
        return oldest

    def _closed_for_room(self, session: Session) -> None:
        session.close()
        log.warning("the server is full (%d sessions): closed session %s, which had no client "
                    "for %.0f s, to make room for a new one", self.settings.max_sessions,
                    session.id, time.monotonic() - session.last_seen)

    def remove(self, session_id: str) -> bool:
        with self._lock:
            session = self.sessions.pop(session_id, None)
        if session is None:
            return False
        session.close()
        return True

    def reap(self, now: float | None = None) -> list[tuple[str, str]]:
        """Close sessions nobody has been connected to for ``session_ttl_seconds``, and
        sessions nobody ever connected to within ``unclaimed_ttl_seconds`` of their start;
        [(session id, why)] of those closed."""
        now = time.monotonic() if now is None else now
        ttl, unclaimed = self.settings.session_ttl_seconds, self.settings.unclaimed_ttl_seconds
        closed = []
        for s in list(self.sessions.values()):
            if s.conns:
                continue
            if not s.claimed and now - s.created >= unclaimed:
                closed.append((s.id, f"no client connected within {unclaimed:g} s of its start"))
            elif now - s.last_seen >= ttl:
                closed.append((s.id, f"{ttl:g} s without clients"))
        for sid, _ in closed:
            self.remove(sid)
        return closed

    def close_all(self, timeout: float = 5.0) -> None:
        """Stop every worker and wait for them (each finishes its current chunk)."""
        with self._lock:
            sessions = list(self.sessions.values())
            self.sessions.clear()
        for s in sessions:
            s.keep_on_restart = True  # the server stops: the session comes back at its start
            s.close()
        deadline = time.monotonic() + timeout
        for s in sessions:
            if s.thread is not None and s.thread.is_alive():
                s.thread.join(max(0.0, deadline - time.monotonic()))
