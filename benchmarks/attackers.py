"""The attackers and the bystander: websocket clients and floods against a real server, used
by benchmarks/attack.py and by the attack tests (tests/security/).

- ``Watcher``: a client that reads everything (frames counted with their time, events kept),
  sends commands and waits for their answers;
- ``StuckReader``: a viewer that completes the handshake and then never reads a byte;
- ``phase_burst``, ``set_flood``: the floods; ``playing_bystander``: the session they hurt.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

BIG_DIGITS = {"data": "digits", "layers": [256, 256]}
BYSTANDER = {"preset": "spiral"}


# ------------------------------------------------------------------------ the server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def http(base: str, **kw: Any) -> httpx.Client:
    return httpx.Client(base_url=base, timeout=30, trust_env=False, **kw)


def create(base: str, body: dict[str, Any], **kw: Any) -> dict[str, Any]:
    with http(base, **kw) as h:
        r = h.post("/api/sessions", json=body)
    if r.status_code != 201:
        raise RuntimeError(f"creating a session answered {r.status_code}: {r.text[:300]}")
    return r.json()


# ----------------------------------------------------------------------- the clients
def open_socket(base: str, sid: str, token: str | None = None) -> ClientConnection:
    url = "ws" + base[4:] + f"/ws/{sid}" + (f"?token={token}" if token else "")
    return connect(url, max_size=None, proxy=None, open_timeout=15, close_timeout=2,
                   compression=None)


class Watcher:
    """A client that reads everything: frames are counted with their arrival time, JSON
    events are kept; ``send`` a command, ``wait`` for an event."""

    def __init__(self, base: str, sid: str, token: str | None = None) -> None:
        self.ws = open_socket(base, sid, token)
        self.frames: list[float] = []
        self.events: list[dict[str, Any]] = []
        self.header: dict[str, Any] = {}  # the newest frame's header (step, metrics)
        self.closed: int | None = None
        self._ids = itertools.count(1)
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for message in self.ws:
                with self._cond:
                    if isinstance(message, bytes):
                        size = int.from_bytes(message[:4], "little")
                        header = json.loads(message[4:4 + size])
                        if header.get("kind", "frame") == "frame":
                            self.frames.append(time.monotonic())
                            self.header = header
                    else:
                        self.events.append(json.loads(message))
                    self._cond.notify_all()
        except (ConnectionClosed, OSError) as exc:
            rcvd = getattr(exc, "rcvd", None)
            self.closed = rcvd.code if rcvd is not None else -1
        with self._cond:
            self.closed = self.closed if self.closed is not None else 1000
            self._cond.notify_all()

    def send(self, type_: str, **fields: Any) -> int:
        """Send a command with a fresh id; returns the id."""
        cmd_id = next(self._ids)
        self.ws.send(json.dumps({"type": type_, "id": cmd_id, **fields}))
        return cmd_id

    def wait(self, match: Callable[[dict[str, Any]], bool], timeout: float
             ) -> dict[str, Any] | None:
        """The first event (from the start) that matches, waiting up to ``timeout``; None."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for e in self.events:
                    if match(e):
                        return e
                left = deadline - time.monotonic()
                if left <= 0 or self.closed is not None:
                    return None
                self._cond.wait(left)

    def reply(self, cmd_id: int, timeout: float) -> dict[str, Any] | None:
        """The ``ack`` or ``error`` answering command ``cmd_id``, or None."""
        return self.wait(lambda e: e.get("id") == cmd_id and e.get("type") in ("ack", "error"),
                         timeout)

    def step_ack_seconds(self, timeout: float) -> float:
        """Seconds until one ``step`` is acknowledged (``timeout`` when it is not)."""
        t0 = time.monotonic()
        got = self.reply(self.send("step", n=1), timeout)
        return time.monotonic() - t0 if got is not None and got["type"] == "ack" else timeout

    def fps(self, since: float, until: float | None = None) -> float:
        until = until if until is not None else time.monotonic()
        with self._cond:
            n = sum(1 for t in self.frames if since <= t <= until)
        return n / max(1e-9, until - since)

    def close(self) -> None:
        self.ws.close()
        self._thread.join(timeout=5)


class StuckReader:
    """A websocket viewer that completes the handshake and then never reads a byte."""

    def __init__(self, base: str, sid: str) -> None:
        host, port = base.split("//", 1)[1].split(":")
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect((host, int(port)))
        self.sock.sendall((f"GET /ws/{sid} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise RuntimeError("the server closed the connection during the handshake")
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise RuntimeError(f"handshake refused: {head[:200]!r}")

    def close(self) -> None:
        self.sock.close()


# ------------------------------------------------------------------------ the floods
def phase_burst(ws: Watcher, count: int = 300, seconds: float = 3.4) -> None:
    """``count`` phase commands spread evenly over ``seconds`` on a controller."""
    t0 = time.monotonic()
    for i in range(count):
        ws.send("phase")
        delay = t0 + (i + 1) * seconds / count - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def set_flood(base: str, sid: str, token: str, connections: int = 5, rate: float = 120,
              seconds: float = 4) -> int:
    """``connections`` controllers each sending ``rate`` rebuilding sets a second (the number
    of samples alternates, so the data are made again) for ``seconds``. Returns the commands
    sent."""
    sent = [0] * connections

    def flood(k: int) -> None:
        w = Watcher(base, sid, token)
        try:
            t0 = time.monotonic()
            for i in itertools.count():
                if time.monotonic() - t0 >= seconds:
                    break
                w.send("set", config={"samples": 600 + 100 * ((i + k) % 2)})
                sent[k] += 1
                delay = t0 + (i + 1) / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
        finally:
            w.close()

    threads = [threading.Thread(target=flood, args=(k,)) for k in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(sent)


def playing_bystander(base: str) -> tuple[Watcher, Watcher]:
    """The spiral preset playing, watched by its controller, and a paused session whose
    controller asks for single steps: (frames watcher, step watcher)."""
    s = create(base, BYSTANDER)
    player = Watcher(base, s["id"], s["token"])
    player.send("play")
    t = create(base, BYSTANDER)
    stepper = Watcher(base, t["id"], t["token"])
    if player.wait(lambda e: e.get("type") == "hello", 10) is None or \
            stepper.wait(lambda e: e.get("type") == "hello", 10) is None:
        raise RuntimeError("the bystander got no hello")
    return player, stepper
