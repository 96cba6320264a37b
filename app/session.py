"""A session: one run (a Trainer, or a Race of them), its clients and what its worker
publishes for them.

    event loop (websockets, HTTP)                 worker thread (app/worker.py)
    ─────────────────────────────                 ─────────────────────────────
    Connection.receive → Session.submit ──queue──► apply commands between steps
                                                   train a short chunk (holding a Gate slot)
    Connection sender ◄── wake (call_soon_threadsafe) ── evaluate + snapshot + encode once
                     reads Session.latest (one slot, newest frame wins)

The Trainer is touched only by the worker thread. The event loop reads what the worker
publishes (config, info, history rows, the latest frame) under the session's lock. This
module holds that state, the connection bookkeeping and the events every room sends; the
worker loop, the commands, publishing, races and uploads live in their own modules.
"""

from __future__ import annotations

import hashlib
import queue
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any

from engine.race import CHECK_EVERY, Race
from engine.trainer import Trainer

from . import frames
from .codes import CODES
from .connection import STOP, Command, Connection
from .errors import AppError
from .gate import Gate
from .runs import HISTORY_COLUMNS, RACE_HISTORY_COLUMNS, race_description, trainer_info
from .settings import Settings


class Session:
    def __init__(self, session_id: str, trainer: Trainer, settings: Settings, gate: Gate,
                 race: Race | None = None) -> None:
        self.id = session_id
        self.token = secrets.token_urlsafe(24)
        self.token_sha256 = hashlib.sha256(self.token.encode()).hexdigest()  # a restored
        # session knows only this (app/store/live.py)
        self.recording: Any = None  # its RunRecording when the server records runs
        self.recording_paused, self.recording_seen = False, 0.0
        self.resume_run: str | None = None  # brought back: the run it goes on recording
        self.keep_on_restart = False  # stopped with the server: brought back at its start
        self.settings = settings
        self.gate = gate
        self.trainer = trainer  # touched by the worker thread only (runner 0 of a race)
        self.race = race  # a race session's runners; None for a single run
        self.commands: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.conns: set[Connection] = set()
        self.created = time.monotonic()
        self.last_seen = self.created  # when the last client left (or the session began)
        self.claimed = False  # a client has connected at least once
        self.closed = False
        self.thread: threading.Thread | None = None  # the worker, once started
        # published by the worker, read under ``lock``
        self.config: dict[str, Any] = dict(race.config if race else trainer.config)
        self.info: dict[str, Any] = trainer_info(trainer)
        self.race_info: dict[str, Any] | None = None
        self.columns = RACE_HISTORY_COLUMNS if race else HISTORY_COLUMNS
        self.lesson: dict[str, Any] | None = None  # {"name", "variant"} of the loaded lesson
        self.presenter: dict[str, Any] | None = None  # the teacher's view state
        self.phase_event: dict[str, Any] | None = None  # while a step is taken phase by phase
        self.phase_events: list[dict[str, Any]] = []  # the last step taken phase by phase
        self.until: int | None = None  # play pauses by itself at this step (the lead's)
        self.idle_note: dict[str, Any] | None = None  # paused with no client: tell the next
        self.running = False
        self.speed: float | None = None
        self.step = 0
        self.epoch = 0.0
        self.diverged: dict[str, Any] | None = None
        self.rows: list[list[float | None]] = []
        self.gen = 0
        self.latest: frames.Frame | None = None
        self.data_version = 0
        self.data_payload = b""
        self.error: str | None = None
        # worker-only state
        self.seq = 0  # of the last frame published
        self.frame_hist_end = 0  # history points the last frame carried up to
        self.frame_gen = 0
        self.dropped = 0  # the trainer's history_dropped when ``rows`` last mirrored it
        self.dirty = True  # something changed since the last frame
        self.last_frame = 0.0
        self.pending_steps = 0
        self.pending_acks: list[Command] = []
        self.cap_t0 = 0.0  # speed cap: when counting began, and steps done since
        self.cap_done = 0
        self.per_step = 1e-4  # seconds a step takes, smoothed
        self.stopping = False
        self.race_counts: list[int] = []  # history points of each runner in ``rows``
        self.race_dropped: list[int] = []
        self.diverged_runners: set[int] = set()
        self.until_from: str | None = None  # who set ``until``: "play" or "lesson"
        self.sent = threading.Event()  # every client has sent the newest frame
        self.unsent = 0

    # ------------------------------------------------------------ event loop side
    def check_token(self, token: str | None) -> bool:
        """Does ``token`` control this session? Compared by SHA-256, which is all a session
        brought back after a restart knows of its token."""
        return token is not None and secrets.compare_digest(
            hashlib.sha256(token.encode()).hexdigest(), self.token_sha256)

    def checkpoint(self, reason: str) -> Future[Any]:
        """(any thread) A checkpoint of the session's runs, taken by its worker between steps
        (e.g. "reaped" before a session is closed for room); done when it is handed to the
        recorder. A session that records nothing does nothing."""
        from .store import live

        return self.call(lambda s: live.checkpoint(s, reason))

    def attach(self, conn: Connection) -> None:
        with self.lock:
            self.conns.add(conn)
            self.claimed = True
            self.last_seen = time.monotonic()
            note, self.idle_note = self.idle_note, None
            state = {"type": "state", "running": self.running, "speed": self.speed,
                     "step": self.step, "epoch": self.epoch, "until": self.until}
        if note is not None:  # the run was paused while nobody watched: say so, then the state
            conn.after_hello.extend([frames.dumps(note), frames.dumps(state)])

    def detach(self, conn: Connection) -> None:
        with self.lock:
            self.conns.discard(conn)
            self.last_seen = time.monotonic()

    def frame_sent(self, seq: int) -> None:
        """(event loop) A client has sent frame ``seq``; the last one wakes the worker."""
        with self.lock:
            if self.latest is not None and seq == self.latest.seq:
                self.unsent -= 1
                if self.unsent <= 0:
                    self.sent.set()

    @property
    def viewers(self) -> int:
        return len(self.conns)

    def submit(self, cmd: Command) -> None:
        self.commands.put(cmd)

    def call(self, fn: Callable[[Session], Any]) -> Future[Any]:
        """Run ``fn(session)`` on the worker thread between steps; its result as a Future."""
        fut: Future[Any] = Future()
        if self.closed:
            fut.set_exception(RuntimeError("the session is closed"))
            return fut
        self.commands.put(Command("call", {}, future=fut, fn=fn))
        return fut

    def hello(self, role: str) -> dict[str, Any]:
        """The full state for a client that (re)connects."""
        with self.lock:
            return {"type": "hello", "role": role, "session": self.id,
                    "config": dict(self.config), "running": self.running, "speed": self.speed,
                    "step": self.step, "epoch": self.epoch, "info": dict(self.info),
                    "history": {"columns": list(self.columns), "rows": list(self.rows)},
                    "history_gen": self.gen, "diverged": self.diverged,
                    "fps": self.settings.fps, "race": self.race_info, "lesson": self.lesson,
                    "presenter": self.presenter, "phase": self.phase_event,
                    "phases": list(self.phase_events), "until": self.until}

    def history_table(self) -> dict[str, Any]:
        with self.lock:
            return {"columns": list(self.columns), "rows": list(self.rows)}

    def summary(self) -> dict[str, Any]:
        with self.lock:
            return {"id": self.id, "config": dict(self.config), "running": self.running,
                    "speed": self.speed, "step": self.step, "epoch": self.epoch,
                    "viewers": len(self.conns), "diverged": self.diverged,
                    "info": dict(self.info), "race": self.race_info, "lesson": self.lesson,
                    "until": self.until}

    def export_config(self) -> dict[str, Any]:
        """The run configuration to download: the flat configuration of a single run (what
        ``python -m engine train`` reads), or for a race the body that creates it again
        ({"config", "race": {"runners", "target"}})."""
        with self.lock:
            config, race = dict(self.config), self.race_info
        if race is None:
            return config
        runners = [{**r["fields"], "label": r["label"]} for r in race["runners"]]
        return {"config": config, "race": {"runners": runners, "target": race["target"]}}

    def set_presenter(self, state: dict[str, Any]) -> None:
        """(event loop) Keep the teacher's view state and send it to every client."""
        text = frames.dumps({"type": "presenter", "state": state})
        with self.lock:
            self.presenter = state
            conns = list(self.conns)
        for c in conns:
            c.post(text, "presenter")

    def close(self) -> None:
        """Stop the worker (it finishes its current chunk) and close every connection."""
        if self.closed:
            return
        self.closed = True
        self.stopping = True
        self.commands.put(STOP)
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.loop.call_soon_threadsafe(c.close)
            except RuntimeError:
                pass

    # ---------------------------------------------------------------- events out
    def broadcast(self, event: Mapping[str, Any]) -> None:
        text = frames.dumps(event)
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            c.post_threadsafe(text, event["type"])

    def reply(self, cmd: Command, event: Mapping[str, Any]) -> None:
        if cmd.conn is not None:
            cmd.conn.post_threadsafe(frames.dumps(event), event["type"])

    def ack(self, cmd: Command) -> None:
        if cmd.conn is not None:
            self.reply(cmd, {"type": "ack", "id": cmd.fields.get("id"), "command": cmd.type})

    def refuse(self, cmd: Command | None, error: AppError) -> None:
        """The ``error`` event: to the command's sender, or to every client."""
        event = error.event()
        if cmd is None or cmd.conn is None:
            self.broadcast(event)
        else:
            event.update(command=cmd.type, id=cmd.fields.get("id"))
            self.reply(cmd, event)

    def notice(self, code: str, message: str, **fields: Any) -> None:
        """A ``notice`` to every client: its code (app/codes.py), the numbers, the English."""
        self.broadcast(notice_event(code, message, **fields))

    def state_event(self) -> dict[str, Any]:
        lead = self.lead
        return {"type": "state", "running": self.running, "speed": self.speed,
                "step": lead.step_count, "epoch": lead.epoch, "until": self.until}

    def config_event(self, changed: list[str], rebuilt: str | None) -> dict[str, Any]:
        return {"type": "config", "config": self.config, "changed": changed,
                "rebuilt": rebuilt, "info": self.info, "race": self.race_info}

    # ------------------------------------------------------------ single run or race
    @property
    def lead(self) -> Trainer:
        """The trainer whose step and epoch are the session's (a race's first runner still
        training)."""
        return self.race.lead if self.race is not None else self.trainer

    @property
    def trainers(self) -> list[Trainer]:
        """Every runner's trainer (a single run: its one trainer)."""
        return self.race.trainers if self.race is not None else [self.trainer]

    def is_diverged(self) -> bool:
        """Nothing left to train: the run diverged (in a race: every runner did)."""
        if self.race is not None:
            return self.race.diverged
        return self.trainer.diverged is not None

    def diverged_report(self) -> dict[str, Any] | None:
        """What the run's divergence was (``hello.diverged``, the ``diverged`` event): its
        code, step, quantity and message; None while it trains."""
        if not self.is_diverged():
            return None
        if self.race is None:
            return {"code": "diverged", **(self.trainer.diverged or {})}
        reports = [tr.diverged or {} for tr in self.race.trainers]
        return {"code": "race_diverged", "step": max(d.get("step", 0) for d in reports),
                "quantity": reports[0].get("quantity"),
                "message": "every runner diverged: " + "; ".join(
                    f"{label}: {d.get('message')}"
                    for label, d in zip(self.race.labels, reports, strict=True))}

    def race_description(self) -> dict[str, Any] | None:
        return race_description(self.race)

    def set_run(self, trainer: Trainer, race: Race | None) -> None:
        self.trainer, self.race = trainer, race
        self.diverged_runners = set()
        with self.lock:
            self.columns = RACE_HISTORY_COLUMNS if race else HISTORY_COLUMNS

    def set_until(self, until: int | None, source: str | None = None) -> None:
        self.until_from = source if until is not None else None
        with self.lock:
            self.until = until

    def clear_phases(self) -> None:
        if self.phase_events:
            with self.lock:
                self.phase_events = []

    def check_every(self) -> int:
        """Steps between two judgements of a race's runners (kept when the race is rebuilt)."""
        return self.race.check_every if self.race is not None else CHECK_EVERY

    def race_spec(self) -> dict[str, Any] | None:
        if self.race is None:
            return None
        return {"runners": self.race.specs, "target": self.race.target}


def notice_event(code: str, message: str, **fields: Any) -> dict[str, Any]:
    """A ``notice`` event: ``code`` (app/codes.py), the numbers it needs, the English text."""
    if code not in CODES:
        raise ValueError(f"{code!r} is not in app/codes.py")
    return {"type": "notice", "code": code, **fields, "message": message}
