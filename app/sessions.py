"""Training sessions: one Trainer per session, driven by its own worker thread.

    event loop (websockets, HTTP)                 worker thread (one per session)
    ─────────────────────────────                 ───────────────────────────────
    Connection.receive → Session.submit ──queue──► apply commands between steps
                                                   train a short chunk (holding a Gate slot)
    Connection sender ◄── wake (call_soon_threadsafe) ── evaluate + snapshot + encode once
                     reads Session.latest (one slot, newest frame wins)

The Trainer is touched only by its worker thread. The event loop reads what the worker
publishes (config, info, history rows, the latest frame) under the session's lock.
"""

from __future__ import annotations

import asyncio
import logging
import math
import queue
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine import config as cfgmod
from engine import lessons
from engine.data import DATASETS, CsvData, DataError, digits_half_rows, load_digits, relabel_digits
from engine.race import CHECK_EVERY, RUNNER_FIELDS, Race
from engine.trainer import DATA_FIELDS, HISTORY_KEYS, Trainer

from . import frames
from .gate import Gate
from .limits import short, short_errors
from .settings import Settings

log = logging.getLogger("app.sessions")

HISTORY_COLUMNS = list(HISTORY_KEYS)
RACE_HISTORY_COLUMNS = ["runner", *HISTORY_KEYS]
RACE_COMMANDS = frozenset({"play", "pause", "step", "epoch", "reset", "race_target", "set",
                           "speed", "predict", "lesson", "call"})
"""Commands a race session takes (the others need a single run)."""
MAX_STEPS_PER_COMMAND = 10_000
MAX_SPEED = 1_000_000.0
_STOP = object()


class LimitError(Exception):
    """A server limit was reached (too many sessions, too large a network, ...)."""

    def __init__(self, field: str, value: Any, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field, self.value, self.message, self.status = field, value, message, status

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "value": self.value, "message": self.message}


class CommandError(Exception):
    """A command that cannot be applied; becomes an ``error`` event for its sender."""

    def __init__(self, message: str, field: str | None = None, value: Any = None) -> None:
        super().__init__(message)
        self.message, self.field, self.value = message, field, value


# ---------------------------------------------------------------------------- sizing
def count_params(cfg: Mapping[str, Any], csv: CsvData | None = None) -> int:
    """Weights and biases of the network a (validated) configuration builds."""
    name = cfg["data"]
    if name == "csv":
        if csv is None:
            return 0
        dims, task, n_classes = csv.X.shape[1], csv.task, len(csv.class_names)
    else:
        info = DATASETS[name]
        dims = info.dims if info.dims != 2 else len(cfg["features"])
        task = info.task
        n_classes = cfg["classes"] if name == "blobs" else info.n_classes
    _, _, units = cfgmod.resolve_output(cfg, task, n_classes)
    sizes = [dims, *cfg["layers"], units]
    return sum(o * i + o for i, o in zip(sizes[:-1], sizes[1:], strict=True))


def count_rows(cfg: Mapping[str, Any], csv: CsvData | None = None) -> tuple[int, int]:
    """(training rows, test rows) of the data a (validated) configuration loads, without
    loading it (``train_per_class`` counted as its most)."""
    name = cfg["data"]
    if name == "csv":
        n = 0 if csv is None else len(csv.y)
        n_classes = 0 if csv is None else len(csv.class_names)
    elif name == "digits":
        _, y = load_digits()
        y = y[digits_half_rows(cfg["digits_half"], len(y))]
        try:
            rows, _, names = relabel_digits(y, cfg["digits_task"], cfg["digit_groups"])
        except DataError:
            rows, names = y, [str(d) for d in range(10)]  # the engine names the field
        n, n_classes = len(rows), len(names)
    else:
        n = cfg["samples"]
        n_classes = cfg["classes"] if name == "blobs" else DATASETS[name].n_classes
    if n < 2:
        return n, 0
    n_test = min(max(round(cfg["test_share"] * n), 1), n - 1)
    n_train = n - n_test
    if cfg.get("train_per_class") is not None:
        n_train = min(n_train, cfg["train_per_class"] * max(1, n_classes))
    return n_train, n_test


def batch_rows(batch_size: int, n_train: int) -> int:
    """Rows of one training step: the batch, or every training row for 0 (full batch)."""
    return n_train if batch_size == 0 or batch_size > n_train else batch_size


def check_params(cfg: Mapping[str, Any], max_params: int, csv: CsvData | None = None) -> None:
    n = count_params(cfg, csv)
    if n > max_params:
        raise LimitError("layers", cfg["layers"],
                         f"layers: {cfg['layers']} makes a network of {n:,} parameters; this "
                         f"server allows at most {max_params:,} per network")


