"""What the teacher's class view shows of each student: state, live numbers measured by the
server, a sparkline of test accuracy, and the challenge's leaderboard."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from ..runs import HISTORY_COLUMNS
from ..session import Session
from ..sessions import SessionManager
from .challenge import measure
from .links import session_links
from .registry import ClassRegistry, Classroom
from .roster import Student

SPARK_POINTS = 30
MEASURE_TIMEOUT = 1.0  # seconds the class view waits for the students' workers
MEASURE_EVERY = 1.0  # seconds: a class with a challenge is measured this often
_ACC = HISTORY_COLUMNS.index("test_acc")


def sparkline(session: Session, points: int = SPARK_POINTS) -> list[float | None]:
    """The last ``points`` test accuracies of the run's history (None where not defined)."""
    with session.lock:
        rows = session.rows[-points:] if session.race is None else []
    return [r[_ACC] for r in rows]


def _measure_on_worker(cls: Classroom, student: Student) -> Any:
    challenge = cls.challenge

    def run(s: Session) -> dict[str, Any]:
        gen = s.gen
        since = student.fork_step if gen == student.fork_gen else -1
        for seen_gen, seen_step in (student.broke, student.scanned):
            if seen_gen == gen:  # points up to here cannot count (or did not meet the goal)
                since = max(since, seen_step)
        m = measure(s.trainer, student.fork_config, since, challenge)
        m["gen"] = gen
        return m
    return run


def _record(cls: Classroom, student: Student, m: dict[str, Any], now: float) -> None:
    """Keep a measurement: a broken constraint resets the count; a first met goal is kept
    with the time since the challenge was set."""
    student.measured = m
    if cls.challenge is None:
        return
    if m.get("violations"):
        student.broke = (m["gen"], m["step"])
        return
    met = m.get("met")
    if met is None:
        student.scanned = (m["gen"], m["scanned"])
    elif student.reached is None:
        student.reached = {**met, "seconds": round(now - cls.challenge_set, 3),
                           "seconds_since_fork": round(now - student.forked_at, 3)}


async def measure_all(cls: Classroom, manager: SessionManager) -> None:
    """Measure every student's fork on its own worker thread (in parallel, at most
    ``MEASURE_TIMEOUT`` seconds; a busy run keeps its last measurement, and its late answer
    is dropped: a call queued on a worker is not cancelled)."""
    challenge = cls.challenge
    jobs: list[tuple[Student, str, asyncio.Future[Any]]] = []
    for student in list(cls.students.values()):
        session = manager.get(student.fork_id) if student.fork_id else None
        if session is not None and session.race is None:
            jobs.append((student, session.id, asyncio.wrap_future(
                session.call(_measure_on_worker(cls, student)))))
    if not jobs:
        return
    for _, _, f in jobs:  # a late one that fails (its session closed) is not an error
        f.add_done_callback(lambda f: f.cancelled() or f.exception())
    done, _ = await asyncio.wait([f for _, _, f in jobs], timeout=MEASURE_TIMEOUT)
    now = time.monotonic()
    for student, fork_id, f in jobs:
        # kept only if it still measures the student's run under the same challenge
        if (f in done and f.exception() is None and student.fork_id == fork_id
                and cls.challenge is challenge):
            _record(cls, student, f.result(), now)


async def measure_if_due(cls: Classroom, manager: SessionManager) -> None:
    """Measure the class's forks unless that was done less than ``MEASURE_EVERY`` ago."""
    if time.monotonic() - cls.measured_at >= MEASURE_EVERY:
        cls.measured_at = time.monotonic()
        await measure_all(cls, manager)


async def watch(reg: ClassRegistry) -> None:
    """Measure every class that has a challenge about once a second, so the time a run takes
    to reach the goal does not wait for someone to read the class view; ends classes that
    ended (sweep), and stops when no class is left."""
    while reg.classes:
        await asyncio.sleep(MEASURE_EVERY)
        reg.sweep()
        for cls in list(reg.classes.values()):
            if cls.challenge is not None:
                await measure_if_due(cls, reg.manager)


def ensure_watch(reg: ClassRegistry) -> None:
    """(event loop) Start ``watch`` unless it runs."""
    if reg.watcher is None or reg.watcher.done():
        reg.watcher = asyncio.get_running_loop().create_task(watch(reg))


def roster_entry(student: Student, manager: SessionManager, base: str) -> dict[str, Any]:
    fork = manager.get(student.fork_id) if student.fork_id else None
    clients = fork.viewers if fork is not None else 0
    m = student.measured or {}
    entry: dict[str, Any] = {
        "id": student.id, "name": student.name, "state": student.state(clients, fork is not None),
        "fork": None, "test_acc": None, "test_loss": None, "step": None, "sparkline": []}
    if fork is not None:
        entry["fork"] = {"session": fork.id, **session_links(base, fork.id), "clients": clients}
        entry["sparkline"] = sparkline(fork)
        entry.update(test_acc=m.get("test_acc"), test_loss=m.get("test_loss"),
                     step=m.get("step"), epoch=m.get("epoch"), diverged=m.get("diverged"))
    return entry


def leaderboard(cls: Classroom) -> list[dict[str, Any]]:
    """Runs that met the challenge, first to reach the target first (then fewer steps), each
    with its rank; then the others with the constraints they break, best metric first."""
    if cls.challenge is None:
        return []
    metric = cls.challenge.goal.metric
    done: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    for s in list(cls.students.values()):  # a join may add one meanwhile
        if s.fork_id is None:
            continue
        m = s.measured or {}
        row = {"student": s.id, "name": s.name, "value": m.get(metric),
               "reached": s.reached, "violations": m.get("violations", [])}
        (done if s.reached is not None else others).append(row)
    done.sort(key=lambda r: (r["reached"]["seconds"], r["reached"]["step"]))
    for i, r in enumerate(done):
        r["rank"] = i + 1
    sign = -1 if metric == "test_acc" else 1
    others.sort(key=lambda r: (r["value"] is None,
                               sign * r["value"] if r["value"] is not None else 0))
    for r in others:
        r["rank"] = None
    return done + others
