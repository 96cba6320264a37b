"""Server limits: compute per session, HTTP body sizes, short error echoes, a full server,
sessions nobody opened, deeply nested messages and the settings' ranges."""

from __future__ import annotations

import json
import logging
import time

import pytest
from app_helpers import connect, create, opened

from app import __main__ as cli
from app.settings import Settings, SettingsError

BIG = {"data": "spiral", "samples": 5000, "layers": [256] * 8, "batch_size": 0,
       "dtype": "float64"}


# ------------------------------------------------------------------ compute limit
def test_a_session_over_the_compute_limit_is_refused_naming_batch_size(client):
    r = client.post("/api/sessions", json={"config": BIG})
    assert r.status_code == 422, r.text
    d = r.json()["detail"][0]
    assert d["field"] == "batch_size"
    assert "461,569 parameters" in d["message"] and "2,500 rows" in d["message"]
    assert "200,000,000" in d["message"] and "batch_size of at most 433" in d["message"]


def test_evaluation_over_the_compute_limit_names_samples(client):
    r = client.post("/api/sessions", json={"config": {**BIG, "batch_size": 32}})
    assert r.status_code == 422, r.text
    d = r.json()["detail"][0]
    assert d["field"] == "samples" and d["value"] == 5000
    assert "5,000 rows (train + test)" in d["message"] and "at most 433 samples" in d["message"]


def test_full_batch_digits_with_two_layers_of_256_is_allowed(client):
    s = create(client, config={"data": "digits", "layers": [256, 256], "batch_size": 0})
    info = client.get(f"/api/sessions/{s['id']}").json()["info"]
    assert info["params"] * (info["train_size"] + info["test_size"]) <= 200_000_000
    assert info["params"] > 80_000


def test_set_over_the_compute_limit_is_an_error_naming_layers(client):
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="set", id=3, config={"samples": 5000, "layers": [256] * 8})
        e = r.event("error")
        assert e["field"] == "layers" and e["id"] == 3 and "rows × parameters" in e["message"]
        r.send(type="set", id=4, config={"batch_size": 0, "samples": 5000,
                                          "layers": [256] * 8})
        assert r.event("error")["field"] == "batch_size"
    assert client.get(f"/api/sessions/{s['id']}").json()["config"]["samples"] == 500


def test_a_race_counts_every_runner_against_the_compute_limit(make_client):
    c = make_client(max_work=100_000)  # one [8, 8] spiral run: 500 rows × 105 parameters
    create(c, config={"layers": [8, 8]})
    runners = [{"optimizer": "sgd", "label": f"r{i}"} for i in range(4)]
    r = c.post("/api/sessions", json={"config": {"layers": [8, 8]},
                                      "race": {"runners": runners}})
    assert r.status_code == 422, r.text
    d = r.json()["detail"][0]
    assert d["field"] == "samples" and "4 runners, 420 parameters in all" in d["message"]


def test_a_csv_upload_over_the_compute_limit_names_csv(make_client):
    c = make_client(max_work=20_000)
    s = create(c, config={"samples": 100})  # 100 rows × 105 parameters
    text = "x1,x2,label\n" + "".join(f"{i % 7},{i % 5},{i % 2}\n" for i in range(400))
    r = c.post(f"/api/sessions/{s['id']}/csv", headers={"X-Control-Token": s["token"]},
               files={"file": ("data.csv", text, "text/csv")})
    assert r.status_code == 422, r.text
    d = r.json()["detail"][0]
    assert d["field"] == "csv" and d["value"] == 400 and "CSV file of at most" in d["message"]
    assert c.get(f"/api/sessions/{s['id']}").json()["config"]["data"] == "spiral"


def test_a_model_upload_over_the_compute_limit_is_refused(client, make_client):
    wide = create(client, config={"layers": [64, 64]})
    raw = client.get(f"/api/sessions/{wide['id']}/model.safetensors").content
    small = make_client(max_work=200_000)
    s = create(small, config={"samples": 100})
    r = small.post(f"/api/sessions/{s['id']}/model", headers={"X-Control-Token": s["token"]},
                   files={"file": ("m.safetensors", raw, "application/octet-stream")})
    assert r.status_code == 422, r.text
    d = r.json()["detail"][0]
    assert d["field"] == "model" and "rows × parameters" in d["message"]


