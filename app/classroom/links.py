"""The links a class hands out, absolute from the request's base URL (``http://host:port``)."""

from __future__ import annotations

from typing import Any

from ..sessions import SessionManager
from .registry import IDLE_SECONDS, Classroom


def ws_base(base: str) -> str:
    """``http://...`` → ``ws://...`` (and https → wss)."""
    return "ws" + base[4:] if base.startswith("http") else base


def class_links(base: str, cls: Classroom) -> dict[str, Any]:
    """What anyone running the class may know (never a token)."""
    return {"class_id": cls.id, "code": cls.code, "name": cls.name, "session": cls.session_id,
            "join_url": f"{base}/j/{cls.code}", "qr_url": f"{base}/api/classes/{cls.code}/qr.svg",
            "viewer_url": f"{base}/view/{cls.session_id}", "idle_seconds": IDLE_SECONDS}


def follow_url(base: str, cls: Classroom, student_id: str, token: str) -> str:
    """The teacher's viewer page as a follower: class and student in the query, the student's
    token in the fragment (browsers do not send it to servers)."""
    return (f"{base}/view/{cls.session_id}?class={cls.code}&student={student_id}"
            f"#student_token={token}")


def session_links(base: str, session_id: str) -> dict[str, str]:
    """A run's read-only links: its viewer page and its websocket."""
    return {"viewer_url": f"{base}/view/{session_id}", "ws_url": f"{ws_base(base)}/ws/{session_id}"}


def projected(cls: Classroom, manager: SessionManager, base: str) -> dict[str, Any] | None:
    """The student's run on the projector: who, and its read-only links; None for the
    teacher's own run (or when that student's run has ended)."""
    student = cls.students.get(cls.projected) if cls.projected else None
    fork = manager.get(student.fork_id) if student and student.fork_id else None
    if student is None or fork is None:
        return None
    return {"student": student.id, "name": student.name, "session": fork.id,
            **session_links(base, fork.id)}
