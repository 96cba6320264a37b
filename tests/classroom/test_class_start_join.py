"""Starting a class, its QR code, joining it with a code, ending it."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from class_helpers import detail, join, new_session, start_class, student_headers, teacher_headers

from app.classroom.joincode import ALPHABET


def test_a_class_starts_from_the_teachers_session_with_a_readable_code(client):
    cls = start_class(client, "Period 3")
    code = cls["code"]
    assert len(code) == 6 and set(code) <= set(ALPHABET)
    assert not set(code) & set("0O1IL")
    assert cls["join_url"] == f"http://testserver/j/{code}"
    assert cls["qr_url"] == f"http://testserver/api/classes/{code}/qr.svg"
    assert cls["name"] == "Period 3" and cls["session"] == cls["teacher"]["id"]
    assert cls["class_id"] and len(cls["class_token"]) >= 32
    assert cls["class_token"] != cls["teacher"]["token"]


def test_starting_a_class_needs_the_sessions_control_token(client):
    s = new_session(client)
    r = client.post("/api/classes", json={"session": s["id"]})
    assert r.status_code == 403 and detail(r)["code"] == "wrong_token"
    r = client.post("/api/classes", json={"session": s["id"]},
                    headers={"X-Control-Token": "x" * 32})
    assert r.status_code == 403 and "wrong" in detail(r)["message"]
    r = client.post("/api/classes", json={"session": "nope"},
                    headers={"X-Control-Token": s["token"]})
    assert r.status_code == 404 and detail(r)["code"] == "session_not_found"


def test_one_class_per_session_and_a_default_name(client):
    s = new_session(client)
    h = {"X-Control-Token": s["token"]}
    r = client.post("/api/classes", json={"session": s["id"]}, headers=h)
    assert r.status_code == 201 and r.json()["name"] == "Class"
    r = client.post("/api/classes", json={"session": s["id"]}, headers=h)
    assert r.status_code == 409 and detail(r)["code"] == "session_in_class"


def test_the_qr_code_is_an_svg_of_the_join_link_drawn_by_segno(client):
    import segno

    cls = start_class(client, "<b>Maths</b> & more")
    r = client.get(f"/api/classes/{cls['code']}/qr.svg")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(r.content)  # well-formed XML: the class name is escaped in it
    assert root.tag.endswith("svg")
    title = root.find("{http://www.w3.org/2000/svg}title")
    assert title is not None and title.text == "Join <b>Maths</b> & more"
    # the drawing is the QR code of the join link (same matrix, version and error level)
    expected = segno.make(cls["join_url"], error="m", micro=False)
    assert int(root.get("width")) == (expected.symbol_size(scale=8, border=4)[0])


def test_a_student_joins_with_a_name_and_gets_a_follow_link_without_the_teachers_token(client):
    cls = start_class(client)
    st = join(client, cls["code"].lower(), "  Aiko   Tanaka ")
    assert st["name"] == "Aiko Tanaka" and st["class_name"] == "Period 3"
    teacher = cls["teacher"]
    assert st["viewer_url"] == f"http://testserver/view/{teacher['id']}"
    assert st["follow_url"].startswith(f"http://testserver/view/{teacher['id']}?class="
                                       f"{cls['code']}&student={st['student_id']}#")
    assert st["student_token"] in st["follow_url"].split("#", 1)[1]
    text = str(st)
    assert teacher["token"] not in text and cls["class_token"] not in text
    # the follow link opens the viewer page
    assert client.get(st["follow_url"].split("#")[0]).status_code == 200


def test_duplicate_names_get_a_suffix_and_names_are_kept_as_typed_not_as_html(client):
    cls = start_class(client)
    names = [join(client, cls["code"], n)["name"] for n in ("Ken", "ken", "Ken", "<i>Ken</i>")]
    assert names == ["Ken", "ken (2)", "Ken (3)", "<i>Ken</i>"]
    view = client.get(f"/api/classes/{cls['code']}", headers=teacher_headers(cls)).json()
    assert [s["name"] for s in view["students"]] == names


def test_a_name_must_have_1_to_40_characters(client):
    cls = start_class(client)
    for bad in ("", "   ", "\u200b\u200b", "x" * 41):
        r = client.post(f"/api/classes/{cls['code']}/join", json={"name": bad})
        assert r.status_code == 422, bad
        d = detail(r)
        assert d["code"] == "bad_display_name" and d["field"] == "name" and d["limit"] == 40
    assert join(client, cls["code"], "x" * 40)["name"] == "x" * 40


def test_an_unknown_code_is_404_and_an_ended_class_is_410(client):
    cls = start_class(client)
    r = client.post("/api/classes/AAAAAA/join", json={"name": "A"})
    assert r.status_code == 404 and detail(r)["code"] == "class_not_found"
    r = client.delete(f"/api/classes/{cls['code']}", headers=teacher_headers(cls))
    assert r.status_code == 204
    r = client.post(f"/api/classes/{cls['code']}/join", json={"name": "A"})
    assert r.status_code == 410
    d = detail(r)
    assert d["code"] == "class_ended" and "no longer admits" in d["message"]
    assert client.get(f"/api/classes/{cls['code']}/qr.svg").status_code == 410
    assert client.get(f"/j/{cls['code']}").status_code == 410


def test_a_class_ends_with_the_teachers_session(client):
    cls = start_class(client)
    r = client.delete(f"/api/sessions/{cls['teacher']['id']}",
                      headers={"X-Control-Token": cls["teacher"]["token"]})
    assert r.status_code == 204
    r = client.post(f"/api/classes/{cls['code']}/join", json={"name": "A"})
    assert r.status_code == 410 and "session ended" in detail(r)["message"]


def test_a_class_ends_after_its_idle_time(client, monkeypatch):
    from app.classroom import registry

    cls = start_class(client)
    monkeypatch.setattr(registry, "IDLE_SECONDS", 0.0)
    r = client.get(f"/api/classes/{cls['code']}/public")
    assert r.status_code == 410 and "no activity" in detail(r)["message"]


def test_ending_the_class_tells_the_teachers_clients(client):
    cls = start_class(client)
    with client.websocket_connect(f"/ws/{cls['teacher']['id']}") as ws:
        assert ws.receive_json()["type"] == "hello"
        client.delete(f"/api/classes/{cls['code']}", headers=teacher_headers(cls))
        for _ in range(50):
            m = ws.receive()
            if m.get("text") and '"class_ended"' in m["text"]:
                break
        else:
            raise AssertionError("no class_ended notice")


def test_the_join_pages_serve_the_form_with_the_code_and_the_name_escaped(client):
    cls = start_class(client, "<script>alert(1)</script>")
    r = client.get(f"/j/{cls['code']}")
    assert r.status_code == 200 and "/static/js/join.js" in r.text
    assert f'value="{cls["code"]}"' in r.text
    assert "<script>alert(1)" not in r.text and "&lt;script&gt;alert(1)" in r.text
    r = client.get("/join")
    assert r.status_code == 200 and 'id="code"' in r.text
    r = client.get("/j/NOPE00")
    assert r.status_code == 404 and "class_not_found" in r.text
    for path in ("/static/js/join.js", "/static/css/join.css"):
        assert client.get(path).status_code == 200


def test_the_public_route_says_only_the_code_and_name(client):
    cls = start_class(client)
    assert client.get(f"/api/classes/{cls['code']}/public").json() == {
        "code": cls["code"], "name": "Period 3"}


def test_a_student_can_report_presence_with_their_token_only(client):
    cls = start_class(client)
    st = join(client, cls["code"])
    url = f"/api/classes/{cls['code']}/students/{st['student_id']}/presence"
    assert client.post(url, json={"mode": "following"}).status_code == 403
    assert client.post(url, json={"mode": "following"},
                       headers={"X-Student-Token": cls["class_token"]}).status_code == 403
    assert client.post(url, json={"mode": "dancing"},
                       headers=student_headers(st)).status_code == 422
    assert client.post(url, json={"mode": "following"},
                       headers=student_headers(st)).status_code == 204
    view = client.get(f"/api/classes/{cls['code']}", headers=teacher_headers(cls)).json()
    assert view["students"][0]["state"] == "following"


def test_student_states_follow_what_the_server_sees(client, monkeypatch):
    from app.classroom import roster

    cls = start_class(client)
    st = join(client, cls["code"])
    url = f"/api/classes/{cls['code']}"

    def state() -> str:
        return client.get(url, headers=teacher_headers(cls)).json()["students"][0]["state"]

    assert state() == "connected"  # joined, the follow page has not reported yet
    client.post(f"{url}/students/{st['student_id']}/presence", json={"mode": "following"},
                headers=student_headers(st))
    assert state() == "following"
    fork = client.post(f"{url}/students/{st['student_id']}/fork",
                       headers=student_headers(st)).json()
    assert state() == "trying"
    monkeypatch.setattr(roster, "PRESENCE_SECONDS", 0.0)
    assert state() == "away"  # nothing heard, no page on the fork
    with client.websocket_connect(f"/ws/{fork['session']}?token={fork['token']}") as ws:
        assert ws.receive_json()["type"] == "hello"
        assert state() == "trying"  # a page on the fork is enough


def test_a_student_reads_their_own_view_with_the_challenge(client):
    cls = start_class(client)
    st = join(client, cls["code"])
    goal = {"goal": {"metric": "test_loss", "target": 0.2}}
    client.put(f"/api/classes/{cls['code']}/challenge", json=goal, headers=teacher_headers(cls))
    r = client.get(f"/api/classes/{cls['code']}/students/{st['student_id']}",
                   headers=student_headers(st))
    assert r.status_code == 200
    body = r.json()
    assert body["challenge"]["goal"] == {"metric": "test_loss", "target": 0.2}
    assert body["student"]["name"] == "Aiko" and body["student"]["fork"] is None
    assert cls["class_token"] not in r.text and cls["teacher"]["token"] not in r.text


def test_a_student_whose_fork_was_closed_is_not_trying(client):
    cls = start_class(client)
    st = join(client, cls["code"])
    url = f"/api/classes/{cls['code']}"
    fork = client.post(f"{url}/students/{st['student_id']}/fork",
                       headers=student_headers(st)).json()
    client.delete(f"/api/sessions/{fork['session']}", headers={"X-Control-Token": fork["token"]})
    entry = client.get(url, headers=teacher_headers(cls)).json()["students"][0]
    assert entry["fork"] is None and entry["state"] == "following"
