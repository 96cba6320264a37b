"""Race sessions: two to four runners in lockstep, their frames, history and commands."""

import numpy as np
import pytest
from app_helpers import Reader, connect, create, opened

from engine import lessons

SGD = {"optimizer": "sgd", "lr": 0.1, "momentum": 0, "label": "SGD"}
ADAM = {"optimizer": "adam", "lr": 0.01, "label": "Adam"}
BASE = {"data": "spiral", "layers": [8], "batch_size": 0}
TARGET = {"metric": "train_loss", "value": 0.6}


def race(client, runners=(SGD, ADAM), target=TARGET, config=BASE):
    return create(client, config=config, race={"runners": list(runners), "target": target})


def test_hello_describes_the_race_and_history_has_a_runner_column(client):
    s = race(client)
    with connect(client, s) as ws:
        r = Reader(ws)
        hello = r.recv()
        assert hello["race"]["target"] == TARGET
        assert hello["race"]["check_every"] == 10
        assert [x["label"] for x in hello["race"]["runners"]] == ["SGD", "Adam"]
        assert hello["race"]["runners"][1]["fields"] == {"optimizer": "adam", "lr": 0.01}
        assert hello["race"]["runners"][0]["info"]["sizes"] == [2, 8, 1]
        assert hello["history"]["columns"] == ["runner", "step", "epoch", "train_loss",
                                               "test_loss", "train_acc", "test_acc", "seconds"]
    summary = client.get(f"/api/sessions/{s['id']}").json()
    assert summary["race"]["target"] == TARGET


def test_frames_carry_every_runner_and_the_winner(client):
    s = race(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="step", n=200)
        header, arrays = r.frame(where=lambda h: h["step"] == 200)
        runners = header["runners"]
        assert [x["label"] for x in runners] == ["SGD", "Adam"]
        assert all(x["step"] == 200 and x["seconds"] > 0 for x in runners)
        for k in (0, 1):
            assert arrays[f"r{k}.grid_output"].dtype == np.uint8
            assert arrays[f"r{k}.grad_norm"].shape == (2,)
            assert arrays[f"r{k}.confusion"].shape == (2, 2)
        assert "W0" in arrays and "grid_hidden0" in arrays  # runner 0's network
        ranges = {a["name"]: a.get("range") for a in header["arrays"]}
        assert ranges["r1.grid_output"] == [0.0, 1.0]
        # Adam is below 0.6 after 200 full-batch steps on this spiral, plain SGD is not
        assert runners[1]["metrics"]["train_loss"] <= 0.6 < runners[0]["metrics"]["train_loss"]
        assert runners[1]["reached"]["step"] <= 200 and runners[0]["reached"] is None
        assert header["winner"]["runner"] == 1 and header["winner"]["label"] == "Adam"
        assert header["target"] == TARGET
        last = [row for row in r.history if row[1] == 200]
        assert sorted(row[0] for row in last) == [0, 1]
        assert all(row[7] > 0 for row in last)  # seconds of training


@pytest.mark.parametrize("runners, field", [
    ([SGD], "runners"),
    ([SGD, ADAM, SGD, ADAM, SGD], "runners"),
    ([SGD, {**ADAM, "layers": [4]}], "runners[1].layers"),
    ([SGD, {**ADAM, "dropout": 0.5}], "runners[1].dropout"),
    ([SGD, {**ADAM, "lr": -1}], "runners[1].lr"),
])
def test_bad_runners_answer_422_naming_the_field(client, runners, field):
    r = client.post("/api/sessions", json={"config": BASE,
                                           "race": {"runners": runners, "target": TARGET}})
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert detail[0]["field"] == field and detail[0]["message"].startswith(field)
    assert client.get("/api/health").json()["sessions"] == 0


@pytest.mark.parametrize("race_body, field", [
    ({"runners": [SGD, ADAM], "target": {"metric": "speed", "value": 1}}, "target.metric"),
    ({"runners": [SGD, ADAM], "target": {"metric": "test_acc", "value": 2}}, "target.value"),
    ({"runners": [SGD, ADAM], "finish": 3}, "race.finish"),
])
def test_bad_targets_answer_422_naming_the_field(client, race_body, field):
    r = client.post("/api/sessions", json={"config": BASE, "race": race_body})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == field


def test_set_refuses_runner_fields_and_applies_shared_ones_to_every_runner(client):
    s = race(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="set", config={"lr": 0.5}, id=1)
        e = r.event("error")
        assert e["field"] == "lr" and "runners set their own lr" in e["message"]
        r.send(type="set", config={"batch_size": 10, "dropout": 0.1})
        cfg = r.event("config")
        assert cfg["rebuilt"] is None and set(cfg["changed"]) == {"batch_size", "dropout"}
        r.send(type="step", n=25)  # 250 training points, batch 10: one epoch for each runner
        header, _ = r.frame(where=lambda h: h["step"] == 25)
        assert all(x["epoch"] == pytest.approx(1.0) for x in header["runners"])
        r.send(type="set", config={"layers": [3]})
        cfg = r.event("config")
        assert cfg["rebuilt"] == "network"
        assert [x["info"]["sizes"] for x in cfg["race"]["runners"]] == [[2, 3, 1]] * 2
        assert [x["label"] for x in cfg["race"]["runners"]] == ["SGD", "Adam"]
        header, _ = r.frame(where=lambda h: h["step"] == 0)
        assert all(x["step"] == 0 for x in header["runners"])


def test_single_run_commands_are_refused_in_a_race(client):
    s = race(client)
    with connect(client, s) as ws:
        r = opened(ws)
        for cmd in ({"type": "phase"}, {"type": "new_seed"},
                    {"type": "set_weight", "layer": 0, "row": 0, "col": 0, "value": 1.0}):
            r.send(**cmd)
            e = r.event("error")
            assert "not available in a race session" in e["message"]


