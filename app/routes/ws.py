"""The websocket: commands in (JSON text), events (JSON text) and frames (binary) out."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import time
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse

from .. import frames
from ..commands import COMMANDS
from ..commands.models import check
from ..connection import Command, Connection
from ..errors import AppError, short
from ..session import Session

router = APIRouter()
log = logging.getLogger("app.ws")

REPLIES = ("ack", "error", "pong", "phase", "notice", "prediction")
MAX_DEPTH = 32
"""Deepest nesting of arrays and objects a command may have."""
CLOSE_SESSION_ENDED = 4410
CLOSE_TOO_SLOW = 4408


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


async def _deny(websocket: WebSocket, status: int, code: str, message: str,
                **fields: Any) -> None:
    """Refuse the handshake with an HTTP status and a JSON body {"detail", "code"}: a denial
    response where the server supports one, else a close before accepting (which servers
    answer 403)."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        _denied.set(True)
        body = {"detail": message, "code": code, **fields}
        await websocket.send_denial_response(JSONResponse(body, status))
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
        await _deny(websocket, 404, "session_not_found",
                    f"session {short(session_id, 40)!r} does not exist (it may have ended)")
        return
    role = "viewer"
    if token is not None:
        if not session.check_token(token):
            await _deny(websocket, 403, "wrong_token",
                        "the control token is wrong for this session")
            return
        role = "control"
    if session.viewers >= settings.max_viewers:
        await _deny(websocket, 503, "too_many_clients",
                    f"this session already has {settings.max_viewers} clients, its limit",
                    limit=settings.max_viewers)
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
                conn.post(frames.dumps(AppError(
                    "binary_message", "commands are JSON text messages, not binary").event()),
                    "error")
                continue
            try:
                _handle(text, conn, session, settings, bucket)
            except Exception:  # noqa: BLE001 - one bad message must not end the connection
                log.exception("session %s: a websocket message could not be handled",
                              session.id)
                conn.post(frames.dumps(AppError(
                    "message_failed", "the server could not handle this message; it was "
                    "dropped").event()), "error")
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
    """One text message: checked (size, rate, JSON, depth), looked up in the command table,
    checked against the sender's role and the command's fields, then answered at once or
    queued for the worker. A refusal is an ``error`` event for this client."""
    cmd_id: Any = None
    ctype: Any = None
    try:
        size = len(text.encode())
        if size > settings.max_message_bytes:
            raise AppError("message_too_large", f"the message is {size:,} bytes; commands may "
                           f"be at most {settings.max_message_bytes:,}", size=size,
                           limit=settings.max_message_bytes)
        if not bucket.take():
            raise AppError("rate_limited", f"too many commands: at most "
                           f"{settings.commands_per_second:g} a second; this one was dropped",
                           limit=settings.commands_per_second)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AppError("bad_json", f"the message is not JSON: {exc.msg} at position "
                           f"{exc.pos}", position=exc.pos) from exc
        except RecursionError as exc:
            raise _too_deep() from exc
        except ValueError as exc:  # e.g. a number of more digits than Python converts
            raise AppError("bad_json", f"the message is not JSON this server reads: "
                           f"{short(str(exc), 120)}", position=None) from exc
        if _depth(data) > MAX_DEPTH:
            raise _too_deep()
        if not isinstance(data, dict):
            raise AppError("not_an_object", "a command must be a JSON object with a \"type\"")
        cmd_id = data.get("id")
        if not (cmd_id is None or isinstance(cmd_id, str | int | float)):
            cmd_id = None
        ctype = data.get("type")
        spec = COMMANDS.get(ctype) if isinstance(ctype, str) else None
        if spec is None:
            raise AppError("unknown_command", f"type: {ctype!r} is not a command; allowed: "
                           + ", ".join(COMMANDS), "type", ctype, allowed=list(COMMANDS))
        if conn.role not in spec.roles:
            raise AppError("read_only", f"{ctype}: viewers are read-only; only the holder of "
                           "the control token can change the run")
        fields = check(ctype, spec.model, data)
        fields["id"] = cmd_id
        if spec.at_once is not None:
            spec.at_once(conn, session, fields)
        else:
            session.submit(Command(ctype, fields, conn))
    except AppError as exc:
        event = exc.event()
        if ctype is not None:
            event["command"] = short(ctype)
        if cmd_id is not None:
            event["id"] = cmd_id
        conn.post(frames.dumps(event), "error")


def _too_deep() -> AppError:
    return AppError("too_deep", f"the message is nested too deeply; commands may nest at most "
                    f"{MAX_DEPTH} levels of arrays and objects", limit=MAX_DEPTH)


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
