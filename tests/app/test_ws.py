"""Every websocket command and every bad input, through the TestClient."""

import json

import numpy as np
import pytest
from app_helpers import Reader, connect, create, opened
from starlette.testclient import WebSocketDenialResponse


def test_hello_then_data_then_frame(client):
    s = create(client)
    with connect(client, s) as ws:
        r = Reader(ws)
        hello = r.recv()
        assert hello["role"] == "control" and hello["session"] == s["id"]
        assert hello["config"] == s["config"] and hello["running"] is False
        assert hello["info"]["sizes"] == [2, 8, 8, 1] and hello["info"]["task"] == \
            "classification"
        assert hello["history"]["columns"][0] == "step"
        header, arrays = r.frame("data")
        assert arrays["train_x"].shape[1] == 2
        header, arrays = r.frame()
        assert header["step"] == 0 and header["seq"] >= 1
        assert arrays["W0"].shape == (8, 2) and arrays["grid_output"].dtype == np.uint8
        ranges = {a["name"]: a.get("range") for a in header["arrays"]}
        assert ranges["grid_output"] == [0.0, 1.0] and ranges["W0"] is None
        assert r.history and r.history[0][0] == 0


def test_viewer_gets_viewer_role_and_is_read_only(client):
    s = create(client)
    with connect(client, s, token=False) as ws:
        r = opened(ws)
        assert r.hello["role"] == "viewer"
        r.send(type="play", id=7)
        e = r.event("error")
        assert "read-only" in e["message"] and e["id"] == 7
        r.send(type="ping", id=8)
        assert r.event("pong")["id"] == 8
    assert client.get(f"/api/sessions/{s['id']}").json()["running"] is False


def test_wrong_token_and_unknown_session_are_refused(client):
    s = create(client)
    with pytest.raises(WebSocketDenialResponse) as e:
        with client.websocket_connect(f"/ws/{s['id']}?token=wrong"):
            pass
    assert e.value.status_code == 403
    with pytest.raises(WebSocketDenialResponse) as e:
        with client.websocket_connect("/ws/nope"):
            pass
    assert e.value.status_code == 404


def test_play_trains_and_pause_stops(client):
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="play", id=1)
        assert r.event("ack")["command"] == "play"
        assert r.event("state")["running"] is True
        first, _ = r.frame(where=lambda h: h["step"] > 0)
        later, _ = r.frame(where=lambda h: h["step"] > first["step"])
        assert later["seq"] > first["seq"]
        r.send(type="pause")
        state = r.event("state")
        assert state["running"] is False
    info = client.get(f"/api/sessions/{s['id']}").json()
    assert info["running"] is False and info["step"] >= later["step"]


def test_step_runs_exactly_n_steps(client):
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="step", n=7, id="a")
        assert r.event("ack")["id"] == "a"
        header, _ = r.frame(where=lambda h: h["step"] == 7)
        r.send(type="step")
        r.frame(where=lambda h: h["step"] == 8)
        assert r.history[-1][0] == 8


def test_epoch_runs_to_the_end_of_the_epoch(client):
    s = create(client)  # 250 training points, batch 10: 25 steps
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="step", n=3)
        r.frame(where=lambda h: h["step"] == 3)
        r.send(type="epoch")
        header, _ = r.frame(where=lambda h: h["step"] == 25)
        assert header["epoch"] == pytest.approx(1.0)


def test_phase_steps_through_forward_loss_backward_update(client):
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        phases = []
        for _ in range(4):
            r.send(type="phase")
            phases.append(r.event("phase"))
        assert [p["phase"] for p in phases] == ["forward", "loss", "backward", "update"]
        assert len(phases[0]["layers"]) == 3
        assert np.isfinite(phases[1]["loss"])
        r.frame(where=lambda h: h["step"] == 1)


def test_set_live_field_keeps_weights_and_step(client):
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="step", n=20)
        before, arrays = r.frame(where=lambda h: h["step"] == 20)
        w = arrays["W0"].copy()
        r.send(type="set", config={"lr": 0.001, "dropout": 0.1})
        cfg = r.event("config")
        assert cfg["rebuilt"] is None and set(cfg["changed"]) == {"lr", "dropout"}
        assert cfg["config"]["lr"] == 0.001
        after, arrays = r.frame()
        assert after["step"] == 20
        np.testing.assert_array_equal(arrays["W0"], w)


