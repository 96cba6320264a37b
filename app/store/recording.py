"""The writes of recording, on an open write transaction: runs, metric rows (with
compaction), events, checkpoints (with retention) and live sessions; and ``write_batch``, which
applies what a Recorder gathered and refuses, item by item, what a quota or a deleted run
does not allow (never failing the whole batch for it).

Writes are idempotent, so a batch retried after its commit went through (the answer lost)
adds nothing twice: a run already there is not created again, metric rows at or before the
run's last recorded step are skipped, an event already stored (same step, field, old and new
value) is skipped, and a checkpoint with the same step and reason is not stored twice.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from .compaction import COLUMNS, compact_oldest
from .errors import InvalidValue, QuotaError, RunNotFound
from .schema import checkpoints, events, live_sessions, metrics, run_tags, runs

ROW_BYTES = 100
"""Bytes a metric row is accounted for (its columns and index entries, roughly)."""
EVENT_BYTES = 64
"""Bytes an event is accounted for, besides its field name and values."""
CHECKPOINT_BYTES = 64
MAX_VALUE_TEXT = 1000
"""Characters of an event's old or new value kept (longer values are cut, marked with …)."""
MAX_CONFIG_BYTES = 64 * 1024
REASONS = ("initial", "pause", "save", "end", "periodic", "best")
_CHUNK = 500

__all__ = ["COLUMNS", "Batch", "write_batch"]


def _now() -> datetime:
    return datetime.now(UTC)


def _owner_hash(owner_key: str) -> str:
    return hashlib.sha256(owner_key.encode()).hexdigest()


def to_json(value: Any) -> str:
    text = json.dumps(value, default=repr, allow_nan=True)
    return text if len(text) <= MAX_VALUE_TEXT else text[:MAX_VALUE_TEXT - 1] + "…"


def from_json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text  # a value cut at MAX_VALUE_TEXT reads back as its text


@dataclass
class Batch:
    """Writes gathered by a Recorder, applied in this order."""

    creates: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    events: list[tuple[str, int, str, str, str, datetime]] = field(default_factory=list)
    """(run id, step, field, old value as JSON, new value as JSON, time)"""
    checkpoints: list[tuple[str, int, str, bytes]] = field(default_factory=list)
    live: list[dict[str, Any]] = field(default_factory=list)
    live_drops: list[str] = field(default_factory=list)

    def run_ids(self) -> set[str]:
        return ({c["id"] for c in self.creates} | set(self.metrics)
                | {e[0] for e in self.events} | {c[0] for c in self.checkpoints})


# ------------------------------------------------------------------------ runs
def run_spec(owner_key: str, *, name: str, config: Mapping[str, Any], kinds: Iterable[str],
             tags: Iterable[str], note: str, data_seed: int | None, run_id: str,
             starred: bool = False, owner_sha256: str | None = None) -> dict[str, Any]:
    """A checked description of a new run (what insert_run writes). ``owner_sha256``: the
    owner's key is not known, only its hash (a session brought back after a restart)."""
    from .store import MAX_NAME, MAX_NOTE, check_tags, check_text

    if owner_sha256 is None and (not isinstance(owner_key, str) or not owner_key):
        raise InvalidValue("owner", owner_key, "a run needs its owner's key")
    name = check_text("name", name, MAX_NAME).strip() or "untitled run"
    if not isinstance(config, Mapping):
        raise InvalidValue("config", config, "it must be a JSON object")
    config = dict(config)
    if len(json.dumps(config, default=repr)) > MAX_CONFIG_BYTES:
        raise InvalidValue("config", "...", f"it must be at most {MAX_CONFIG_BYTES} bytes as "
                                            "JSON")
    if data_seed is not None and (isinstance(data_seed, bool) or not isinstance(data_seed, int)):
        raise InvalidValue("data_seed", data_seed, "it must be a whole number or null")
    owner = owner_sha256 if owner_sha256 is not None else _owner_hash(owner_key)
    return {"id": run_id, "owner": owner, "name": name,
            "note": check_text("note", note, MAX_NOTE), "starred": bool(starred),
            "config": json.loads(json.dumps(config, default=repr)), "data_seed": data_seed,
            "tags": check_tags("tags", list(tags)), "kinds": check_tags("kinds", list(kinds))}


