"""A challenge: the teacher's goal and constraints, checked and measured by the server on each
student's own run; the leaderboard ranks the runs that met it, first to reach it first."""

from __future__ import annotations

import json
from typing import Any

import pytest
from class_helpers import detail, join, new_session, student_headers, teacher_headers

from app.classroom.challenge import Challenge, measure, violations
from engine.trainer import Trainer

CIRCLE = {"data": "circle", "lr": 0.1}
GOAL = {"goal": {"metric": "test_acc", "target": 0.9},
        "constraints": {"data": "circle", "max_hidden_units": 16,
                        "allowed_fields": ["lr", "optimizer"]}}


def _class(client: Any) -> dict[str, Any]:
    s = new_session(client, config=CIRCLE)
    r = client.post("/api/classes", json={"session": s["id"], "name": "Lab"},
                    headers={"X-Control-Token": s["token"]})
    assert r.status_code == 201
    return {**r.json(), "teacher": s}


def _fork(client: Any, cls: dict[str, Any], st: dict[str, Any]) -> dict[str, Any]:
    r = client.post(f"/api/classes/{cls['code']}/students/{st['student_id']}/fork",
                    headers=student_headers(st))
    assert r.status_code == 201, r.text
    return r.json()


def _drive(client: Any, fork: dict[str, Any], *commands: dict[str, Any]) -> None:
    """Send commands to the fork as its student would and wait for a frame after the last."""
    with client.websocket_connect(f"/ws/{fork['session']}?token={fork['token']}") as ws:
        assert ws.receive_json()["type"] == "hello"
        for i, cmd in enumerate(commands):
            ws.send_json({**cmd, "id": i})
            want = "config" if cmd["type"] == "set" else "ack"
            for _ in range(3000):
                m = ws.receive()
                if m.get("text") and json.loads(m["text"]).get("type") == want:
                    break
            else:
                raise AssertionError(f"no {want} after {cmd}")
        for _ in range(3000):  # a frame after the last command: its history points are in
            m = ws.receive()
            if m.get("bytes"):
                break


def _view(client: Any, cls: dict[str, Any]) -> dict[str, Any]:
    cls_obj = client.app.state.classes.classes[cls["code"]]
    cls_obj.measured_at = 0.0  # measure now, whatever the last measurement
    r = client.get(f"/api/classes/{cls['code']}", headers=teacher_headers(cls))
    assert r.status_code == 200
    return r.json()


def test_the_leaderboard_ranks_runs_that_meet_the_goal_and_lists_the_rest_with_reasons(client):
    cls = _class(client)
    r = client.put(f"/api/classes/{cls['code']}/challenge", json=GOAL,
                   headers=teacher_headers(cls))
    assert r.status_code == 200 and r.json()["challenge"]["goal"]["target"] == 0.9
    a, b, c = (join(client, cls["code"], n) for n in ("Aoi", "Ben", "Chie"))
    fa, fb, _ = _fork(client, cls, a), _fork(client, cls, b), _fork(client, cls, c)
    _drive(client, fa, {"type": "set", "config": {"lr": 0.2}}, {"type": "step", "n": 300})
    _drive(client, fb, {"type": "set", "config": {"layers": [16, 16]}},
           {"type": "step", "n": 300})
    view = _view(client, cls)
    board = {row["name"]: row for row in view["leaderboard"]}
    assert board["Aoi"]["rank"] == 1 and board["Aoi"]["reached"]["value"] >= 0.9
    assert board["Aoi"]["reached"]["step"] > fa["step"]
    assert board["Aoi"]["reached"]["seconds"] >= 0
    assert board["Ben"]["rank"] is None and board["Ben"]["reached"] is None
    broken = {(v["rule"], v["field"]) for v in board["Ben"]["violations"]}
    assert broken == {("allowed_fields", "layers"), ("max_hidden_units", "layers")}
    assert board["Chie"]["rank"] is None  # never trained past the fork: nothing counts
    assert [row["name"] for row in view["leaderboard"]][0] == "Aoi"
    roster = {s["name"]: s for s in view["students"]}
    assert roster["Aoi"]["test_acc"] >= 0.9 and len(roster["Aoi"]["sparkline"]) >= 2
    assert roster["Aoi"]["step"] == 300


def test_the_metric_is_the_servers_own_measurement_of_the_students_trainer(client):
    cls = _class(client)
    client.put(f"/api/classes/{cls['code']}/challenge", json=GOAL, headers=teacher_headers(cls))
    st = join(client, cls["code"])
    fork = _fork(client, cls, st)
    _drive(client, fork, {"type": "step", "n": 50})
    view = _view(client, cls)
    session = client.app.state.manager.get(fork["session"])
    truth = session.call(lambda s: s.trainer.evaluate(record=False)).result(10)
    assert view["students"][0]["test_acc"] == truth["test_acc"]
    assert view["students"][0]["test_loss"] == truth["test_loss"]


