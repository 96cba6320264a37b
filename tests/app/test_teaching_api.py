"""Teaching over the websocket: phases for everyone, the presenter's state, lessons, and
predictions with every layer's numbers."""

import json

import numpy as np
from app_helpers import Reader, connect, create, opened

from engine import lessons
from engine.trainer import Trainer


# ------------------------------------------------------------------------------- phases
def test_phase_events_reach_viewers_and_a_late_viewer_gets_the_last_one(client):
    s = create(client)
    with connect(client, s) as cws, connect(client, s, token=False) as vws:
        control, viewer = opened(cws), opened(vws)
        control.send(type="phase")
        assert control.event("phase")["phase"] == "forward"
        assert viewer.event("phase")["phase"] == "forward"
        control.send(type="phase")
        loss = viewer.event("phase")
        assert loss["phase"] == "loss" and control.event("phase") == loss
        with connect(client, s, token=False) as late_ws:
            late = Reader(late_ws)
            hello = late.recv()
            assert hello["phase"]["phase"] == "loss" and hello["phase"]["loss"] == loss["loss"]
        control.send(type="phase")
        control.send(type="phase")
        assert control.event("phase")["phase"] == "backward"
        assert control.event("phase")["phase"] == "update"
        control.send(type="resync")
        assert control.event("hello")["phase"] is None  # the step is complete


def test_a_late_viewer_gets_every_phase_of_the_last_walked_step_until_the_next(client):
    s = create(client)
    with connect(client, s) as cws:
        control = opened(cws)

        def late_hello():
            with connect(client, s, token=False) as ws:
                return Reader(ws).recv()

        control.send(type="phase")
        forward = control.event("phase")
        assert late_hello()["phases"] == [forward]  # mid-step: the phases so far
        walked = [forward]
        for _ in range(3):
            control.send(type="phase")
            walked.append(control.event("phase"))
        hello = late_hello()
        assert hello["phase"] is None  # as before: no step in progress
        assert [p["phase"] for p in hello["phases"]] == ["forward", "loss", "backward", "update"]
        assert hello["phases"] == walked
        control.send(type="resync")  # a reconnecting teacher too
        assert control.event("hello")["phases"] == walked
        control.send(type="phase")  # the next step walked phase by phase replaces it
        again = control.event("phase")
        assert again["phase"] == "forward" and late_hello()["phases"] == [again]
        for _ in range(3):
            control.send(type="phase")
            control.event("phase")
        control.send(type="step")  # the next step starts: the walked one is over
        control.frame(where=lambda h: h["step"] == 3)
        assert late_hello()["phases"] == []


def test_reset_and_rebuilds_forget_the_walked_step(client):
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        for change in ({"type": "reset"}, {"type": "new_seed"},
                       {"type": "set", "config": {"layers": [3]}}, {"type": "epoch"}):
            for _ in range(4):
                r.send(type="phase")
                r.event("phase")
            r.send(type="resync")
            assert len(r.event("hello")["phases"]) == 4
            r.send(**change, id="c")
            r.event("ack")
            r.send(type="resync")
            assert r.event("hello")["phases"] == [], change
        for _ in range(2):
            r.send(type="phase")
            r.event("phase")
        r.send(type="set", config={"lr": 0.01})  # a live change keeps it
        r.event("config")
        r.send(type="resync")
        assert [p["phase"] for p in r.event("hello")["phases"]] == ["forward", "loss"]


