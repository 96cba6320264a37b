"""HTTP request limits, applied before a body is read.

``BodyLimit`` is a small ASGI middleware: a request whose Content-Length is over the limit of
its route answers 413 at once (the body is never received); a body sent in chunks is counted
as it arrives and refused with 413 once it passes the limit. Uploads
(``POST /api/sessions/{id}/csv`` and ``/model``) are allowed ``max_upload_bytes`` plus the
multipart framing, and their control token is checked before a byte of the file is read;
every other body is allowed ``max_message_bytes``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import short, short_errors

__all__ = ["MULTIPART_SLACK", "UPLOAD_PATH", "BodyLimit", "short", "short_errors"]

UPLOAD_PATH = re.compile(r"^/api/sessions/([^/]+)/(csv|model)$")
MULTIPART_SLACK = 16 * 1024
"""Bytes allowed beyond ``max_upload_bytes`` for the multipart boundaries and part headers."""


class BodyLimit:
    """Refuse HTTP bodies over their route's limit before reading them (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        settings = state.settings
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        upload = UPLOAD_PATH.match(scope.get("path", ""))
        if upload and scope.get("method") == "POST":
            limit = settings.max_upload_bytes + MULTIPART_SLACK
            refusal = _check_token(state.manager, upload.group(1), headers.get("x-control-token"))
            if refusal is not None:
                await _answer(send, *refusal)
                return
            what = (f"the upload is larger than {settings.max_upload_bytes:,} bytes, this "
                    "server's upload limit")
        else:
            limit = settings.max_message_bytes
            what = (f"the request body is larger than {limit:,} bytes, this server's limit for "
                    "a request that is not an upload")
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                await _answer(send, 400, f"Content-Length {short(length, 20)!r} is not a "
                                         "number of bytes")
                return
            if int(length) > limit:
                await _answer(send, 413, what)
                return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, what)
            return message

        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, sending)
        except HTTPException as exc:  # raised by ``counted`` outside a route's own handling
            if exc.status_code != 413 or started:
                raise
            await _answer(send, 413, str(exc.detail))


def _check_token(manager: Any, session_id: str, token: str | None) -> tuple[int, str] | None:
    """(status, message) refusing an upload before its body is read, or None."""
    session = manager.get(session_id)
    if session is None:
        return 404, f"session {short(session_id, 40)!r} does not exist (it may have ended)"
    if token is None:
        return 403, "this needs the session's control token in the X-Control-Token header"
    if not session.check_token(token):
        return 403, "the control token is wrong for this session"
    return None


async def _answer(send: Send, status: int, message: str) -> None:
    body = json.dumps({"detail": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
