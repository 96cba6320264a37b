"""The runs API on both databases: the owner's list, one run, its history CSV, events and
checkpoints, changes by the owner only, pruning on request; hostile input gets a clear 4xx,
never a 500."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from store_helpers import CFG, row

from app.main import create_app
from app.settings import Settings
from app.store import RunStore, sqlite_url

MINE = {"X-Owner-Key": "<mine>"}  # in parameters: stands for the test's own owner key


def no_500(response: Any) -> None:
    if response.status_code >= 500 and response.status_code != 503:
        response.read()
        pytest.fail(f"{response.request.method} {response.request.url} answered "
                    f"{response.status_code}: {response.text[:300]}")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[TestClient]:
    """One app per database for the whole module (tests keep apart by their owner keys)."""
    tmp = tmp_path_factory.mktemp("api")
    url = (sqlite_url(tmp) if request.param == "sqlite"
           else request.getfixturevalue("postgres").new_database())
    settings = Settings(templates_dir=tmp, static_dir=tmp, allow_testserver=True,
                        database_url=url)
    with TestClient(create_app(settings)) as c:
        c.event_hooks["response"].append(no_500)
        yield c


@dataclass
class Owners:
    """This test's own two owners: their keys and the headers that carry them."""

    me: str
    them: str

    @property
    def mine(self) -> dict[str, str]:
        return {"X-Owner-Key": self.me}

    @property
    def theirs(self) -> dict[str, str]:
        return {"X-Owner-Key": self.them}


@pytest.fixture
def owners() -> Owners:
    return Owners(secrets.token_urlsafe(16), secrets.token_urlsafe(16))


@pytest.fixture
def client(api: TestClient) -> Iterator[TestClient]:
    yield api
    api.cookies.clear()


@pytest.fixture
def store(client: TestClient) -> RunStore:
    return client.app.state.store  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def run_id(store: RunStore, owners: Owners) -> str:
    rid = store.create_run(owners.me, name="spiral", config=CFG, kinds=["race"],
                           tags=["hw"])["id"]
    store.add_metrics(rid, [row(0, 2.0), row(10, 0.5, val_loss=0.7)])
    store.add_event(rid, 10, "lr", 0.03, 0.3)
    store.add_checkpoint(rid, 0, "initial", b"w0")
    return str(rid)


def test_the_owner_lists_reads_and_pages_their_runs(client: TestClient, store: RunStore,
                                                    run_id: str, owners: Owners) -> None:
    for i in range(3):
        store.create_run(owners.me, name=f"more {i}", config=CFG)
    store.create_run(owners.them, name="not mine", config=CFG)
    got = client.get("/api/runs", headers=owners.mine, params={"limit": 2, "sort": "name",
                                                       "order": "asc"}).json()
    assert got["total"] == 4 and [r["name"] for r in got["runs"]] == ["more 0", "more 1"]
    assert "config" not in got["runs"][0] and got["runs"][0]["yours"] is True
    by_tag = client.get("/api/runs", headers=owners.mine, params={"tag": "hw"}).json()
    assert [r["id"] for r in by_tag["runs"]] == [run_id]
    by_kind = client.get("/api/runs", headers=owners.mine, params={"kind": "race"}).json()
    assert by_kind["total"] == 1
    client.cookies.set("owner", owners.them)
    cookie = client.get("/api/runs").json()
    assert [r["name"] for r in cookie["runs"]] == ["not mine"]


def test_anyone_with_the_id_reads_a_run_its_history_events_and_checkpoints(
        client: TestClient, run_id: str, owners: Owners) -> None:
    run = client.get(f"/api/runs/{run_id}").json()
    assert run["config"] == CFG and run["yours"] is False and run["kinds"] == ["race"]
    assert client.get(f"/api/runs/{run_id}", headers=owners.mine).json()["yours"] is True
    r = client.get(f"/api/runs/{run_id}/history.csv")
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(x["step"], x["train_loss"], x["val_loss"], x["val_acc"]) for x in rows] == [
        ("0", "2.0", "", ""), ("10", "0.5", "0.7", "")]
    assert list(rows[0])[-1] == "compacted"
    ev = client.get(f"/api/runs/{run_id}/events").json()["events"]
    assert [(e["step"], e["field"], e["old"], e["new"]) for e in ev] == [(10, "lr", 0.03, 0.3)]
    cps = client.get(f"/api/runs/{run_id}/checkpoints").json()["checkpoints"]
    assert [(c["step"], c["reason"], c["size"]) for c in cps] == [(0, "initial", 2)]


