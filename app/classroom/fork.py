"""A student's own run, forked from the teacher's run as it is now.

The teacher's worker thread saves its trainer whole (``engine.checkpoint.save``: weights,
optimizer state, random states, history, a step in progress); the bytes are restored into a
new trainer off the event loop, and a new session (made through the manager, so its limits
and quotas apply) takes it as its run on its own worker thread. The fork continues exactly as
the teacher's run would have, from the same step, paused.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi.concurrency import run_in_threadpool

from engine import checkpoint
from engine import config as cfgmod
from engine.data import DataError

from ..errors import AppError
from ..publish import replace_run
from ..session import Session
from ..sessions import SessionManager


def _save(s: Session) -> tuple[bytes, int, dict[str, Any]]:
    """(the teacher's worker) The checkpoint of the run (a race: its first runner)."""
    tr = s.trainer
    return checkpoint.save(tr), tr.step_count, dict(tr.config)


def _adopt(trainer: Any) -> Any:
    def adopt(s: Session) -> int:
        """(the fork's worker) Take the restored trainer as the run; its history generation."""
        replace_run(s, trainer, None)
        return s.gen
    return adopt


async def fork(manager: SessionManager, teacher: Session
               ) -> tuple[Session, int, int, dict[str, Any]]:
    """A new session running a copy of ``teacher``'s run: (session, its history generation,
    the step it starts at, its configuration). AppError when the teacher's session has ended
    or the server has no room."""
    try:
        blob, step, config = await asyncio.wrap_future(teacher.call(_save))
    except RuntimeError as exc:
        raise AppError("teacher_session_gone", "the teacher's session has ended; there is no "
                       "run to fork", status=410) from exc
    try:
        trainer = await run_in_threadpool(checkpoint.restore, blob)
    except checkpoint.CheckpointError as exc:
        raise AppError("command_failed", f"fork: the teacher's run could not be copied: "
                       f"{exc}", status=409) from exc
    try:
        session = await run_in_threadpool(manager.create, config)
    except (cfgmod.ConfigError, DataError):
        # a run on uploaded data or an uploaded model: its configuration alone cannot build
        # it, so the session starts from the defaults and takes the restored run at once
        session = await run_in_threadpool(manager.create, {})
    try:
        gen = await asyncio.wrap_future(session.call(_adopt(trainer)))
    except RuntimeError as exc:
        manager.remove(session.id)
        raise AppError("teacher_session_gone", "the new session ended before it started",
                       status=410) from exc
    return session, gen, step, config
