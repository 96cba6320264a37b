"""Classes over HTTP: the teacher starts a class from their session, students join with its
code, follow the teacher's run, fork it to try it themselves; the teacher's class view reads
the roster, sets a challenge and projects a student's run. See docs/classroom.md.

Tokens travel in headers: ``X-Control-Token`` (the teacher's session, to start a class),
``X-Class-Token`` (the teacher's class token, for the class view), ``X-Student-Token``.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from ..classroom import fork as forking
from ..classroom.challenge import Challenge
from ..classroom.limiter import ATTEMPTS
from ..classroom.links import class_links, follow_url, projected, session_links
from ..classroom.progress import ensure_watch, leaderboard, measure_if_due, roster_entry
from ..classroom.qr import qr_svg
from ..classroom.registry import ClassRegistry, Classroom
from ..classroom.roster import PRESENCE_SECONDS, clean_name
from ..deps import ManagerDep
from ..errors import AppError, short
from ..session import Session
from ..sessions import SessionManager
from .sessions import refused

router = APIRouter(prefix="/api/classes", tags=["classes"])
pages = APIRouter(include_in_schema=False)

MESSAGE_CHARS = 280
FORK_EVERY = 2.0  # seconds: a student's forks come at most this often (each costs a
# checkpoint on the teacher's worker and a new session)
_registry_lock = threading.Lock()

ClassToken = Annotated[str | None, Header(alias="X-Class-Token", max_length=200)]
StudentToken = Annotated[str | None, Header(alias="X-Student-Token", max_length=200)]
ControlToken = Annotated[str | None, Header(alias="X-Control-Token", max_length=200)]


def registry(request: Request) -> ClassRegistry:
    """The app's classes (made on first use)."""
    state = request.app.state
    with _registry_lock:
        if getattr(state, "classes", None) is None:
            state.classes = ClassRegistry(state.manager)
        return state.classes


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _too_many(wait: float) -> JSONResponse:
    seconds = max(1, int(wait + 0.999))
    error = AppError("join_limited", f"too many join attempts from this address; try again in "
                     f"{seconds} s", status=429, limit=ATTEMPTS, seconds=seconds)
    r = refused(error)
    r.headers["Retry-After"] = str(seconds)
    return r


def _admit(reg: ClassRegistry, request: Request, code: str) -> Classroom | JSONResponse:
    """(join routes) Count the attempt of the client's address; the class, or the answer."""
    address = _address(request)
    wait = reg.limiter.attempt(address)
    if wait is not None:
        return _too_many(wait)
    try:
        return reg.find(code)
    except AppError as exc:
        reg.limiter.miss(address)
        return refused(exc)


# ------------------------------------------------------------------ the teacher starts
class StartClass(BaseModel):
    session: str = Field(max_length=64, description="the teacher's session id")
    name: str | None = Field(None, max_length=1000, description="the class's name (1 to 60 "
                                                                "characters; default Class)")


@router.post("", status_code=201, responses={403: {}, 404: {}, 409: {}, 503: {}})
async def start_class(body: StartClass, request: Request, manager: ManagerDep,
                      token: ControlToken = None) -> Any:
    """Start a class run from the teacher's session (its control token in X-Control-Token).
    The answer's ``class_token`` runs the class; keep it on the teacher's page."""
    session = manager.get(body.session)
    if session is None:
        return refused(AppError("session_not_found", f"session {short(body.session, 40)!r} "
                                "does not exist (it may have ended)", "session",
                                short(body.session, 40), status=404))
    if not session.check_token(token):
        return refused(AppError("wrong_token", "this needs the session's control token in the "
                                "X-Control-Token header" if token is None else
                                "the control token is wrong for this session", status=403))
    try:
        reg = registry(request)
        cls = reg.start(session, body.name)
    except AppError as exc:
        return refused(exc)
    ensure_watch(reg)
    return {**class_links(_base(request), cls), "class_token": cls.token}


def _teacher(request: Request, code: str, token: str | None) -> Classroom:
    return registry(request).for_teacher(code, token)


@router.delete("/{code}", status_code=204, responses={403: {}, 404: {}, 410: {}})
def end_class(code: str, request: Request, token: ClassToken = None) -> Response:
    """End the class (teacher's token): its code no longer admits anyone (410)."""
    try:
        cls = _teacher(request, code, token)
    except AppError as exc:
        return refused(exc)
    registry(request).end(cls, "the teacher ended it")
    return Response(status_code=204)


@router.get("/{code}/qr.svg", response_class=Response,
            responses={200: {"content": {"image/svg+xml": {}}}, 404: {}, 410: {}, 429: {}})
