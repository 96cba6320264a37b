"""The attack suite's fixtures: an app over TestClient for the web layer, and the real server
(``python -m app`` on a free loopback port) for the floods. Any 500 fails a test."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def fail_on_500(response: httpx.Response) -> None:
    """Any 500 fails the test: every input must get a clear 4xx or an answer."""
    if response.status_code == 500:
        response.read()
        pytest.fail(f"{response.request.method} {response.request.url.path} answered 500: "
                    f"{response.text[:300]}")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "index.html").write_text("<html>{{ role }}|{{ session_id }}</html>")
    return Settings(templates_dir=templates, static_dir=ROOT / "static", allow_testserver=True)


@pytest.fixture
def make_client(settings: Settings) -> Iterator[Callable[..., TestClient]]:
    """make_client(**settings overrides, base_url=...) → a TestClient over a new app."""
    clients: list[TestClient] = []

    def make(base_url: str = "http://testserver", **overrides: Any) -> TestClient:
        c = TestClient(create_app(dataclasses.replace(settings, **overrides)), base_url=base_url)
        c.event_hooks["response"].append(fail_on_500)
        c.__enter__()
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


# ------------------------------------------------------------------- the real server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running ``python -m app``: its base URL, process and output (collected)."""

    base: str
    proc: subprocess.Popen[str]
    data_dir: str
    lines: list[str] = field(default_factory=list)

    @property
    def ws(self) -> str:
        return "ws" + self.base[4:]

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=30, trust_env=False,
                            event_hooks={"response": [fail_on_500]})

    def rss_mb(self) -> float:
        """The server's resident memory in MB (from /proc)."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def create(self, **body: Any) -> dict[str, Any]:
        with self.http() as h:
            r = h.post("/api/sessions", json=body)
        assert r.status_code == 201, r.text
        return r.json()


def start_server(*args: str, env: dict[str, str] | None = None) -> Server:
    """Start ``python -m app`` on a free loopback port (recording runs in a folder of its own,
    removed when it stops) and wait until it answers."""
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="backprop-attack-")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--port", str(port), "--data-dir", data_dir, *args],
        cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    server = Server(f"http://127.0.0.1:{port}", proc, data_dir)

    def collect() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            server.lines.append(line)

    threading.Thread(target=collect, daemon=True).start()
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{server.base}/api/health", timeout=1) as r:
                if json.load(r)["status"] == "ok":
                    return server
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the server did not start on port {port}:\n{server.output}")
        time.sleep(0.1)


def stop_server(server: Server) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait(timeout=10)
    shutil.rmtree(server.data_dir, ignore_errors=True)


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    """serve(*args, env={...}) → a fresh real server for this test, stopped after it."""
    servers: list[Server] = []

    def _serve(*args: str, env: dict[str, str] | None = None) -> Server:
        s = start_server(*args, env=env)
        servers.append(s)
        return s

    yield _serve
    for s in servers:
        stop_server(s)


@pytest.fixture(scope="module")
def shared_server() -> Iterator[Server]:
    """One real server for a module's tests that do not harm it."""
    s = start_server()
    yield s
    stop_server(s)
