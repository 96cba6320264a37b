"""Made-up JSON bodies for the class routes: every one gets an answer below 500 (the conftest
fails a 500), and a 4xx names what it refuses."""

from __future__ import annotations

import json

from class_helpers import join, start_class, student_headers, teacher_headers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=4),
    max_leaves=12)
FIELDS = st.sampled_from(["goal", "constraints", "metric", "target", "name", "message",
                          "student", "mode", "session", "data", "allowed_fields",
                          "max_epochs", "max_hidden_units"])
BODY = JSON | st.dictionaries(FIELDS, JSON, max_size=4) | st.fixed_dictionaries(
    {"goal": st.fixed_dictionaries({"metric": st.sampled_from(["test_acc", "test_loss", "x"]),
                                    "target": JSON})},
    optional={"constraints": st.dictionaries(FIELDS, JSON, max_size=4)})
HYPO = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@HYPO
@given(body=BODY, route=st.sampled_from(["challenge", "project", "fork-all", "join",
                                         "presence", "start"]))
def test_made_up_bodies_get_an_answer_or_a_4xx_naming_the_field(client, body, route):
    if not hasattr(client, "_class"):
        client._class = start_class(client)
        client._student = join(client, client._class["code"], "Fuzz")
    cls, student = client._class, client._student
    c = cls["code"]
    calls = {
        "challenge": ("PUT", f"/api/classes/{c}/challenge", teacher_headers(cls)),
        "project": ("POST", f"/api/classes/{c}/project", teacher_headers(cls)),
        "fork-all": ("POST", f"/api/classes/{c}/fork-all", teacher_headers(cls)),
        "join": ("POST", f"/api/classes/{c}/join", {}),
        "presence": ("POST", f"/api/classes/{c}/students/{student['student_id']}/presence",
                     student_headers(student)),
        "start": ("POST", "/api/classes", {"X-Control-Token": cls["teacher"]["token"]}),
    }
    method, path, headers = calls[route]
    # json.dumps writes NaN and Infinity as JavaScript does: the server must refuse them too
    r = client.request(method, path, content=json.dumps(body),
                       headers={"Content-Type": "application/json", **headers})
    assert r.status_code < 500
    if 400 <= r.status_code < 500 and r.status_code != 429:
        detail = r.json()["detail"]
        assert isinstance(detail, list) and detail and all("message" in d for d in detail)
