"""Attack benchmark: how a bystander session fares while other clients attack the server.

A real server (``python -m app`` on a free loopback port) and real websocket clients on this
machine. Each scenario runs a bystander (the spiral preset, playing) and measures its frames
per second and how long its ``step`` takes to be acknowledged, and the server's resident
memory before, during and after the attack:

- phase burst: 300 ``phase`` commands in 3.4 s on a digits session with layers [256, 256];
- set flood: 5 controller connections sending ``set`` commands that rebuild the data, 120 a
  second each;
- 200 viewers: 200 websocket viewers of one session, reading;
- 20 slow readers: 20 viewers that never read, on a session sending ``phase`` events.

Prints a table; with ``--write`` the figures replace the "## Under attack" section of
docs/performance.md. The building blocks (Watcher, StuckReader, the floods) are used by the
attack tests in tests/security/.

    .venv/bin/python benchmarks/attack.py [--seconds 4] [--write]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parents[1]
PERF = ROOT / "docs" / "performance.md"
BIG_DIGITS = {"data": "digits", "layers": [256, 256]}
BYSTANDER = {"preset": "spiral"}
ACK_TIMEOUT = 10.0
"""Longest wait for the bystander's step acknowledgement; longer is reported as "none"."""


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


# ------------------------------------------------------------------------ benchmark
def _measure(base: str, pid: int, attack: Callable[[], Callable[[], None]], seconds: float
             ) -> dict[str, float]:
    """Bystander frames/s and step acknowledgement before and during ``attack`` (which
    starts the attack and returns what ends it); server RSS before, during, after."""
    player, stepper = playing_bystander(base)
    time.sleep(1.0)
    t0 = time.monotonic()
    time.sleep(seconds)
    out = {"fps_before": player.fps(t0), "rss_before": rss_mb(pid)}
    stop = attack()
    t1 = time.monotonic()
    acks = [stepper.step_ack_seconds(timeout=ACK_TIMEOUT)]
    time.sleep(max(0.0, seconds - (time.monotonic() - t1)))
    acks.append(stepper.step_ack_seconds(timeout=ACK_TIMEOUT))
    out.update(fps_during=player.fps(t1), ack_during=max(acks), rss_during=rss_mb(pid))
    stop()
    time.sleep(2.0)
    out["rss_after"] = rss_mb(pid)
    player.close()
    stepper.close()
    return out


def scenario_phase_burst(base: str) -> Callable[[], None]:
    s = create(base, {"config": BIG_DIGITS})
    attacker = Watcher(base, s["id"], s["token"])
    t = threading.Thread(target=phase_burst, args=(attacker,))
    t.start()

    def stop() -> None:
        t.join()
        with http(base) as h:
            h.delete(f"/api/sessions/{s['id']}", headers={"X-Control-Token": s["token"]})
        attacker.close()

    return stop


def scenario_set_flood(base: str) -> Callable[[], None]:
    s = create(base, BYSTANDER)
    t = threading.Thread(target=set_flood, args=(base, s["id"], s["token"]))
    t.start()
    return t.join


def scenario_viewers(base: str, n: int = 200) -> Callable[[], None]:
    s = create(base, {"preset": "spiral"})
    ctl = Watcher(base, s["id"], s["token"])
    ctl.send("play")
    viewers = [Watcher(base, s["id"]) for _ in range(n - 1)]

    def stop() -> None:
        for v in viewers:
            v.close()
        ctl.close()

    return stop


def scenario_slow_readers(base: str, n: int = 20) -> Callable[[], None]:
    s = create(base, {"config": {**BIG_DIGITS, "batch_size": 0}})
    ctl = Watcher(base, s["id"], s["token"])
    stuck = [StuckReader(base, s["id"]) for _ in range(n)]
    t = threading.Thread(target=phase_burst, args=(ctl, 120, 4.0))
    t.start()

    def stop() -> None:
        t.join()
        for r in stuck:
            r.close()
        ctl.close()

    return stop


SCENARIOS: dict[str, Callable[[str], Callable[[], None]]] = {
    "phase burst (300 in 3.4 s, digits [256, 256])": scenario_phase_burst,
    "set flood (5 connections × 120/s)": scenario_set_flood,
    "200 viewers of one session": scenario_viewers,
    "20 slow readers, phase events": scenario_slow_readers,
}


def serve() -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "app", "--port", str(port)], cwd=ROOT,
                            env={**os.environ, "BACKPROP_MAX_VIEWERS": "250"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with http(base) as h:
                if h.get("/api/health").status_code == 200:
                    return base, proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def table(results: dict[str, dict[str, float]]) -> str:
    lines = ["| attack | bystander frames/s before → during | step acknowledged within | "
             "server RSS before → during → after (MB) |", "|---|---|---|---|"]
    for name, r in results.items():
        ack = (f"{r['ack_during']:.2f} s" if r["ack_during"] < ACK_TIMEOUT
               else f"none in {ACK_TIMEOUT:g} s")
        lines.append(f"| {name} | {r['fps_before']:.1f} → {r['fps_during']:.1f} | {ack} | "
                     f"{r['rss_before']:.0f} → {r['rss_during']:.0f} "
                     f"→ {r['rss_after']:.0f} |")
    return "\n".join(lines)


INTRO = """Each attack runs against a fresh server while a bystander (the spiral preset) plays
and asks for single steps. The budget (DESIGN): the bystander keeps 10+ frames per second and
gets a step acknowledged within 1 s; memory returns within 50 MB of its start once the
attackers leave. `.venv/bin/python benchmarks/attack.py --write` measures again; the attack
tests (tests/security/) assert the budget."""


def write(text: str) -> None:
    """Put ``text`` under "## Under attack" in docs/performance.md (replacing that section)."""
    doc = PERF.read_text()
    section = f"## Under attack\n\n{INTRO}\n\n{text}\n"
    pattern = re.compile(r"## Under attack\n.*?(?=\n## |\Z)", re.S)
    doc = pattern.sub(lambda _: section.rstrip("\n"), doc) if pattern.search(doc) \
        else doc.rstrip("\n") + "\n\n" + section
    PERF.write_text(doc.rstrip("\n") + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--write", action="store_true",
                        help="put the table into docs/performance.md (## Under attack)")
    args = parser.parse_args(argv)
    results: dict[str, dict[str, float]] = {}
    for name, scenario in SCENARIOS.items():
        base, proc = serve()  # a fresh server each: one attack's damage is not the next one's
        try:
            results[name] = _measure(base, proc.pid, lambda s=scenario, b=base: s(b),
                                     args.seconds)
        finally:
            stop_server(proc)
        print(name, {k: round(v, 2) for k, v in results[name].items()}, flush=True)
    text = table(results)
    print(text)
    if args.write:
        load = os.getloadavg()[0]
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                                capture_output=True).stdout.strip() or "unknown"
        write(f"{text}\n\nMeasured at commit {commit} on "
              f"{platform.processor() or platform.machine()}, "
              f"{os.cpu_count()} cores (load average {load:.1f} when it ended), "
              f"{args.seconds:g} s windows, a fresh server per attack; RSS after: 2 s after "
              "the attackers left.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
