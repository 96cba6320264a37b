"""A small Python client for Backprop Lab's server, written against docs/protocol.md.

    import asyncio
    from app.client import Client

    async def main():
        async with Client("http://127.0.0.1:8000") as client:
            s = await client.create_session(preset="spiral")
            async with client.connect(s["id"], s["token"]) as run:
                hello = await run.recv()                # full state first
                await run.send("play")
                frame = await run.next_frame()          # a Frame: header + numpy arrays
                print(frame.step, frame.metrics["train_loss"])
                await run.send("set", config={"lr": 0.01})
                await run.send("pause")

    asyncio.run(main())
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
import websockets

from . import frames


@dataclass
class Frame:
    """A decoded binary message: ``header`` (JSON) and ``arrays`` (numpy, read-only views)."""

    header: dict[str, Any]
    arrays: dict[str, np.ndarray]
    size: int  # bytes on the wire

    @property
    def kind(self) -> str:
        return self.header.get("kind", "frame")

    @property
    def step(self) -> int:
        return self.header["step"]

    @property
    def metrics(self) -> dict[str, Any]:
        return self.header["metrics"]

    def value(self, name: str) -> np.ndarray:
        """The array as float32 values (quantized arrays are expanded with their range)."""
        for entry in self.header["arrays"]:
            if entry["name"] == name and "range" in entry:
                return frames.dequantize(self.arrays[name], entry["range"])
        return self.arrays[name]


@dataclass
class Run:
    """One websocket connection to a session. ``history`` is kept whole from the hello,
    the frames' points and the history events, as the protocol says."""

    ws: Any
    history: list[list[Any]] = field(default_factory=list)
    hello: dict[str, Any] | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    _ids: Any = field(default_factory=itertools.count)

    async def send(self, type: str, **fields: Any) -> int:
        """Send a command; returns its id (echoed in the ack or error)."""
        cid = next(self._ids)
        await self.ws.send(json.dumps({"type": type, "id": cid, **fields}))
        return cid

    async def send_raw(self, text: str | bytes) -> None:
        await self.ws.send(text)

    async def recv(self, timeout: float = 10.0) -> dict[str, Any] | Frame:
        """The next message: an event (dict) or a Frame. History is kept up to date."""
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        if isinstance(raw, str):
            event = json.loads(raw)
            self._track(event)
            return event
        header, arrays = frames.decode(raw)
        frame = Frame(header, arrays, len(raw))
        if frame.kind == "frame":
            start = header["history_from"]
            if start > len(self.history):
                raise AssertionError(f"a frame starts at point {start} but only "
                                     f"{len(self.history)} are known: a gap was not filled")
            for i, row in enumerate(header["points"]):
                if start + i >= len(self.history):
                    self.history.append(row)
        return frame

    def _track(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        if len(self.events) > 1000:
            del self.events[:500]
        if event.get("type") == "hello":
            self.hello = event
            self.history = list(event["history"]["rows"])
        elif event.get("type") == "history":
            del self.history[event["from"]:]
            self.history.extend(event["rows"])

    async def next_frame(self, timeout: float = 10.0, kind: str = "frame") -> Frame:
        """Skip events until the next frame of ``kind``."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            msg = await self.recv(max(0.01, end - loop.time()))
            if isinstance(msg, Frame) and msg.kind == kind:
                return msg

    async def next_event(self, type: str, timeout: float = 10.0) -> dict[str, Any]:
        """Skip messages until an event of ``type``."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            msg = await self.recv(max(0.01, end - loop.time()))
            if isinstance(msg, dict) and msg.get("type") == type:
                return msg


class Client:
    """HTTP and websocket access to one server."""

    def __init__(self, base_url: str = "http://127.0.0.1:8000", timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout)

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def _json(self, r: httpx.Response) -> Any:
        if r.status_code >= 400:
            raise httpx.HTTPStatusError(f"{r.status_code}: {r.text}", request=r.request,
                                        response=r)
        return r.json()

    async def health(self) -> dict[str, Any]:
        return await self._json(await self.http.get("/api/health"))

    async def presets(self) -> list[dict[str, Any]]:
        return await self._json(await self.http.get("/api/presets"))

    async def models(self) -> list[dict[str, Any]]:
        return await self._json(await self.http.get("/api/models"))

    async def lessons(self, lang: str = "en") -> list[dict[str, Any]]:
        return await self._json(await self.http.get("/api/lessons", params={"lang": lang}))

    async def create_session(self, preset: str | None = None,
                             race: dict[str, Any] | None = None, **config: Any
                             ) -> dict[str, Any]:
        """{"id", "token", "config", "viewer_url", "control_url", "ws_url"}; a race session
        with ``race`` = {"runners": [...], "target": {"metric", "value"}}."""
        body: dict[str, Any] = {"config": config}
        if preset is not None:
            body["preset"] = preset
        if race is not None:
            body["race"] = race
        return await self._json(await self.http.post("/api/sessions", json=body))

    async def session(self, session_id: str) -> dict[str, Any]:
        return await self._json(await self.http.get(f"/api/sessions/{session_id}"))

    async def history(self, session_id: str) -> dict[str, Any]:
        return await self._json(await self.http.get(f"/api/sessions/{session_id}/history.json"))

    async def delete_session(self, session_id: str, token: str) -> None:
        r = await self.http.delete(f"/api/sessions/{session_id}",
                                   headers={"X-Control-Token": token})
        if r.status_code != 204:
            await self._json(r)

    def ws_url(self, session_id: str, token: str | None = None) -> str:
        base = "ws" + self.base_url[4:]
        return f"{base}/ws/{session_id}" + (f"?token={token}" if token else "")

    @asynccontextmanager
    async def connect(self, session_id: str, token: str | None = None,
                      max_size: int | None = 2**24) -> AsyncIterator[Run]:
        """A websocket to the session: control with ``token``, viewer without."""
        async with websockets.connect(self.ws_url(session_id, token), max_size=max_size,
                                      open_timeout=30) as ws:
            yield Run(ws)
