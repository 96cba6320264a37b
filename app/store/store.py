"""RunStore: the runs, their history, events, checkpoints and live sessions, in one database.

    >>> store = RunStore("sqlite:////home/me/.local/share/backprop-lab/runs.sqlite3")
    >>> run = store.create_run("my-owner-key", name="spiral, adam", config=cfg, kinds=["race"])
    >>> store.add_metrics(run["id"], [{"step": 10, "epoch": 0.5, "seconds": 0.01, ...}])
    >>> store.list_runs("my-owner-key", tag="homework", sort="updated")

Every method is one transaction and safe with other app instances writing the same store:
counters are updated in SQL (``bytes = bytes + n``), never read, changed and written back.
An owner key is never stored: runs keep its SHA-256. Anyone with a run's id reads the run;
only the owner key that made it changes or deletes it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from . import recording
from .compaction import MAX_POINTS
from .database import open_engine
from .errors import InvalidValue, NotOwner, QuotaError, RunNotFound
from .schema import checkpoints, events, live_sessions, metrics, run_tags, runs

MAX_NAME = 200
MAX_NOTE = 4000
MAX_TAG = 40
MAX_TAGS = 20
SORTS = {"updated": runs.c.updated_at, "created": runs.c.created_at, "name": runs.c.name,
         "step": runs.c.last_step}
MAX_PAGE = 200


@dataclass(frozen=True)
class Quotas:
    """Limits of the store; every refusal names the one it hit."""

    runs_per_owner: int = 1000
    run_bytes: int = 64 * 1024 * 1024
    """Accounted bytes of one run: metric rows, events and checkpoints."""
    store_bytes: int = 8 * 1024**3
    """Accounted bytes of all runs together."""
    events_per_run: int = 10_000
    checkpoints_per_run: int = 8
    """Checkpoints kept per run besides the initial weights and the newest of each reason."""
    points_per_run: int = MAX_POINTS
    """Metric rows held per run; past it the oldest are compacted (compaction.py)."""


NO_ACCURACY: dict[str, float | None] = {"best_test_acc": None, "last_test_acc": None}


def now() -> datetime:
    return datetime.now(UTC)


def owner_hash(owner_key: str) -> str:
    return hashlib.sha256(owner_key.encode()).hexdigest()


def new_run_id() -> str:
    """An unguessable id (96 random bits): the id is what lets someone read a run."""
    return secrets.token_urlsafe(12)


def check_text(field: str, value: Any, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidValue(field, value, f"it must be a text of at most {limit} characters")
    return value


def check_tags(field: str, tags: Any) -> list[str]:
    if isinstance(tags, str) or not isinstance(tags, Sequence) or len(tags) > MAX_TAGS:
        raise InvalidValue(field, tags, f"it must be a list of at most {MAX_TAGS} tags")
    out: list[str] = []
    for t in tags:
        if not isinstance(t, str) or not t.strip() or len(t.strip()) > MAX_TAG:
            raise InvalidValue(field, t, f"a tag is a text of 1 to {MAX_TAG} characters")
        if t.strip() not in out:
            out.append(t.strip())
    return out


def _iso(t: Any) -> str | None:
    if t is None:
        return None
    if isinstance(t, datetime) and t.tzinfo is None:  # SQLite hands back naive UTC
        t = t.replace(tzinfo=UTC)
    return t.isoformat() if isinstance(t, datetime) else str(t)


class RunStore:
    """One store; thread-safe (each call takes its own connection from the pool)."""

    def __init__(self, url: str, *, quotas: Quotas | None = None,
                 pragmas: Mapping[str, Any] | None = None) -> None:
        """Open (and migrate) the store at ``url``. Raises StoreOpenError saying what to do."""
        self.url = url
        self.quotas = quotas or Quotas()
        self.engine = open_engine(url, pragmas)

    def close(self) -> None:
        self.engine.dispose()

    def _write(self) -> Any:
        """A write transaction (BEGIN IMMEDIATE on SQLite)."""
        return self.engine.connect().execution_options(write=True)

    # ------------------------------------------------------------------ runs
    def create_run(self, owner_key: str, *, name: str, config: Mapping[str, Any],
                   kinds: Iterable[str] = (), tags: Iterable[str] = (), note: str = "",
                   data_seed: int | None = None, run_id: str | None = None,
                   starred: bool = False) -> dict[str, Any]:
        """A new run; QuotaError when the owner has runs_per_owner runs already."""
        spec = recording.run_spec(owner_key, name=name, config=config, kinds=kinds, tags=tags,
                                  note=note, data_seed=data_seed, run_id=run_id or new_run_id(),
                                  starred=starred)
        with self._write() as conn, conn.begin():
            recording.insert_run(conn, spec, self.quotas)
        run = self.get_run(spec["id"])
        assert run is not None
        return run

    def _tags(self, conn: sa.Connection, ids: list[str]) -> dict[str, dict[str, list[str]]]:
        out: dict[str, dict[str, list[str]]] = {i: {"tags": [], "kinds": []} for i in ids}
        if ids:
            rows = conn.execute(sa.select(run_tags).where(run_tags.c.run_id.in_(ids))
                                .order_by(run_tags.c.tag))
            for r in rows:
                out[r.run_id]["kinds" if r.kind else "tags"].append(r.tag)
        return out

    @staticmethod
    def _run_dict(r: Any, tags: dict[str, list[str]], owner: str | None) -> dict[str, Any]:
        return {"id": r.id, "name": r.name, "note": r.note, "starred": bool(r.starred),
                "tags": tags["tags"], "kinds": tags["kinds"], "config": r.config,
                "data_seed": r.data_seed, "created_at": _iso(r.created_at),
                "updated_at": _iso(r.updated_at), "last_step": r.last_step,
                "points": r.points, "bytes": r.bytes,
                "yours": owner is not None and secrets.compare_digest(r.owner, owner)}

    def get_run(self, run_id: str, owner_key: str | None = None) -> dict[str, Any] | None:
        """The run (``yours`` says whether ``owner_key`` owns it), or None."""
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(runs).where(runs.c.id == run_id)).first()
            if r is None:
                return None
            tags = self._tags(conn, [r.id])[r.id]
        return self._run_dict(r, tags, owner_hash(owner_key) if owner_key else None)

    def run_owner(self, run_id: str) -> str | None:
        """The SHA-256 of the run's owner key (a restored session's new runs keep it)."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(runs.c.owner).where(runs.c.id == run_id)).scalar()

    def list_runs(self, owner_key: str, *, tag: str | None = None, kind: str | None = None,
                  starred: bool | None = None, q: str | None = None, sort: str = "updated",
                  descending: bool = True, limit: int = 50, offset: int = 0
                  ) -> tuple[list[dict[str, Any]], int]:
        """(a page of the owner's runs, how many match in all)."""
        if sort not in SORTS:
            raise InvalidValue("sort", sort, "allowed: " + ", ".join(SORTS))
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidValue("limit", limit, f"it must be from 1 to {MAX_PAGE}")
        if offset < 0:
            raise InvalidValue("offset", offset, "it must be 0 or more")
        owner = owner_hash(owner_key)
        where = [runs.c.owner == owner]
        for value, is_kind in ((tag, False), (kind, True)):
            if value is not None:
                where.append(runs.c.id.in_(sa.select(run_tags.c.run_id).where(
                    run_tags.c.tag == value, run_tags.c.kind == is_kind)))
        if starred is not None:
            where.append(runs.c.starred == starred)
        if q:
            where.append(sa.func.lower(runs.c.name).contains(q.lower(), autoescape=True))
        col = SORTS[sort]
        order = [col.desc() if descending else col.asc(), runs.c.id]
        with self.engine.connect() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(runs).where(*where)
                                 ).scalar_one()
            rows = conn.execute(sa.select(runs).where(*where).order_by(*order)
                                .limit(limit).offset(offset)).all()
            tags = self._tags(conn, [r.id for r in rows])
            acc = self._accuracy(conn, [r.id for r in rows])
        return [{**self._run_dict(r, tags[r.id], owner), **acc.get(r.id, NO_ACCURACY)}
                for r in rows], int(total)

    @staticmethod
    def _accuracy(conn: sa.Connection, ids: list[str]) -> dict[str, dict[str, float | None]]:
        """{run id: {"best_test_acc", "last_test_acc"}} from the runs' recorded points."""
        if not ids:
            return {}
        best = dict(conn.execute(sa.select(metrics.c.run_id, sa.func.max(metrics.c.test_acc))
                                 .where(metrics.c.run_id.in_(ids))
                                 .group_by(metrics.c.run_id)).all())
        newest = (sa.select(metrics.c.run_id, sa.func.max(metrics.c.step).label("step"))
                  .where(metrics.c.run_id.in_(ids)).group_by(metrics.c.run_id).subquery())
        last = dict(conn.execute(sa.select(metrics.c.run_id, metrics.c.test_acc).join(
            newest, sa.and_(metrics.c.run_id == newest.c.run_id,
                            metrics.c.step == newest.c.step))).all())
        return {i: {"best_test_acc": best.get(i), "last_test_acc": last.get(i)} for i in ids}

    def _owned(self, conn: sa.Connection, run_id: str, owner_key: str) -> None:
        r = conn.execute(sa.select(runs.c.owner).where(runs.c.id == run_id)).first()
        if r is None:
            raise RunNotFound(run_id)
        if not secrets.compare_digest(r.owner, owner_hash(owner_key)):
            raise NotOwner()

    def update_run(self, run_id: str, owner_key: str, *, name: str | None = None,
                   note: str | None = None, tags: Sequence[str] | None = None,
                   starred: bool | None = None) -> dict[str, Any]:
        """Rename, re-tag, annotate or star a run: owner only."""
        values: dict[str, Any] = {}
        if name is not None:
            name = check_text("name", name, MAX_NAME).strip()
            if not name:
                raise InvalidValue("name", name, "a run's name cannot be empty")
            values["name"] = name
        if note is not None:
            values["note"] = check_text("note", note, MAX_NOTE)
        if starred is not None:
            values["starred"] = bool(starred)
        new_tags = None if tags is None else check_tags("tags", tags)
        with self._write() as conn, conn.begin():
            self._owned(conn, run_id, owner_key)
            conn.execute(runs.update().where(runs.c.id == run_id)
                         .values(updated_at=now(), **values))
            if new_tags is not None:
                conn.execute(run_tags.delete().where(run_tags.c.run_id == run_id,
                                                     run_tags.c.kind.is_(False)))
                if new_tags:
                    conn.execute(run_tags.insert(), [{"run_id": run_id, "tag": t, "kind": False}
                                                     for t in new_tags])
        run = self.get_run(run_id, owner_key)
        if run is None:
            raise RunNotFound(run_id)
        return run

    def delete_run(self, run_id: str, owner_key: str) -> None:
        """Delete a run and all it holds: owner only."""
        with self._write() as conn, conn.begin():
            self._owned(conn, run_id, owner_key)
            recording.delete_runs(conn, [run_id])

    def prune(self, owner_key: str, keep: int) -> list[str]:
        """Delete the owner's oldest unstarred runs so that at most ``keep`` runs remain
        (starred runs are never pruned and count toward ``keep``). Returns the ids deleted."""
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 0:
            raise InvalidValue("keep", keep, "it must be a whole number, 0 or more")
        owner = owner_hash(owner_key)
        with self._write() as conn, conn.begin():
            total = conn.execute(sa.select(sa.func.count()).select_from(runs)
                                 .where(runs.c.owner == owner)).scalar_one()
            excess = max(0, int(total) - keep)
            ids = [r.id for r in conn.execute(
                sa.select(runs.c.id).where(runs.c.owner == owner, runs.c.starred.is_(False))
                .order_by(runs.c.created_at, runs.c.id).limit(excess))] if excess else []
            recording.delete_runs(conn, ids)
        return ids

    def usage(self, owner_key: str | None = None) -> dict[str, int]:
        """Runs and accounted bytes, of one owner or of the whole store."""
        q = sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(runs.c.bytes), 0))
        if owner_key is not None:
            q = q.where(runs.c.owner == owner_hash(owner_key))
        with self.engine.connect() as conn:
            n, b = conn.execute(q).one()
        return {"runs": int(n), "bytes": int(b)}

    # -------------------------------------------------------------- recording
    def add_metrics(self, run_id: str, rows: Sequence[Mapping[str, Any]]) -> int:
        """Append metric rows (compacting the oldest past MAX_POINTS); returns rows added."""
        with self._write() as conn, conn.begin():
            recording.require_run(conn, run_id)
            return recording.insert_metrics(conn, run_id, rows, self.quotas.points_per_run)

    def add_event(self, run_id: str, step: int, field: str, old: Any, new: Any) -> None:
        with self._write() as conn, conn.begin():
            recording.require_run(conn, run_id)
            recording.insert_events(conn, [(run_id, step, field, recording.to_json(old),
                                             recording.to_json(new), now())], self.quotas)

    def add_checkpoint(self, run_id: str, step: int, reason: str, blob: bytes) -> int:
        """Store a checkpoint; returns its id. QuotaError past the run's or store's bytes."""
        with self._write() as conn, conn.begin():
            recording.require_run(conn, run_id)
            return recording.insert_checkpoint(conn, run_id, step, reason, blob, self.quotas)

    def history(self, run_id: str) -> list[dict[str, Any]]:
        """Every metric row held, in step order."""
        with self.engine.connect() as conn:
            recording.require_run(conn, run_id)
            rows = conn.execute(sa.select(metrics).where(metrics.c.run_id == run_id)
                                .order_by(metrics.c.step, metrics.c.id))
            return [{k: getattr(r, k) for k in (*recording.COLUMNS, "compacted")}
                    for r in rows]

    def events(self, run_id: str, limit: int = 1000, offset: int = 0) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            recording.require_run(conn, run_id)
            rows = conn.execute(sa.select(events).where(events.c.run_id == run_id)
                                .order_by(events.c.step, events.c.id)
                                .limit(limit).offset(offset))
            return [{"step": r.step, "field": r.field, "old": recording.from_json(r.old),
                     "new": recording.from_json(r.new), "at": _iso(r.at)} for r in rows]

    def checkpoints(self, run_id: str) -> list[dict[str, Any]]:
        """The run's checkpoints without their bytes, in step order."""
        with self.engine.connect() as conn:
            recording.require_run(conn, run_id)
            rows = conn.execute(sa.select(checkpoints.c.id, checkpoints.c.step,
                                          checkpoints.c.reason, checkpoints.c.size,
                                          checkpoints.c.created_at)
                                .where(checkpoints.c.run_id == run_id)
                                .order_by(checkpoints.c.step, checkpoints.c.id))
            return [{"id": r.id, "step": r.step, "reason": r.reason, "size": r.size,
                     "created_at": _iso(r.created_at)} for r in rows]

    def checkpoint_data(self, run_id: str, checkpoint_id: int | None = None) -> bytes:
        """A checkpoint's bytes (the newest when no id is given)."""
        q = sa.select(checkpoints.c.data).where(checkpoints.c.run_id == run_id)
        q = (q.where(checkpoints.c.id == checkpoint_id) if checkpoint_id is not None
             else q.order_by(checkpoints.c.step.desc(), checkpoints.c.id.desc()).limit(1))
        with self.engine.connect() as conn:
            recording.require_run(conn, run_id)
            r = conn.execute(q).first()
        if r is None:
            raise InvalidValue("checkpoint", checkpoint_id, "this run has no such checkpoint")
        return bytes(r.data)

    def write_batch(self, batch: recording.Batch) -> list[dict[str, Any]]:
        """Write what a Recorder gathered, in one transaction; returns what was refused
        (quota, deleted run) with the reason. Raises the database's error if it failed."""
        with self._write() as conn, conn.begin():
            return recording.write_batch(conn, batch, self.quotas)

    # ---------------------------------------------------------- live sessions
    def put_live_session(self, session_id: str, token: str, *, kind: str,
                         run_id: str | None = None, presenter: Any = None,
                         instance: str | None = None) -> None:
        """Remember a live session (the token's SHA-256 only), replacing what was there."""
        with self._write() as conn, conn.begin():
            recording.put_live_sessions(conn, [recording.live_row(
                session_id, token, kind=kind, run_id=run_id, presenter=presenter,
                instance=instance)])

    def live_sessions(self, instance: str | None = None) -> list[dict[str, Any]]:
        q = sa.select(live_sessions).order_by(live_sessions.c.updated_at)
        if instance is not None:
            q = q.where(live_sessions.c.instance == instance)
        with self.engine.connect() as conn:
            return [{"session_id": r.session_id, "token_sha256": r.token_sha256,
                     "run_id": r.run_id, "kind": r.kind, "instance": r.instance,
                     "presenter": r.presenter, "updated_at": _iso(r.updated_at)}
                    for r in conn.execute(q)]

    def drop_live_session(self, session_id: str) -> None:
        with self._write() as conn, conn.begin():
            conn.execute(live_sessions.delete().where(live_sessions.c.session_id == session_id))


def check_token(token: str, token_sha256: str) -> bool:
    """Does ``token`` match a live session's stored hash (for a restarted server)?"""
    return secrets.compare_digest(hashlib.sha256(token.encode()).hexdigest(), token_sha256)


__all__ = ["Quotas", "QuotaError", "RunStore", "check_token", "new_run_id", "owner_hash"]
