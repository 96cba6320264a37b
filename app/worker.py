"""(worker thread) A session's worker loop: wait for a command or the next frame, apply the
queued commands between steps, train a short chunk holding a Gate slot (paced by the speed
cap and the frame rate), publish a frame when one is due, and pause a run nobody watches."""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from typing import Any

from .commands import COMMANDS, RACE_COMMANDS
from .connection import STOP, Command
from .errors import AppError, as_app_error
from .publish import crashed, on_diverged, publish_frame, rebuilt
from .races import runner_divergence
from .session import Session
from .store import live

log = logging.getLogger("app.sessions")


def start(s: Session) -> None:
    """Start the session's worker thread."""
    s.thread = threading.Thread(target=run, args=(s,), name=f"session-{s.id}", daemon=True)
    s.thread.start()


def run(s: Session) -> None:
    try:
        rebuilt(s, data=True)
        publish_frame(s)
    except Exception as exc:  # noqa: BLE001 - a broken run must not take the server down
        crashed(s, exc)
    while not s.stopping:
        wait = idle_wait(s)
        first: Any = None
        try:
            if wait is None:
                first = s.commands.get()
            elif wait > 0:
                first = s.commands.get(timeout=wait)
        except queue.Empty:
            first = None
        if s.stopping or first is STOP:
            break
        with s.gate.slot():
            if s.stopping:
                break
            try:
                published = work(s, first)
            except Exception as exc:  # noqa: BLE001
                crashed(s, exc)
                published = False
        if published and s.conns:
            # let the event loop send the frame before the next chunk takes the interpreter
            s.sent.wait(s.settings.send_wait)
    live.ended(s)  # the "end" checkpoint (kept for the next start if the server stops)
    for cmd in s.pending_acks:
        if cmd.future is not None and not cmd.future.done():
            cmd.future.set_exception(RuntimeError("the session is closed"))
    _drain_futures(s)


def _drain_futures(s: Session) -> None:
    while True:
        try:
            cmd = s.commands.get_nowait()
        except queue.Empty:
            return
        if isinstance(cmd, Command) and cmd.future is not None and not cmd.future.done():
            cmd.future.set_exception(RuntimeError("the session is closed"))


def idle_wait(s: Session) -> float | None:
    """Seconds the worker may sleep before it has something to do (None: until a command)."""
    now = time.perf_counter()
    waits: list[float] = []
    if s.pending_steps > 0:
        return 0.0
    if s.running:
        if s.speed is None:
            return 0.0
        waits.append(s.cap_t0 + s.cap_done / s.speed - now)
        waits.append(1.0)  # a slow speed cap still notices an abandoned run
    if s.dirty:
        waits.append(s.last_frame + 1.0 / s.settings.fps - now)
    if not waits:
        return None
    return max(0.0, min(waits))


def work(s: Session, first: Any) -> bool:
    """Apply the commands, train a chunk, publish a frame if one is due; True if it did."""
    cmds = [] if first is None else [first]
    while True:
        try:
            cmds.append(s.commands.get_nowait())
        except queue.Empty:
            break
    for cmd in cmds:
        if cmd is STOP:
            s.stopping = True
            return False
        apply(s, cmd)
    if s.running:
        pause_if_abandoned(s)
    if s.pending_steps > 0 or (s.running and not s.is_diverged()):
        train_chunk(s)
    if s.phase_event is not None and s.trainer.phase is None:
        with s.lock:
            s.phase_event = None
    if s.dirty and time.perf_counter() - s.last_frame >= 1.0 / s.settings.fps:
        publish_frame(s)
        return True
    return False


def apply(s: Session, cmd: Command) -> None:
    """One command, through the table; a refusal becomes an ``error`` event for its sender."""
    if cmd.type == "call":
        assert cmd.fn is not None and cmd.future is not None
        try:
            cmd.future.set_result(cmd.fn(s))
        except Exception as exc:  # noqa: BLE001 - handed to the caller
            cmd.future.set_exception(exc)
        return
    try:
        spec = COMMANDS[cmd.type]
        if s.race is not None and not spec.race:
            raise AppError("not_in_race", f"{cmd.type}: not available in a race session; a race "
                           "takes " + ", ".join(RACE_COMMANDS), allowed=list(RACE_COMMANDS))
        assert spec.handler is not None
        spec.handler(s, cmd)
    except Exception as exc:  # noqa: BLE001 - one bad command must not stop the session
        error = as_app_error(exc)
        if error is None:
            log.exception("session %s: command %s failed", s.id, cmd.type)
            error = AppError("command_failed", f"{cmd.type} failed: {type(exc).__name__}: {exc}")
        s.refuse(cmd, error)


