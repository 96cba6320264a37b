"""The websocket: commands in (JSON text), events (JSON text) and frames (binary) out."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import math
import time
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse

from .. import frames
from ..sessions import MAX_SPEED, MAX_STEPS_PER_COMMAND, Command, Connection, Session

router = APIRouter()
log = logging.getLogger("app.ws")

CONTROL_COMMANDS = ("play", "pause", "step", "phase", "epoch", "reset", "new_seed",
                    "regenerate", "set", "speed", "set_weight", "freeze", "lesson",
                    "race_target", "presenter")
ANY_ROLE = ("ping", "resync", "predict")
REPLIES = ("ack", "error", "pong", "phase", "notice", "prediction")
MAX_PRESENTER_BYTES = 4096
MAX_PREDICT_ROWS = 64
MAX_UNTIL = 10**9
"""Highest step count a ``play`` may stop at."""
MAX_DEPTH = 32
"""Deepest nesting of arrays and objects a command may have."""
CLOSE_SESSION_ENDED = 4410
CLOSE_TOO_SLOW = 4408


class BadCommand(Exception):
    def __init__(self, message: str, field: str | None = None, value: Any = None) -> None:
        super().__init__(message)
        self.message, self.field, self.value = message, field, value


_denied: contextvars.ContextVar[bool] = contextvars.ContextVar("ws_denied", default=False)
INCOMPLETE_HANDSHAKE = "ASGI callable returned without completing handshake."


class DenialLogFilter(logging.Filter):
    """Drop uvicorn's "returned without completing handshake" error for a connection this
    app refused with an HTTP status. uvicorn's websockets-sansio protocol sends the denial
    response but does not count it as the end of the handshake, so it logs an error for
    every refusal; the mark is a context variable set by ``_deny`` in the same task, so a
    handshake left incomplete for any other reason is still logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (_denied.get() and record.getMessage() == INCOMPLETE_HANDSHAKE)


DENIAL_LOG_FILTER = DenialLogFilter()


