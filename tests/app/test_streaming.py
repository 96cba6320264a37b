"""How frames leave a session: encoded once for every viewer, newest first for a slow client."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from app_helpers import Reader, create

from app import frames
from app.connection import Command, Connection
from app.routes import ws as wsmod
from app.sessions import SessionManager
from app.settings import Settings


@pytest.mark.parametrize("viewers", [1, 5])
def test_a_frame_is_encoded_once_whatever_the_number_of_viewers(client, monkeypatch, viewers):
    encoded: list[int] = []
    real = frames.encode

    def counting(header, arrays, ranges=None):
        if header.get("kind") == "frame":
            encoded.append(header["seq"])
        return real(header, arrays, ranges)

    monkeypatch.setattr(frames, "encode", counting)
    s = create(client)
    with client.websocket_connect(f"/ws/{s['id']}?token={s['token']}") as control:
        readers = []
        sockets = [client.websocket_connect(f"/ws/{s['id']}") for _ in range(viewers)]
        try:
            for sock in sockets:
                readers.append(Reader(sock.__enter__()))
            Reader(control).send(type="speed", steps_per_second=2000)
            Reader(control).send(type="play")
            seen: list[dict[int, bytes]] = []
            for r in readers:
                got: dict[int, bytes] = {}
                while len(got) < 8:
                    m = r.ws.receive()
                    if m.get("bytes") is not None:
                        header, _ = frames.decode(m["bytes"])
                        if header["kind"] == "frame":
                            got[header["seq"]] = m["bytes"]
                seen.append(got)
            Reader(control).send(type="pause")
        finally:
            for sock in sockets:
                sock.__exit__(None, None, None)
    counts = Counter(encoded)
    assert counts and max(counts.values()) == 1  # no frame was encoded twice
    common = set.intersection(*(set(g) for g in seen))
    assert common, "every viewer received some of the same frames"
    for seq in common:  # ... as the very same bytes
        assert len({g[seq] for g in seen}) == 1
        assert seq in counts


class SlowSocket:
    """A client that takes ``delay`` seconds to take each frame."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.seqs: list[int] = []

    async def send_text(self, text: str) -> None:
        pass

    async def send_bytes(self, payload: bytes) -> None:
        header, _ = frames.decode(payload)
        if header["kind"] == "frame":
            self.seqs.append(header["seq"])
            await asyncio.sleep(self.delay)

    async def close(self, code: int = 1000) -> None:
        pass


def test_a_slow_client_skips_frames_newest_first_instead_of_queueing(tmp_path):
    settings = Settings(templates_dir=tmp_path, static_dir=tmp_path, fps=30)
    manager = SessionManager(settings)
    session = manager.create({"data": "xor", "layers": [4]})
    sock = SlowSocket(delay=0.25)

    async def watch() -> Connection:
        conn = Connection(session, "viewer", asyncio.get_running_loop())
        session.attach(conn)
        session.submit(Command("play", {}))
        sender = asyncio.create_task(wsmod._send_loop(sock, session, conn))  # type: ignore[arg-type]
        while len(sock.seqs) < 6:
            await asyncio.sleep(0.05)
        sender.cancel()
        session.detach(conn)
        return conn

    try:
        conn = asyncio.run(asyncio.wait_for(watch(), 60))
        published = session.latest.seq if session.latest else 0
    finally:
        manager.close_all()
    seqs = sock.seqs
    assert seqs == sorted(set(seqs))  # never an older frame after a newer one
    assert seqs[-1] - seqs[0] + 1 > len(seqs)  # frames were skipped ...
    assert published > len(seqs)  # ... while the session went on publishing
    assert len(conn.outbox) < 10  # and nothing piled up for this client
