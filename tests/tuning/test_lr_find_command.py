"""The lr_find command: runs the finder from the live run's weights on its worker thread,
answers with the points and both suggestions, and leaves the run exactly as it was."""

from __future__ import annotations

import math

import pytest
from fastapi.testclient import TestClient
from tuning_helpers import create, events_until


@pytest.mark.parametrize("optimizer", ["sgd", "rmsprop", "adam", "adamw", "adagrad"])
def test_lr_find_answers_points_and_leaves_the_run_as_it_was(client: TestClient,
                                                             optimizer: str) -> None:
    s = create(client, config={"optimizer": optimizer})
    with client.websocket_connect(f"/ws/{s['id']}?token={s['token']}") as ws:
        events_until(ws, "hello")
        ws.send_json({"type": "step", "n": 5, "id": 1})
        events_until(ws, "ack")
        before = client.get(f"/api/sessions/{s['id']}/model.safetensors").content
        ws.send_json({"type": "lr_find", "steps": 60, "id": 2})
        found = events_until(ws, "lr_found")
        assert found["id"] == 2 and found["optimizer"] == optimizer
        n = len(found["lrs"])
        assert 0 < n <= 60 and len(found["losses"]) == n == len(found["smoothed"])
        assert all(b > a for a, b in zip(found["lrs"], found["lrs"][1:], strict=False))
        assert found["lr_min_div10"] == found["suggestion"] and found["suggestion"] > 0
        assert math.isfinite(found["lr_steep"]) and found["stopped"] in (
            "end", "exploded", "diverged")
        after = client.get(f"/api/sessions/{s['id']}/model.safetensors").content
        assert after == before  # the weights were put back


def test_lr_find_pauses_a_playing_run_and_refuses_a_bad_step_count(client: TestClient) -> None:
    s = create(client)
    with client.websocket_connect(f"/ws/{s['id']}?token={s['token']}") as ws:
        events_until(ws, "hello")
        ws.send_json({"type": "lr_find", "steps": 0, "id": 1})
        err = events_until(ws, "error")
        assert err["code"] == "out_of_range" and err["field"] == "steps"
        ws.send_json({"type": "play", "id": 2})
        events_until(ws, "ack")
        ws.send_json({"type": "lr_find", "steps": 20, "id": 3})
        state = events_until(ws, "state")
        while state.get("running"):
            state = events_until(ws, "state")
        assert state["running"] is False
        assert events_until(ws, "lr_found")["id"] == 3


def test_a_viewer_cannot_run_the_finder(client: TestClient) -> None:
    s = create(client)
    with client.websocket_connect(f"/ws/{s['id']}") as ws:
        events_until(ws, "hello")
        ws.send_json({"type": "lr_find", "steps": 20, "id": 1})
        assert events_until(ws, "error")["code"] == "read_only"


def test_hostile_step_counts_get_a_coded_error_and_the_session_goes_on(client: TestClient) -> None:
    s = create(client)
    with client.websocket_connect(f"/ws/{s['id']}?token={s['token']}") as ws:
        events_until(ws, "hello")
        for k, steps in enumerate(["many", 2.5, -1, 10**9, None, [1], True]):
            ws.send_json({"type": "lr_find", "steps": steps, "id": k})
            err = events_until(ws, "error")
            assert err["id"] == k and err["field"] == "steps"
            assert err["code"] in ("wrong_type", "out_of_range"), err
        ws.send_json({"type": "lr_find", "steps": 10, "id": 99})
        assert events_until(ws, "lr_found")["id"] == 99
