"""(worker thread) Commands that drive the run: play, pause, speed, step, epoch, phase,
reset."""

from __future__ import annotations

import time

from .. import frames
from ..connection import Command
from ..errors import AppError
from ..publish import on_diverged, publish_state, restart_history
from ..races import runner_divergence
from ..session import Session
from ..store import live
from .models import MAX_STEPS_PER_COMMAND


def refuse_if_diverged(s: Session) -> None:
    if s.is_diverged():
        raise AppError("refused_diverged", "the run diverged and stopped; reset it (or change "
                       "the learning rate, which takes effect after a reset)")


def play(s: Session, cmd: Command) -> None:
    refuse_if_diverged(s)
    if s.error:
        raise AppError("refused_after_error",
                       f"training stopped after an error ({s.error}); reset the run")
    step = s.lead.step_count
    if "until" in cmd.fields:
        until = cmd.fields["until"]
        if until is not None and until <= step:
            raise AppError("until_not_ahead", f"until: {until:,} is not ahead of the run, which "
                           f"is at step {step:,}; give a step count above {step:,}, or null for "
                           "no limit", "until", until, step=step)
        s.set_until(until, "play")
    elif s.until is not None and s.until <= step:
        s.set_until(None)  # passed by step or epoch while paused: play on without it
    if not s.running:
        s.running = True
        s.cap_t0, s.cap_done = time.perf_counter(), 0
    s.ack(cmd)
    s.broadcast(s.state_event())


def pause(s: Session, cmd: Command) -> None:
    was_running, s.running = s.running, False
    s.ack(cmd)
    s.broadcast(s.state_event())
    s.dirty = True
    if was_running:
        live.checkpoint(s, "pause")


def save(s: Session, cmd: Command) -> None:
    """A checkpoint of the run now (the runs page can continue or fork from it)."""
    if s.recording is None:
        raise AppError("not_recorded", "save: this server records no runs; start it with "
                       "--data-dir or --database-url to keep them")
    live.checkpoint(s, "save")
    s.ack(cmd)
    step = s.lead.step_count
    s.notice("run_saved", f"the run was saved at step {step:,}", step=step)


def speed(s: Session, cmd: Command) -> None:
    s.speed = cmd.fields.get("steps_per_second")
    s.cap_t0, s.cap_done = time.perf_counter(), 0
    s.ack(cmd)
    s.broadcast(s.state_event())


def step(s: Session, cmd: Command) -> None:
    """Queue n steps; the worker trains them and acks when the last is done."""
    refuse_if_diverged(s)
    s.running = False
    s.pending_steps += int(cmd.fields.get("n", 1))
    s.pending_steps = min(s.pending_steps, MAX_STEPS_PER_COMMAND)
    s.pending_acks.append(cmd)


def epoch(s: Session, cmd: Command) -> None:
    refuse_if_diverged(s)
    s.running = False
    if s.race is not None:
        s.race.train_epoch()
        runner_divergence(s)
    else:
        s.trainer.train_epoch()
    s.clear_phases()
    s.dirty = True
    if s.is_diverged():
        on_diverged(s)
    s.ack(cmd)
    s.broadcast(s.state_event())


def phase(s: Session, cmd: Command) -> None:
    refuse_if_diverged(s)
    s.running = False
    result = s.trainer.step_phase()
    event = frames.clean({"type": "phase", **result})
    with s.lock:
        s.phase_event = event if s.trainer.phase is not None else None
        if result.get("phase") == "forward":  # a new step: the last one is over
            s.phase_events = [event]
        elif result.get("phase") is not None:
            s.phase_events = [*s.phase_events, event]
    s.ack(cmd)
    s.broadcast(event)
    s.dirty = True
    if s.trainer.diverged:
        on_diverged(s)


def reset(s: Session, cmd: Command) -> None:
    live.points(s)  # the points of the run that ends here; reset starts a new one
    if s.race is not None:
        s.race.reset()
        s.diverged_runners = set()
    else:
        s.trainer.reset()
    s.error = None
    restart_history(s)
    publish_state(s)
    s.ack(cmd)
    s.broadcast(s.state_event())