def insert_run(conn: sa.Connection, spec: Mapping[str, Any], quotas: Any) -> None:
    owned = conn.execute(sa.select(sa.func.count()).select_from(runs)
                         .where(runs.c.owner == spec["owner"])).scalar_one()
    if owned >= quotas.runs_per_owner:
        raise QuotaError("runs per owner", quotas.runs_per_owner,
                         f"this owner has {owned} runs; delete some, or prune the oldest "
                         "unstarred ones (POST /api/runs/prune)")
    check_store_bytes(conn, 0, quotas)
    t = _now()
    conn.execute(runs.insert().values(
        id=spec["id"], owner=spec["owner"], name=spec["name"], note=spec["note"],
        starred=spec["starred"], config=spec["config"], data_seed=spec["data_seed"],
        created_at=t, updated_at=t, last_step=0, points=0, bytes=0))
    labels = [{"run_id": spec["id"], "tag": x, "kind": False} for x in spec["tags"]]
    labels += [{"run_id": spec["id"], "tag": x, "kind": True} for x in spec["kinds"]]
    if labels:
        conn.execute(run_tags.insert(), labels)


def require_run(conn: sa.Connection, run_id: str) -> None:
    if conn.execute(sa.select(runs.c.id).where(runs.c.id == run_id)).first() is None:
        raise RunNotFound(run_id)


def delete_runs(conn: sa.Connection, ids: Sequence[str]) -> None:
    for s in range(0, len(ids), _CHUNK):
        chunk = list(ids[s:s + _CHUNK])
        conn.execute(live_sessions.update().where(live_sessions.c.run_id.in_(chunk))
                     .values(run_id=None))
        for table in (metrics, events, checkpoints, run_tags):
            conn.execute(table.delete().where(table.c.run_id.in_(chunk)))
        conn.execute(runs.delete().where(runs.c.id.in_(chunk)))


def check_store_bytes(conn: sa.Connection, adding: int, quotas: Any) -> None:
    used = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(runs.c.bytes), 0))).scalar_one()
    if int(used) + adding > quotas.store_bytes:
        raise QuotaError("store size", quotas.store_bytes,
                         f"the store holds {int(used)} bytes of runs; delete or prune runs to "
                         "make room")


def _check_run_bytes(conn: sa.Connection, run_id: str, adding: int, quotas: Any) -> None:
    used = conn.execute(sa.select(runs.c.bytes).where(runs.c.id == run_id)).scalar_one()
    if int(used) + adding > quotas.run_bytes:
        raise QuotaError("bytes per run", quotas.run_bytes,
                         f"run {run_id} holds {int(used)} bytes; adding {adding} would pass it")
    check_store_bytes(conn, adding, quotas)


# --------------------------------------------------------------------- metrics
def _number(row: Mapping[str, Any], key: str, required: bool) -> float | None:
    v = row.get(key)
    if v is None and not required:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise InvalidValue(f"metrics.{key}", v, "it must be a number"
                           + ("" if required else " or null"))
    v = float(v)
    return None if math.isnan(v) else v  # SQLite keeps no NaN: a missing value either way


def clean_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        step = row.get("step")
        if isinstance(step, float) and step.is_integer():
            step = int(step)
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise InvalidValue("metrics.step", step, "it must be a whole number, 0 or more")
        clean: dict[str, Any] = {"step": step}
        for k in COLUMNS[1:]:
            clean[k] = _number(row, k, required=k in ("epoch", "seconds"))
        out.append(clean)
    return out


def insert_metrics(conn: sa.Connection, run_id: str, rows: Sequence[Mapping[str, Any]],
                   cap: int | None = None) -> int:
    """Append rows after the run's last recorded step; compact past ``cap`` (the run's
    points_per_run). Returns the rows added."""
    from .compaction import MAX_POINTS

    cap = cap or MAX_POINTS
    run = conn.execute(sa.select(runs.c.points, runs.c.last_step).where(runs.c.id == run_id)
                       ).one()
    clean = sorted(clean_rows(rows), key=lambda r: r["step"])
    after = run.last_step if run.points else -1
    fresh: list[dict[str, Any]] = []
    for r in clean:
        if r["step"] > after:
            fresh.append(r)
            after = r["step"]
    if not fresh:
        return 0
    conn.execute(metrics.insert(), [{**r, "run_id": run_id, "compacted": False} for r in fresh])
    conn.execute(runs.update().where(runs.c.id == run_id).values(
        points=runs.c.points + len(fresh), bytes=runs.c.bytes + ROW_BYTES * len(fresh),
        last_step=fresh[-1]["step"], updated_at=_now()))
    if run.points + len(fresh) > cap:
        _compact_run(conn, run_id, cap)
    return len(fresh)