def test_set_rebuild_field_says_so_and_restarts(client):
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="step", n=5)
        r.frame(where=lambda h: h["step"] == 5)
        r.send(type="set", config={"layers": [3]})
        cfg = r.event("config")
        assert cfg["rebuilt"] == "network" and cfg["info"]["sizes"] == [2, 3, 1]
        assert "rebuilt" in r.event("notice")["message"]
        header, arrays = r.frame()
        assert header["step"] == 0 and arrays["W0"].shape == (3, 2)
        assert len(r.history) == 1  # the history started again
        r.send(type="set", config={"data": "xor"})
        assert r.event("config")["rebuilt"] == "data"
        r.frame("data")


def test_set_invalid_value_is_an_error_naming_the_field(client):
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="set", config={"lr": -1}, id=3)
        e = r.event("error")
        assert e["field"] == "lr" and e["value"] == -1 and e["id"] == 3
        assert "lr" in e["message"]
        r.send(type="set", config={})
        assert r.event("error")["field"] == "config"


def test_set_over_the_parameter_cap_is_an_error(make_client):
    c = make_client(max_params=2000)
    s = create(c)
    with connect(c, s) as ws:
        r = opened(ws)
        r.send(type="set", config={"layers": [64, 64]})
        e = r.event("error")
        assert e["field"] == "layers" and "2,000" in e["message"]


def test_reset_new_seed_and_regenerate(client):
    s = create(client)
    with connect(client, s) as ws:
        r = Reader(ws)
        r.recv()
        r.frame("data")
        _, first = r.frame()
        w0 = first["W0"].copy()
        r.send(type="step", n=10)
        r.frame(where=lambda h: h["step"] == 10)
        r.send(type="reset")
        assert r.event("ack")["command"] == "reset"
        header, arrays = r.frame(where=lambda h: h["step"] == 0)
        np.testing.assert_array_equal(arrays["W0"], w0)
        assert len(r.history) == 1
        r.send(type="new_seed")
        cfg = r.event("config")
        assert cfg["config"]["seed"] == 1 and cfg["rebuilt"] == "network"
        _, arrays = r.frame()
        assert not np.array_equal(arrays["W0"], w0)
        r.send(type="regenerate")
        cfg = r.event("config")
        assert cfg["config"]["data_seed"] == 1 and cfg["rebuilt"] == "data"
        r.frame("data")


def test_speed_cap_and_unlimited(client):
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="speed", steps_per_second=50)
        assert r.event("state")["speed"] == 50
        r.send(type="play")
        r.frame(where=lambda h: h["step"] > 2)
        r.send(type="speed", steps_per_second=None)
        assert r.event("state")["speed"] is None
        r.send(type="speed", steps_per_second=-3)
        assert r.event("error")["field"] == "steps_per_second"
        r.send(type="pause")
        r.event("state")


def test_set_weight_and_freeze(client):
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="set_weight", layer=0, row=1, col=0, value=0.25)
        r.event("ack")
        _, arrays = r.frame()
        assert arrays["W0"][1, 0] == pytest.approx(0.25)
        r.send(type="set_weight", layer=1, row=2, bias=True, value=-1.5)
        r.event("ack")
        _, arrays = r.frame()
        assert arrays["b1"][2] == pytest.approx(-1.5)
        r.send(type="set_weight", layer=9, row=0, col=0, value=1)
        assert r.event("error")["field"] == "layer"
        r.send(type="set_weight", layer=0, row=0, col=5, value=1)
        assert r.event("error")["field"] == "col"
        r.send(type="set_weight", layer=0, row=0, col=0, value=float("inf"))
        assert r.event("error")["field"] == "value"
        r.send(type="freeze", layer=0, frozen=True)
        cfg = r.event("config")
        assert cfg["changed"] == ["frozen"] and cfg["info"]["frozen"] == [0]
        _, arrays = r.frame()
        w = arrays["W0"].copy()
        assert list(arrays["frozen"]) == [1, 0, 0]
        r.send(type="step", n=5)
        _, arrays = r.frame(where=lambda h: h["step"] == 5)
        np.testing.assert_array_equal(arrays["W0"], w)
        r.send(type="freeze", layer=0, frozen="yes")
        assert r.event("error")["field"] == "frozen"