def join_qr(code: str, request: Request) -> Response:
    """The join link as a QR code (SVG) to project."""
    reg = registry(request)
    cls = _admit(reg, request, code)
    if isinstance(cls, Response):
        return cls
    svg = qr_svg(f"{_base(request)}/j/{cls.code}", f"Join {cls.name}")
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@router.get("/{code}/public", responses={404: {}, 410: {}, 429: {}})
def public_class(code: str, request: Request) -> Any:
    """What a student may know before joining: the code and the class's name."""
    cls = _admit(registry(request), request, code)
    if isinstance(cls, Response):
        return cls
    return {"code": cls.code, "name": cls.name}


# ------------------------------------------------------------------ students join
class Join(BaseModel):
    name: str = Field(max_length=1000, description="display name, 1 to 40 characters")


@router.post("/{code}/join", status_code=201, responses={404: {}, 409: {}, 410: {}, 422: {},
                                                         429: {}})
def join_class(code: str, body: Join, request: Request) -> Any:
    """Join a class: a student id and token, and where to follow the teacher's run."""
    cls = _admit(registry(request), request, code)
    if isinstance(cls, Response):
        return cls
    try:
        student = cls.add_student(body.name)
    except AppError as exc:
        return refused(exc)
    cls.touch()
    base = _base(request)
    return {"student_id": student.id, "student_token": student.token, "name": student.name,
            "code": cls.code, "class_name": cls.name, "session": cls.session_id,
            **session_links(base, cls.session_id),
            "follow_url": follow_url(base, cls, student.id, student.token),
            "presence_seconds": PRESENCE_SECONDS / 3}


def _student(request: Request, code: str, student_id: str, token: str | None) -> Any:
    return registry(request).for_student(code, student_id, token)


class Presence(BaseModel):
    mode: Literal["following", "trying"] = Field(description="what the student's page shows")


@router.post("/{code}/students/{student_id}/presence", status_code=204,
             responses={403: {}, 404: {}, 410: {}})
def presence(code: str, student_id: str, body: Presence, request: Request,
             token: StudentToken = None) -> Response:
    """The follow page says the student is still there, following or trying."""
    try:
        _, student = _student(request, code, student_id, token)
    except AppError as exc:
        return refused(exc)
    student.mode = body.mode
    return Response(status_code=204)


@router.get("/{code}/students/{student_id}", responses={403: {}, 404: {}, 410: {}})
def student_view(code: str, student_id: str, request: Request, manager: ManagerDep,
                 token: StudentToken = None) -> Any:
    """What the student's page needs: the class, its challenge, the student's own run."""
    try:
        cls, student = _student(request, code, student_id, token)
    except AppError as exc:
        return refused(exc)
    return {"code": cls.code, "class_name": cls.name, "session": cls.session_id,
            "challenge": cls.challenge.model_dump() if cls.challenge else None,
            "student": roster_entry(student, manager, _base(request)),
            "reached": student.reached,
            "follow_url": follow_url(_base(request), cls, student.id, student.token)}


@router.post("/{code}/students/{student_id}/fork", status_code=201,
             responses={403: {}, 404: {}, 410: {}, 503: {}})
async def fork_run(code: str, student_id: str, request: Request, manager: ManagerDep,
                   token: StudentToken = None) -> Any:
    """The student's own session, copied from the teacher's run as it is now (weights,
    optimizer, step), paused; its control URL steers it. A second fork replaces the first."""
    try:
        cls, student = _student(request, code, student_id, token)
        wait = student.forked_at + FORK_EVERY - time.monotonic()
        if wait > 0:
            seconds = max(1, int(wait + 0.999))
            raise AppError("fork_limited", f"a fork was made less than {FORK_EVERY:g} s ago; "
                           f"try again in {seconds} s", status=429, seconds=seconds)
        student.forked_at = time.monotonic()  # before the wait: a second request is refused
        teacher = manager.get(cls.session_id)
        if teacher is None:
            raise AppError("teacher_session_gone", "the teacher's session has ended; there is "
                           "no run to fork", status=410)
        session, gen, step, config = await forking.fork(manager, teacher)
    except AppError as exc:
        return refused(exc)
    old, student.fork_id = student.fork_id, session.id
    student.fork_gen, student.fork_step, student.fork_config = gen, step, config
    student.mode = "trying"
    student.measured = None
    student.restart_count()
    if old is not None and old != session.id:
        manager.remove(old)
    base = _base(request)
    return {"session": session.id, "token": session.token, "step": step,
            "control_url": f"{base}/s/{session.id}?class={cls.code}&student={student.id}"
                           f"#token={session.token}",
            **session_links(base, session.id),
            "follow_url": follow_url(base, cls, student.id, student.token)}


# ------------------------------------------------------------------ the teacher's class view
class ForkAll(BaseModel):
    message: str = Field("", max_length=2000, description=f"what to try (at most "
                                                          f"{MESSAGE_CHARS} characters)")


@router.post("/{code}/fork-all", status_code=202, responses={403: {}, 404: {}, 410: {},
                                                             422: {}})