def check_work(cfg: Mapping[str, Any], max_work: int, params: int, n_train: int, n_test: int,
               changed: Collection[str] = (), runners: int = 1) -> None:
    """Refuse a run whose training step (batch rows × parameters) or evaluation ((train + test)
    rows × parameters) is over ``max_work``; ``params`` counts every runner of a race. The
    error names ``batch_size`` for a step; for an evaluation the field just changed
    (``layers`` or ``samples``), else what sets the rows (``samples``, ``csv``) or, for a data
    set of fixed size, ``layers``."""
    race = f" (a race: {runners} runners, {params:,} parameters in all)" if runners > 1 else ""
    b = batch_rows(cfg["batch_size"], n_train)
    if b * params > max_work:
        most = max(1, max_work // max(1, params))
        what = f"a full batch of {b:,} rows" if b == n_train else f"{b:,} rows"
        raise LimitError("batch_size", cfg["batch_size"], (
            f"batch_size: {what} × {params:,} parameters{race} is {b * params:,.0f} per step; "
            f"this server allows at most {max_work:,} (rows × parameters): choose a "
            + (f"batch_size of at most {most:,}, or " if most < n_train else "")
            + "smaller layers"))
    rows = n_train + n_test
    if rows * params <= max_work:
        return
    name = cfg["data"]
    sized = name not in ("csv", "digits")  # a generator: "samples" sets its rows
    if "layers" in changed or (name == "digits"):
        field = "layers"
    elif name == "csv" and "samples" not in changed:
        field = "csv"
    else:
        field = "samples" if sized else "layers"
    most = max_work // max(1, params)
    fixes = {"samples": f"at most {most:,} samples, or smaller layers",
             "csv": f"a CSV file of at most {most:,} rows, or smaller layers",
             "layers": "smaller layers" + (f" or at most {most:,} samples" if sized else "")}
    value = {"samples": cfg["samples"], "csv": rows, "layers": cfg["layers"]}[field]
    raise LimitError(field, value, (
        f"{field}: evaluating {rows:,} rows (train + test) × {params:,} parameters{race} is "
        f"{rows * params:,.0f} per frame; this server allows at most {max_work:,} "
        f"(rows × parameters): choose {fixes[field]}"))


def check_limits(cfg: Mapping[str, Any], settings: Settings, csv: CsvData | None = None,
                 changed: Collection[str] = (), runners: int = 1) -> None:
    """The parameter and compute limits for a (validated) configuration, before building it
    (``runners``: a race's runner count). Raises LimitError."""
    check_params(cfg, settings.max_params, csv)
    n_train, n_test = count_rows(cfg, csv)
    check_work(cfg, settings.max_work, count_params(cfg, csv) * runners, n_train, n_test,
               changed, runners)


def check_built(trainers: list[Trainer], settings: Settings, field: str | None = None,
                value: Any = None) -> None:
    """The limits for a built run (a race: every runner), counted exactly; ``field``
    replaces the field named (e.g. "model" for an uploaded model). Raises LimitError."""
    for i, tr in enumerate(trainers):
        n = tr.net.n_params
        if n > settings.max_params:
            race = len(trainers) > 1
            name = field or (f"runners[{i}].model" if race else "layers")
            who = f"runner {i} has" if race else ("the model has" if field else "the run has")
            raise LimitError(name, value if field else tr.config["layers"],
                             f"{who} a network of {n:,} parameters; this server allows at "
                             f"most {settings.max_params:,} per network")
    tr = trainers[0]
    try:
        check_work(tr.config, settings.max_work, sum(t.net.n_params for t in trainers),
                   len(tr.X_train), len(tr.X_test), runners=len(trainers))
    except LimitError as exc:
        if field is None:
            raise
        raise LimitError(field, value, f"{field}: " + exc.message) from None


def build_run(cfg: Mapping[str, Any], race: Mapping[str, Any] | None, settings: Settings,
              csv: CsvData | None = None, model_file: bytes | None = None,
              changed: Collection[str] = (), check: bool = True,
              check_every: int = CHECK_EVERY) -> tuple[Trainer, Race | None]:
    """A run from a validated configuration: one Trainer, or a Race (its first runner is the
    Trainer) when ``race`` = {"runners": [...], "target": {...}} is given, its runners judged
    against the target every ``check_every`` steps. Raises ConfigError (naming
    ``runners[i].FIELD``, ``target.FIELD`` or ``race.FIELD``) or LimitError (the parameter and
    compute limits of ``settings``; ``check=False``: the caller checks the built run)."""
    runners = race.get("runners") if isinstance(race, Mapping) else None
    if check:
        check_limits(cfg, settings, csv, changed,
                     len(runners) if isinstance(runners, list) and runners else 1)
    if race is None:
        tr = Trainer(cfg, csv=csv, model_file=model_file)
        if check:
            check_built([tr], settings)
        return tr, None
    if not isinstance(race, Mapping):
        raise cfgmod.ConfigError([cfgmod.FieldError(
            "race", race, "a race is an object {\"runners\": [...], \"target\": {...}}")])
    unknown = sorted(set(race) - {"runners", "target"})
    if unknown:
        raise cfgmod.ConfigError([cfgmod.FieldError(
            f"race.{unknown[0]}", race[unknown[0]], "a race has only runners and target")])
    r = Race(cfg, race.get("runners") or [], target=race.get("target", {"metric": "train_loss",
                                                                   "value": 0.1}),
             csv=csv, model_file=model_file, check_every=check_every)
    if check:
        check_built(r.trainers, settings)
    return r.trainers[0], r


def trainer_info(tr: Trainer) -> dict[str, Any]:
    """What a client needs to draw the run, beyond its configuration."""
    d = tr.data
    n = len(tr.X_train)
    return {
        "task": tr.task, "classes": tr.n_classes, "input_names": list(d.input_names),
        "class_names": list(d.class_names), "sizes": list(tr.net.sizes),
        "activation": tr.net.activation, "output": tr.output, "loss": tr.loss_name,
        "image_shape": list(d.image_shape) if d.image_shape else None,
        "dims": int(d.raw_train.shape[1]), "train_size": n, "test_size": len(tr.X_test),
        "batches_per_epoch": math.ceil(n / tr.batch_size),
        "params": tr.net.n_params, "trainable": tr.net.n_trainable,
        "frozen": [i for i, la in enumerate(tr.net.layers) if not la.trainable],
        "head": frames.clean(tr.head),  # what loading a model did to its output layer
    }


def _row(values: Any) -> list[Any]:
    """A history row for the wire: step as a whole number, NaN as None."""
    row = frames.clean(list(values))
    row[0] = int(row[0])
    return row


# ------------------------------------------------------------------------ frames
@dataclass(frozen=True)
class Frame:
    """One encoded frame and what a sender needs to keep each client's history whole."""

    seq: int
    gen: int  # history generation: bumped when the history restarts (reset, rebuild, thinning)
    history_from: int
    n_points: int
    data_version: int
    payload: bytes


@dataclass
class Command:
    type: str
    fields: dict[str, Any]
    conn: Connection | None = None
    future: Future[Any] | None = None
    fn: Callable[[Session], Any] | None = None


# ------------------------------------------------------------------- connections
class Connection:
    """One websocket client of a session. Lives on the event loop; the worker reaches it only
    through ``loop.call_soon_threadsafe``."""

    def __init__(self, session: Session, role: str, loop: asyncio.AbstractEventLoop,
                 max_events: int = 2000) -> None:
        self.session = session
        self.role = role
        self.loop = loop
        self.outbox: deque[tuple[str, str]] = deque()  # (event type, JSON text)
        self.max_events = max_events
        self.wake = asyncio.Event()
        self.wake.set()  # the first thing to send is the hello
        self.closed = False
        self.overflowed = False
        self.needs_hello = True
        self.gen = -1
        self.count = 0  # history points the client holds
        self.last_seq = -1
        self.data_version = -1
        self.frames_sent = 0
        self.after_hello: list[str] = []  # events for this client right after its hello

    # called on the event loop
    def post(self, text: str, kind: str = "") -> None:
        if len(self.outbox) >= self.max_events:
            self.overflowed = True  # a client this far behind is dropped
        else:
            self.outbox.append((kind, text))
        self.wake.set()

    def notify(self) -> None:
        self.wake.set()

    def close(self) -> None:
        self.closed = True
        self.wake.set()

    # called from any thread
    def post_threadsafe(self, text: str, kind: str = "") -> None:
        try:
            self.loop.call_soon_threadsafe(self.post, text, kind)
        except RuntimeError:  # the loop is closed: the client is gone
            pass

    def notify_threadsafe(self) -> None:
        try:
            self.loop.call_soon_threadsafe(self.notify)
        except RuntimeError:
            pass


# ---------------------------------------------------------------------- sessions
class Session:
    def __init__(self, session_id: str, trainer: Trainer, settings: Settings, gate: Gate,
                 race: Race | None = None) -> None:
        self.id = session_id
        self.token = secrets.token_urlsafe(24)
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
        self.latest: Frame | None = None
        self.data_version = 0
        self.data_payload = b""
        self.error: str | None = None
        # worker-only state
        self._seq = 0
        self._frame_hist_end = 0
        self._frame_gen = 0
        self._dropped = 0
        self._dirty = True
        self._last_frame = 0.0
        self._pending_steps = 0
        self._pending_acks: list[Command] = []
        self._cap_t0 = 0.0
        self._cap_done = 0
        self._per_step = 1e-4
        self._stopping = False
        self._race_counts: list[int] = []  # history points of each runner in ``rows``
        self._race_dropped: list[int] = []
        self._diverged_runners: set[int] = set()
        self._until_from: str | None = None  # who set ``until``: "play" or "lesson"
        self._sent = threading.Event()  # every client has sent the newest frame
        self._unsent = 0
        self.thread = threading.Thread(target=self._run, name=f"session-{session_id}",
                                       daemon=True)

    # ------------------------------------------------------------ event loop side
    def check_token(self, token: str | None) -> bool:
        return token is not None and secrets.compare_digest(token, self.token)

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
                self._unsent -= 1
                if self._unsent <= 0:
                    self._sent.set()

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

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        """Stop the worker (it finishes its current chunk) and close every connection."""
        if self.closed:
            return
        self.closed = True
        self._stopping = True
        self.commands.put(_STOP)
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.loop.call_soon_threadsafe(c.close)
            except RuntimeError:
                pass

    # ---------------------------------------------------------------- broadcasting
    def _broadcast(self, event: Mapping[str, Any]) -> None:
        text = frames.dumps(event)
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            c.post_threadsafe(text, event["type"])

    def _reply(self, cmd: Command, event: Mapping[str, Any]) -> None:
        if cmd.conn is not None:
            cmd.conn.post_threadsafe(frames.dumps(event), event["type"])

    def _ack(self, cmd: Command) -> None:
        if cmd.conn is not None:
            self._reply(cmd, {"type": "ack", "id": cmd.fields.get("id"), "command": cmd.type})

    def _error(self, cmd: Command | None, message: str, **extra: Any) -> None:
        event = {"type": "error", "message": message, **extra}
        if cmd is None or cmd.conn is None:
            self._broadcast(event)
        else:
            event.update(command=cmd.type, id=cmd.fields.get("id"))
            self._reply(cmd, event)

    def _state_event(self) -> dict[str, Any]:
        lead = self._lead
        return {"type": "state", "running": self.running, "speed": self.speed,
                "step": lead.step_count, "epoch": lead.epoch, "until": self.until}

    def _config_event(self, changed: list[str], rebuilt: str | None) -> dict[str, Any]:
        return {"type": "config", "config": self.config, "changed": changed,
                "rebuilt": rebuilt, "info": self.info, "race": self.race_info}

    # ------------------------------------------------------------ single run or race
    @property
    def _lead(self) -> Trainer:
        """The trainer whose step and epoch are the session's (a race's first runner still
        training)."""
        return self.race.lead if self.race is not None else self.trainer

    def _is_diverged(self) -> bool:
        """Nothing left to train: the run diverged (in a race: every runner did)."""
        if self.race is not None:
            return self.race.diverged
        return self.trainer.diverged is not None

    def _diverged_report(self) -> dict[str, Any] | None:
        if not self._is_diverged():
            return None
        if self.race is None:
            return self.trainer.diverged
        reports = [tr.diverged or {} for tr in self.race.trainers]
        return {"step": max(d.get("step", 0) for d in reports),
                "quantity": reports[0].get("quantity"),
                "message": "every runner diverged: " + "; ".join(
                    f"{label}: {d.get('message')}"
                    for label, d in zip(self.race.labels, reports, strict=True))}

    def _set_run(self, trainer: Trainer, race: Race | None) -> None:
        self.trainer, self.race = trainer, race
        self._diverged_runners = set()
        with self.lock:
            self.columns = RACE_HISTORY_COLUMNS if race else HISTORY_COLUMNS

    def _steps(self, n: int) -> int:
        if self.race is None:
            return self.trainer.step(n)
        done = max(self.race.step(n))
        self._runner_divergence()
        return done

    def _runner_divergence(self) -> None:
        """A notice for each runner of a race that diverged (the others go on)."""
        assert self.race is not None
        for i, tr in enumerate(self.race.trainers):
            if tr.diverged is not None and i not in self._diverged_runners:
                self._diverged_runners.add(i)
                if not self.race.diverged:
                    self._broadcast({"type": "notice", "message": (
                        f"runner {i} ({self.race.labels[i]}) diverged and stopped; the others "
                        f"go on: {tr.diverged.get('message')}")})

    def _race_description(self) -> dict[str, Any] | None:
        if self.race is None:
            return None
        return {"runners": [{"label": r.label, "fields": dict(r.fields),
                             "info": trainer_info(r.trainer)} for r in self.race.runners],
                "target": self.race.target, "check_every": self.race.check_every}

    # ---------------------------------------------------------------- worker side
    def _run(self) -> None:
        try:
            self._rebuilt(data=True)
            self._publish_frame()
        except Exception as exc:  # noqa: BLE001 - a broken run must not take the server down
            self._crashed(exc)
        while not self._stopping:
            wait = self._idle_wait()
            first: Any = None
            try:
                if wait is None:
                    first = self.commands.get()
                elif wait > 0:
                    first = self.commands.get(timeout=wait)
            except queue.Empty:
                first = None
            if self._stopping or first is _STOP:
                break
            with self.gate.slot():
                if self._stopping:
                    break
                try:
                    published = self._work(first)
                except Exception as exc:  # noqa: BLE001
                    self._crashed(exc)
                    published = False
            if published and self.conns:
                # let the event loop send the frame before the next chunk takes the interpreter
                self._sent.wait(self.settings.send_wait)
        for cmd in self._pending_acks:
            if cmd.future is not None and not cmd.future.done():
                cmd.future.set_exception(RuntimeError("the session is closed"))
        self._drain_futures()

    def _drain_futures(self) -> None:
        while True:
            try:
                cmd = self.commands.get_nowait()
            except queue.Empty:
                return
            if isinstance(cmd, Command) and cmd.future is not None and not cmd.future.done():
                cmd.future.set_exception(RuntimeError("the session is closed"))

    def _crashed(self, exc: BaseException) -> None:
        log.exception("session %s: training failed", self.id, exc_info=exc)
        self.running = False
        self._pending_steps = 0
        self.error = f"{type(exc).__name__}: {exc}"
        self._publish_state()
        self._broadcast({"type": "error", "message": f"training stopped: {self.error}"})
        self._broadcast(self._state_event())

    def _idle_wait(self) -> float | None:
        """Seconds the worker may sleep before it has something to do (None: until a command)."""
        now = time.perf_counter()
        waits: list[float] = []
        if self._pending_steps > 0:
            return 0.0
        if self.running:
            if self.speed is None:
                return 0.0
            waits.append(self._cap_t0 + self._cap_done / self.speed - now)
            waits.append(1.0)  # a slow speed cap still notices an abandoned run
        if self._dirty:
            waits.append(self._last_frame + 1.0 / self.settings.fps - now)
        if not waits:
            return None
        return max(0.0, min(waits))

    def _work(self, first: Any) -> bool:
        """Apply the commands, train a chunk, publish a frame if one is due; True if it did."""
        cmds = [] if first is None else [first]
        while True:
            try:
                cmds.append(self.commands.get_nowait())
            except queue.Empty:
                break
        for cmd in cmds:
            if cmd is _STOP:
                self._stopping = True
                return False
            self._apply(cmd)
        if self.running:
            self._pause_if_abandoned()
        if self._pending_steps > 0 or (self.running and not self._is_diverged()):
            self._train_chunk()
        if self.phase_event is not None and self.trainer.phase is None:
            with self.lock:
                self.phase_event = None
        if self._dirty and time.perf_counter() - self._last_frame >= 1.0 / self.settings.fps:
            self._publish_frame()
            return True
        return False

    def _pause_if_abandoned(self) -> None:
        """Pause a run that has had no client for ``idle_pause_seconds`` (a tab closed while it
        played) and keep a notice for the next client that connects."""
        delay = self.settings.idle_pause_seconds
        step = self._lead.step_count
        with self.lock:
            if self.conns or time.monotonic() - self.last_seen < delay:
                return
            self.running = False
            self.idle_note = {"type": "notice", "reason": "idle", "step": step, "message": (
                f"training paused at step {step:,}: no client was connected for {delay:g} s; "
                "press Play to go on")}
        log.info("session %s paused at step %d: no client for %g s", self.id, step, delay)
        self._dirty = True

    def _set_until(self, until: int | None, source: str | None = None) -> None:
        self._until_from = source if until is not None else None
        with self.lock:
            self.until = until

    def _until_reached(self) -> None:
        """Play reached its ``until`` step: pause, say why, drop the limit."""
        until, source = self.until, self._until_from
        self.running = False
        self._set_until(None)
        why = ("the step count the lesson's figures are measured at" if source == "lesson"
               else f"the step asked for (until {until:,})")
        self._broadcast({"type": "notice", "reason": "until", "step": until, "message": (
            f"training paused at step {until:,}, {why}; press Play to go on")})
        self._broadcast(self._state_event())
        self._dirty = True

    def _clear_phases(self) -> None:
        if self.phase_events:
            with self.lock:
                self.phase_events = []

    def _train_chunk(self) -> None:
        start = time.perf_counter()
        # end the chunk at the next frame's due time, so frames keep their rate
        due = self._last_frame + 1.0 / self.settings.fps
        end = start + self.gate.chunk_seconds()
        if due > start + 0.0005:
            end = min(end, due)
        now = start
        while now < end:
            left = end - now
            k = max(1, min(1000, int(left / self._per_step / 2)))
            if self._pending_steps > 0:
                n = min(k, self._pending_steps)
            elif not self.running:
                break
            elif self.speed is not None:
                allowed = math.floor((now - self._cap_t0) * self.speed) + 1 - self._cap_done
                if allowed > max(1.0, self.speed * 0.1):  # fell behind: forget the backlog
                    self._cap_t0 = now - self._cap_done / self.speed
                    allowed = 1
                n = min(k, int(allowed))
                if n <= 0:
                    break
            else:
                n = k
            if self._pending_steps <= 0 and self.until is not None:
                n = min(n, self.until - self._lead.step_count)
                if n <= 0:
                    self._until_reached()
                    break
            t = time.perf_counter()
            done = self._steps(n)
            now = time.perf_counter()
            if done:
                self._per_step = 0.7 * self._per_step + 0.3 * (now - t) / done
                self._dirty = True
                self._clear_phases()  # a new step: the last walked one is over
            if self._pending_steps > 0:
                self._pending_steps -= n
                if self._pending_steps <= 0 or self._is_diverged():
                    self._pending_steps = 0
                    self._finish_pending()
            elif self.running and self.speed is not None:
                self._cap_done += done
            if self._is_diverged():
                self._on_diverged()
                break
            if self.running and self.until is not None and \
                    self._lead.step_count >= self.until:
                self._until_reached()
                break
        lead = self._lead
        with self.lock:
            self.step, self.epoch = lead.step_count, lead.epoch

    def _finish_pending(self) -> None:
        acks, self._pending_acks = self._pending_acks, []
        for cmd in acks:
            self._ack(cmd)
        self._broadcast(self._state_event())

    def _on_diverged(self) -> None:
        d = self._diverged_report() or {}
        self.running = False
        self._pending_steps = 0
        self._publish_state()
        self._broadcast({"type": "diverged", "step": d.get("step"),
                         "quantity": d.get("quantity"), "message": d.get("message")})
        self._broadcast(self._state_event())
        self._dirty = True

    # -------------------------------------------------------------- publishing
    def _publish_state(self) -> None:
        tr, lead = self.trainer, self._lead
        report = self._diverged_report()
        race_info = frames.clean(self._race_description())
        with self.lock:
            self.config = dict(self.race.config if self.race is not None else tr.config)
            self.info = trainer_info(tr)
            self.race_info = race_info
            self.step, self.epoch = lead.step_count, lead.epoch
            self.diverged = frames.clean(report) if report else None

    def _rebuilt(self, data: bool) -> None:
        """After a new network or new data: the history restarts; new data gets a data frame."""
        tr = self.trainer
        self._publish_state()
        if data:
            payload = frames.encode({"kind": "data", "data_version": self.data_version + 1},
                                    tr.data_arrays())
            with self.lock:
                self.data_version += 1
                self.data_payload = payload
        self._restart_history()

    def _restart_history(self) -> None:
        """(reset, rebuilds) The history starts again; the last walked step is forgotten."""
        with self.lock:
            self.rows = []
            self.gen += 1
            self.phase_events = []
        self._dropped = self.trainer.history_dropped
        if self.race is not None:
            self._race_counts = [0] * len(self.race.runners)
            self._race_dropped = [tr.history_dropped for tr in self.race.trainers]
        self._dirty = True

    def _sync_race_history(self) -> None:
        """Mirror every runner's history into ``rows``: [runner, step, ...] in order of step,
        then runner."""
        assert self.race is not None
        trainers = self.race.trainers
        dropped = [tr.history_dropped for tr in trainers]
        lengths = [len(tr.history["step"]) for tr in trainers]
        restart = dropped != self._race_dropped or any(
            n < c for n, c in zip(lengths, self._race_counts, strict=True))
        start = [0] * len(trainers) if restart else self._race_counts
        new = []
        for k, tr in enumerate(trainers):
            h = tr.history
            for i in range(start[k], lengths[k]):
                new.append(_row([h["step"][i], k, *(h[key][i] for key in HISTORY_KEYS[1:])]))
        new.sort(key=lambda r: (r[0], r[1]))
        for r in new:  # step first for sorting; the wire has runner first
            r[0], r[1] = r[1], int(r[0])
        with self.lock:
            if restart:
                self.rows = new
                self.gen += 1
            else:
                self.rows.extend(new)
        self._race_counts, self._race_dropped = lengths, dropped

    def _sync_history(self) -> None:
        """Mirror the trainer's history (which may thin itself) into ``rows``."""
        if self.race is not None:
            self._sync_race_history()
            return
        h = self.trainer.history
        n = len(h["step"])
        with self.lock:
            if self.trainer.history_dropped != self._dropped or n < len(self.rows):
                self.rows = [_row(r) for r in zip(*(h[k] for k in HISTORY_KEYS), strict=True)]
                self.gen += 1
                self._dropped = self.trainer.history_dropped
            else:
                for i in range(len(self.rows), n):
                    self.rows.append(_row([h[k][i] for k in HISTORY_KEYS]))

    def _publish_frame(self) -> None:
        """Evaluate, snapshot and encode once; the frame replaces the latest one."""
        tr = self.trainer
        self._dirty = False
        now, period = time.perf_counter(), 1.0 / self.settings.fps
        # keep to the schedule (a late frame does not push every later one back), unless the
        # session was idle or fell far behind
        late = now - self._last_frame - period
        self._last_frame = now - late if 0 <= late < period else now
        # mid-step (phase by phase) is fine: evaluate and snapshot keep the step's caches
        extra: dict[str, Any] = {}
        if self.race is not None:
            metrics = self.race.evaluate()
            m = metrics[0]
        else:
            m = tr.evaluate()
        self._sync_history()
        snap = tr.snapshot(self.settings.grid_output, self.settings.grid_neurons)
        arrays, ranges = frames.quantize_snapshot(snap["arrays"], tr.output)
        if self.race is not None:
            extra = self._race_frame(snap, metrics, arrays, ranges)
        lead = self._lead
        with self.lock:
            gen = self.gen
            start = self._frame_hist_end if self._frame_gen == gen else 0
            start = min(start, len(self.rows))
            points = self.rows[start:]
            self._frame_hist_end, self._frame_gen = len(self.rows), gen
            data_version = self.data_version
        self._seq += 1
        header = {
            "kind": "frame", "seq": self._seq, "step": lead.step_count, "epoch": lead.epoch,
            "metrics": {k: m[k] for k in ("train_loss", "test_loss", "train_acc", "test_acc")},
            "history_from": start, "history_gen": gen, "points": points,
            "running": self.running, "diverged": self._is_diverged(), **extra,
        }
        payload = frames.encode(header, arrays, ranges)
        frame = Frame(self._seq, gen, start, len(points), data_version, payload)
        with self.lock:
            self.latest = frame
            self.step, self.epoch = lead.step_count, lead.epoch
            conns = list(self.conns)
            self._unsent = len(conns)
            self._sent.clear()
        for c in conns:
            c.notify_threadsafe()

    def _race_frame(self, snap0: Mapping[str, Any], metrics: list[dict[str, Any]],
                    arrays: dict[str, Any], ranges: dict[str, list[float]]) -> dict[str, Any]:
        """Add each runner's arrays (r{k}.grid_output, r{k}.grad_norm, r{k}.test_pred,
        r{k}.confusion) to ``arrays``; return the header fields ``runners``, ``winner`` and
        ``target``."""
        race = self.race
        assert race is not None
        runners = []
        target = race.target
        for k, (r, m) in enumerate(zip(race.runners, metrics, strict=True)):
            tr = r.trainer
            if k == 0:
                snap = snap0
            else:
                with np.errstate(over="ignore", invalid="ignore"):
                    snap = tr.snapshot(self.settings.grid_output, neuron_grid=None)
            for name in ("grid_output", "grad_norm", "test_pred", "confusion"):
                a = snap["arrays"].get(name)
                if a is None:
                    continue
                if name == "grid_output":
                    lo_hi = (0.0, 1.0) if tr.output in ("sigmoid", "softmax") else (None, None)
                    a, ranges[f"r{k}.{name}"] = frames.quantize(a, *lo_hi)
                arrays[f"r{k}.{name}"] = a
            hit = r.reached(target)
            runners.append({
                "label": r.label, "step": tr.step_count, "epoch": tr.epoch,
                "seconds": tr.train_seconds,
                "metrics": {key: m[key] for key in ("train_loss", "test_loss", "train_acc",
                                                    "test_acc")},
                "reached": None if hit is None else {"step": hit[0], "seconds": hit[1]},
                "diverged": tr.diverged,
            })
        return {"runners": runners, "winner": race.winner(), "target": target}

    # ---------------------------------------------------------------- commands
    def _apply(self, cmd: Command) -> None:
        try:
            if cmd.type == "call":
                assert cmd.fn is not None and cmd.future is not None
                try:
                    cmd.future.set_result(cmd.fn(self))
                except Exception as exc:  # noqa: BLE001 - handed to the caller
                    cmd.future.set_exception(exc)
                return
            if self.race is not None and cmd.type not in RACE_COMMANDS:
                raise CommandError(f"{cmd.type}: not available in a race session; a race takes "
                                   + ", ".join(sorted(RACE_COMMANDS - {"call"})))
            handler = getattr(self, f"_cmd_{cmd.type}")
            handler(cmd)
        except cfgmod.ConfigError as exc:
            errors = short_errors([e.to_dict() for e in exc.errors])
            self._error(cmd, short(str(exc), 400), field=errors[0]["field"],
                        value=errors[0]["value"], errors=errors)
        except LimitError as exc:
            self._error(cmd, exc.message, field=exc.field, value=short(exc.value))
        except DataError as exc:
            self._error(cmd, exc.message, field=exc.field)
        except CommandError as exc:
            extra = {} if exc.field is None else {"field": exc.field, "value": short(exc.value)}
            self._error(cmd, exc.message, **extra)
        except Exception as exc:  # noqa: BLE001 - one bad command must not stop the session
            log.exception("session %s: command %s failed", self.id, cmd.type)
            self._error(cmd, f"{cmd.type} failed: {type(exc).__name__}: {exc}")

    def _refuse_if_diverged(self) -> None:
        if self._is_diverged():
            raise CommandError("the run diverged and stopped; reset it (or change the learning "
                               "rate, which takes effect after a reset)")

    def _cmd_play(self, cmd: Command) -> None:
        self._refuse_if_diverged()
        if self.error:
            raise CommandError(f"training stopped after an error ({self.error}); reset the run")
        step = self._lead.step_count
        if "until" in cmd.fields:
            until = cmd.fields["until"]
            if until is not None and until <= step:
                raise CommandError(f"until: {until:,} is not ahead of the run, which is at step "
                                   f"{step:,}; give a step count above {step:,}, or null for "
                                   "no limit", "until", until)
            self._set_until(until, "play")
        elif self.until is not None and self.until <= step:
            self._set_until(None)  # passed by step or epoch while paused: play on without it
        if not self.running:
            self.running = True
            self._cap_t0, self._cap_done = time.perf_counter(), 0
        self._ack(cmd)
        self._broadcast(self._state_event())

    def _cmd_pause(self, cmd: Command) -> None:
        self.running = False
        self._ack(cmd)
        self._broadcast(self._state_event())
        self._dirty = True

    def _cmd_speed(self, cmd: Command) -> None:
        self.speed = cmd.fields.get("steps_per_second")
        self._cap_t0, self._cap_done = time.perf_counter(), 0
        self._ack(cmd)
        self._broadcast(self._state_event())

    def _cmd_step(self, cmd: Command) -> None:
        self._refuse_if_diverged()
        self.running = False
        self._pending_steps += int(cmd.fields.get("n", 1))
        self._pending_steps = min(self._pending_steps, MAX_STEPS_PER_COMMAND)
        self._pending_acks.append(cmd)

    def _cmd_epoch(self, cmd: Command) -> None:
        self._refuse_if_diverged()
        self.running = False
        if self.race is not None:
            self.race.train_epoch()
            self._runner_divergence()
        else:
            self.trainer.train_epoch()
        self._clear_phases()
        self._dirty = True
        if self._is_diverged():
            self._on_diverged()
        self._ack(cmd)
        self._broadcast(self._state_event())

    def _cmd_phase(self, cmd: Command) -> None:
        self._refuse_if_diverged()
        self.running = False
        result = self.trainer.step_phase()
        event = frames.clean({"type": "phase", **result})
        with self.lock:
            self.phase_event = event if self.trainer.phase is not None else None
            if result.get("phase") == "forward":  # a new step: the last one is over
                self.phase_events = [event]
            elif result.get("phase") is not None:
                self.phase_events = [*self.phase_events, event]
        self._ack(cmd)
        self._broadcast(event)
        self._dirty = True
        if self.trainer.diverged:
            self._on_diverged()

    def _cmd_reset(self, cmd: Command) -> None:
        if self.race is not None:
            self.race.reset()
            self._diverged_runners = set()
        else:
            self.trainer.reset()
        self.error = None
        self._restart_history()
        self._publish_state()
        self._ack(cmd)
        self._broadcast(self._state_event())

    def _cmd_new_seed(self, cmd: Command) -> None:
        self._change(cmd, lambda tr: tr.new_seed(), ["seed"])

    def _cmd_regenerate(self, cmd: Command) -> None:
        self._change(cmd, lambda tr: tr.regenerate(), ["data_seed"])

    def _cmd_set(self, cmd: Command) -> None:
        changes = cmd.fields["config"]
        if self.race is not None:
            self._race_set(cmd, changes)
            return
        tr = self.trainer
        new = cfgmod.validate(changes, base=tr.config)
        check_limits(new, self.settings, tr.csv,
                     changed=[k for k in changes if new[k] != tr.config[k]])
        self._change(cmd, lambda t: t.set(changes), None)

    def _change(self, cmd: Command, fn: Callable[[Trainer], Any], changed: list[str] | None
                ) -> None:
        tr = self.trainer
        result = fn(tr)
        if result is None:  # new_seed / regenerate
            rebuilt = "data" if changed == ["data_seed"] else "network"
            result = {"rebuilt": rebuilt, "changed": changed}
        rebuilt = result.get("rebuilt")
        self.error = None if rebuilt else self.error
        if rebuilt:
            self._rebuilt(data=rebuilt == "data")
        else:
            self._publish_state()
            self._dirty = True
        self._ack(cmd)
        self._broadcast(self._config_event(result["changed"], rebuilt))
        if rebuilt:
            what = "new data and a new network" if rebuilt == "data" else "a new network"
            self._broadcast({"type": "notice", "message": (
                f"changing {', '.join(result['changed'])} rebuilt the run: {what}, "
                "starting again from step 0")})
            self._broadcast(self._state_event())

    def _layer(self, cmd: Command) -> int:
        i = cmd.fields["layer"]
        n = len(self.trainer.net.layers)
        if not 0 <= i < n:
            raise CommandError(f"layer: {i} does not exist; this network has layers 0..{n - 1}",
                               "layer", i)
        return int(i)

    def _cmd_set_weight(self, cmd: Command) -> None:
        if self.running:
            raise CommandError("pause the run before editing a weight")
        i = self._layer(cmd)
        layer = self.trainer.net.layers[i]
        f = cmd.fields
        row = f["row"]
        if not 0 <= row < layer.n_out:
            raise CommandError(f"row: {row} does not exist; layer {i} has rows "
                               f"0..{layer.n_out - 1}", "row", row)
        if f.get("bias"):
            layer.b[row] = f["value"]
        else:
            col = f.get("col")
            if not isinstance(col, int) or not 0 <= col < layer.n_in:
                raise CommandError(f"col: {col!r} does not exist; layer {i} has columns "
                                   f"0..{layer.n_in - 1}", "col", col)
            layer.W[row, col] = f["value"]
        self._dirty = True
        self._ack(cmd)

    def _cmd_freeze(self, cmd: Command) -> None:
        i = self._layer(cmd)
        net = self.trainer.net
        if cmd.fields["frozen"]:
            net.freeze(i)
        else:
            net.unfreeze(i)
        self._publish_state()
        self._dirty = True
        self._ack(cmd)
        self._broadcast(self._config_event(["frozen"], None))

    # ------------------------------------------------------------ HTTP helpers
    def _check_every(self) -> int:
        """Steps between two judgements of a race's runners (kept when the race is rebuilt)."""
        return self.race.check_every if self.race is not None else CHECK_EVERY

    def _race_spec(self) -> dict[str, Any] | None:
        if self.race is None:
            return None
        return {"runners": self.race.specs, "target": self.race.target}

    def _replace_run(self, trainer: Trainer, race: Race | None) -> None:
        """A new run (new data, new network): paused, history restarted."""
        self._set_run(trainer, race)
        self.running = False
        self._pending_steps = 0
        self._set_until(None)
        self.error = None
        with self.lock:
            self.phase_event = None
        self._rebuilt(data=True)

    def load_csv(self, csv: CsvData) -> dict[str, Any]:
        """(worker thread) Train on an uploaded CSV file from now on: a new run."""
        cfg = dict(self.race.config if self.race is not None else self.trainer.config)
        cfg.update(data="csv", output="auto", loss="auto", train_per_class=None)
        trainer, race = build_run(cfgmod.validate(cfg), self._race_spec(),
                                  self.settings, csv=csv,
                                  model_file=self.trainer.model_file,
                                  check_every=self._check_every())
        self._start_uploaded_run(trainer, race, "data", (
            f"now training on the uploaded CSV file: {len(csv.y)} rows, "
            f"{csv.X.shape[1]} input columns"))
        return {"config": self.config, "rows": int(len(csv.y)),
                "features": list(csv.feature_names), "classes": list(csv.class_names),
                "task": csv.task}

    def _start_uploaded_run(self, trainer: Trainer, race: Race | None, field: str,
                            notice: str) -> None:
        """Swap in the run an upload built (no lesson any more) and tell every client."""
        self._replace_run(trainer, race)
        with self.lock:
            self.lesson = None
        self._broadcast(self._config_event([field], "data"))
        self._broadcast({"type": "notice", "message": notice})
        self._broadcast(self._state_event())

    def load_model(self, raw: bytes) -> dict[str, Any]:
        """(worker thread) Start from an uploaded safetensors model from now on: a new run
        (``"model": "upload"``; its own layer count, so ``freeze`` starts from the model's).
        Raises ConfigError or LimitError and keeps the current run when the file does not
        fit."""
        cfg = dict(self.race.config if self.race is not None else self.trainer.config)
        cfg.update(model="upload", freeze=[])
        trainer, race = build_run(cfgmod.validate(cfg), self._race_spec(), self.settings,
                                  csv=self.trainer.csv, model_file=raw, check=False,
                                  check_every=self._check_every())
        check_built(race.trainers if race else [trainer], self.settings, "model", "upload")
        self._start_uploaded_run(trainer, race, "model", (
            f"now starting from the uploaded model: layers {trainer.net.sizes}"
            + (", output layer replaced" if trainer.head and trainer.head["replaced"] else "")))
        return {"config": self.config, "info": self.info, "head": frames.clean(trainer.head)}

    # ------------------------------------------------------------ new commands
    def _race_set(self, cmd: Command, changes: Mapping[str, Any]) -> None:
        """``set`` in a race: shared fields go to every runner; a field a runner sets itself
        is refused."""
        race = self.race
        assert race is not None
        own = sorted({k for spec in race.specs for k in spec if k in RUNNER_FIELDS}
                     & set(changes))
        if own:
            f = own[0]
            raise CommandError(f"{f}: in this race the runners set their own {f}; set only "
                               "fields they share (or start a new race)", f, changes[f])
        base = cfgmod.validate(changes, base=race.config)
        changed = [k for k in changes if base[k] != race.config[k]]
        check_limits(base, self.settings, self.trainer.csv, changed=changed,
                     runners=len(race.trainers))
        if all(k in cfgmod.LIVE_FIELDS for k in changed):
            for tr in race.trainers:  # every runner must take it before any does
                cfgmod.validate(changes, base=tr.config)
            done: list[tuple[Trainer, dict[str, Any]]] = []
            try:
                for tr in race.trainers:
                    old = {k: tr.config[k] for k in changes}
                    tr.set(changes)
                    done.append((tr, old))
            except Exception:
                for tr, old in done:
                    tr.set(old)
                raise
            race.config = base
            self._publish_state()
            self._dirty = True
            self._ack(cmd)
            self._broadcast(self._config_event(changed, None))
            return
        _, new = build_run(base, self._race_spec(), self.settings, changed=changed,
                           csv=self.trainer.csv, model_file=self.trainer.model_file,
                           check_every=self._check_every())
        assert new is not None
        data = any(k in DATA_FIELDS for k in changed)
        self._set_run(new.trainers[0], new)
        self.error = None
        with self.lock:
            self.phase_event = None
        self._rebuilt(data=data)
        rebuilt = "data" if data else "network"
        self._ack(cmd)
        self._broadcast(self._config_event(changed, rebuilt))
        self._broadcast({"type": "notice", "message": (
            f"changing {', '.join(changed)} rebuilt the race: every runner starts again from "
            "step 0")})
        self._broadcast(self._state_event())

    def _cmd_race_target(self, cmd: Command) -> None:
        if self.race is None:
            raise CommandError("race_target: this session is not a race")
        self.race.target = cmd.fields["target"]
        self._publish_state()
        self._dirty = True
        self._ack(cmd)
        self._broadcast(self._config_event(["target"], None))

    def _cmd_predict(self, cmd: Command) -> None:
        k = cmd.fields.get("runner", 0)
        trainers = self.race.trainers if self.race is not None else [self.trainer]
        if not 0 <= k < len(trainers):
            raise CommandError(f"runner: {k} does not exist; this session has runners "
                               f"0..{len(trainers) - 1}", "runner", k)
        result = trainers[k].explain(cmd.fields["raw"])
        self._reply(cmd, {"type": "prediction", "id": cmd.fields.get("id"), **result})

    def _cmd_lesson(self, cmd: Command) -> None:
        name, variant = cmd.fields["name"], cmd.fields.get("variant")
        if name not in lessons.LESSONS:
            raise CommandError(f"name: {name!r} is not a lesson; allowed: "
                               + ", ".join(lessons.LESSONS), "name", name)
        d = lessons.lesson(name)
        race: dict[str, Any] | None = None
        every = CHECK_EVERY
        if "race" in d:
            if variant is not None:
                raise CommandError(f"variant: lesson {name!r} is a race; it has no variants "
                                   "(send null)", "variant", variant)
            cfg = cfgmod.validate(d["config"])
            race = {"runners": d["race"]["runners"],
                    "target": {"metric": "train_loss", "value": d["race"]["target_loss"]}}
            every = d["race"].get("evaluate_every", CHECK_EVERY)
        else:
            runs = lessons.runs(name)
            names = [r["name"] for r in runs] if d.get("variants") else []
            if variant is None:
                run = runs[0]
                variant = names[0] if names else None
            elif variant in names:
                run = runs[names.index(variant)]
            else:
                allowed = ("allowed: " + ", ".join(names)) if names else \
                    "this lesson has no variants (send null)"
                raise CommandError(f"variant: {variant!r} is not a variant of lesson {name!r}; "
                                   + allowed, "variant", variant)
            cfg = run["config"]
        old = dict(self.config)
        trainer, new_race = build_run(cfg, race, self.settings, check_every=every)
        self._replace_run(trainer, new_race)
        self._set_until(int(d["steps"]), "lesson")  # the next play stops where the claim is
        with self.lock:
            self.lesson = {"name": name, "variant": variant}
        changed = [k for k in self.config if self.config[k] != old.get(k)]
        self._ack(cmd)
        self._broadcast({"type": "lesson", "name": name, "variant": variant})
        self._broadcast(self._config_event(changed, "data"))
        self._broadcast(self._state_event())


# ------------------------------------------------------------------------ manager
@dataclass
class SessionManager:
    settings: Settings
    sessions: dict[str, Session] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.gate = Gate(self.settings.training_slots)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.sessions)

    def get(self, session_id: str) -> Session | None:
        return self.sessions.get(session_id)

    def create(self, config: Mapping[str, Any], race: Mapping[str, Any] | None = None
               ) -> Session:
        """Validate, check the limits, build the run (a race when ``race`` gives runners) and
        start its worker (call off the event loop: building a run costs a few milliseconds).
        Raises ConfigError or LimitError."""
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
        session.start()
        return session

    def _full(self) -> LimitError:
        n = len(self.sessions)
        return LimitError("sessions", n, f"the server already runs {n} sessions, its limit, and "
                          "every one has a client connected; try again when one ends",
                          status=503)

    def _evict_locked(self) -> Session:
        """(holding ``_lock``) Take out the session that has had no client for the longest
        time; LimitError (503) when every session has a client."""
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
            s.close()
        deadline = time.monotonic() + timeout
        for s in sessions:
            if s.thread.is_alive():
                s.thread.join(max(0.0, deadline - time.monotonic()))
