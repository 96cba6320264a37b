"""A real server: `python -m app` in a subprocess, talked to with the websockets library."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from app.client import Client, Frame

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app", "--port", str(self.port), "--data-dir",
             tempfile.mkdtemp(prefix="backprop-test-")], cwd=ROOT,
            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(self.url + "/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start:\n" + self.stop()[1])
            time.sleep(0.1)

    def stop(self, sig: int = signal.SIGINT) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            out, _ = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        return self.proc.returncode, out


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.stop()


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 120))


def test_start_prints_the_address_and_sigint_stops_cleanly():
    s = Server()

    async def play():
        async with Client(s.url) as c:
            info = await c.create_session()
            async with c.connect(info["id"], info["token"]) as r:
                await r.send("play")
                await r.next_frame()
                frame = await r.next_frame()
                assert frame.step > 0

    run(play())
    code, out = s.stop(signal.SIGINT)
    assert f"Backprop Lab is running at http://127.0.0.1:{s.port}" in out
    assert code == 0, out
    assert "Traceback" not in out


def test_train_live_change_pause_resume_reconnect(server):
    async def scenario():
        async with Client(server.url) as c:
            info = await c.create_session(preset="spiral")
            sid, token = info["id"], info["token"]
            async with c.connect(sid, token) as r:
                hello = await r.recv()
                assert hello["type"] == "hello" and hello["role"] == "control"
                assert (await r.next_frame(kind="data")).kind == "data"
                first = await r.next_frame()
                await r.send("play")
                frame = first
                while frame.step < 3000:
                    frame = await r.next_frame()
                    assert frame.step >= first.step
                assert frame.metrics["train_loss"] < first.metrics["train_loss"] * 0.8
                await r.send("pause")
                await r.next_event("state")
                final = (await c.session(sid))["step"]
                paused = await r.next_frame()
                while paused.step != final:  # a frame from before the pause may come first
                    paused = await r.next_frame()
                w = paused.arrays["W0"].copy()
                await r.send("set", config={"lr": 0.003})
                cfg = await r.next_event("config")
                assert cfg["rebuilt"] is None and cfg["config"]["lr"] == 0.003
                same = await r.next_frame()
                assert same.step == paused.step
                np.testing.assert_array_equal(same.arrays["W0"], w)
                await r.send("play")
                later = await r.next_frame()
                while later.step <= paused.step:
                    later = await r.next_frame()
                await r.send("pause")
                await r.next_event("state")
                await r.send("play")  # resume
                resumed = await r.next_frame()
                while resumed.step <= later.step:
                    resumed = await r.next_frame()
                await r.send("pause")
                await r.next_event("state")
                kept = list(r.history)
            async with c.connect(sid, token) as r2:
                hello = await r2.recv()
                rows = hello["history"]["rows"]
                assert len(rows) >= len(kept) >= 3
                assert rows[:len(kept)] == kept
                steps = [row[0] for row in rows]
                assert steps == sorted(steps) and steps[0] == 0
            table = await c.history(sid)
            assert table["rows"][:len(rows)] == rows

    run(scenario())


async def _watch(c: Client, sid: str, token: str | None, n: int,
                 seen: dict[int, str] | None = None) -> list[Frame]:
    got = []
    async with c.connect(sid, token) as r:
        if token:
            await r.send("play")
        while len(got) < n:
            f = await r.next_frame(timeout=60)
            got.append(f)
            if seen is not None:
                seen[f.header["seq"]] = hashlib.sha1(
                    repr((f.header, {k: v.tobytes() for k, v in f.arrays.items()})).encode()
                ).hexdigest()
    return got


def test_ten_sessions_with_three_viewers_each(server):
    async def scenario():
        async with Client(server.url) as c:
            sessions = [await c.create_session(preset="xor") for _ in range(10)]
            tasks = []
            for s in sessions:
                tasks.append(asyncio.create_task(_watch(c, s["id"], s["token"], 6)))
                for _ in range(3):
                    tasks.append(asyncio.create_task(_watch(c, s["id"], None, 6)))
            results = await asyncio.gather(*tasks)
            for frames in results:
                assert len(frames) == 6
            # close one session: the others keep streaming
            await c.delete_session(sessions[0]["id"], sessions[0]["token"])
            rest = await asyncio.gather(*[_watch(c, s["id"], None, 3) for s in sessions[1:]])
            for frames in rest:
                steps = [f.step for f in frames]
                assert steps == sorted(steps) and len(frames) == 3
            assert (await c.health())["sessions"] >= 9
            for s in sessions[1:]:
                await c.delete_session(s["id"], s["token"])

    run(scenario())


def test_viewer_sees_the_same_frames_as_the_controller(server):
    async def scenario():
        async with Client(server.url) as c:
            s = await c.create_session(preset="spiral")
            control: dict[int, str] = {}
            viewer: dict[int, str] = {}
            async with c.connect(s["id"], s["token"]) as r:
                await r.recv()
                await r.send("speed", steps_per_second=300)
                await r.send("play")
                await asyncio.gather(_watch(c, s["id"], s["token"], 20, control),
                                     _watch(c, s["id"], None, 20, viewer))
            common = set(control) & set(viewer)
            assert common
            assert all(control[k] == viewer[k] for k in common)
            await c.delete_session(s["id"], s["token"])

    run(scenario())


def test_idle_sessions_are_reaped():
    s = Server(BACKPROP_SESSION_TTL_SECONDS="0.3")
    try:
        async def scenario():
            async with Client(s.url) as c:
                info = await c.create_session()
                async with c.connect(info["id"]) as r:
                    await r.recv()
                for _ in range(200):
                    if (await c.health())["sessions"] == 0:
                        break
                    await asyncio.sleep(0.1)
                assert (await c.health())["sessions"] == 0
                r = await c.http.get(f"/api/sessions/{info['id']}")
                assert r.status_code == 404

        run(scenario())
    finally:
        code, out = s.stop()
    assert code == 0 and "Traceback" not in out


def test_a_closed_tab_stops_the_training_and_the_next_client_is_told():
    s = Server(BACKPROP_IDLE_PAUSE_SECONDS="0.5")
    try:
        async def scenario():
            async with Client(s.url) as c:
                info = await c.create_session(preset="spiral")
                sid, token = info["id"], info["token"]
                async with c.connect(sid, token) as r:
                    await r.recv()
                    await r.send("play")
                    frame = await r.next_frame()
                    while frame.step == 0:
                        frame = await r.next_frame()
                # the tab is closed while the run plays
                for _ in range(200):
                    if not (await c.session(sid))["running"]:
                        break
                    await asyncio.sleep(0.05)
                paused = await c.session(sid)
                assert paused["running"] is False and paused["step"] > 0
                await asyncio.sleep(0.3)
                assert (await c.session(sid))["step"] == paused["step"]
                async with c.connect(sid) as r:
                    hello = await r.recv()
                    assert hello["running"] is False and hello["step"] == paused["step"]
                    notice = await r.recv()
                    assert notice["type"] == "notice" and notice["reason"] == "idle"
                    state = await r.recv()
                    assert state["type"] == "state" and state["running"] is False

        run(scenario())
    finally:
        code, out = s.stop()
    assert code == 0 and "Traceback" not in out


def test_race_with_a_following_viewer_over_real_websockets(server):
    race = {"runners": [{"optimizer": "sgd", "lr": 0.1, "momentum": 0, "label": "SGD"},
                        {"optimizer": "adam", "lr": 0.01, "label": "Adam"}],
            "target": {"metric": "train_loss", "value": 0.6}}

    async def scenario():
        async with Client(server.url) as c:
            assert {"digits-all", "spiral"} <= {m["name"] for m in await c.models()}
            assert len(await c.lessons("ja")) >= 8
            info = await c.create_session(race=race, data="spiral", layers=[8], batch_size=0)
            sid, token = info["id"], info["token"]
            async with c.connect(sid, token) as teacher, c.connect(sid) as pupil:
                assert (await teacher.recv())["race"]["target"] == race["target"]
                assert (await pupil.recv())["history"]["columns"][0] == "runner"
                await teacher.send("presenter", state={"panel": "race"})
                assert (await pupil.next_event("presenter"))["state"] == {"panel": "race"}
                await teacher.send("play")
                frame = await pupil.next_frame()
                while frame.header["winner"] is None:
                    frame = await pupil.next_frame()
                assert frame.header["winner"]["label"] == "Adam"
                assert frame.value("r1.grid_output").max() <= 1.0
                await teacher.send("pause")
                await teacher.next_event("state")
                await pupil.send("predict", raw=[[0.5, 0.5]], runner=1)
                p = await pupil.next_event("prediction")
                assert 0 <= p["p"][0][0] <= 1 and len(p["layers"]) == 2
                runners = {row[0] for row in pupil.history}
                assert runners == {0, 1}

    run(scenario())


def _raw_request(port: int, head: str, timeout: float = 20.0) -> str:
    """Send request headers only (no body) and return the status line the server answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head.encode())
        data = b""
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n", 1)[0].decode()


