"""One websocket client of a session (event-loop side), and the queued command that reaches
the session's worker thread."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

STOP = object()
"""Put on a session's command queue to stop its worker."""


@dataclass
class Command:
    """A command for the worker: ``type`` and its checked ``fields`` (with the client's
    ``id``), the Connection that sent it, or a ``call``: ``fn(session)`` with its Future."""

    type: str
    fields: dict[str, Any]
    conn: Connection | None = None
    future: Future[Any] | None = None
    fn: Callable[[Any], Any] | None = None


class Connection:
    """One websocket client of a session. Lives on the event loop; the worker reaches it only
    through ``loop.call_soon_threadsafe``."""

    def __init__(self, session: Any, role: str, loop: asyncio.AbstractEventLoop,
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