def _compact_run(conn: sa.Connection, run_id: str, cap: int) -> None:
    """Thin all but the newest cap // 2 rows until the run holds at most ``cap``."""
    held = conn.execute(sa.select(sa.func.count()).select_from(metrics)
                        .where(metrics.c.run_id == run_id)).scalar_one()
    if held <= cap:
        return
    half = cap // 2
    names = ("id", *COLUMNS)
    cols = [metrics.c[k] for k in names]
    old = [dict(zip(names, r, strict=True)) for r in conn.execute(
        sa.select(*cols).where(metrics.c.run_id == run_id)
        .order_by(metrics.c.step, metrics.c.id).limit(held - half))]
    # the old rows thinned to fit beside the newest half, which stays whole
    kept = compact_oldest(old + [{} for _ in range(half)], cap)[:-half]
    kept_ids = {p["id"] for p in kept}
    gone = [p["id"] for p in old if p["id"] not in kept_ids]
    thinned = list(kept_ids)
    for s in range(0, len(gone), _CHUNK):
        conn.execute(metrics.delete().where(metrics.c.id.in_(gone[s:s + _CHUNK])))
    for s in range(0, len(thinned), _CHUNK):
        conn.execute(metrics.update().where(metrics.c.id.in_(thinned[s:s + _CHUNK]))
                     .values(compacted=True))
    conn.execute(runs.update().where(runs.c.id == run_id).values(
        points=len(kept) + half, bytes=runs.c.bytes - ROW_BYTES * len(gone)))


# ---------------------------------------------------------------------- events
def insert_events(conn: sa.Connection, items: Sequence[tuple[str, int, str, str, str, datetime]],
                  quotas: Any) -> None:
    """Events of one run (all items share their run id), their values as JSON (to_json)."""
    if not items:
        return
    run_id = items[0][0]
    rows: list[dict[str, Any]] = []
    for _, step, name, old, new, at in items:
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise InvalidValue("step", step, "it must be a whole number, 0 or more")
        if not isinstance(name, str) or not 0 < len(name) <= 64:
            raise InvalidValue("field", name, "it must be a text of 1 to 64 characters")
        rows.append({"run_id": run_id, "step": step, "field": name, "old": old, "new": new,
                     "at": at})
    rows = _not_yet_recorded(conn, run_id, rows)
    if not rows:
        return
    held = conn.execute(sa.select(sa.func.count()).select_from(events)
                        .where(events.c.run_id == run_id)).scalar_one()
    if held + len(rows) > quotas.events_per_run:
        raise QuotaError("events per run", quotas.events_per_run,
                         f"run {run_id} has {held} events")
    size = sum(EVENT_BYTES + len(r["field"]) + len(r["old"]) + len(r["new"]) for r in rows)
    _check_run_bytes(conn, run_id, size, quotas)
    conn.execute(events.insert(), rows)
    conn.execute(runs.update().where(runs.c.id == run_id).values(
        bytes=runs.c.bytes + size, updated_at=_now()))


def _not_yet_recorded(conn: sa.Connection, run_id: str, rows: list[dict[str, Any]]
                      ) -> list[dict[str, Any]]:
    """The rows without those already stored (same step, field, old and new value): a batch
    retried after its commit went through adds nothing twice."""
    lo, hi = min(r["step"] for r in rows), max(r["step"] for r in rows)
    held: dict[tuple[Any, ...], int] = {}
    for e in conn.execute(sa.select(events.c.step, events.c.field, events.c.old, events.c.new)
                          .where(events.c.run_id == run_id, events.c.step >= lo,
                                 events.c.step <= hi)):
        key = (e.step, e.field, e.old, e.new)
        held[key] = held.get(key, 0) + 1
    fresh = []
    for r in rows:
        key = (r["step"], r["field"], r["old"], r["new"])
        if held.get(key):
            held[key] -= 1
        else:
            fresh.append(r)
    return fresh


# ----------------------------------------------------------------- checkpoints
def insert_checkpoint(conn: sa.Connection, run_id: str, step: int, reason: str, blob: bytes,
                      quotas: Any) -> int:
    """Store a checkpoint, then keep only: the initial one, the newest of each reason and the
    newest checkpoints_per_run. Returns its id."""
    if reason not in REASONS:
        raise InvalidValue("reason", reason, "allowed: " + ", ".join(REASONS))
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise InvalidValue("step", step, "it must be a whole number, 0 or more")
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise InvalidValue("checkpoint", type(blob).__name__, "it must be bytes")
    same = conn.execute(sa.select(checkpoints.c.id).where(
        checkpoints.c.run_id == run_id, checkpoints.c.step == step,
        checkpoints.c.reason == reason)).first()
    if same is not None:
        return int(same.id)
    size = len(blob)
    _check_run_bytes(conn, run_id, size + CHECKPOINT_BYTES, quotas)
    new_id = conn.execute(checkpoints.insert().values(
        run_id=run_id, step=step, reason=reason, size=size, created_at=_now(),
        data=bytes(blob)).returning(checkpoints.c.id)).scalar_one()
    conn.execute(runs.update().where(runs.c.id == run_id).values(
        bytes=runs.c.bytes + size + CHECKPOINT_BYTES, updated_at=_now()))
    _retain(conn, run_id, quotas.checkpoints_per_run)
    return int(new_id)


