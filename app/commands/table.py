"""The one table of websocket commands: for each its name, its fields (a pydantic model), who
may send it, whether a race session takes it, and its handler. The websocket route, the role
check, the race filter and the command section of docs/protocol.md all read this table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..connection import Command, Connection
from ..session import Session
from . import edit, models, run, teach, tuning

CONTROL = frozenset({"control"})
ANYONE = frozenset({"control", "viewer"})


@dataclass(frozen=True)
class Spec:
    """One command. ``handler`` runs on the session's worker thread between steps;
    ``at_once`` runs on the event loop as the message arrives (nothing to train)."""

    name: str
    model: type[models.CommandModel]
    roles: frozenset[str]
    race: bool  # a race session takes it
    effect: str  # what it does and what comes back (docs/protocol.md)
    handler: Callable[[Session, Command], None] | None = None
    at_once: Callable[[Connection, Session, dict[str, Any]], None] | None = None


COMMANDS: dict[str, Spec] = {s.name: s for s in [
    Spec("play", models.Play, CONTROL, True, (
        "train continuously; with `until`, pause by itself when the run (in a race, the lead "
        "runner) reaches that step (see [Stopping at a step](#stopping-at-a-step)); `ack`, "
        "`state` to all"
    ), run.play),
    Spec("pause", models.NoFields, CONTROL, True, (
        "stop training (the worker thread idles); `ack`, `state` to all"
    ), run.pause),
    Spec("step", models.Step, CONTROL, True, (
        "run n mini-batch steps, then stay paused; the `ack` comes when they are done"
    ), run.step),
    Spec("phase", models.NoFields, CONTROL, False, (
        "advance one phase of a step: forward → loss → backward → update; answers with a "
        "`phase` event"
    ), run.phase),
    Spec("epoch", models.NoFields, CONTROL, True, (
        "run to the end of the current epoch"
    ), run.epoch),
    Spec("reset", models.NoFields, CONTROL, True, (
        "step 0, same initial weights, same data; history cleared; playing or paused stays as"
        " it was"
    ), run.reset),
    Spec("new_seed", models.NoFields, CONTROL, False, (
        "new initial weights (seed + 1), history cleared; `config`, `notice` (`rebuilt`), "
        "`state`"
    ), edit.new_seed),
    Spec("regenerate", models.NoFields, CONTROL, False, (
        "new data (data_seed + 1), network starts again; `config`, `notice` (`rebuilt`), "
        "`state`"
    ), edit.regenerate),
    Spec("set", models.Set, CONTROL, True, (
        "change fields; live fields keep the weights, others rebuild (see `config` event; a "
        "rebuild adds a `notice` with code `rebuilt`, in a race `race_rebuilt`)"
    ), edit.set_config),
    Spec("save", models.NoFields, CONTROL, True, (
        "checkpoint the run now in the run store (see docs/runs.md); `ack`, `notice` "
        "(`run_saved`); refused with `not_recorded` when the server records no runs"
    ), run.save),
    Spec("speed", models.Speed, CONTROL, True, (
        "cap the training rate (`null`: as fast as it goes)"
    ), run.speed),
    Spec("set_weight", models.SetWeight, CONTROL, False, (
        "edit one weight W[row, col] (or the bias b[row] with `bias: true`, no `col`) while "
        "paused (refused while playing)"
    ), edit.set_weight),
    Spec("freeze", models.Freeze, CONTROL, False, (
        "freeze / unfreeze one layer; answered by a `config` event with `changed: [\"frozen\"]`"
    ), edit.freeze),
    Spec("lesson", models.Lesson, CONTROL, True, (
        "load the lesson's configuration (a race lesson makes the session a race, judged "
        "every `evaluate_every` steps; another lesson makes it a single run again): a new "
        "run, paused, with `until` set to the lesson's `steps`; broadcasts `lesson`, `config`"
        " (`rebuilt: \"data\"`) and `state`"
    ), teach.lesson),
    Spec("race_target", models.RaceTarget, CONTROL, True, (
        "race sessions: a new target; the race is judged again from the recorded points; "
        "answered by a `config` event with `changed: [\"target\"]`"
    ), edit.race_target),
    Spec("presenter", models.Presenter, CONTROL, True, (
        "keep the teacher's view state and broadcast it to every client as a `presenter` "
        "event (no `ack`: the broadcast, which the sender also gets, is the answer)"
    ), at_once=teach.presenter),
    Spec("lr_find", tuning.LrFind, CONTROL, False, (
        "the learning-rate finder (docs/tuning.md): pauses the run, trains `steps` mini-batches"
        " at growing learning rates from the current weights, then puts the run back exactly "
        "as it was; an `lr_found` event to the sender (`lrs`, `losses`, `smoothed`, "
        "`suggestion` = `lr_min_div10`, `lr_steep`, `stopped`, `flat`), then `ack`"
    ), tuning.find_lr),
    Spec("ping", models.NoFields, ANYONE, True, (
        "answered by `pong`"
    ), at_once=teach.ping),
    Spec("resync", models.NoFields, ANYONE, True, (
        "the server sends `hello` again (full state)"
    ), at_once=teach.resync),
    Spec("predict", models.Predict, ANYONE, True, (
        "the network's answer for raw inputs, layer by layer (a `prediction` event to the "
        "sender); changes nothing"
    ), teach.predict),
]}

RACE_COMMANDS = tuple(sorted(n for n, s in COMMANDS.items() if s.race and s.handler))
"""The commands a race session's worker takes (the others need a single run)."""
