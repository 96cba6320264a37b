"""/api/sweeps: start a small sweep, follow it to the end (rows with params, validation and
test metrics, best by validation), its CSV, cancel, and every refusal a 4xx with a code."""

from __future__ import annotations

import csv
import io
import multiprocessing
from typing import Any

from fastapi.testclient import TestClient
from tuning_helpers import create, wait_sweep

from app.tuning import manager as mgr
from app.tuning.worker import NICENESS, lower_priority, niceness

SMALL = {"base": {"data": "xor", "samples": 120, "layers": [4]},
         "params": {"lr": [0.01, 0.3]}, "epochs": 2}


def test_a_small_sweep_runs_to_the_end_and_is_recorded(client: TestClient) -> None:
    r = client.post("/api/sweeps", json=SMALL)
    assert r.status_code == 201, r.text
    view = wait_sweep(client, r.json()["id"])
    assert view["state"] == "complete" and view["done"] == view["total"] == 2
    lrs = sorted(t["params"]["lr"] for t in view["trials"])
    assert lrs == [0.01, 0.3]
    for t in view["trials"]:
        assert t["state"] == "complete" and t["val_loss"] is not None
        assert t["test_accuracy"] is not None and t["run_id"]
        run = client.get(f"/api/runs/{t['run_id']}").json()
        assert "sweep" in run["kinds"] and run["config"]["lr"] == t["params"]["lr"]
    best = min(view["trials"], key=lambda t: t["val_loss"])
    assert view["best"]["trial"] == best["trial"] and view["chosen_by"] == "val_loss"
    rows = list(csv.DictReader(io.StringIO(client.get(
        f"/api/sweeps/{view['id']}/results.csv").text)))
    assert sorted(float(row["lr"]) for row in rows) == [0.01, 0.3]
    assert all(row["state"] == "complete" and row["val_loss"] for row in rows)


def test_base_defaults_to_the_sessions_configuration(client: TestClient) -> None:
    s = create(client, config={"data": "xor", "samples": 100, "layers": [3]})
    body = {"params": {"lr": [0.05]}, "epochs": 1}
    wrong = client.post(f"/api/sweeps?session={s['id']}", json=body,
                        headers={"X-Control-Token": "nope"})
    assert wrong.status_code == 403 and wrong.json()["detail"][0]["code"] == "wrong_token"
    r = client.post(f"/api/sweeps?session={s['id']}", json=body,
                    headers={"X-Control-Token": s["token"]})
    assert r.status_code == 201, r.text
    view = wait_sweep(client, r.json()["id"])
    run = client.get(f"/api/runs/{view['trials'][0]['run_id']}").json()
    assert run["config"]["data"] == "xor" and run["config"]["layers"] == [3]


def test_cancel_stops_the_sweep_and_keeps_what_finished(client: TestClient) -> None:
    body = {**SMALL, "params": {"lr": [0.01, 0.02, 0.05, 0.1]}, "epochs": 200,
            "base": {**SMALL["base"], "samples": 400}}
    sid = client.post("/api/sweeps", json=body).json()["id"]
    r = client.delete(f"/api/sweeps/{sid}")
    assert r.status_code == 200 and r.json()["id"] == sid
    view = wait_sweep(client, sid)
    assert view["state"] == "cancelled"
    assert all(t["state"] in ("cancelled", "complete") for t in view["trials"])


def test_refusals_name_the_field_with_a_code(client: TestClient) -> None:
    cases = [
        ({**SMALL, "colour": 1}, "colour"),
        ({**SMALL, "params": {"lr": {"low": 0.5, "high": 0.1}}, "search": "random"}, "params.lr"),
        ({**SMALL, "params": {"lr": {"low": 0, "high": 1, "log": True}}, "search": "random"},
         "params.lr"),
        ({**SMALL, "epochs": 0}, "epochs"),
        ({**SMALL, "params": {"lr": [0.1] * 15, "dropout": [0.1] * 15}}, "params"),
        ({**SMALL, "params": {"nonsense": [1, 2]}}, "params.nonsense"),
    ]
    for body, field in cases:
        r = client.post("/api/sweeps", json=body)
        assert r.status_code == 422, (body, r.text)
        detail = r.json()["detail"]
        assert detail[0]["code"] == "invalid_sweep"
        assert any(str(d["field"]).startswith(field) for d in detail), (field, detail)