def _retain(conn: sa.Connection, run_id: str, newest: int) -> None:
    held = conn.execute(sa.select(checkpoints.c.id, checkpoints.c.reason, checkpoints.c.size)
                        .where(checkpoints.c.run_id == run_id)
                        .order_by(checkpoints.c.step.desc(), checkpoints.c.id.desc())).all()
    keep = {r.id for r in held[:newest]}
    seen: set[str] = set()
    for r in held:
        if r.reason not in seen:  # the newest of each reason (the initial weights among them)
            seen.add(r.reason)
            keep.add(r.id)
    gone = [r for r in held if r.id not in keep]
    if gone:
        conn.execute(checkpoints.delete().where(checkpoints.c.id.in_([r.id for r in gone])))
        freed = sum(r.size + CHECKPOINT_BYTES for r in gone)
        conn.execute(runs.update().where(runs.c.id == run_id)
                     .values(bytes=runs.c.bytes - freed))


# --------------------------------------------------------------- live sessions
def live_row(session_id: str, token: str, *, kind: str, run_id: str | None,
             presenter: Any, instance: str | None, token_sha256: str | None = None
             ) -> dict[str, Any]:
    digest = token_sha256 or hashlib.sha256(token.encode()).hexdigest()
    return {"session_id": session_id, "token_sha256": digest,
            "run_id": run_id, "kind": kind, "presenter": presenter, "instance": instance,
            "updated_at": _now()}


def put_live_sessions(conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
    for row in rows:
        if row["run_id"] is not None and conn.execute(
                sa.select(runs.c.id).where(runs.c.id == row["run_id"])).first() is None:
            row = {**row, "run_id": None}
        conn.execute(live_sessions.delete().where(
            live_sessions.c.session_id == row["session_id"]))
        conn.execute(live_sessions.insert().values(**row))


# ----------------------------------------------------------------------- batch
def write_batch(conn: sa.Connection, batch: Batch, quotas: Any) -> list[dict[str, Any]]:
    refused: list[dict[str, Any]] = []
    ids = sorted(batch.run_ids())
    known: set[str] = set()
    for s in range(0, len(ids), _CHUNK):
        known |= {r.id for r in conn.execute(sa.select(runs.c.id).where(
            runs.c.id.in_(ids[s:s + _CHUNK])))}

    def attempt(what: str, run_id: str, count: int, fn: Any) -> None:
        if run_id not in known:
            refused.append({"what": what, "run_id": run_id, "count": count,
                            "reason": f"run {run_id} is not in the store (deleted, or its "
                                      "creation was refused)"})
            return
        try:
            with conn.begin_nested():
                fn()
        except (QuotaError, InvalidValue) as exc:
            refused.append({"what": what, "run_id": run_id, "count": count,
                            "reason": exc.message})

    for spec in batch.creates:
        if spec["id"] in known:
            continue
        known.add(spec["id"])
        attempt("run", spec["id"], 1, lambda spec=spec: insert_run(conn, spec, quotas))
        if refused and refused[-1]["run_id"] == spec["id"]:
            known.discard(spec["id"])
    cap = quotas.points_per_run
    for run_id, rows in batch.metrics.items():
        attempt("metrics", run_id, len(rows),
                lambda r=run_id, rows=rows: insert_metrics(conn, r, rows, cap))
    by_run: dict[str, list[Any]] = {}
    for e in batch.events:
        by_run.setdefault(e[0], []).append(e)
    for run_id, items in by_run.items():
        attempt("events", run_id, len(items),
                lambda items=items: insert_events(conn, items, quotas))
    for run_id, step, reason, blob in batch.checkpoints:
        attempt("checkpoint", run_id, 1, lambda r=run_id, s=step, why=reason, b=blob:
                insert_checkpoint(conn, r, s, why, b, quotas))
    put_live_sessions(conn, batch.live)
    if batch.live_drops:
        conn.execute(live_sessions.delete().where(
            live_sessions.c.session_id.in_(batch.live_drops)))
    return refused
