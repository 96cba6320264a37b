"""Hostile input on every class route: oversized, malformed, wrong role or token, floods. Each
gets a clear 4xx (the conftest fails any 500), never a crash; guessing codes gets 429."""

from __future__ import annotations

from typing import Any

import pytest
from class_helpers import detail, join, start_class, student_headers, teacher_headers

from app.classroom import limiter, registry
from app.classroom.joincode import ALPHABET, LENGTH, new_code, normalize
from app.classroom.limiter import JoinLimiter
from app.classroom.roster import clean_name, unique_name
from app.errors import AppError

LONG = "Z" * 20_000


def _routes(cls: dict[str, Any], st: dict[str, Any]) -> list[tuple[str, str, Any]]:
    c, s = cls["code"], st["student_id"]
    return [
        ("DELETE", f"/api/classes/{c}", None),
        ("GET", f"/api/classes/{c}", None),
        ("POST", f"/api/classes/{c}/fork-all", {"message": "go"}),
        ("POST", f"/api/classes/{c}/project", {"student": None}),
        ("PUT", f"/api/classes/{c}/challenge",
         {"goal": {"metric": "test_acc", "target": 0.5}}),
        ("DELETE", f"/api/classes/{c}/challenge", None),
        ("POST", f"/api/classes/{c}/students/{s}/presence", {"mode": "following"}),
        ("GET", f"/api/classes/{c}/students/{s}", None),
        ("POST", f"/api/classes/{c}/students/{s}/fork", None),
    ]


def test_every_token_route_refuses_no_token_and_wrong_tokens(client):
    cls = start_class(client)
    st = join(client, cls["code"])
    other = join(client, cls["code"], "Other")
    wrong = [{}, {"X-Class-Token": "nope"}, {"X-Student-Token": "nope"},
             {"X-Control-Token": cls["teacher"]["token"]},
             {"X-Class-Token": st["student_token"]}, {"X-Student-Token": cls["class_token"]},
             {"X-Student-Token": other["student_token"]}]
    for method, path, body in _routes(cls, st):
        for headers in wrong:
            r = client.request(method, path, json=body, headers=headers)
            assert r.status_code == 403, (method, path, headers, r.text)
            assert detail(r)["code"] in ("wrong_class_token", "wrong_student_token")
    # and the class is still there, unchanged
    assert client.get(f"/api/classes/{cls['code']}", headers=teacher_headers(cls)).status_code \
        == 200


def test_long_and_strange_codes_and_ids_are_refused_short(client):
    cls = start_class(client)
    st = join(client, cls["code"])
    for code in (LONG, "%00", "../../etc", "ÄÖÜ漢字", "  "):
        r = client.get(f"/api/classes/{code}", headers=teacher_headers(cls))
        assert r.status_code in (404, 405), code
        if r.status_code == 404 and r.headers["content-type"].startswith("application/json"):
            assert len(r.text) < 600
    r = client.get(f"/api/classes/{cls['code']}/students/{LONG}", headers=student_headers(st))
    assert r.status_code == 404 and len(r.text) < 600
    r = client.post(f"/api/classes/{cls['code']}/project", json={"student": "x" * 65},
                    headers=teacher_headers(cls))
    assert r.status_code == 422
    r = client.post("/api/classes", json={"session": LONG})
    assert r.status_code == 422 and detail(r)["field"] == "session"
    r = client.get(f"/api/classes/{cls['code']}", headers={"X-Class-Token": LONG[:5000]})
    assert r.status_code in (403, 422, 431)


@pytest.mark.parametrize("body", [b"{", b"[]", b'"name"', b'{"name": 7}', b'{"name": null}',
                                  b'{"name": ["a"]}', b'{"nom": "a"}', b"\xff\xfe"])