def test_race_target_judges_the_race_again(client):
    s = race(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="step", n=200)
        header, _ = r.frame(where=lambda h: h["step"] == 200)
        assert header["winner"]["runner"] == 1
        r.send(type="race_target", target={"metric": "train_loss", "value": 1e-6})
        assert r.event("config")["race"]["target"] == {"metric": "train_loss", "value": 1e-6}
        header, _ = r.frame(where=lambda h: h["target"]["value"] == 1e-6)
        assert header["winner"] is None
        r.send(type="race_target", target={"metric": "train_acc", "value": 1.5}, id=3)
        e = r.event("error")
        assert e["field"] == "target.value" and e["id"] == 3


def test_race_target_outside_a_race_is_refused(client):
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="race_target", target={"metric": "train_loss", "value": 0.1})
        assert "not a race" in r.event("error")["message"]


def test_reset_and_epoch_move_every_runner(client):
    s = race(client, config={**BASE, "batch_size": 10})
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="epoch")
        header, _ = r.frame(where=lambda h: h["step"] == 25)
        assert [x["step"] for x in header["runners"]] == [25, 25]
        r.send(type="reset")
        header, _ = r.frame(where=lambda h: h["step"] == 0)
        assert [x["step"] for x in header["runners"]] == [0, 0]


def test_fine_tuned_against_from_scratch(client):
    config = {"data": "digits", "digits_half": "b", "digits_task": "even_odd",
              "train_per_class": 10, "layers": [64, 32], "activation": "relu",
              "optimizer": "adam", "lr": 0.03, "batch_size": 0}
    runners = [{"model": "digits-all", "freeze": [0, 1], "label": "fine-tuned"},
               {"model": None, "freeze": [], "label": "from scratch"}]
    s = race(client, runners, {"metric": "test_acc", "value": 0.8}, config)
    with connect(client, s) as ws:
        r = Reader(ws)
        hello = r.recv()
        infos = [x["info"] for x in hello["race"]["runners"]]
        assert infos[0]["frozen"] == [0, 1] and infos[1]["frozen"] == []
        assert infos[0]["sizes"] == infos[1]["sizes"] == [64, 64, 32, 1]
        assert infos[0]["trainable"] < infos[1]["trainable"]
        r.frame("data")
        r.send(type="step", n=30)
        header, arrays = r.frame(where=lambda h: h["step"] == 30)
        assert [x["label"] for x in header["runners"]] == ["fine-tuned", "from scratch"]
        assert "r0.grid_output" not in arrays and arrays["r1.test_pred"].dtype == np.uint8


def test_viewers_of_a_race_are_read_only_but_may_predict(client):
    s = race(client)
    with connect(client, s, token=False) as ws:
        r = opened(ws)
        r.send(type="race_target", target=TARGET)
        assert "read-only" in r.event("error")["message"]
        r.send(type="predict", raw=[[1.0, 2.0]], runner=1, id="p")
        p = r.event("prediction")
        assert p["id"] == "p" and len(p["p"]) == 1
        r.send(type="predict", raw=[[1.0, 2.0]], runner=2)
        assert r.event("error")["field"] == "runner"


def test_runners_that_reach_the_target_on_the_same_check_step_tie(client):
    twins = [{**ADAM, "label": "Adam A"}, {**ADAM, "label": "Adam B"}, SGD]
    s = race(client, twins)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="step", n=200)
        header, _ = r.frame(where=lambda h: h["step"] == 200)
        win = header["winner"]
        assert win["tie"] == [0, 1] and win["runner"] == 0 and win["label"] == "Adam A"
        assert [x["reached"]["step"] for x in header["runners"][:2]] == [win["step"]] * 2
        assert win["step"] % 10 == 0  # judged on check steps
        r.send(type="race_target", target={"metric": "train_loss", "value": 0.6})
        header, _ = r.frame(where=lambda h: h["winner"] is not None and h["seq"] > header["seq"])
        assert header["winner"]["tie"] == [0, 1]


def test_a_single_winner_has_a_tie_of_one(client):
    s = race(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="step", n=200)
        header, _ = r.frame(where=lambda h: h["step"] == 200)
        assert header["winner"]["runner"] == 1 and header["winner"]["tie"] == [1]


def test_a_race_lesson_judges_its_runners_every_evaluate_every_steps(client, monkeypatch):
    real = lessons.lesson

    def lesson(name):
        d = real(name)
        if name == "optimizer-race":
            d = {**d, "race": {**d["race"], "evaluate_every": 7}}
        return d

    monkeypatch.setattr(lessons, "lesson", lesson)
    s = create(client)
    session = client.app.state.manager.get(s["id"])
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="lesson", name="optimizer-race")
        r.event("config")
        assert session.race.check_every == 7
        r.send(type="race_target", target={"metric": "train_loss", "value": 100.0})
        r.event("config")
        r.send(type="step", n=12)
        header, _ = r.frame(where=lambda h: h["step"] == 12)
        # every runner is under a loss of 100 at once: all reach it at the first check step
        assert [x["reached"]["step"] for x in header["runners"]] == [7, 7, 7]
        assert header["winner"]["step"] == 7 and header["winner"]["tie"] == [0, 1, 2]
        r.send(type="set", config={"layers": [4]})  # a rebuilt race keeps it
        assert r.event("config")["rebuilt"] == "network"
        assert session.race.check_every == 7
        r.send(type="lesson", name="batch-size")
        r.event("config")
        r.send(type="lesson", name="optimizer-race")
        r.event("config")
        assert session.race.check_every == 7
