"""Helpers for the app tests: create a session, read a TestClient websocket."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from app import frames


def create(client: TestClient, **body: Any) -> dict[str, Any]:
    r = client.post("/api/sessions", json=body)
    assert r.status_code == 201, r.text
    return r.json()


class Reader:
    """Reads a TestClient websocket, decoding frames and keeping the history whole."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.history: list[list[Any]] = []
        self.hello: dict[str, Any] | None = None

    def recv(self) -> dict[str, Any] | tuple[dict[str, Any], dict[str, Any]]:
        m = self.ws.receive()
        if m["type"] == "websocket.close":
            raise ConnectionError(f"closed: {m.get('code')}")
        if m.get("text") is not None:
            event = json.loads(m["text"])
            if event["type"] == "hello":
                self.hello = event
                self.history = list(event["history"]["rows"])
            elif event["type"] == "history":
                del self.history[event["from"]:]
                self.history.extend(event["rows"])
            return event
        header, arrays = frames.decode(m["bytes"])
        if header["kind"] == "frame":
            start = header["history_from"]
            assert start <= len(self.history), "a history gap was not filled"
            for i, row in enumerate(header["points"]):
                if start + i >= len(self.history):
                    self.history.append(row)
        return header, arrays

    def event(self, type_: str, limit: int = 500) -> dict[str, Any]:
        for _ in range(limit):
            m = self.recv()
            if isinstance(m, dict) and m["type"] == type_:
                return m
        raise AssertionError(f"no {type_} event in {limit} messages")

    def frame(self, kind: str = "frame", limit: int = 500,
              where: Callable[[dict[str, Any]], bool] | None = None
              ) -> tuple[dict[str, Any], dict[str, Any]]:
        for _ in range(limit):
            m = self.recv()
            if isinstance(m, tuple) and m[0]["kind"] == kind and (where is None or where(m[0])):
                return m
        raise AssertionError(f"no {kind} frame in {limit} messages")

    def send(self, **cmd: Any) -> None:
        self.ws.send_json(cmd)


def connect(client: Any, s: dict[str, Any], token: bool = True) -> Any:
    """A websocket to session ``s``: the controller's (with its token) or a viewer's."""
    return client.websocket_connect(f"/ws/{s['id']}" + (f"?token={s['token']}" if token else ""))


def opened(ws: Any) -> Reader:
    """A Reader past the hello, the data frame and the first frame."""
    r = Reader(ws)
    assert r.recv()["type"] == "hello"
    r.frame("data")
    r.frame()
    return r