def fork_all(code: str, body: ForkAll, request: Request, manager: ManagerDep,
             token: ClassToken = None) -> Any:
    """Ask every follower to fork the run now: a ``class_fork`` notice to every client of the
    teacher's session, with the teacher's message as ``note``."""
    try:
        cls = _teacher(request, code, token)
        note = clean_name(body.message, MESSAGE_CHARS, "message") if body.message.strip() \
            else ""
        teacher = _teacher_session(manager, cls)
    except AppError as exc:
        return refused(exc)
    teacher.notice("class_fork", "the teacher asks you to try it yourself" +
                   (f": {note}" if note else ""), class_code=cls.code, note=note)
    return {"sent_to": teacher.viewers, "note": note}


def _teacher_session(manager: SessionManager, cls: Classroom) -> Session:
    session = manager.get(cls.session_id)
    if session is None:
        raise AppError("teacher_session_gone", "the teacher's session has ended",
                       status=410)
    return session


@router.get("/{code}", responses={403: {}, 404: {}, 410: {}})
async def class_view(code: str, request: Request, manager: ManagerDep,
                     token: ClassToken = None) -> Any:
    """The class view (teacher's token): roster with each student's state and live numbers
    (measured by the server on each fork's test set), the challenge, its leaderboard and the
    projected run."""
    try:
        cls = _teacher(request, code, token)
    except AppError as exc:
        return refused(exc)
    await measure_if_due(cls, manager)
    base = _base(request)
    roster = [roster_entry(s, manager, base) for s in list(cls.students.values())]
    return {**class_links(_base(request), cls), "students": roster,
            "challenge": cls.challenge.model_dump() if cls.challenge else None,
            "leaderboard": leaderboard(cls), "projected": projected(cls, manager, base)}


class Project(BaseModel):
    student: str | None = Field(max_length=64, description="a student id, or null for the "
                                                           "teacher's own run")


@router.post("/{code}/project", responses={403: {}, 404: {}, 409: {}, 410: {}})
def project(code: str, body: Project, request: Request, manager: ManagerDep,
            token: ClassToken = None) -> Any:
    """Put a student's run on the projector (null: back to the teacher's run)."""
    try:
        cls = _teacher(request, code, token)
        if body.student is not None:
            student = cls.student(body.student)
            if student.fork_id is None or manager.get(student.fork_id) is None:
                raise AppError("no_such_student", f"{student.name} has no run of their own "
                               "to project yet", "student", body.student, status=409)
    except AppError as exc:
        return refused(exc)
    cls.projected = body.student
    return {"projected": projected(cls, manager, _base(request))}


@router.put("/{code}/challenge", responses={403: {}, 404: {}, 410: {}, 422: {}})
async def set_challenge(code: str, body: Challenge, request: Request,
                        token: ClassToken = None) -> Any:
    """Set the challenge (a new one starts every student's count again)."""
    try:
        cls = _teacher(request, code, token)
    except AppError as exc:
        return refused(exc)
    cls.challenge, cls.challenge_set = body, time.monotonic()
    cls.measured_at = 0.0
    for s in list(cls.students.values()):
        s.restart_count()
    ensure_watch(registry(request))
    return {"challenge": body.model_dump()}


@router.delete("/{code}/challenge", status_code=204, responses={403: {}, 404: {}, 410: {}})
def clear_challenge(code: str, request: Request, token: ClassToken = None) -> Response:
    try:
        cls = _teacher(request, code, token)
    except AppError as exc:
        return refused(exc)
    cls.challenge = None
    for s in list(cls.students.values()):
        s.restart_count()
    return Response(status_code=204)


# ------------------------------------------------------------------ the join page
_page_templates: dict[str, Jinja2Templates] = {}


def _join_page(request: Request, code: str, status: int = 200, error: dict[str, Any] | None
               = None, class_name: str | None = None) -> Response:
    folder = request.app.state.settings.templates_dir
    if not (folder / "join.html").is_file():
        return HTMLResponse("<!doctype html><meta charset='utf-8'><title>Join</title><p>The "
                            "join page is not installed on this server.</p>", status_code=status)
    templates = _page_templates.setdefault(str(folder), Jinja2Templates(directory=str(folder)))
    return templates.TemplateResponse(request, "join.html", {
        "code": code, "class_name": class_name, "error": error}, status_code=status)


@pages.get("/join")
def join_page(request: Request) -> Response:
    """Type the code and a name."""
    return _join_page(request, "")


@pages.get("/j/{code}")
def join_code_page(code: str, request: Request) -> Response:
    """The join link of a class (the QR code's target): the code filled in."""
    cls = _admit(registry(request), request, code)
    if isinstance(cls, JSONResponse):
        detail = json.loads(bytes(cls.body))["detail"][0]
        return _join_page(request, short(code, 12), cls.status_code, detail)
    return _join_page(request, cls.code, class_name=cls.name)