def pause_if_abandoned(s: Session) -> None:
    """Pause a run that has had no client for ``idle_pause_seconds`` (a tab closed while it
    played) and keep a notice for the next client that connects."""
    delay = s.settings.idle_pause_seconds
    step = s.lead.step_count
    with s.lock:
        if s.conns or time.monotonic() - s.last_seen < delay:
            return
        s.running = False
        s.idle_note = {"type": "notice", "code": "idle_paused", "reason": "idle", "step": step,
                       "seconds": delay, "message": (
                           f"training paused at step {step:,}: no client was connected for "
                           f"{delay:g} s; press Play to go on")}
    log.info("session %s paused at step %d: no client for %g s", s.id, step, delay)
    s.dirty = True
    live.checkpoint(s, "pause")


def until_reached(s: Session) -> None:
    """Play reached its ``until`` step: pause, say why, drop the limit."""
    until, source = s.until, s.until_from
    s.running = False
    s.set_until(None)
    lesson = source == "lesson"
    why = ("the step count the lesson's figures are measured at" if lesson
           else f"the step asked for (until {until:,})")
    s.notice("lesson_until_reached" if lesson else "until_reached",
             f"training paused at step {until:,}, {why}; press Play to go on",
             reason="until", step=until)
    s.broadcast(s.state_event())
    s.dirty = True


def steps(s: Session, n: int) -> int:
    """Train n steps (a race: every runner still training); the steps the lead took."""
    if s.race is None:
        return s.trainer.step(n)
    done = max(s.race.step(n))
    runner_divergence(s)
    return done


def train_chunk(s: Session) -> None:
    """Train until the chunk's time is up, the next frame is due, or there is nothing to do."""
    start = time.perf_counter()
    # end the chunk at the next frame's due time, so frames keep their rate
    due = s.last_frame + 1.0 / s.settings.fps
    end = start + s.gate.chunk_seconds()
    if due > start + 0.0005:
        end = min(end, due)
    now = start
    while now < end:
        left = end - now
        k = max(1, min(1000, int(left / s.per_step / 2)))
        if s.pending_steps > 0:
            n = min(k, s.pending_steps)
        elif not s.running:
            break
        elif s.speed is not None:
            allowed = math.floor((now - s.cap_t0) * s.speed) + 1 - s.cap_done
            if allowed > max(1.0, s.speed * 0.1):  # fell behind: forget the backlog
                s.cap_t0 = now - s.cap_done / s.speed
                allowed = 1
            n = min(k, int(allowed))
            if n <= 0:
                break
        else:
            n = k
        if s.pending_steps <= 0 and s.until is not None:
            n = min(n, s.until - s.lead.step_count)
            if n <= 0:
                until_reached(s)
                break
        t = time.perf_counter()
        done = steps(s, n)
        now = time.perf_counter()
        if done:
            s.per_step = 0.7 * s.per_step + 0.3 * (now - t) / done
            s.dirty = True
            s.clear_phases()  # a new step: the last walked one is over
        if s.pending_steps > 0:
            s.pending_steps -= n
            if s.pending_steps <= 0 or s.is_diverged():
                s.pending_steps = 0
                _finish_pending(s)
        elif s.running and s.speed is not None:
            s.cap_done += done
        if s.is_diverged():
            on_diverged(s)
            break
        if s.running and s.until is not None and s.lead.step_count >= s.until:
            until_reached(s)
            break
    lead = s.lead
    with s.lock:
        s.step, s.epoch = lead.step_count, lead.epoch


def _finish_pending(s: Session) -> None:
    acks, s.pending_acks = s.pending_acks, []
    for cmd in acks:
        s.ack(cmd)
    s.broadcast(s.state_event())
