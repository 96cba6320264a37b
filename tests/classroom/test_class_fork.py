"""Try it yourself: a student's fork continues the teacher's run bit for bit, the student
steers it alone, and the teacher's fork-all reaches every follower as a class_fork notice."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from class_helpers import detail, join, start_class, student_headers, teacher_headers


def _on_worker(client: Any, session_id: str, fn: Any) -> Any:
    """Run ``fn(session)`` on the session's worker thread and wait for its result."""
    session = client.app.state.manager.get(session_id)
    return session.call(fn).result(10)


def _params(client: Any, session_id: str) -> np.ndarray:
    return _on_worker(client, session_id, lambda s: s.trainer.net.params.copy())


def _steps(ws: Any, n: int) -> None:
    ws.send_json({"type": "step", "n": n, "id": 1})
    for _ in range(2000):
        m = ws.receive()
        if m.get("text") and json.loads(m["text"]).get("type") == "ack":
            return
    raise AssertionError("the step was not acknowledged")


def _hello(ws: Any) -> dict[str, Any]:
    event = ws.receive_json()
    assert event["type"] == "hello"
    return event


def _fork(client: Any, cls: dict[str, Any], st: dict[str, Any]) -> Any:
    return client.post(f"/api/classes/{cls['code']}/students/{st['student_id']}/fork",
                       headers=student_headers(st))


def test_a_fork_starts_from_the_teachers_current_step_and_weights_and_continues_the_same(
        client):
    cls = start_class(client)
    teacher = cls["teacher"]
    st = join(client, cls["code"])
    with client.websocket_connect(f"/ws/{teacher['id']}?token={teacher['token']}") as tw:
        _hello(tw)
        _steps(tw, 37)
        r = _fork(client, cls, st)
        assert r.status_code == 201, r.text
        fork = r.json()
        assert fork["step"] == 37 and fork["session"] != teacher["id"]
        assert fork["control_url"].endswith(f"#token={fork['token']}")
        assert f"/s/{fork['session']}?class={cls['code']}&student={st['student_id']}" in \
            fork["control_url"]
        np.testing.assert_array_equal(_params(client, fork["session"]),
                                      _params(client, teacher["id"]))
        with client.websocket_connect(f"/ws/{fork['session']}?token={fork['token']}") as fw:
            hello = _hello(fw)
            assert hello["step"] == 37 and hello["running"] is False
            assert hello["config"] == client.get(f"/api/sessions/{teacher['id']}").json()[
                "config"]
            _steps(fw, 25)
            _steps(tw, 25)
        # the same batches, dropout masks and optimizer state: the same weights, bit for bit
        a, b = _params(client, fork["session"]), _params(client, teacher["id"])
        assert a.tobytes() == b.tobytes()


def test_the_student_steers_the_fork_alone_and_cannot_steer_the_teacher(client):
    cls = start_class(client)
    teacher = cls["teacher"]
    st = join(client, cls["code"])
    fork = _fork(client, cls, st).json()
    with client.websocket_connect(f"/ws/{fork['session']}?token={fork['token']}") as fw:
        _hello(fw)
        fw.send_json({"type": "set", "config": {"lr": 0.5}, "id": 2})
        for _ in range(200):
            m = fw.receive()
            event = json.loads(m["text"]) if m.get("text") else {}
            if event.get("type") == "config":
                assert event["config"]["lr"] == 0.5
                break
        else:
            raise AssertionError("the fork did not take the student's change")
    lr = client.get(f"/api/sessions/{teacher['id']}").json()["config"]["lr"]
    assert lr != 0.5
    # the follow link is a viewer: a command that changes the run is refused
    with client.websocket_connect(f"/ws/{teacher['id']}") as viewer:
        _hello(viewer)
        viewer.send_json({"type": "play", "id": 3})
        for _ in range(200):
            m = viewer.receive()
            if m.get("text"):
                event = json.loads(m["text"])
                if event.get("type") == "error":
                    assert event["code"] == "read_only"
                    break
        else:
            raise AssertionError("the viewer's play was not refused")
    # the student's token opens neither the teacher's session nor the class view
    h = {"X-Control-Token": st["student_token"]}
    assert client.delete(f"/api/sessions/{teacher['id']}", headers=h).status_code == 403
    r = client.get(f"/api/classes/{cls['code']}", headers={"X-Class-Token": st["student_token"]})
    assert r.status_code == 403 and detail(r)["code"] == "wrong_class_token"
    r = client.delete(f"/api/classes/{cls['code']}",
                      headers={"X-Class-Token": st["student_token"]})
    assert r.status_code == 403


def test_a_student_cannot_fork_for_another_student(client):
    cls = start_class(client)
    a, b = join(client, cls["code"], "A"), join(client, cls["code"], "B")
    r = client.post(f"/api/classes/{cls['code']}/students/{b['student_id']}/fork",
                    headers=student_headers(a))
    assert r.status_code == 403 and detail(r)["code"] == "wrong_student_token"
    r = client.post(f"/api/classes/{cls['code']}/students/nobody/fork",
                    headers=student_headers(a))
    assert r.status_code == 404 and detail(r)["code"] == "no_such_student"


