"""Helpers for the class tests: start a class, join it, the headers of each role."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def new_session(client: TestClient, **body: Any) -> dict[str, Any]:
    r = client.post("/api/sessions", json=body or {"preset": "spiral"})
    assert r.status_code == 201, r.text
    return r.json()


def start_class(client: TestClient, name: str | None = "Period 3") -> dict[str, Any]:
    """A teacher's session and a class run from it: the class answer with ``teacher``, the
    session's answer (id and control token)."""
    s = new_session(client)
    r = client.post("/api/classes", json={"session": s["id"], "name": name},
                    headers={"X-Control-Token": s["token"]})
    assert r.status_code == 201, r.text
    return {**r.json(), "teacher": s}


def join(client: TestClient, code: str, name: str = "Aiko") -> dict[str, Any]:
    r = client.post(f"/api/classes/{code}/join", json={"name": name})
    assert r.status_code == 201, r.text
    return r.json()


def teacher_headers(cls: dict[str, Any]) -> dict[str, str]:
    return {"X-Class-Token": cls["class_token"]}


def student_headers(student: dict[str, Any]) -> dict[str, str]:
    return {"X-Student-Token": student["student_token"]}


def detail(r: Any) -> dict[str, Any]:
    """The first entry of a refusal's detail."""
    return r.json()["detail"][0]
