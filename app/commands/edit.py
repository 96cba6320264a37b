"""(worker thread) Commands that change the run: set (a single run or a race), new_seed,
regenerate, set_weight, freeze, race_target."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from engine import config as cfgmod
from engine.race import RUNNER_FIELDS
from engine.trainer import DATA_FIELDS, Trainer

from ..connection import Command
from ..errors import AppError
from ..publish import announce_rebuild, publish_state, rebuilt
from ..run_limits import check_limits
from ..runs import build_run
from ..session import Session
from ..store import live

WEIGHT_CODES = {"layer": "no_such_layer", "row": "no_such_row", "col": "no_such_col"}


WITHIN_LIMITS = cfgmod.LIVE_FIELDS - {"batch_size"}
"""Fields whose change cannot take a run over the server's limits (parameters, work)."""


def set_config(s: Session, cmd: Command) -> None:
    """``set``: live fields that cannot reach a limit go straight to the trainer, which
    validates them (once); other changes are validated here, their limits checked before
    anything is built, and applied (live, or a rebuild)."""
    changes = cmd.fields["config"]
    if s.race is not None:
        race_set(s, cmd, changes)
        return
    if set(changes) <= WITHIN_LIMITS:
        change(s, cmd, lambda t: t.set(changes), None)
        return
    tr = s.trainer
    new = cfgmod.validate(changes, base=tr.config)
    check_limits(new, s.settings, tr.csv,
                 changed=[k for k in changes if new[k] != tr.config[k]])
    change(s, cmd, lambda t: t.set(changes), None)


def new_seed(s: Session, cmd: Command) -> None:
    change(s, cmd, lambda tr: tr.new_seed(), ["seed"])


def regenerate(s: Session, cmd: Command) -> None:
    change(s, cmd, lambda tr: tr.regenerate(), ["data_seed"])


def change(s: Session, cmd: Command, fn: Callable[[Trainer], Any],
           changed: list[str] | None) -> None:
    """Apply ``fn`` to the trainer; a rebuild restarts the history (a new recorded run) and
    says so; a live change is recorded as an event of the run at its step."""
    live.points(s)  # a rebuild clears the trainer's history: record what it holds first
    old = dict(s.trainer.config)
    result = fn(s.trainer)
    if result is None:  # new_seed / regenerate
        what = "data" if changed == ["data_seed"] else "network"
        result = {"rebuilt": what, "changed": changed}
    made = result.get("rebuilt")
    s.error = None if made else s.error
    if made:
        rebuilt(s, data=made == "data")
    else:
        publish_state(s)
        s.dirty = True
        live.changed(s, 0, old, result)
    s.ack(cmd)
    s.broadcast(s.config_event(result["changed"], made))
    if made:
        announce_rebuild(s, result["changed"], made)


def layer_index(s: Session, cmd: Command) -> int:
    i = cmd.fields["layer"]
    n = len(s.trainer.net.layers)
    if not 0 <= i < n:
        raise AppError("no_such_layer", f"layer: {i} does not exist; this network has layers "
                       f"0..{n - 1}", "layer", i, limit=n - 1)
    return int(i)


def set_weight(s: Session, cmd: Command) -> None:
    """One weight (or bias) written by the engine, which checks the indices."""
    if s.running:
        raise AppError("pause_to_edit", "pause the run before editing a weight")
    f = cmd.fields
    try:
        s.trainer.set_weight(f["layer"], f["row"], None if f["bias"] else f["col"], f["value"],
                             bias=f["bias"])
    except cfgmod.ConfigError as exc:
        e = exc.errors[0]
        if e.field not in WEIGHT_CODES:
            raise
        raise AppError(WEIGHT_CODES[e.field], str(e), e.field, e.value,
                       **_weight_limit(s.trainer, e.field, f["layer"])) from None
    s.dirty = True
    s.ack(cmd)


