"""Helpers for the tuning tests: create a session, read its websocket, wait for a sweep."""

from __future__ import annotations

import json
import time
from typing import Any

from fastapi.testclient import TestClient

from app import frames


def create(client: TestClient, **body: Any) -> dict[str, Any]:
    r = client.post("/api/sessions", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def events_until(ws: Any, type_: str, limit: int = 2000) -> dict[str, Any]:
    """Read the websocket (skipping frames) until an event of ``type_``."""
    for _ in range(limit):
        m = ws.receive()
        if m.get("text") is not None:
            event = json.loads(m["text"])
            if event["type"] == type_:
                return event
        elif m.get("bytes") is not None:
            frames.decode(m["bytes"])
    raise AssertionError(f"no {type_} event in {limit} messages")


def wait_sweep(client: TestClient, sweep_id: str, seconds: float = 60.0) -> dict[str, Any]:
    """Poll GET /api/sweeps/{id} until it is no longer running."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        view = client.get(f"/api/sweeps/{sweep_id}").json()
        if view["state"] != "running":
            return view
        time.sleep(0.2)
    raise AssertionError(f"sweep {sweep_id} still running after {seconds} s")
