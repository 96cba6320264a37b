"""The one table of websocket commands: for each its name, its fields (a pydantic model), who
may send it, whether a race session takes it, and its handler. The websocket route, the role
check, the race filter and the command section of docs/protocol.md all read this table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..connection import Command, Connection
from ..session import Session
from . import edit, models, run, teach

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
    replies: str  # what the sender (and the other clients) get back, for the docs
    handler: Callable[[Session, Command], None] | None = None
    at_once: Callable[[Connection, Session, dict[str, Any]], None] | None = None


COMMANDS: dict[str, Spec] = {s.name: s for s in [
    Spec("play", models.Play, CONTROL, True, "`ack`, `state` to all", run.play),
    Spec("pause", models.NoFields, CONTROL, True, "`ack`, `state` to all", run.pause),
    Spec("step", models.Step, CONTROL, True,
         "`ack` when the n-th step is done, `state` to all", run.step),
    Spec("phase", models.NoFields, CONTROL, False, "`ack`, `phase` to all", run.phase),
    Spec("epoch", models.NoFields, CONTROL, True, "`ack`, `state` to all", run.epoch),
    Spec("reset", models.NoFields, CONTROL, True, "`ack`, `state` to all", run.reset),
    Spec("new_seed", models.NoFields, CONTROL, False,
         "`ack`, `config` (rebuilt network), `notice` `rebuilt`, `state`", edit.new_seed),
    Spec("regenerate", models.NoFields, CONTROL, False,
         "`ack`, `config` (rebuilt data), `notice` `rebuilt`, `state`", edit.regenerate),
    Spec("set", models.Set, CONTROL, True,
         "`ack`, `config`; a rebuild adds `notice` `rebuilt` (a race: `race_rebuilt`), "
         "`state`", edit.set_config),
    Spec("speed", models.Speed, CONTROL, True, "`ack`, `state` to all", run.speed),
    Spec("set_weight", models.SetWeight, CONTROL, False, "`ack`", edit.set_weight),
    Spec("freeze", models.Freeze, CONTROL, False, "`ack`, `config` (changed: frozen)",
         edit.freeze),
    Spec("lesson", models.Lesson, CONTROL, True,
         "`ack`, `lesson`, `config` (rebuilt data), `state` to all", teach.lesson),
    Spec("race_target", models.RaceTarget, CONTROL, True, "`ack`, `config` (changed: target)",
         edit.race_target),
    Spec("presenter", models.Presenter, CONTROL, True, "`presenter` to all",
         at_once=teach.presenter),
    Spec("ping", models.NoFields, ANYONE, True, "`pong` with the id", at_once=teach.ping),
    Spec("resync", models.NoFields, ANYONE, True, "`hello` again, then frames",
         at_once=teach.resync),
    Spec("predict", models.Predict, ANYONE, True, "`prediction` with the id", teach.predict),
]}

RACE_COMMANDS = tuple(sorted(n for n, s in COMMANDS.items() if s.race and s.handler))
"""The commands a race session's worker takes (the others need a single run)."""
