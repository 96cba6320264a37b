"""The classes a server runs: each has a join code, a name, the teacher's session, a roster,
maybe a challenge and a projected student.

A class ends when the teacher ends it, when the teacher's session ends, or after
``IDLE_SECONDS`` (3 hours) in which neither the teacher nor a student made a request. An
ended code answers ``410`` (``class_ended``) for ``ENDED_KEPT_SECONDS`` (24 hours; at most
``MAX_ENDED`` codes remembered) and is not given to a new class meanwhile.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import AppError, short
from ..session import Session
from ..sessions import SessionManager
from .challenge import Challenge
from .joincode import new_code, normalize
from .limiter import JoinLimiter
from .roster import Student, clean_name, unique_name

MAX_CLASSES = 20
MAX_STUDENTS = 200
CLASS_NAME_CHARS = 60
IDLE_SECONDS = 3 * 3600.0
ENDED_KEPT_SECONDS = 24 * 3600.0
MAX_ENDED = 1000


@dataclass
class Classroom:
    code: str
    name: str
    session_id: str  # the teacher's session
    id: str = field(default_factory=lambda: secrets.token_urlsafe(8))
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))  # the teacher's
    created: float = field(default_factory=time.monotonic)
    last_active: float = field(default_factory=time.monotonic)
    students: dict[str, Student] = field(default_factory=dict)
    challenge: Challenge | None = None
    challenge_set: float = 0.0
    projected: str | None = None  # a student id
    measured_at: float = 0.0  # when the class view last measured the forks
    priority_ident: int | None = None  # the teacher's worker thread, served first
    lock: threading.Lock = field(default_factory=threading.Lock)

    def check_token(self, token: str | None) -> bool:
        return token is not None and secrets.compare_digest(token, self.token)

    def touch(self) -> None:
        self.last_active = time.monotonic()

    def add_student(self, raw_name: object) -> Student:
        """A new student with a cleaned, unique display name; AppError when the class is
        full or the name is not allowed."""
        name = clean_name(raw_name)
        with self.lock:
            if len(self.students) >= MAX_STUDENTS:
                raise AppError("class_full", f"the class already has {MAX_STUDENTS} students, "
                               "its limit", status=409, limit=MAX_STUDENTS)
            student = Student(unique_name(name, {s.name for s in self.students.values()}))
            self.students[student.id] = student
        return student

    def student(self, student_id: str) -> Student:
        s = self.students.get(student_id)
        if s is None:
            raise AppError("no_such_student", f"student {short(student_id, 40)!r} is not in "
                           "this class", "student", short(student_id, 40), status=404)
        return s


class ClassRegistry:
    def __init__(self, manager: SessionManager,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.manager = manager
        self.clock = clock
        self.limiter = JoinLimiter(clock)
        self.classes: dict[str, Classroom] = {}
        self.ended: OrderedDict[str, tuple[float, str]] = OrderedDict()  # code: (when, why)
        self._lock = threading.Lock()
        self.watcher: asyncio.Task[None] | None = None  # progress.watch, while classes run

    # ------------------------------------------------------------------ start and end
    def start(self, session: Session, raw_name: object) -> Classroom:
        """A new class run from ``session`` (the teacher's); its gate turns come first."""
        name = clean_name(raw_name, CLASS_NAME_CHARS) if raw_name is not None else "Class"
        self.sweep()
        with self._lock:
            for c in self.classes.values():
                if c.session_id == session.id:
                    raise AppError("session_in_class", f"this session already runs the class "
                                   f"{c.code}; end it first", "session", session.id,
                                   status=409)
            if len(self.classes) >= MAX_CLASSES:
                raise AppError("too_many_classes", f"the server already runs {MAX_CLASSES} "
                               "classes, its limit", status=503, limit=MAX_CLASSES)
            taken = set(self.classes) | set(self.ended)
            cls = Classroom(new_code(taken), name, session.id)
            self.classes[cls.code] = cls
        thread = session.thread
        cls.priority_ident = thread.ident if thread is not None else None
        self._prioritize(cls, True)
        return cls

    def end(self, cls: Classroom, why: str) -> None:
        """End the class: its code answers 410; the teacher's page and its followers are told;
        the students' own runs stay until the server closes them as usual."""
        with self._lock:
            if self.classes.pop(cls.code, None) is None:
                return
            self.ended[cls.code] = (self.clock(), why)
            while len(self.ended) > MAX_ENDED:
                self.ended.popitem(last=False)
        self._prioritize(cls, False)  # by the ident kept: the thread may be gone
        session = self.manager.get(cls.session_id)
        if session is not None:
            session.notice("class_ended", f"the class {cls.code} has ended ({why})",
                           field="code", value=cls.code)

    def _prioritize(self, cls: Classroom, on: bool) -> None:
        """The teacher's worker goes first in the training turnstile while the class runs."""
        if cls.priority_ident is not None:
            self.manager.gate.prioritize(cls.priority_ident, on)

    def sweep(self) -> None:
        """End the classes whose teacher's session ended or that were idle too long; forget
        ended codes older than ``ENDED_KEPT_SECONDS``."""
        now = self.clock()
        for cls in list(self.classes.values()):
            if self.manager.get(cls.session_id) is None:
                self.end(cls, "the teacher's session ended")
            elif now - cls.last_active >= IDLE_SECONDS:
                self.end(cls, f"no activity for {IDLE_SECONDS / 3600:g} hours")
        with self._lock:
            while self.ended and now - next(iter(self.ended.values()))[0] > ENDED_KEPT_SECONDS:
                self.ended.popitem(last=False)

    # ------------------------------------------------------------------ finding a class
    def find(self, text: str) -> Classroom:
        """The live class with code ``text``; AppError 404 (no such code) or 410 (ended)."""
        self.sweep()
        code = normalize(text)
        cls = self.classes.get(code) if code is not None else None
        if cls is not None:
            return cls
        if code is not None and code in self.ended:
            why = self.ended[code][1]
            raise AppError("class_ended", f"the class {code} has ended ({why}); its code no "
                           "longer admits anyone: ask the teacher for the new code", "code",
                           code, status=410)
        raise AppError("class_not_found", f"no class has the code {short(text, 12)!r}; check "
                       "the code on the teacher's screen", "code", short(text, 12), status=404)

    def for_teacher(self, text: str, token: str | None) -> Classroom:
        cls = self.find(text)
        if not cls.check_token(token):
            raise AppError("wrong_class_token", "this needs the teacher's class token in the "
                           "X-Class-Token header" if token is None else
                           "the class token is wrong for this class", status=403)
        cls.touch()
        return cls

    def for_student(self, text: str, student_id: str, token: str | None
                    ) -> tuple[Classroom, Student]:
        cls = self.find(text)
        student = cls.student(student_id)
        if not student.check_token(token):
            raise AppError("wrong_student_token", "this needs the student's token in the "
                           "X-Student-Token header" if token is None else
                           "the student token is wrong for this student", status=403)
        cls.touch()
        student.last_seen = time.monotonic()
        return cls, student