def test_a_new_challenge_starts_every_count_again(client):
    cls = _class(client)
    url = f"/api/classes/{cls['code']}/challenge"
    client.put(url, json=GOAL, headers=teacher_headers(cls))
    st = join(client, cls["code"])
    _drive(client, _fork(client, cls, st), {"type": "step", "n": 300})
    assert _view(client, cls)["leaderboard"][0]["rank"] == 1
    harder = {**GOAL, "goal": {"metric": "test_loss", "target": 0.0}}
    client.put(url, json=harder, headers=teacher_headers(cls))
    assert _view(client, cls)["leaderboard"][0]["rank"] is None
    assert client.delete(url, headers=teacher_headers(cls)).status_code == 204
    view = _view(client, cls)
    assert view["challenge"] is None and view["leaderboard"] == []


@pytest.mark.parametrize("body, field", [
    ({"goal": {"metric": "train_acc", "target": 0.9}}, "goal.metric"),
    ({"goal": {"metric": "test_acc", "target": 1.5}}, "goal"),
    ({"goal": {"metric": "test_loss", "target": -1}}, "goal"),
    ({"goal": {"metric": "test_acc", "target": "high"}}, "goal.target"),
    ({"goal": {"metric": "test_acc", "target": 0.9}, "constraints": {"data": "mars"}},
     "constraints.data"),
    ({"goal": {"metric": "test_acc", "target": 0.9},
      "constraints": {"allowed_fields": ["lr", "warp"]}}, "constraints.allowed_fields"),
    ({"goal": {"metric": "test_acc", "target": 0.9},
      "constraints": {"max_hidden_units": 0}}, "constraints.max_hidden_units"),
    ({"goal": {"metric": "test_acc", "target": 0.9}, "constraints": {"max_epochs": -3}},
     "constraints.max_epochs"),
    ({}, "goal"),
])
def test_a_bad_challenge_is_refused_naming_its_field(client, body, field):
    cls = _class(client)
    r = client.put(f"/api/classes/{cls['code']}/challenge", json=body,
                   headers=teacher_headers(cls))
    assert r.status_code == 422
    assert detail(r)["field"] == field, r.json()


def test_only_the_teacher_sets_the_challenge(client):
    cls = _class(client)
    st = join(client, cls["code"])
    r = client.put(f"/api/classes/{cls['code']}/challenge", json=GOAL,
                   headers={"X-Class-Token": st["student_token"]})
    assert r.status_code == 403


# ------------------------------------------------------------------ measure() on a trainer
def _trained(steps: int, every: int = 20) -> Trainer:
    tr = Trainer(CIRCLE)
    tr.evaluate()
    for _ in range(steps // every):
        tr.step(every)
        tr.evaluate()
    return tr


def test_measure_finds_the_first_point_after_the_fork_that_meets_the_goal():
    tr = _trained(300)
    ch = Challenge.model_validate(GOAL)
    m = measure(tr, tr.config, -1, ch)
    assert m["violations"] == [] and m["met"] is not None
    first = m["met"]["step"]
    assert m["met"]["value"] >= 0.9
    earlier = [v for s, v in zip(tr.history["step"], tr.history["test_acc"], strict=True)
               if s < first]
    assert all(v < 0.9 for v in earlier)
    assert measure(tr, tr.config, tr.step_count, ch)["met"] is None  # nothing after the fork


def test_measure_keeps_the_epoch_limit():
    tr = _trained(300)
    first = measure(tr, tr.config, -1, Challenge.model_validate(GOAL))["met"]
    tight = {**GOAL, "constraints": {"max_epochs": first["epoch"] / 2}}
    assert measure(tr, tr.config, -1, Challenge.model_validate(tight))["met"] is None
    loose = {**GOAL, "constraints": {"max_epochs": first["epoch"]}}
    assert measure(tr, tr.config, -1, Challenge.model_validate(loose))["met"] == first


def test_violations_name_the_field_its_value_and_the_limit():
    ch = Challenge.model_validate(GOAL)
    start = Trainer(CIRCLE).config
    changed = {**start, "layers": [12, 12], "batch_size": 1, "lr": 3.0, "data": "xor"}
    got = {(v["rule"], v["field"]): v for v in violations(changed, start, ch)}
    assert set(got) == {("max_hidden_units", "layers"), ("allowed_fields", "layers"),
                        ("allowed_fields", "batch_size"), ("data", "data")}
    units = got["max_hidden_units", "layers"]
    assert units["value"] == 24 and units["limit"] == 16
    assert got["allowed_fields", "layers"]["value"] == [12, 12]
    assert got["allowed_fields", "batch_size"]["limit"] == start["batch_size"]
    assert got["data", "data"]["limit"] == "circle"


def test_the_server_measures_a_class_with_a_challenge_without_anyone_reading_the_view(client):
    import time

    cls = _class(client)
    client.put(f"/api/classes/{cls['code']}/challenge", json=GOAL, headers=teacher_headers(cls))
    st = join(client, cls["code"])
    _drive(client, _fork(client, cls, st), {"type": "step", "n": 300})
    student = client.app.state.classes.classes[cls["code"]].students[st["student_id"]]
    deadline = time.monotonic() + 10
    while student.reached is None:
        assert time.monotonic() < deadline, "the class was not measured in 10 s"
        time.sleep(0.05)
    assert student.reached["value"] >= 0.9 and student.measured["step"] == 300