def _weight_limit(tr: Trainer, field: str, layer: int) -> dict[str, int]:
    """The highest index allowed for ``field`` (and the layer it belongs to)."""
    layers = tr.net.layers
    if field == "layer":
        return {"limit": len(layers) - 1}
    la = layers[layer]
    return {"layer": layer, "limit": (la.n_out if field == "row" else la.n_in) - 1}


def freeze(s: Session, cmd: Command) -> None:
    """Freeze or unfreeze one layer through the engine, which records it in config["freeze"]
    and keeps at least one layer trainable."""
    i = layer_index(s, cmd)
    try:
        s.trainer.freeze(i, cmd.fields["frozen"])
    except cfgmod.ConfigError as exc:
        e = exc.errors[0]
        if e.field != "frozen":
            raise
        raise AppError("last_trainable_layer", f"layer: {i} is the last trainable layer; at "
                       "least one layer must stay trainable (unfreeze another layer first)",
                       "layer", i) from None
    publish_state(s)
    s.dirty = True
    s.ack(cmd)
    s.broadcast(s.config_event(["frozen"], None))


def race_set(s: Session, cmd: Command, changes: Mapping[str, Any]) -> None:
    """``set`` in a race: shared fields go to every runner (each runner validates them as it
    takes them, and one that refuses puts the others back; a change that may reach a limit
    is validated for the race first); a field a runner sets itself is refused."""
    race = s.race
    assert race is not None
    own = sorted({k for spec in race.specs for k in spec if k in RUNNER_FIELDS}
                 & set(changes))
    if own:
        f = own[0]
        raise AppError("runner_field", f"{f}: in this race the runners set their own {f}; set "
                       "only fields they share (or start a new race)", f, changes[f])
    if set(changes) <= WITHIN_LIMITS:
        lead = race.trainers[0]
        before = {k: lead.config[k] for k in changes}
        _race_live(s, changes)
        changed = [k for k in changes if lead.config[k] != before[k]]
        race.config = {**race.config, **{k: lead.config[k] for k in changes}}
        _race_live_done(s, cmd, changed)
        return
    base = cfgmod.validate(changes, base=race.config)
    changed = [k for k in changes if base[k] != race.config[k]]
    check_limits(base, s.settings, s.trainer.csv, changed=changed,
                 runners=len(race.trainers))
    if all(k in cfgmod.LIVE_FIELDS for k in changed):
        _race_live(s, changes)
        race.config = base
        _race_live_done(s, cmd, changed)
        return
    _, new = build_run(base, s.race_spec(), s.settings, changed=changed,
                       csv=s.trainer.csv, model_file=s.trainer.model_file,
                       check_every=s.check_every())
    assert new is not None
    data = any(k in DATA_FIELDS for k in changed)
    s.set_run(new.trainers[0], new)
    s.error = None
    with s.lock:
        s.phase_event = None
    rebuilt(s, data=data)
    s.ack(cmd)
    s.broadcast(s.config_event(changed, "data" if data else "network"))
    s.notice("race_rebuilt", f"changing {', '.join(changed)} rebuilt the race: every runner "
             "starts again from step 0", changed=changed)
    s.broadcast(s.state_event())


def _race_live(s: Session, changes: Mapping[str, Any]) -> None:
    """Every runner takes the live change, or none does."""
    assert s.race is not None
    done: list[tuple[Trainer, dict[str, Any]]] = []
    try:
        for tr in s.race.trainers:
            old = {k: tr.config[k] for k in changes}
            tr.set(changes)
            done.append((tr, old))
    except Exception:
        for tr, old in done:
            tr.set(old)
        raise


def _race_live_done(s: Session, cmd: Command, changed: list[str]) -> None:
    publish_state(s)
    s.dirty = True
    s.ack(cmd)
    s.broadcast(s.config_event(changed, None))


def race_target(s: Session, cmd: Command) -> None:
    if s.race is None:
        raise AppError("not_a_race", "race_target: this session is not a race")
    s.race.target = cmd.fields["target"]
    publish_state(s)
    s.dirty = True
    s.ack(cmd)
    s.broadcast(s.config_event(["target"], None))