def test_only_the_owner_changes_or_deletes(client: TestClient, run_id: str, owners: Owners
                                           ) -> None:
    r = client.patch(f"/api/runs/{run_id}", headers=owners.theirs, json={"name": "mine now"})
    assert r.status_code == 403 and "owner" in r.json()["detail"]
    assert client.delete(f"/api/runs/{run_id}", headers=owners.theirs).status_code == 403
    assert client.patch(f"/api/runs/{run_id}", json={"name": "x"}).status_code == 401
    r = client.patch(f"/api/runs/{run_id}", headers=owners.mine,
                     json={"name": "renamed", "tags": ["a"], "note": "good lr", "starred": True})
    assert r.status_code == 200
    assert (r.json()["name"], r.json()["tags"], r.json()["starred"]) == ("renamed", ["a"], True)
    assert client.delete(f"/api/runs/{run_id}", headers=owners.mine).status_code == 204
    assert client.get(f"/api/runs/{run_id}").status_code == 404


def test_pruning_happens_only_when_the_owner_asks(client: TestClient, store: RunStore,
                                                  owners: Owners) -> None:
    ids = [store.create_run(owners.me, name=f"r{i}", config=CFG)["id"] for i in range(4)]
    store.update_run(ids[0], owners.me, starred=True)
    r = client.post("/api/runs/prune", headers=owners.mine, json={"keep": 2})
    assert r.status_code == 200 and r.json()["deleted"] == ids[1:3]
    assert client.get("/api/runs", headers=owners.mine).json()["total"] == 2


def test_store_status_says_recording_is_on(client: TestClient, owners: Owners) -> None:
    st = client.get("/api/store/status", headers=owners.mine).json()
    assert st["enabled"] is True and st["recording"]["state"] == "ok"
    assert st["usage"] == {"runs": 0, "bytes": 0}