async def _deny(websocket: WebSocket, status: int, message: str) -> None:
    """Refuse the handshake with an HTTP status and a JSON body {"detail"}: a denial response
    where the server supports one, else a close before accepting (which servers answer 403)."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        _denied.set(True)
        await websocket.send_denial_response(JSONResponse({"detail": message}, status))
    else:
        await websocket.close(code=4000 + status, reason=message[:120])


@router.websocket("/ws/{session_id}")
async def session_socket(websocket: WebSocket, session_id: str,
                         token: str | None = None) -> None:
    """Viewer without ``token``; controller with ``?token=``. See docs/protocol.md."""
    app = websocket.app
    settings = app.state.settings
    session: Session | None = app.state.manager.get(session_id)
    if session is None:
        await _deny(websocket, 404, f"session {session_id!r} does not exist (it may have ended)")
        return
    role = "viewer"
    if token is not None:
        if not session.check_token(token):
            await _deny(websocket, 403, "the control token is wrong for this session")
            return
        role = "control"
    if session.viewers >= settings.max_viewers:
        await _deny(websocket, 503, f"this session already has {settings.max_viewers} "
                                    "clients, its limit")
        return
    await websocket.accept()
    conn = Connection(session, role, asyncio.get_running_loop())
    session.attach(conn)
    sender = asyncio.create_task(_send_loop(websocket, session, conn))
    bucket = _Bucket(settings.commands_per_second)
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:
                conn.post(frames.dumps({"type": "error", "message":
                                        "commands are JSON text messages, not binary"}),
                          "error")
                continue
            try:
                _handle(text, conn, session, settings, bucket)
            except Exception:  # noqa: BLE001 - one bad message must not end the connection
                log.exception("session %s: a websocket message could not be handled",
                              session.id)
                conn.post(frames.dumps({"type": "error", "message": (
                    "the server could not handle this message; it was dropped")}), "error")
    except (WebSocketDisconnect, RuntimeError):
        pass  # the client went away (receive after a disconnect raises RuntimeError)
    finally:
        session.detach(conn)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender


class _Bucket:
    """Token bucket: ``rate`` commands a second, bursts of up to ``rate``."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = rate
        self.t = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.t) * self.rate)
        self.t = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def _handle(text: str, conn: Connection, session: Session, settings: Any,
            bucket: _Bucket) -> None:
    cmd_id: Any = None
    ctype: Any = None
    try:
        size = len(text.encode())
        if size > settings.max_message_bytes:
            raise BadCommand(f"the message is {size:,} bytes; commands may be at most "
                             f"{settings.max_message_bytes:,}")
        if not bucket.take():
            raise BadCommand(f"too many commands: at most {settings.commands_per_second:g} "
                             "a second; this one was dropped")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadCommand(f"the message is not JSON: {exc.msg} at position {exc.pos}"
                             ) from exc
        except RecursionError as exc:
            raise BadCommand(f"the message is nested too deeply; commands may nest at most "
                             f"{MAX_DEPTH} levels of arrays and objects") from exc
        if _depth(data) > MAX_DEPTH:
            raise BadCommand(f"the message is nested too deeply; commands may nest at most "
                             f"{MAX_DEPTH} levels of arrays and objects")
        if not isinstance(data, dict):
            raise BadCommand("a command must be a JSON object with a \"type\"")
        cmd_id = data.get("id")
        if not (cmd_id is None or isinstance(cmd_id, str | int | float)):
            cmd_id = None
        ctype = data.get("type")
        if ctype == "ping":
            conn.post(frames.dumps({"type": "pong", "id": cmd_id}), "pong")
            return
        if ctype == "resync":
            conn.needs_hello = True
            conn.wake.set()
            return
        if ctype not in CONTROL_COMMANDS + ANY_ROLE:
            raise BadCommand(f"type: {ctype!r} is not a command; allowed: "
                             + ", ".join(CONTROL_COMMANDS + ANY_ROLE), "type", _short(ctype))
        if conn.role != "control" and ctype not in ANY_ROLE:
            raise BadCommand(f"{ctype}: viewers are read-only; only the holder of the control "
                             "token can change the run")
        fields = _check_fields(ctype, data)
        if ctype == "presenter":
            session.set_presenter(fields["state"])
            return
        fields["id"] = cmd_id
        session.submit(Command(ctype, fields, conn))
    except BadCommand as exc:
        event: dict[str, Any] = {"type": "error", "message": exc.message}
        if exc.field is not None:
            event.update(field=exc.field, value=exc.value)
        if ctype is not None:
            event["command"] = _short(ctype)
        if cmd_id is not None:
            event["id"] = cmd_id
        conn.post(frames.dumps(event), "error")


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest in a parsed JSON value (a number or string: 0)."""
    deepest, level = 0, [(value, 1)]
    while level:
        v, d = level.pop()
        if isinstance(v, dict):
            v = list(v.values())
        if isinstance(v, list):
            deepest = max(deepest, d)
            level.extend((item, d + 1) for item in v if isinstance(item, dict | list))
    return deepest


def _short(v: Any) -> Any:
    return v if not isinstance(v, str) or len(v) <= 100 else v[:100] + "…"


def _int(data: dict[str, Any], name: str, lo: int, hi: int, default: int | None = None) -> int:
    v = data.get(name, default)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) \
            or int(v) != v or not lo <= v <= hi:
        raise BadCommand(f"{name}: {_short(v)!r} is not allowed; it must be a whole number "
                         f"from {lo} to {hi}", name, _short(v))
    return int(v)


def _check_fields(ctype: str, data: dict[str, Any]) -> dict[str, Any]:
    """The command's fields, checked for type and range (values that depend on the run, such
    as a layer index or a configuration value, are checked by the session)."""
    if ctype == "step":
        return {"n": _int(data, "n", 1, MAX_STEPS_PER_COMMAND, 1)}
    if ctype == "play":
        if "until" not in data:
            return {}
        if data["until"] is None:
            return {"until": None}
        try:
            return {"until": _int(data, "until", 1, MAX_UNTIL)}
        except BadCommand as exc:
            raise BadCommand(exc.message + " (the step at which to pause), or null for no "
                             "limit", exc.field, exc.value) from None
    if ctype == "set":
        config = data.get("config")
        if not isinstance(config, dict) or not config:
            raise BadCommand("config: set needs \"config\": an object of fields to change, "
                             "e.g. {\"lr\": 0.01}", "config", _short(config))
        return {"config": config}
    if ctype == "speed":
        if "steps_per_second" not in data:
            raise BadCommand("steps_per_second: speed needs \"steps_per_second\": a number "
                             "or null (as fast as it goes)", "steps_per_second", None)
        v = data["steps_per_second"]
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)
                              or not math.isfinite(v) or not 0 < v <= MAX_SPEED):
            raise BadCommand(f"steps_per_second: {_short(v)!r} is not allowed; it must be a "
                             f"number > 0 and ≤ {MAX_SPEED:g}, or null", "steps_per_second",
                             _short(v))
        return {"steps_per_second": None if v is None else float(v)}
    if ctype == "set_weight":
        out: dict[str, Any] = {"layer": _int(data, "layer", 0, 1000),
                               "row": _int(data, "row", 0, 1_000_000)}
        bias = data.get("bias", False)
        if not isinstance(bias, bool):
            raise BadCommand(f"bias: {_short(bias)!r} is not allowed; it must be true or false",
                             "bias", _short(bias))
        out["bias"] = bias
        if not bias:
            out["col"] = _int(data, "col", 0, 1_000_000)
        v = data.get("value")
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) \
                or abs(v) > 1e6:
            raise BadCommand(f"value: {_short(v)!r} is not allowed; it must be a finite number "
                             "within ±1e6", "value", _short(v))
        out["value"] = float(v)
        return out
    if ctype == "freeze":
        frozen = data.get("frozen")
        if not isinstance(frozen, bool):
            raise BadCommand(f"frozen: {_short(frozen)!r} is not allowed; it must be true or "
                             "false", "frozen", _short(frozen))
        return {"layer": _int(data, "layer", 0, 1000), "frozen": frozen}
    if ctype == "predict":
        return _check_predict(data)
    if ctype == "presenter":
        state = data.get("state")
        if not isinstance(state, dict):
            raise BadCommand("state: presenter needs \"state\": a JSON object (the view state "
                             "to share)", "state", _short(state) if not isinstance(
                                 state, list) else None)
        size = len(json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode())
        if size > MAX_PRESENTER_BYTES:
            raise BadCommand(f"state: {size:,} bytes is too large; a presenter state may be at "
                             f"most {MAX_PRESENTER_BYTES:,} bytes of JSON", "state", None)
        return {"state": state}
    if ctype == "lesson":
        name, variant = data.get("name"), data.get("variant")
        if not isinstance(name, str) or not name or len(name) > 100:
            raise BadCommand(f"name: {_short(name)!r} is not allowed; lesson needs \"name\": "
                             "the name of a lesson (GET /api/lessons)", "name", _short(name))
        if variant is not None and (not isinstance(variant, str) or len(variant) > 100):
            raise BadCommand(f"variant: {_short(variant)!r} is not allowed; it must be the name "
                             "of one of the lesson's variants, or null", "variant",
                             _short(variant))
        return {"name": name, "variant": variant}
    if ctype == "race_target":
        target = data.get("target")
        if not isinstance(target, dict):
            raise BadCommand("target: race_target needs \"target\": {\"metric\": ..., "
                             "\"value\": ...}", "target", _short(target))
        return {"target": target}
    return {}


def _check_predict(data: dict[str, Any]) -> dict[str, Any]:
    raw = data.get("raw")
    if not isinstance(raw, list) or not raw or not all(isinstance(r, list) for r in raw):
        raise BadCommand(f"raw: predict needs \"raw\": a list of 1 to {MAX_PREDICT_ROWS} rows, "
                         "each a list of numbers as the data set gives them", "raw", None)
    if len(raw) > MAX_PREDICT_ROWS:
        raise BadCommand(f"raw: {len(raw)} rows is too many; at most {MAX_PREDICT_ROWS} at once",
                         "raw", None)
    for i, row in enumerate(raw):
        for j, v in enumerate(row):
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise BadCommand(f"raw: row {i}, value {j} is {_short(v)!r}; every value must "
                                 "be a finite number", "raw", None)
    out: dict[str, Any] = {"raw": raw}
    if "runner" in data:
        out["runner"] = _int(data, "runner", 0, 3)
    return out


async def _send_loop(websocket: WebSocket, session: Session, conn: Connection) -> None:
    """Send this client its events and the newest frame, skipping frames it had no time for."""
    try:
        while True:
            await conn.wake.wait()
            conn.wake.clear()
            if conn.closed or conn.overflowed:
                await websocket.close(CLOSE_SESSION_ENDED if conn.closed else CLOSE_TOO_SLOW)
                return
            if conn.needs_hello:
                conn.needs_hello = False
                hello = session.hello(conn.role)
                # the hello holds the state those events described; keep the replies
                kept = [e for e in conn.outbox if e[0] in REPLIES]
                conn.outbox.clear()
                conn.outbox.extend(kept)
                await websocket.send_text(frames.dumps(hello))
                while conn.after_hello:
                    await websocket.send_text(conn.after_hello.pop(0))
                conn.gen = hello["history_gen"]
                conn.count = len(hello["history"]["rows"])
                conn.data_version = -1
                conn.last_seq = -1
            while conn.outbox:
                await websocket.send_text(conn.outbox.popleft()[1])
            frame = session.latest
            if frame is None or frame.seq <= conn.last_seq:
                continue
            if frame.data_version != conn.data_version:
                with session.lock:
                    payload, version = session.data_payload, session.data_version
                if version == frame.data_version:
                    await websocket.send_bytes(payload)
                    conn.data_version = version
            gap = _history_gap(session, conn, frame)
            if gap is False:
                continue  # a frame from before a restart; a newer one is coming
            if gap is not None:
                await websocket.send_text(frames.dumps(gap))
            await websocket.send_bytes(frame.payload)
            session.frame_sent(frame.seq)
            conn.last_seq = frame.seq
            conn.count = max(conn.count, frame.history_from + frame.n_points)
            conn.frames_sent += 1
    except (WebSocketDisconnect, RuntimeError, OSError):
        return


def _history_gap(session: Session, conn: Connection, frame: Any) -> dict[str, Any] | None | bool:
    """The ``history`` event this client needs before ``frame``: None if none, False if the
    frame is stale."""
    with session.lock:
        if frame.gen != session.gen:
            return False
        if conn.gen != frame.gen:
            conn.gen, conn.count = frame.gen, frame.history_from
            return {"type": "history", "from": 0, "rows": session.rows[:frame.history_from]}
        if conn.count < frame.history_from:
            start, conn.count = conn.count, frame.history_from
            return {"type": "history", "from": start,
                    "rows": session.rows[start:frame.history_from]}
    return None