def test_limits_apply_before_the_body_and_refusals_log_no_errors():
    import websockets

    s = Server()
    try:
        async def scenario():
            async with Client(s.url) as c:
                info = await c.create_session()
                sid, token = info["id"], info["token"]
                for url, status in [(f"/ws/{sid}?token=wrong", 403), ("/ws/nope", 404)]:
                    with pytest.raises(websockets.InvalidStatus) as e:
                        async with websockets.connect(s.url.replace("http", "ws") + url):
                            pass
                    assert e.value.response.status_code == status
                async with websockets.connect(f"ws://127.0.0.1:{s.port}/ws/{sid}?token={token}",
                                              max_size=None) as ws:
                    await ws.recv()  # hello
                    await ws.send("x" * 100_000)  # over 64 KiB: an error, still open
                    while True:
                        m = await ws.recv()
                        if isinstance(m, str) and '"error"' in m:
                            assert "at most 65,536" in m
                            break
                    await ws.send('{"type": "ping", "id": 5}')
                    while not (isinstance(m := await ws.recv(), str) and '"pong"' in m):
                        pass
                    await ws.send("x" * 300_000)  # over 4 × 64 KiB: closed with 1009
                    with pytest.raises(websockets.ConnectionClosed) as closed:
                        while True:
                            await ws.recv()
                    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
                return sid, token

        sid, token = run(scenario())
        # headers only: an answer comes without the body being sent
        upload = (f"POST /api/sessions/{sid}/csv HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Content-Type: multipart/form-data; boundary=b\r\n"
                  "Content-Length: 60000000\r\n")
        assert " 413 " in _raw_request(s.port, upload + f"X-Control-Token: {token}\r\n\r\n")
        assert " 403 " in _raw_request(s.port, upload + "X-Control-Token: wrong\r\n\r\n")
        create = ("POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Content-Type: application/json\r\nContent-Length: 15000000\r\n\r\n")
        assert " 413 " in _raw_request(s.port, create)
    finally:
        code, out = s.stop()
    assert code == 0 and "Traceback" not in out
    assert "without completing handshake" not in out and "ERROR" not in out, out