def test_set_weight_while_running_is_refused(client):
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="play")
        r.event("state")
        r.send(type="set_weight", layer=0, row=0, col=0, value=1)
        assert "pause" in r.event("error")["message"]
        r.send(type="pause")


def test_resync_sends_the_full_state_again(client):
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="step", n=4)
        r.frame(where=lambda h: h["step"] == 4)
        r.send(type="resync")
        hello = r.event("hello")
        assert hello["step"] == 4 and len(hello["history"]["rows"]) == 2
        r.frame("data")


@pytest.mark.parametrize("message, expect", [
    ("{not json", "not JSON"),
    ("[1, 2]", "JSON object"),
    ('{"type": "dance"}', "not a command"),
    ('{"no": "type"}', "not a command"),
    ('{"type": "step", "n": 0}', "n: 0"),
    ('{"type": "step", "n": 1.5}', "n: 1.5"),
    ('{"type": "set", "config": [1]}', "config"),
    ('{"type": "speed"}', "steps_per_second"),
])
def test_bad_messages_get_an_error_and_the_connection_stays_open(client, message, expect):
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        ws.send_text(message)
        e = r.event("error")
        assert expect in e["message"]
        r.send(type="ping", id=1)
        assert r.event("pong")["id"] == 1


def test_binary_and_oversized_messages_are_refused(make_client):
    c = make_client(max_message_bytes=1000)
    s = create(c)
    with connect(c, s) as ws:
        r = opened(ws)
        ws.send_bytes(b"\x00\x01")
        assert "binary" in r.event("error")["message"]
        ws.send_text(json.dumps({"type": "set", "config": {"lr": 0.1}, "pad": "x" * 2000}))
        assert "at most 1,000" in r.event("error")["message"]
        r.send(type="ping", id=2)
        assert r.event("pong")["id"] == 2


def test_commands_over_the_rate_limit_are_refused(make_client):
    c = make_client(commands_per_second=5)
    s = create(c)
    with connect(c, s) as ws:
        r = opened(ws)
        for i in range(12):
            r.send(type="ping", id=i)
        errors = []
        pongs = []
        for _ in range(12):
            e = r.recv()
            (errors if e["type"] == "error" else pongs).append(e)
        assert len(pongs) >= 5 and errors
        assert "too many commands" in errors[0]["message"]


def test_divergence_stops_the_run_with_an_event(client):
    s = create(client, config={"data": "plane", "layers": [8], "optimizer": "sgd",
                               "lr": 10, "momentum": 0.9, "batch_size": 10})
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="play")
        d = r.event("diverged", limit=5000)
        assert d["quantity"] in ("loss", "gradient", "update") and "learning rate" in \
            d["message"]
        state = r.event("state")
        assert state["running"] is False
        r.send(type="play", id=5)
        assert "diverged" in r.event("error")["message"]
        r.send(type="reset")
        r.event("ack")
    info = client.get(f"/api/sessions/{s['id']}").json()
    assert info["diverged"] is None and info["step"] == 0
    assert client.get("/api/health").json()["status"] == "ok"


def test_a_crashing_trainer_errors_its_own_session_only(client):
    bad = create(client)
    good = create(client)
    session = client.app.state.manager.get(bad["id"])

    def boom(n=1):
        raise FloatingPointError("simulated failure")

    session.trainer.step = boom
    with connect(client, bad) as ws_bad, connect(client, good) as ws_good:
        rb, rg = opened(ws_bad), opened(ws_good)
        rb.send(type="play")
        e = rb.event("error")
        assert "simulated failure" in e["message"]
        rg.send(type="step", n=3)
        rg.frame(where=lambda h: h["step"] == 3)
        rb.send(type="ping", id=1)
        assert rb.event("pong")["id"] == 1


def test_deleting_a_session_closes_its_sockets(client):
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        client.delete(f"/api/sessions/{s['id']}", headers={"X-Control-Token": s["token"]})
        with pytest.raises(ConnectionError, match="4410"):
            for _ in range(100):
                r.recv()


def test_viewers_are_counted(client):
    s = create(client)
    with connect(client, s, token=False) as a, connect(client, s, token=False) as b:
        opened(a)
        opened(b)
        assert client.get(f"/api/sessions/{s['id']}").json()["viewers"] == 2