def test_hostile_input_gets_a_4xx(client: TestClient) -> None:
    assert client.post("/api/sweeps", content=b"{not json",
                       headers={"content-type": "application/json"}).status_code == 422
    assert client.post("/api/sweeps", json=[1, 2]).status_code == 422
    assert client.post("/api/sweeps", content=b"x" * 3_000_000,
                       headers={"content-type": "application/json"}).status_code in (413, 422)
    assert client.get("/api/sweeps/nope").status_code == 404
    assert client.get("/api/sweeps/" + "a" * 200).status_code == 422
    assert client.delete("/api/sweeps/nope").json()["detail"][0]["code"] == "sweep_not_found"
    assert client.get("/api/sweeps/nope/results.csv").status_code == 404
    assert client.post("/api/sweeps?session=nope", json=SMALL).status_code == 404


def test_a_flood_of_sweeps_is_bounded_with_429(client: TestClient) -> None:
    body = {**SMALL, "epochs": 300, "base": {**SMALL["base"], "samples": 400}}
    first = client.post("/api/sweeps", json=body)
    assert first.status_code == 201
    for _ in range(5):
        r = client.post("/api/sweeps", json=body)
        assert r.status_code == 429
        assert r.json()["detail"][0]["code"] == "too_many_sweeps"
        assert r.json()["detail"][0]["limit"] == mgr.MAX_PER_CLIENT
    client.delete(f"/api/sweeps/{first.json()['id']}")
    wait_sweep(client, first.json()["id"])


def test_an_unreachable_dask_scheduler_fails_the_sweep_with_its_code(make_client) -> None:
    client = make_client(dask_scheduler="tcp://127.0.0.1:9")
    sid = client.post("/api/sweeps", json=SMALL).json()["id"]
    view = wait_sweep(client, sid, 40)
    assert view["state"] == "failed" and view["error"]["code"] == "dask_unreachable"
    assert "127.0.0.1:9" in view["error"]["message"]


def _child_niceness(q: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    before = niceness()
    lower_priority({})
    lower_priority({})  # once per process
    q.put((before, niceness()))


def test_a_sweep_worker_runs_below_the_sessions() -> None:
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_child_niceness, args=(q,))
    p.start()
    before, after = q.get(timeout=60)
    p.join(30)
    assert after == min(19, before + NICENESS)


def test_a_diverging_trial_fails_alone_and_the_sweep_goes_on(client: TestClient) -> None:
    body = {**SMALL, "params": {"lr": [0.01, 10]},
            "base": {"data": "plane", "samples": 120, "layers": [4], "activation": "relu",
                     "optimizer": "sgd"}, "epochs": 5}
    view = wait_sweep(client, client.post("/api/sweeps", json=body).json()["id"])
    assert view["state"] == "complete"
    by_lr = {t["params"]["lr"]: t for t in view["trials"]}
    assert by_lr[10]["state"] == "failed" and "diverged" in by_lr[10]["reason"]
    assert by_lr[10]["run_id"]  # recorded too, with its reason
    assert by_lr[0.01]["state"] == "complete" and view["best"]["params"]["lr"] == 0.01


def test_without_optuna_the_answer_says_how_to_install_it(client: TestClient,
                                                          monkeypatch: Any) -> None:
    import builtins

    real = builtins.__import__

    def no_sweeps(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "engine" and args and args[2] and "sweep" in args[2]:
            raise ImportError("No module named 'optuna'", name="optuna")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sweeps)
    r = client.post("/api/sweeps", json=SMALL)
    assert r.status_code == 503
    d = r.json()["detail"][0]
    assert d["code"] == "tuning_unavailable" and d["install"] == mgr.INSTALL
    assert "backprop-lab[tune]" in d["message"]
