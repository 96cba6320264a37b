"""The table of event codes: well formed, and served at GET /api/codes."""

import re

from app.codes import CODES, FIELDS


def test_every_code_is_lower_snake_case_with_a_description():
    for code, text in CODES.items():
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", code), code
        assert text.strip() and "\n" not in text, code
    assert set(FIELDS) <= set(CODES)


def test_codes_are_served(client):
    r = client.get("/api/codes")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == set(CODES)
    assert body["until_reached"] == {"description": CODES["until_reached"], "fields": ["step"]}


def test_http_refusals_carry_their_code(make_client):
    client = make_client(max_params=100)
    r = client.post("/api/sessions", json={"preset": "nope"})
    assert r.status_code == 422
    d = r.json()["detail"][0]
    assert d["code"] == "unknown_preset" and d["field"] == "preset" and "spiral" in d["allowed"]
    r = client.post("/api/sessions", json={"config": {"lr": -1}})
    d = r.json()["detail"][0]
    assert r.status_code == 422 and d["code"] == "invalid_config" and d["field"] == "lr"
    r = client.post("/api/sessions", json={"config": {"layers": [16, 16]}})
    d = r.json()["detail"][0]
    assert d["code"] == "too_many_params" and d["params"] > d["limit"]


def test_a_refused_handshake_names_its_code(client):
    from starlette.testclient import WebSocketDenialResponse

    try:
        with client.websocket_connect("/ws/nope"):
            raise AssertionError("the handshake was accepted")
    except WebSocketDenialResponse as exc:
        assert exc.status_code == 404 and exc.json()["code"] == "session_not_found"


def test_an_unknown_session_id_is_echoed_short(client):
    long_id = "x" * 20_000
    r = client.get(f"/api/sessions/{long_id}")
    assert r.status_code == 404 and len(r.text) < 300 and "xxx…" in r.json()["detail"]
