"""A live session records its runs: every point, live changes as events of the same run, a
new run after a rebuild or a reset, checkpoints at pause and save; a session brought back by
a new app over the same data folder, paused at its checkpoint, with its token."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from app_helpers import connect, create, opened
from fastapi.testclient import TestClient

OWNER = "owner-key-of-this-test-0001"


def _store(client: TestClient) -> Any:
    state = client.app.state  # type: ignore[attr-defined]
    assert state.recorder.flush(), state.recorder.status()
    return state.store


def _step(r: Any, n: int) -> None:
    r.send(type="step", n=n, id=n)
    r.event("ack")


def _runs(client: TestClient) -> list[dict[str, Any]]:
    return sorted(_store(client).list_runs(OWNER)[0], key=lambda x: x["created_at"])


def test_live_changes_are_events_of_one_run_and_rebuild_reset_start_new_runs(
        make_client: Callable[..., TestClient], tmp_path: Path) -> None:
    client = make_client(data_dir=tmp_path / "data")
    client.headers["X-Owner-Key"] = OWNER
    s = create(client, config={"lr": 0.03})
    with connect(client, s) as ws:
        r = opened(ws)
        _step(r, 40)
        r.send(type="set", config={"lr": 0.3}, id="lr")
        r.event("ack")
        _step(r, 40)
        r.send(type="pause")
        r.event("ack")
        r.frame(where=lambda h: h["step"] == 80)  # the points are handed over with a frame
        runs = _runs(client)
        assert len(runs) == 1, "a live change must not start a new run"
        run = runs[0]
        store = _store(client)
        events = store.events(run["id"])
        assert [(e["step"], e["field"], e["old"], e["new"]) for e in events] == \
            [(40, "lr", 0.03, 0.3)]
        hist = store.history(run["id"])
        assert run["best_test_acc"] == max(h["test_acc"] for h in hist)
        assert run["last_test_acc"] == hist[-1]["test_acc"]
        steps = [h["step"] for h in hist]
        assert steps and steps[-1] == 80 and steps == sorted(set(steps))
        r.send(type="save", id="save")
        r.event("ack")
        assert r.event("notice")["code"] == "run_saved"
        reasons = [c["reason"] for c in _store(client).checkpoints(run["id"])]
        assert "initial" in reasons and "save" in reasons
        r.send(type="set", config={"layers": [5, 3]}, id="rebuild")
        r.event("ack")
        _step(r, 10)
        assert len(_runs(client)) == 2, "a rebuild starts a new run"
        r.send(type="reset", id="reset")
        r.event("ack")
        assert len(_runs(client)) == 3, "a reset starts a new run"
        newest = _store(client).get_run(_runs(client)[-1]["id"])
        assert newest["config"]["layers"] == [5, 3]


def test_save_without_a_store_is_refused_with_a_code(client: TestClient) -> None:
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="save", id=1)
        assert r.event("error")["code"] == "not_recorded"


def test_a_new_app_brings_the_session_back_paused_with_weights_history_and_token(
        make_client: Callable[..., TestClient], tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = make_client(data_dir=data)
    first.headers["X-Owner-Key"] = OWNER
    s = create(first, config={})
    with connect(first, s) as ws:
        r = opened(ws)
        r.send(type="play")
        r.frame(where=lambda h: h["step"] >= 200)
        r.send(type="pause", id="p")
        r.event("ack")
        paused = r.frame(where=lambda h: not h["running"])[0]["step"]
    before = first.get(f"/api/sessions/{s['id']}").json()
    weights = first.get(f"/api/sessions/{s['id']}/model.safetensors").content
    history = first.get(f"/api/sessions/{s['id']}/history.json").json()
    first.__exit__(None, None, None)  # the server stops: its sessions are kept

    second = make_client(data_dir=data)
    after = second.get(f"/api/sessions/{s['id']}")
    assert after.status_code == 200, after.text
    assert before["step"] == paused
    assert after.json()["step"] == paused and not after.json()["running"]
    assert second.get(f"/api/sessions/{s['id']}/model.safetensors").content == weights
    assert second.get(f"/api/sessions/{s['id']}/history.json").json() == history
    with connect(second, s) as ws:  # the old token still controls it
        r = opened(ws)
        assert r.hello is not None and r.hello["role"] == "control"
        assert r.hello["step"] == before["step"]
        _step(r, 5)
    runs = _store(second).list_runs(OWNER)[0]
    assert len(runs) == 1, "the brought-back session goes on recording the same run"


def test_a_database_gone_pauses_recording_not_training_and_says_so(
        make_client: Callable[..., TestClient], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    client = make_client(data_dir=tmp_path / "data")
    store = client.app.state.store  # type: ignore[attr-defined]
    real = store.write_batch

    def gone(batch: Any) -> Any:
        raise sa.exc.OperationalError("INSERT", {}, Exception("could not connect to server"))

    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        monkeypatch.setattr(store, "write_batch", gone)
        r.send(type="play")
        paused = r.event("notice", limit=5000)
        assert paused["code"] == "recording_paused" and paused["reason"] == "db_unreachable"
        step = r.frame()[0]["step"]
        assert r.frame(where=lambda h: h["step"] > step)[0]["running"], "training goes on"
        monkeypatch.setattr(store, "write_batch", real)
        assert r.event("notice", limit=5000)["code"] == "recording_resumed"
        r.send(type="pause")


def test_a_cookie_owner_owns_the_runs_and_a_race_is_tagged_as_one(
        make_client: Callable[..., TestClient], tmp_path: Path) -> None:
    client = make_client(data_dir=tmp_path / "data")
    client.cookies.set("owner", OWNER)
    create(client, race={"runners": [{"optimizer": "sgd", "label": "sgd"},
                                     {"optimizer": "adam", "label": "adam"}]})
    deadline = time.monotonic() + 10
    while len(_runs(client)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    runs = _runs(client)
    assert len(runs) == 2, "a race records a run per runner"
    assert all("race" in r["kinds"] for r in runs)
    assert sorted(r["name"].rsplit(": ", 1)[1] for r in runs) == ["adam", "sgd"]


def test_a_run_continues_or_forks_from_a_checkpoint_in_a_new_session(
        make_client: Callable[..., TestClient], tmp_path: Path) -> None:
    client = make_client(data_dir=tmp_path / "data")
    client.headers["X-Owner-Key"] = OWNER
    s = create(client, config={"lr": 0.03})
    with connect(client, s) as ws:
        r = opened(ws)
        _step(r, 40)
        r.send(type="save", id="save")
        r.event("ack")
        _step(r, 60)
        r.send(type="save", id="save2")
        r.event("ack")
    run = _runs(client)[0]
    at40 = next(c for c in _store(client).checkpoints(run["id"]) if c["step"] == 40)
    got = client.post(f"/api/runs/{run['id']}/sessions",
                      json={"checkpoint": at40["id"], "config": {"lr": 0.5}})
    assert got.status_code == 201, got.text
    fork = got.json()
    assert fork["step"] == 40 and fork["config"]["lr"] == 0.5
    summary = client.get(f"/api/sessions/{fork['id']}").json()
    assert summary["step"] == 40 and summary["running"] is False
    newest = client.post(f"/api/runs/{run['id']}/sessions", json={}).json()
    assert newest["step"] == 100 and newest["config"]["lr"] == 0.03
    assert len(_runs(client)) == 3, "each continued or forked session records a new run"
    bad = client.post(f"/api/runs/{run['id']}/sessions", json={"config": {"lr": -1}})
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "lr"
    missing = client.post(f"/api/runs/{run['id']}/sessions", json={"checkpoint": 10**9})
    assert missing.status_code == 404 and "checkpoint" in missing.json()["detail"]


def test_a_run_exports_as_config_model_or_one_zip_of_everything(
        make_client: Callable[..., TestClient], tmp_path: Path) -> None:
    client = make_client(data_dir=tmp_path / "data")
    client.headers["X-Owner-Key"] = OWNER
    s = create(client, config={"lr": 0.03})
    with connect(client, s) as ws:
        r = opened(ws)
        _step(r, 30)
        r.send(type="save", id="save")
        r.event("ack")
    weights = client.get(f"/api/sessions/{s['id']}/model.safetensors").content
    run = _runs(client)[0]
    config = client.get(f"/api/runs/{run['id']}/export?part=config")
    assert config.status_code == 200 and config.json()["lr"] == 0.03
    assert client.get(f"/api/runs/{run['id']}/export?part=model").content == weights
    got = client.get(f"/api/runs/{run['id']}/export")
    assert got.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(got.content)) as z:
        assert sorted(z.namelist()) == ["checkpoint.safetensors", "history.csv",
                                        "model.safetensors", "run.json"]
        assert json.loads(z.read("run.json"))["config"] == config.json()
        assert z.read("model.safetensors") == weights
        assert z.read("history.csv").decode() == client.get(
            f"/api/runs/{run['id']}/history.csv").text
    assert client.get("/api/runs/nosuchrun/export").status_code == 404
    assert client.get(f"/api/runs/{run['id']}/export?part=weights").status_code == 422


def test_an_ended_session_gets_its_end_checkpoint_and_is_not_brought_back(
        make_client: Callable[..., TestClient], tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = make_client(data_dir=data)
    first.headers["X-Owner-Key"] = OWNER
    s = create(first)
    with connect(first, s) as ws:
        _step(opened(ws), 25)
    assert first.delete(f"/api/sessions/{s['id']}",
                        headers={"X-Control-Token": s["token"]}).status_code == 204
    run = _runs(first)[0]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        ends = [c for c in _store(first).checkpoints(run["id"]) if c["reason"] == "end"]
        if ends:
            break
        time.sleep(0.05)
    assert ends and ends[0]["step"] == 25
    first.__exit__(None, None, None)
    second = make_client(data_dir=data)
    assert second.get(f"/api/sessions/{s['id']}").status_code == 404