def test_a_second_fork_replaces_the_first(client, monkeypatch):
    from app.routes import classes

    monkeypatch.setattr(classes, "FORK_EVERY", 0.0)
    cls = start_class(client)
    st = join(client, cls["code"])
    first = _fork(client, cls, st).json()["session"]
    second = _fork(client, cls, st).json()["session"]
    assert first != second
    assert client.get(f"/api/sessions/{first}").status_code == 404
    assert client.get(f"/api/sessions/{second}").status_code == 200
    view = client.get(f"/api/classes/{cls['code']}", headers=teacher_headers(cls)).json()
    assert view["students"][0]["fork"]["session"] == second
    assert view["students"][0]["state"] == "trying"


def test_fork_all_sends_a_class_fork_notice_with_the_teachers_message_to_followers(client):
    cls = start_class(client)
    st = join(client, cls["code"])
    path = st["follow_url"].split("#")[0].replace("http://testserver/view/", "/ws/")
    ws_path = path.split("?")[0]
    with client.websocket_connect(ws_path) as follower:
        _hello(follower)
        r = client.post(f"/api/classes/{cls['code']}/fork-all",
                        json={"message": "now you try: make it learn with lr 3"},
                        headers=teacher_headers(cls))
        assert r.status_code == 202 and r.json()["sent_to"] == 1
        for _ in range(200):
            m = follower.receive()
            if m.get("text") and json.loads(m["text"]).get("code") == "class_fork":
                event = json.loads(m["text"])
                break
        else:
            raise AssertionError("no class_fork notice")
    assert event["type"] == "notice" and event["class_code"] == cls["code"]
    assert event["note"] == "now you try: make it learn with lr 3"
    # the follower acts on it: its fork works with the student's token
    assert _fork(client, cls, st).status_code == 201


def test_fork_all_needs_the_teachers_token_and_a_short_message(client):
    cls = start_class(client)
    st = join(client, cls["code"])
    url = f"/api/classes/{cls['code']}/fork-all"
    assert client.post(url, json={"message": "x"}).status_code == 403
    assert client.post(url, json={"message": "x"},
                       headers={"X-Class-Token": st["student_token"]}).status_code == 403
    r = client.post(url, json={"message": "x" * 281}, headers=teacher_headers(cls))
    assert r.status_code == 422 and detail(r)["field"] == "message"
    r = client.post(url, json={}, headers=teacher_headers(cls))
    assert r.status_code == 202 and r.json()["note"] == ""


def test_projecting_a_students_run_exposes_its_viewer_and_name(client):
    cls = start_class(client)
    st = join(client, cls["code"], "Mio")
    url = f"/api/classes/{cls['code']}/project"
    r = client.post(url, json={"student": st["student_id"]}, headers=teacher_headers(cls))
    assert r.status_code == 409 and detail(r)["code"] == "no_such_student"  # no run yet
    fork = _fork(client, cls, st).json()
    r = client.post(url, json={"student": st["student_id"]}, headers=teacher_headers(cls))
    assert r.status_code == 200
    p = r.json()["projected"]
    assert p["name"] == "Mio" and p["session"] == fork["session"]
    assert p["viewer_url"] == f"http://testserver/view/{fork['session']}"
    assert "token" not in json.dumps(p)
    view = client.get(f"/api/classes/{cls['code']}", headers=teacher_headers(cls)).json()
    assert view["projected"] == p
    r = client.post(url, json={"student": None}, headers=teacher_headers(cls))
    assert r.json()["projected"] is None
    r = client.post(url, json={"student": st["student_id"]}, headers=student_headers(st))
    assert r.status_code == 403


CSV = "x1,x2,label\n" + "".join(
    f"{i % 7},{(i * 3) % 5},{'a' if i % 2 else 'b'}\n" for i in range(40))


def test_a_run_on_an_uploaded_csv_file_forks_with_its_data(client):
    cls = start_class(client)
    teacher = cls["teacher"]
    r = client.post(f"/api/sessions/{teacher['id']}/csv",
                    headers={"X-Control-Token": teacher["token"]},
                    files={"file": ("data.csv", CSV, "text/csv")})
    assert r.status_code == 200, r.text
    st = join(client, cls["code"])
    r = _fork(client, cls, st)
    assert r.status_code == 201, r.text
    fork = r.json()["session"]
    assert client.get(f"/api/sessions/{fork}").json()["config"]["data"] == "csv"
    rows = _on_worker(client, fork, lambda s: len(s.trainer.X_train) + len(s.trainer.X_test))
    assert rows == 40
    np.testing.assert_array_equal(_params(client, fork), _params(client, teacher["id"]))


def test_forks_asked_too_quickly_get_429_with_the_seconds_to_wait(client):
    from app.routes import classes

    cls = start_class(client)
    st = join(client, cls["code"])
    assert _fork(client, cls, st).status_code == 201
    r = _fork(client, cls, st)
    assert r.status_code == 429
    d = detail(r)
    assert d["code"] == "fork_limited" and 1 <= d["seconds"] <= classes.FORK_EVERY
    other = join(client, cls["code"], "Other")  # another student is not held back
    assert _fork(client, cls, other).status_code == 201
