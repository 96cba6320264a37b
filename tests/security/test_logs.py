"""Finding 10, the logs: the server's access log and websocket lines never carry a token."""

from __future__ import annotations

import time

from benchmarks import attackers


def test_the_server_log_never_carries_a_control_token(serve):
    server = serve("--log-level", "info")
    s = server.create(preset="xor")
    with server.http() as h:
        assert h.get(f"/api/sessions/{s['id']}", params={"token": s["token"]}).status_code == 200
        h.get("/api/health", params={"owner_key": "K3Y-VALUE", "x": "1"})
    w = attackers.Watcher(server.base, s["id"], s["token"])
    assert w.wait(lambda e: e.get("type") == "hello", 10)
    w.close()
    deadline = time.monotonic() + 5
    while "WebSocket" not in server.output and time.monotonic() < deadline:
        time.sleep(0.1)
    log = server.output
    assert f"/api/sessions/{s['id']}?token=[redacted]" in log  # the line is there, cleaned
    assert "WebSocket" in log and f"/ws/{s['id']}?token=[redacted]" in log
    assert s["token"] not in log and "K3Y-VALUE" not in log
