"""Commands for teaching and asking: predict, lesson (worker thread), and the ones answered
at once on the event loop: ping, resync, presenter."""

from __future__ import annotations

from typing import Any

from engine import config as cfgmod
from engine import lessons
from engine.race import CHECK_EVERY

from .. import frames
from ..connection import Command, Connection
from ..errors import AppError
from ..publish import replace_run
from ..runs import build_run
from ..session import Session


def predict(s: Session, cmd: Command) -> None:
    k = cmd.fields.get("runner", 0)
    trainers = s.trainers
    if not 0 <= k < len(trainers):
        raise AppError("no_such_runner", f"runner: {k} does not exist; this session has runners "
                       f"0..{len(trainers) - 1}", "runner", k, limit=len(trainers) - 1)
    result = trainers[k].explain(cmd.fields["raw"])
    s.reply(cmd, {"type": "prediction", "id": cmd.fields.get("id"), **result})


def lesson(s: Session, cmd: Command) -> None:
    """Load a lesson (a run or a race); the next play stops at the lesson's step count."""
    name, variant = cmd.fields["name"], cmd.fields.get("variant")
    if name not in lessons.LESSONS:
        raise AppError("unknown_lesson", f"name: {name!r} is not a lesson; allowed: "
                       + ", ".join(lessons.LESSONS), "name", name, allowed=list(lessons.LESSONS))
    d = lessons.lesson(name)
    race: dict[str, Any] | None = None
    every = CHECK_EVERY
    if "race" in d:
        if variant is not None:
            raise AppError("lesson_no_variants", f"variant: lesson {name!r} is a race; it has no "
                           "variants (send null)", "variant", variant)
        cfg = cfgmod.validate(d["config"])
        race = {"runners": d["race"]["runners"],
                "target": {"metric": "train_loss", "value": d["race"]["target_loss"]}}
        every = d["race"].get("evaluate_every", CHECK_EVERY)
    else:
        runs = lessons.runs(name)
        names = [r["name"] for r in runs] if d.get("variants") else []
        if variant is None:
            run = runs[0]
            variant = names[0] if names else None
        elif variant in names:
            run = runs[names.index(variant)]
        elif names:
            raise AppError("unknown_variant", f"variant: {variant!r} is not a variant of lesson "
                           f"{name!r}; allowed: " + ", ".join(names), "variant", variant,
                           allowed=names)
        else:
            raise AppError("lesson_no_variants", f"variant: {variant!r} is not a variant of "
                           f"lesson {name!r}; this lesson has no variants (send null)",
                           "variant", variant)
        cfg = run["config"]
    old = dict(s.config)
    trainer, new_race = build_run(cfg, race, s.settings, check_every=every)
    replace_run(s, trainer, new_race)
    s.set_until(int(d["steps"]), "lesson")  # the next play stops where the claim is
    with s.lock:
        s.lesson = {"name": name, "variant": variant}
    changed = [k for k in s.config if s.config[k] != old.get(k)]
    s.ack(cmd)
    s.broadcast({"type": "lesson", "name": name, "variant": variant})
    s.broadcast(s.config_event(changed, "data"))
    s.broadcast(s.state_event())


# ------------------------------------------------------------ answered on the event loop
def ping(conn: Connection, session: Session, fields: dict[str, Any]) -> None:
    conn.post(frames.dumps({"type": "pong", "id": fields.get("id")}), "pong")


def resync(conn: Connection, session: Session, fields: dict[str, Any]) -> None:
    conn.needs_hello = True
    conn.wake.set()


def presenter(conn: Connection, session: Session, fields: dict[str, Any]) -> None:
    session.set_presenter(fields["state"])