def test_a_lesson_over_the_compute_limit_is_an_error(make_client):
    c = make_client(max_work=1_000)
    s = create(c, config={"samples": 20, "layers": [1]})
    name = c.get("/api/lessons").json()[0]["name"]
    with connect(c, s) as ws:
        r = opened(ws)
        r.send(type="lesson", id=9, name=name)
        e = r.event("error")
        assert e["id"] == 9 and "rows × parameters" in e["message"]
        assert e["field"] in ("batch_size", "samples", "layers")


# ------------------------------------------------------------------ HTTP bodies
def test_a_json_body_over_the_limit_answers_413_before_parsing(make_client):
    c = make_client(max_message_bytes=4096)
    body = json.dumps({"config": {"data": "x" * 10_000}})
    r = c.post("/api/sessions", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "4,096 bytes" in r.json()["detail"]


def test_a_chunked_body_is_counted_as_it_arrives(make_client):
    c = make_client(max_message_bytes=4096)

    def chunks():
        yield b'{"config": {"data": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}}'

    r = c.post("/api/sessions", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413, r.text
    assert "4,096 bytes" in r.json()["detail"]
    assert len(c.app.state.manager) == 0


def test_an_upload_over_the_limit_and_a_wrong_token_are_refused_first(make_client):
    c = make_client(max_upload_bytes=1000)
    s = create(c)
    big = b"x,label\n" + b"1,a\n" * 10_000
    url = f"/api/sessions/{s['id']}/csv"
    r = c.post(url, headers={"X-Control-Token": "wrong"}, files={"file": ("d.csv", big)})
    assert r.status_code == 403 and "wrong" in r.json()["detail"]
    r = c.post(url, files={"file": ("d.csv", big)})
    assert r.status_code == 403 and "X-Control-Token" in r.json()["detail"]
    r = c.post(url, headers={"X-Control-Token": s["token"]}, files={"file": ("d.csv", big)})
    assert r.status_code == 413 and "1,000 bytes" in r.json()["detail"]
    r = c.post("/api/sessions/nope/model", files={"file": ("m", b"0")})
    assert r.status_code == 404


@pytest.mark.parametrize("body", [
    {"config": {"data": "x" * 50_000}},
    {"preset": "x" * 50_000},
    {"config": "x" * 50_000},
    {"config": {"layers": list(range(10_000))}},
])
def test_error_answers_do_not_echo_huge_values(client, body):
    r = client.post("/api/sessions", json=body)
    assert r.status_code == 422, r.text[:300]
    assert len(r.content) < 3000
    d = r.json()["detail"][0]
    assert d["field"] in ("data", "preset", "config", "layers")


def test_websocket_errors_do_not_echo_huge_values(client):
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        ws.send_text(json.dumps({"type": "set", "config": {"data": "y" * 50_000}}))
        m = ws.receive()
        while m.get("text") is None or json.loads(m["text"])["type"] != "error":
            m = ws.receive()
        assert len(m["text"]) < 3000
        assert json.loads(m["text"])["field"] == "data"
        del r


# ------------------------------------------------------------- websocket messages
def test_a_deeply_nested_message_is_an_error_and_the_connection_stays_open(client):
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        ws.send_text("[" * 30000 + "]" * 30000)
        assert "nested too deeply" in r.event("error")["message"]
        ws.send_text(json.dumps({"type": "presenter", "state": _nest(40)}))
        assert "nested too deeply" in r.event("error")["message"]
        r.send(type="ping", id=1)
        assert r.event("pong")["id"] == 1


def _nest(depth: int) -> dict:
    state: dict = {}
    for _ in range(depth):
        state = {"a": state}
    return state


# ----------------------------------------------------------------- a full server
def test_a_full_server_closes_the_session_without_clients_for_the_longest(make_client, caplog):
    c = make_client(max_sessions=2)
    a = create(c)
    b = create(c)
    with connect(c, b, token=False):
        time.sleep(0.01)
        with caplog.at_level(logging.WARNING, logger="app.sessions"):
            third = create(c)
        assert c.get(f"/api/sessions/{a['id']}").status_code == 404
        assert c.get(f"/api/sessions/{b['id']}").status_code == 200
        assert c.get(f"/api/sessions/{third['id']}").status_code == 200
        assert any(a["id"] in rec.getMessage() and "make room" in rec.getMessage()
                   for rec in caplog.records)


def test_the_oldest_client_less_session_goes_first(make_client):
    c = make_client(max_sessions=3)
    a, b, d = create(c), create(c), create(c)
    with connect(c, a, token=False):  # a had a client most recently, b left before d
        pass
    manager = c.app.state.manager
    manager.get(b["id"]).last_seen -= 10
    deadline = time.monotonic() + 10
    while manager.get(a["id"]).conns and time.monotonic() < deadline:
        time.sleep(0.01)
    create(c)
    assert manager.get(b["id"]) is None
    assert manager.get(a["id"]) is not None and manager.get(d["id"]) is not None


def test_sessions_nobody_opened_are_reaped_after_the_short_ttl(make_client):
    c = make_client(unclaimed_ttl_seconds=120, session_ttl_seconds=3600)
    manager = c.app.state.manager
    never, opened_once = create(c), create(c)
    with connect(c, opened_once, token=False):
        pass
    deadline = time.monotonic() + 10
    while manager.get(opened_once["id"]).conns and time.monotonic() < deadline:
        time.sleep(0.01)
    start = manager.get(never["id"]).created
    assert manager.reap(now=start + 60) == []
    closed = manager.reap(now=start + 121)
    assert [sid for sid, _ in closed] == [never["id"]] and "120 s" in closed[0][1]
    assert manager.get(opened_once["id"]) is not None
    assert [sid for sid, _ in manager.reap(now=time.monotonic() + 3600)] == [opened_once["id"]]


def test_the_reaper_closes_an_unopened_session_on_its_own(make_client):
    c = make_client(unclaimed_ttl_seconds=0.2)
    s = create(c)
    deadline = time.monotonic() + 20
    while c.get("/api/health").json()["sessions"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert c.get(f"/api/sessions/{s['id']}").status_code == 404


# ---------------------------------------------------------------------- settings
@pytest.mark.parametrize("name, value", [
    ("fps", 0), ("fps", float("nan")), ("port", 0), ("port", 70000), ("max_sessions", 0),
    ("max_work", 0), ("session_ttl_seconds", -1), ("unclaimed_ttl_seconds", 0),
    ("commands_per_second", 0), ("grid_output", 1), ("training_slots", 0),
    ("switch_interval", 0), ("send_wait", 2), ("max_upload_bytes", 0), ("host", " "),
    ("idle_pause_seconds", 0), ("idle_pause_seconds", float("inf")),
])
def test_settings_out_of_range_are_refused_by_name(name, value):
    with pytest.raises(SettingsError) as e:
        Settings(**{name: value})
    assert str(e.value).startswith(f"{name} (BACKPROP_{name.upper()}): ")
    assert "not allowed" in str(e.value)


def test_python_m_app_exits_2_on_a_bad_setting(monkeypatch, capsys):
    monkeypatch.setenv("BACKPROP_FPS", "0")
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert "fps (BACKPROP_FPS): 0.0 is not allowed" in err and "> 0" in err


# ------------------------------------------------------------ the start banner
def test_listening_on_every_interface_prints_reachable_addresses():
    text = cli.banner("0.0.0.0", 8000, ["192.168.1.20", "10.0.0.5"])
    assert "http://192.168.1.20:8000" in text and "http://10.0.0.5:8000" in text
    assert "0.0.0.0" not in text
    fallback = cli.banner("0.0.0.0", 8000, [])
    assert "this machine's address on your network" in fallback and "0.0.0.0" not in fallback
    assert cli.banner("127.0.0.1", 8000, []) == \
        "Backprop Lab is running at http://127.0.0.1:8000  (Ctrl-C stops it)"


def test_lan_addresses_skip_loopback_and_send_nothing(monkeypatch):
    calls: list[str] = []

    class Probe:
        def __init__(self, *args):
            calls.append("socket")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def connect(self, addr):
            calls.append(f"connect {addr[0]}")

        def getsockname(self):
            return ("10.1.2.3", 5555)

        def send(self, *a):  # pragma: no cover - must not be called
            calls.append("send")

        sendto = send

    monkeypatch.setattr(cli.socket, "socket", Probe)
    monkeypatch.setattr(cli.socket, "getaddrinfo", lambda *a: [
        (2, 2, 17, "", ("127.0.1.1", 0)), (2, 2, 17, "", ("192.168.0.7", 0)),
        (2, 2, 17, "", ("10.1.2.3", 0))])
    assert cli.lan_addresses() == ["192.168.0.7", "10.1.2.3"]
    assert "send" not in calls and any(c.startswith("connect 10.") for c in calls)

