"""A run nobody watches pauses by itself; ``play`` can stop at a step count (``until``), and
a lesson stops its first play at the step count its claim is measured at."""

import time

import pytest
from app_helpers import Reader, connect, create, opened

from engine import lessons


def summary(client, s):
    return client.get(f"/api/sessions/{s['id']}").json()


def wait_for(predicate, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out")


# --------------------------------------------------------------------------- idle pause
def test_a_run_left_playing_without_clients_pauses_and_the_next_client_is_told(make_client):
    client = make_client(idle_pause_seconds=0.3)
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="play")
        r.frame(where=lambda h: h["step"] > 0)
    wait_for(lambda: not summary(client, s)["running"])
    step = summary(client, s)["step"]
    time.sleep(0.3)
    assert summary(client, s)["step"] == step  # it really stopped training
    with connect(client, s, token=False) as ws:
        r = Reader(ws)
        hello = r.recv()
        assert hello["running"] is False and hello["step"] == step
        notice = r.recv()
        assert notice["type"] == "notice" and notice["reason"] == "idle"
        assert isinstance(notice["step"], int) and notice["step"] > 0
        assert f"paused at step {step:,}" in notice["message"] and "0.3 s" in notice["message"]
        state = r.recv()
        assert state == {"type": "state", "running": False, "speed": None, "step": step,
                         "epoch": hello["epoch"], "until": None}
    with connect(client, s) as ws:  # told once: the next client gets no notice
        r = Reader(ws)
        r.recv()
        seen = []
        while not (isinstance(m := r.recv(), tuple) and m[0]["kind"] == "frame"):
            seen.append(m)
        assert not [m for m in seen if isinstance(m, dict) and m["type"] == "notice"]
        r.send(type="play")  # and it plays on from where it paused
        r.frame(where=lambda h: h["step"] > step)


def test_a_short_drop_does_not_pause_the_run(make_client):
    client = make_client(idle_pause_seconds=1.5)
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="play")
        r.frame(where=lambda h: h["step"] > 0)
    with connect(client, s) as ws:  # back within the delay
        r = Reader(ws)
        assert r.recv()["running"] is True
        time.sleep(2.0)  # longer than the delay since the drop, with a client connected
        assert summary(client, s)["running"] is True
        header, _ = r.frame(where=lambda h: h["running"])
        r.send(type="pause")
        assert r.event("state")["running"] is False


def test_a_paused_run_without_clients_gets_no_notice(make_client):
    client = make_client(idle_pause_seconds=0.1)
    s = create(client)
    with connect(client, s) as ws:
        opened(ws)
    time.sleep(0.3)
    with connect(client, s) as ws:
        r = Reader(ws)
        r.recv()
        assert isinstance(r.recv(), tuple)  # the data frame comes next: nothing to tell


# -------------------------------------------------------------------------------- until
def test_play_until_stops_at_that_step_and_says_why(client):
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="play", until=57, id=1)
        assert r.event("ack")["id"] == 1
        state = r.event("state")
        assert state["running"] is True and state["until"] == 57
        notice = r.event("notice")
        assert notice["reason"] == "until" and notice["step"] == 57
        assert "paused at step 57" in notice["message"]
        state = r.event("state")
        assert state == {"type": "state", "running": False, "speed": None, "step": 57,
                         "epoch": state["epoch"], "until": None}
        header, _ = r.frame(where=lambda h: not h["running"])
        assert header["step"] == 57 and r.history[-1][0] == 57
        assert summary(client, s)["step"] == 57 and summary(client, s)["until"] is None
        r.send(type="resync")
        assert r.event("hello")["until"] is None
        r.send(type="play")  # a further play has no limit
        r.frame(where=lambda h: h["step"] > 57 and h["running"])
        r.send(type="pause")
        assert r.event("state")["until"] is None


def test_play_until_with_a_speed_cap_and_in_a_race_stops_at_the_lead_runner(client):
    s = create(client, config={"data": "spiral", "layers": [8], "batch_size": 0},
               race={"runners": [{"optimizer": "sgd", "lr": 0.1, "label": "SGD"},
                                 {"optimizer": "adam", "lr": 0.01, "label": "Adam"}]})
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="speed", steps_per_second=2000)
        r.send(type="play", until=45)
        assert r.event("notice")["reason"] == "until"
        header, _ = r.frame(where=lambda h: not h["running"])
        assert header["step"] == 45 and [x["step"] for x in header["runners"]] == [45, 45]


def test_bad_until_is_refused_naming_it(client):
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        for bad in (0, -3, 2.5, "10", True, 10**10):
            r.send(type="play", until=bad, id="u")
            e = r.event("error")
            assert e["field"] == "until" and e["id"] == "u" and "whole number" in e["message"]
        r.send(type="step", n=20)
        r.frame(where=lambda h: h["step"] == 20)
        r.send(type="play", until=20)
        e = r.event("error")
        assert e["field"] == "until" and "not ahead of the run, which is at step 20" in \
            e["message"]
        assert summary(client, s)["running"] is False


def test_a_lesson_stops_its_first_play_at_the_lessons_step_count(client):
    steps = lessons.lesson("no-hidden-layer")["steps"]
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="lesson", name="no-hidden-layer")
        assert r.event("state")["until"] == steps
        r.send(type="resync")
        assert r.event("hello")["until"] == steps
        assert summary(client, s)["until"] == steps
        r.send(type="step", n=10)  # stepping by hand keeps the limit for the next play
        r.frame(where=lambda h: h["step"] == 10)
        r.send(type="play")
        assert r.event("state")["until"] == steps
        assert "lesson" in r.event("notice")["message"]
        header, _ = r.frame(where=lambda h: not h["running"])
        assert header["step"] == steps
        r.send(type="play")  # a further play continues without a limit
        state = r.event("state")
        assert state["running"] is True and state["until"] is None
        r.frame(where=lambda h: h["step"] > steps)


def test_a_lesson_limit_passed_by_hand_no_longer_applies(client):
    steps = lessons.lesson("batch-size")["steps"]
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="lesson", name="batch-size")
        r.send(type="step", n=steps + 5)
        r.frame(where=lambda h: h["step"] == steps + 5)
        r.send(type="play")
        assert r.event("state")["until"] is None
        r.frame(where=lambda h: h["step"] > steps + 5)


@pytest.mark.parametrize("upload", [False, True])
def test_play_until_null_or_a_new_run_drops_the_limit(client, upload):
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="lesson", name="no-hidden-layer")
        assert r.event("state")["until"] == 300
        if upload:
            csv = "x1,x2,y\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(40))
            res = client.post(f"/api/sessions/{s['id']}/csv", files={"file": ("d.csv", csv)},
                              headers={"X-Control-Token": s["token"]})
            assert res.status_code == 200, res.text
            assert r.event("state")["until"] is None
        else:
            r.send(type="play", until=None)
            assert r.event("state")["until"] is None
            r.send(type="pause")
            r.event("state")