@pytest.mark.parametrize("method, path, kwargs, status, words", [
    ("get", "/api/runs", {}, 401, "owner key"),
    ("get", "/api/runs", {"headers": {"X-Owner-Key": "short"}}, 400, "X-Owner-Key"),
    ("get", "/api/runs", {"headers": {"X-Owner-Key": "k" * 500}}, 400, "X-Owner-Key"),
    ("get", "/api/runs", {"cookies": {"owner": "bad key!" * 3}}, 400, "owner"),
    ("get", "/api/runs", {"headers": MINE, "params": {"limit": 0}}, 422, "limit"),
    ("get", "/api/runs", {"headers": MINE, "params": {"limit": "lots"}}, 422, "limit"),
    ("get", "/api/runs", {"headers": MINE, "params": {"sort": "owner"}}, 422, "sort"),
    ("get", "/api/runs", {"headers": MINE, "params": {"offset": -1}}, 422, "offset"),
    ("get", "/api/runs", {"headers": MINE, "params": {"q": "x" * 5000}}, 422, "q"),
    ("get", "/api/runs", {"headers": MINE, "params": {"starred": "perhaps"}}, 422, "starred"),
    ("get", "/api/runs/" + "a" * 33, {}, 422, "run_id"),
    ("get", "/api/runs/no-such-run", {}, 404, "does not exist"),
    ("get", "/api/runs/bad%20id/events", {}, 422, "run_id"),
    ("get", "/api/runs/no-such-run/history.csv", {}, 404, "does not exist"),
    ("get", "/api/runs/no-such-run/checkpoints", {}, 404, "does not exist"),
    ("get", "/api/runs/{id}/events", {"params": {"limit": 10**9}}, 422, "limit"),
    ("patch", "/api/runs/{id}", {"headers": MINE, "json": {"name": "x" * 201}}, 422, "name"),
    ("patch", "/api/runs/{id}", {"headers": MINE, "json": {"name": ""}}, 422, "name"),
    ("patch", "/api/runs/{id}", {"headers": MINE, "json": {"note": "n" * 4001}}, 422, "note"),
    ("patch", "/api/runs/{id}", {"headers": MINE, "json": {"tags": ["t"] * 21}}, 422, "tags"),
    ("patch", "/api/runs/{id}", {"headers": MINE, "json": {"tags": [""]}}, 422, "tags"),
    ("patch", "/api/runs/{id}", {"headers": MINE, "json": {"tags": "one"}}, 422, "tags"),
    ("patch", "/api/runs/{id}", {"headers": MINE, "json": {"starred": "yes"}}, 422, "starred"),
    ("patch", "/api/runs/{id}", {"headers": MINE, "json": {"owner": "me"}}, 422, "owner"),
    ("patch", "/api/runs/{id}", {"headers": MINE, "json": [1, 2]}, 422, ""),
    ("patch", "/api/runs/{id}", {"headers": {**MINE, "Content-Type": "application/json"},
                                 "content": b"{not json"}, 422, ""),
    ("patch", "/api/runs/no-such-run", {"headers": MINE, "json": {"name": "x"}}, 404,
     "does not exist"),
    ("delete", "/api/runs/no-such-run", {"headers": MINE}, 404, "does not exist"),
    ("delete", "/api/runs/{id}", {}, 401, "owner key"),
    ("post", "/api/runs/prune", {"headers": MINE, "json": {"keep": -1}}, 422, "keep"),
    ("post", "/api/runs/prune", {"headers": MINE, "json": {"keep": "all"}}, 422, "keep"),
    ("post", "/api/runs/prune", {"headers": MINE, "json": {}}, 422, "keep"),
    ("post", "/api/runs/prune", {"json": {"keep": 1}}, 401, "owner key"),
])
def test_hostile_input_gets_a_clear_4xx(client: TestClient, run_id: str, owners: Owners,
                                        method: str, path: str, kwargs: dict, status: int,
                                        words: str) -> None:
    headers = {k: owners.me if v == "<mine>" else v
               for k, v in kwargs.get("headers", {}).items()}
    if "cookies" in kwargs:
        client.cookies.update(kwargs["cookies"])
    rest = {k: v for k, v in kwargs.items() if k not in ("headers", "cookies")}
    r = client.request(method.upper(), path.replace("{id}", run_id), headers=headers, **rest)
    assert r.status_code == status, r.text
    assert words in r.text
    client.cookies.clear()
    assert client.get(f"/api/runs/{run_id}").json()["name"] == "spiral"  # nothing changed


def test_an_oversized_body_is_refused_before_it_is_read(client: TestClient, run_id: str,
                                                        owners: Owners) -> None:
    r = client.patch(f"/api/runs/{run_id}",
                     headers={**owners.mine, "Content-Type": "application/json"},
                     content=b'{"note": "' + b"n" * 200_000 + b'"}')
    assert r.status_code == 413


def test_without_a_store_the_runs_api_says_how_to_turn_it_on(tmp_path: Path, owners: Owners
                                                             ) -> None:
    settings = Settings(templates_dir=tmp_path, static_dir=tmp_path, allow_testserver=True)
    with TestClient(create_app(settings)) as c:
        r = c.get("/api/runs", headers=owners.mine)
        assert r.status_code == 503 and "--data-dir" in r.json()["detail"]
        assert c.get("/api/store/status").json() == {"enabled": False, "recording": None}


def test_the_runs_routes_are_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/api/runs", "/api/runs/{run_id}", "/api/runs/{run_id}/history.csv",
              "/api/runs/{run_id}/events", "/api/runs/{run_id}/checkpoints",
              "/api/runs/prune", "/api/store/status"):
        assert p in paths, p
    assert {"get", "patch", "delete"} <= set(paths["/api/runs/{run_id}"])
