"""A run with a validation split carries val_loss and val_acc in its frames' metrics; a run
without one says so (null), never a made-up number."""

from __future__ import annotations

import math

from fastapi.testclient import TestClient
from tuning_helpers import create

from app import frames


def _first_frame_metrics(client: TestClient, s: dict) -> dict:
    with client.websocket_connect(f"/ws/{s['id']}?token={s['token']}") as ws:
        for _ in range(50):
            m = ws.receive()
            if m.get("bytes") is not None:
                header, _ = frames.decode(m["bytes"])
                if header["kind"] == "frame":
                    return header["metrics"]
    raise AssertionError("no frame")


def test_frames_carry_validation_metrics_when_the_run_holds_out_rows(client: TestClient) -> None:
    m = _first_frame_metrics(client, create(client, config={"val_share": 0.2}))
    assert math.isfinite(m["val_loss"]) and 0 <= m["val_acc"] <= 1
    m = _first_frame_metrics(client, create(client))
    assert m["val_loss"] is None and m["val_acc"] is None