def test_frames_flow_between_phases_and_leave_the_step_as_the_engine_takes_it(client):
    config = {"data": "moons", "layers": [5], "dropout": 0.3, "batch_size": 8}
    s = create(client, config=config)
    twin = Trainer(s["config"])
    with connect(client, s) as ws:
        r = opened(ws)
        for _ in range(4):
            r.send(type="phase")
            got = r.event("phase")
            want = twin.step_phase()
            header, arrays = r.frame()  # a frame between phases: the state mid-step
            assert header["step"] == twin.step_count
            for gl, wl in zip(got["layers"], want["layers"], strict=True):
                for key in ("x", "z", "a", "dW", "W"):
                    if wl.get(key) is not None:
                        np.testing.assert_allclose(np.array(gl[key], np.float32), wl[key],
                                                   rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(arrays["W0"], twin.net.layers[0].W, rtol=1e-6)


# ---------------------------------------------------------------------------- presenter
def test_presenter_state_goes_to_every_client_and_to_late_joiners(client):
    s = create(client)
    state = {"panel": "walkthrough", "phase": "backward", "neuron": [1, 3], "lang": "ja"}
    with connect(client, s) as cws, connect(client, s, token=False) as vws:
        control, viewer = opened(cws), opened(vws)
        control.send(type="presenter", state=state)
        assert viewer.event("presenter")["state"] == state
        assert control.event("presenter")["state"] == state
        with connect(client, s, token=False) as late_ws:
            assert Reader(late_ws).recv()["presenter"] == state


def test_bad_presenter_states_are_refused(client):
    s = create(client)
    with connect(client, s) as cws, connect(client, s, token=False) as vws:
        control, viewer = opened(cws), opened(vws)
        big = {"notes": "x" * 5000}
        control.send(type="presenter", state=big, id=1)
        e = control.event("error")
        assert e["field"] == "state" and "at most 4,096 bytes" in e["message"] and e["id"] == 1
        control.send(type="presenter", state=[1, 2])
        assert control.event("error")["field"] == "state"
        viewer.send(type="presenter", state={"panel": "x"})
        assert "read-only" in viewer.event("error")["message"]
        control.send(type="resync")
        assert control.event("hello")["presenter"] is None


# ------------------------------------------------------------------------------ lessons
def test_a_lesson_loads_its_variant_and_hello_remembers_it(client):
    s = create(client)
    with connect(client, s) as cws, connect(client, s, token=False) as vws:
        control, viewer = opened(cws), opened(vws)
        control.send(type="lesson", name="xor-needs-hidden-layer", variant="hidden-layer", id=2)
        assert control.event("ack")["id"] == 2
        assert viewer.event("lesson") == {"type": "lesson", "name": "xor-needs-hidden-layer",
                                          "variant": "hidden-layer"}
        cfg = viewer.event("config")
        want = lessons.runs("xor-needs-hidden-layer")[1]["config"]
        assert cfg["config"] == want and cfg["rebuilt"] == "data" and cfg["race"] is None
        assert cfg["info"]["sizes"] == [2, 8, 1]
        viewer.frame("data")
        control.send(type="resync")
        hello = control.event("hello")
        assert hello["lesson"] == {"name": "xor-needs-hidden-layer", "variant": "hidden-layer"}
        assert hello["running"] is False
        control.send(type="lesson", name="batch-size", variant=None)
        assert control.event("lesson")["variant"] == "batch-1"  # the first variant


def test_a_race_lesson_turns_the_session_into_a_race_and_back(client):
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="lesson", name="optimizer-race")
        assert r.event("lesson")["variant"] is None
        cfg = r.event("config")
        assert len(cfg["race"]["runners"]) == 3
        assert cfg["race"]["target"] == {"metric": "train_loss", "value": 0.1}
        r.send(type="resync")
        assert r.event("hello")["history"]["columns"][0] == "runner"
        r.send(type="step", n=5)
        header, arrays = r.frame(where=lambda h: h["step"] == 5)
        assert len(header["runners"]) == 3 and "r2.grid_output" in arrays
        r.send(type="lesson", name="no-hidden-layer")
        assert r.event("config")["race"] is None
        r.send(type="resync")
        hello = r.event("hello")
        assert hello["race"] is None and hello["history"]["columns"][0] == "step"


def test_bad_lessons_are_refused_naming_the_field(client):
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="lesson", name="astrology")
        e = r.event("error")
        assert e["field"] == "name" and "not a lesson; allowed: no-hidden-layer" in e["message"]
        r.send(type="lesson", name="batch-size", variant="batch-7")
        e = r.event("error")
        assert e["field"] == "variant" and "allowed: batch-1, batch-10" in e["message"]
        r.send(type="lesson", name="optimizer-race", variant="fast")
        assert r.event("error")["field"] == "variant"
        r.send(type="lesson", name="no-hidden-layer", variant="x")
        assert "no variants" in r.event("error")["message"]
        r.send(type="lesson", name=7)
        assert r.event("error")["field"] == "name"
    with connect(client, s, token=False) as ws:
        r = opened(ws)
        r.send(type="lesson", name="batch-size")
        assert "read-only" in r.event("error")["message"]


# ------------------------------------------------------------------------------ predict
def test_predict_gives_every_layer_as_the_engine_computes_it(client):
    s = create(client, config={"data": "digits", "layers": [16], "batch_size": 32})
    twin = Trainer(s["config"])
    raw = twin.data.raw_test[:3].tolist()
    want = twin.explain(raw)
    with connect(client, s, token=False) as ws:  # a viewer may ask: it changes nothing
        r = opened(ws)
        r.send(type="predict", raw=raw, id="d")
        p = r.event("prediction")
        assert p["id"] == "d" and p["class_names"] == [str(i) for i in range(10)]
        np.testing.assert_allclose(p["p"], want["p"], rtol=1e-6, atol=1e-7)
        assert p["class"] == want["class"].tolist()
        assert [np.array(la["z"]).shape for la in p["layers"]] == [(3, 16), (3, 10)]
        np.testing.assert_allclose(p["layers"][0]["a"], want["layers"][0]["a"], rtol=1e-6,
                                   atol=1e-7)
        assert p["layers"][-1]["a"] == p["p"]


def test_bad_predictions_are_refused_naming_raw(client):
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        for raw, text in (([[1.0, 2.0, 3.0]], "rows have 3 values; this data set takes 2"),
                          ([[0.0, 0.0]] * 65, "65 rows is too many; at most 64"),
                          ([], "a list of 1 to 64 rows"),
                          ([[1.0, "a"]], "every value must be a finite number"),
                          ("1,2", "a list of 1 to 64 rows")):
            r.send(type="predict", raw=raw, id="x")
            e = r.event("error")
            assert e["field"] == "raw" and text in e["message"], e
        r.send(type="predict", raw=[[1.0, 2.0]])
        assert len(r.event("prediction")["p"]) == 1  # the connection is still fine
    assert json.dumps(client.get(f"/api/sessions/{s['id']}").json()["running"]) == "false"