def test_malformed_join_bodies_are_422(client, body):
    cls = start_class(client)
    r = client.post(f"/api/classes/{cls['code']}/join", content=body,
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text


def test_an_oversized_body_is_413_before_it_is_read(client):
    cls = start_class(client)
    big = b'{"name": "' + b"a" * 70_000 + b'"}'
    r = client.post(f"/api/classes/{cls['code']}/join", content=big,
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    r = client.put(f"/api/classes/{cls['code']}/challenge", content=big,
                   headers={"Content-Type": "application/json", **teacher_headers(cls)})
    assert r.status_code == 413


def test_guessing_codes_gets_429_and_then_nothing_even_with_the_right_code(client):
    cls = start_class(client)
    for i in range(limiter.MISSES):
        r = client.post(f"/api/classes/{new_code({cls['code']})}/join", json={"name": "x"})
        assert r.status_code == 404, i
    r = client.post(f"/api/classes/{cls['code']}/join", json={"name": "x"})
    assert r.status_code == 429 and detail(r)["code"] == "join_limited"
    assert int(r.headers["Retry-After"]) == pytest.approx(limiter.BLOCK_SECONDS, abs=2)
    assert client.get(f"/j/{cls['code']}").status_code == 429
    assert client.get(f"/api/classes/{cls['code']}/qr.svg").status_code == 429
    # the teacher's routes are not join attempts: the class view still answers
    assert client.get(f"/api/classes/{cls['code']}", headers=teacher_headers(cls)).status_code \
        == 200


def test_a_join_flood_gets_429_after_the_attempts_a_minute(client):
    cls = start_class(client)
    codes = []
    for i in range(limiter.ATTEMPTS + 5):
        r = client.post(f"/api/classes/{cls['code']}/join", json={"name": f"s{i}"})
        codes.append(r.status_code)
    assert codes[:limiter.ATTEMPTS] == [201] * limiter.ATTEMPTS
    assert set(codes[limiter.ATTEMPTS:]) == {429}


def test_a_full_class_refuses_more_students(client, monkeypatch):
    monkeypatch.setattr(registry, "MAX_STUDENTS", 3)
    cls = start_class(client)
    for n in "abc":
        join(client, cls["code"], n)
    r = client.post(f"/api/classes/{cls['code']}/join", json={"name": "d"})
    assert r.status_code == 409 and detail(r) == {**detail(r), "code": "class_full", "limit": 3}


def test_too_many_classes_is_503_with_its_code(client, monkeypatch):
    monkeypatch.setattr(registry, "MAX_CLASSES", 1)
    start_class(client)
    s = client.post("/api/sessions", json={}).json()
    r = client.post("/api/classes", json={"session": s["id"]},
                    headers={"X-Control-Token": s["token"]})
    assert r.status_code == 503 and detail(r)["code"] == "too_many_classes"


def test_a_class_name_is_checked_like_a_display_name(client):
    s = client.post("/api/sessions", json={}).json()
    r = client.post("/api/classes", json={"session": s["id"], "name": "x" * 61},
                    headers={"X-Control-Token": s["token"]})
    assert r.status_code == 422 and detail(r)["code"] == "bad_display_name"
    assert detail(r)["limit"] == 60


# ------------------------------------------------------------------ the parts, one by one
def test_codes_use_only_the_alphabet_without_look_alikes():
    for bad in "0O1IL2Z5S8BUVDQJ":
        assert bad not in ALPHABET
    codes = {new_code() for _ in range(300)}
    assert len(codes) == 300
    assert all(len(c) == LENGTH and set(c) <= set(ALPHABET) for c in codes)
    assert new_code({"AAAAAA"}) != "AAAAAA"


def test_a_typed_code_is_read_forgivingly_and_a_bad_one_is_none():
    assert normalize("ach-3 4k") == "ACH34K"
    assert normalize(" ach34k ") == "ACH34K"
    for bad in ("ACH34", "ACH34KK", "0CH34K", "", LONG, "ACH34Ｋ"):
        assert normalize(bad) is None, bad


def test_the_limiter_counts_per_address_and_forgets_with_time():
    now = [0.0]
    lim = JoinLimiter(clock=lambda: now[0])
    for _ in range(limiter.ATTEMPTS):
        assert lim.attempt("a") is None
    assert lim.attempt("a") == pytest.approx(limiter.ATTEMPT_WINDOW)
    assert lim.attempt("b") is None  # another address is not held back
    now[0] += limiter.ATTEMPT_WINDOW
    assert lim.attempt("a") is None
    for _ in range(limiter.MISSES - 1):
        lim.miss("c")
    assert lim.attempt("c") is None
    lim.miss("c")
    assert lim.attempt("c") == pytest.approx(limiter.BLOCK_SECONDS)
    now[0] += limiter.BLOCK_SECONDS
    assert lim.attempt("c") is None


def test_misses_spread_over_more_than_the_window_do_not_block():
    now = [0.0]
    lim = JoinLimiter(clock=lambda: now[0])
    for _ in range(3 * limiter.MISSES):
        lim.miss("a")
        now[0] += limiter.MISS_WINDOW / (limiter.MISSES - 1) + 1
        assert lim.attempt("a") is None


def test_display_names_are_cleaned_and_made_unique():
    assert clean_name("  Ren\u200b  \tK. \n") == "Ren K."
    assert clean_name("e\u0301") == "\u00e9"
    assert unique_name("Ren", {"ren", "Ren (2)"}) == "Ren (3)"
    assert unique_name("Ren", set()) == "Ren"
    for bad in (None, 3, "", "\x00\x01", "x" * 41):
        with pytest.raises(AppError) as e:
            clean_name(bad)
        assert e.value.code == "bad_display_name" and e.value.field == "name"


def test_every_class_refusal_carries_its_code_and_the_fields_listed_for_it(client, monkeypatch):
    from app.codes import CODES, FIELDS

    monkeypatch.setattr(registry, "MAX_STUDENTS", 1)
    cls = start_class(client)
    st = join(client, cls["code"])
    c = cls["code"]
    answers = [
        client.post("/api/classes/AAAAAA/join", json={"name": "x"}),  # class_not_found
        client.post(f"/api/classes/{c}/join", json={"name": ""}),  # bad_display_name
        client.post(f"/api/classes/{c}/join", json={"name": "y"}),  # class_full
        client.get(f"/api/classes/{c}/students/nobody", headers=student_headers(st)),
        client.get(f"/api/classes/{c}", headers={"X-Class-Token": "x"}),
        client.get(f"/api/classes/{c}/students/{st['student_id']}", headers={}),
    ]
    client.delete(f"/api/classes/{c}", headers=teacher_headers(cls))
    answers.append(client.get(f"/api/classes/{c}/public"))  # class_ended
    seen = set()
    for r in answers:
        d = detail(r)
        assert d["code"] in CODES, d
        assert set(FIELDS.get(d["code"], ())) <= set(d), d
        seen.add(d["code"])
    assert seen == {"class_not_found", "bad_display_name", "class_full", "no_such_student",
                    "wrong_class_token", "wrong_student_token", "class_ended"}
