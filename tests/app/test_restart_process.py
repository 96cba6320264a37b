"""Restart the server PROCESS (python -m app --data-dir DIR): the session comes back with the
same links, paused at the step it had, the same weights bit for bit, the same history, and
its controller still controls it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(data: Path, port: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-m", "app", "--port", str(port), "--data-dir",
                             str(data)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the server did not start:\n" + (proc.communicate()[0] or ""))
        time.sleep(0.1)


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)  # as Ctrl-C: a clean stop
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail("the server did not stop within 30 s")


def _events(ws: Any, until: str, limit: int = 2000) -> dict[str, Any]:
    for _ in range(limit):
        m = ws.recv(timeout=10)
        if isinstance(m, str):
            e = json.loads(m)
            if e["type"] == until:
                return e
    raise AssertionError(f"no {until} event")


def test_a_restarted_server_brings_the_session_back_with_its_links(tmp_path: Path) -> None:
    port = _free_port()
    base, ws_base = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
    headers = {"Origin": base}
    proc = _start(tmp_path, port)
    try:
        s = httpx.post(f"{base}/api/sessions", json={"config": {"lr": 0.03}},
                       headers=headers).json()
        with connect(f"{ws_base}/ws/{s['id']}?token={s['token']}",
                     additional_headers=headers) as ws:
            _events(ws, "hello")
            ws.send(json.dumps({"type": "step", "n": 300, "id": 1}))
            _events(ws, "ack")
            ws.send(json.dumps({"type": "set", "config": {"lr": 0.3}, "id": 2}))
            _events(ws, "ack")
            ws.send(json.dumps({"type": "step", "n": 200, "id": 3}))
            _events(ws, "ack")
            ws.send(json.dumps({"type": "save", "id": 4}))
            _events(ws, "ack")
        time.sleep(0.3)  # the last frame (and its history point) is published
        before = httpx.get(f"{base}/api/sessions/{s['id']}").json()
        weights = httpx.get(f"{base}/api/sessions/{s['id']}/model.safetensors").content
        history = httpx.get(f"{base}/api/sessions/{s['id']}/history.json").json()
    finally:
        _stop(proc)

    proc = _start(tmp_path, port)
    try:
        after = httpx.get(f"{base}/api/sessions/{s['id']}")
        assert after.status_code == 200, after.text
        assert after.json()["step"] == before["step"] == 500
        assert after.json()["running"] is False
        assert after.json()["config"]["lr"] == 0.3
        assert httpx.get(f"{base}/api/sessions/{s['id']}/model.safetensors").content == weights
        assert httpx.get(f"{base}/api/sessions/{s['id']}/history.json").json() == history
        with connect(f"{ws_base}/ws/{s['id']}?token={s['token']}",
                     additional_headers=headers) as ws:  # the controller link
            hello = _events(ws, "hello")
            assert hello["role"] == "control" and hello["step"] == 500
            ws.send(json.dumps({"type": "step", "n": 10, "id": 5}))
            assert _events(ws, "ack")["id"] == 5
        with connect(f"{ws_base}/ws/{s['id']}", additional_headers=headers) as ws:  # viewer
            assert _events(ws, "hello")["role"] == "viewer"
        wrong = httpx.delete(f"{base}/api/sessions/{s['id']}",
                             headers={**headers, "X-Control-Token": "not-the-token-000000"})
        assert wrong.status_code in (401, 403)
    finally:
        _stop(proc)
