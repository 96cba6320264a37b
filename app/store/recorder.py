"""Recorder: what a training thread hands to the store without ever waiting for it.

    >>> rec = Recorder(store)
    >>> run_id = rec.create_run(owner_key, name="spiral", config=cfg, kinds=["lesson"])
    >>> rec.metrics(run_id, [{"step": 100, "epoch": 2.5, "seconds": 0.4, "train_loss": ...}])
    >>> rec.event(run_id, 4120, "lr", 0.03, 0.3)
    >>> rec.checkpoint(run_id, 4120, "pause", engine.checkpoint.save(trainer))
    >>> rec.status()    # {"state": "ok" | "paused", "code", "reason", ...}

Every call only appends to an in-memory buffer, bounded in bytes, under a lock held for a few
microseconds; a background thread writes the buffer in batches, one transaction each. When the
database is locked, slow, full or gone, the batch goes back to the front of the buffer, the
status says ``paused`` with the reason, and the thread retries with a growing pause (backoff)
until it is back; then everything buffered arrives, in order. If the buffer reaches its byte
cap meanwhile, it makes room without losing what matters, in this order: of the checkpoints
waiting for one run, only the initial one and the newest are kept; then the older half of
each run's waiting metric rows is compacted (each bucket keeps its first, last, lowest and
highest points, compaction.py); only then is a new item refused, and counted in ``status()``.
Nothing is dropped without the status saying so.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from .compaction import compact
from .recording import Batch, clean_rows, live_row, run_spec, to_json
from .store import RunStore, new_run_id

log = logging.getLogger("app.store")

ROW_MEMORY = 700
"""Bytes a buffered metric row is counted for: an upper bound (a dict of nine numbers
measures about 500 bytes with its floats)."""
ITEM_MEMORY = 300
"""Bytes of a buffered event or live-session entry besides its texts."""
MAX_REFUSED_SHOWN = 20


def _count(b: Batch) -> int:
    return (len(b.creates) + sum(len(r) for r in b.metrics.values()) + len(b.events)
            + len(b.checkpoints) + len(b.live) + len(b.live_drops))


def _event_size(item: tuple[Any, ...]) -> int:
    return ITEM_MEMORY + len(item[3]) + len(item[4])


def classify(exc: BaseException) -> tuple[str, str]:
    """(code, reason) of a failed write, in words a notice can show."""
    orig = getattr(exc, "orig", None) or exc
    text = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    low = text.lower()
    if "locked" in low or "busy" in low:
        return "db_locked", f"the database is locked by another writer ({text})"
    if "full" in low or "no space" in low or "disk quota" in low:
        return "db_full", f"the database is full ({text}); free space or raise its limit"
    if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError) or any(
            w in low for w in ("connect", "closed", "terminat", "timeout", "shut")):
        return "db_unreachable", f"the database cannot be reached ({text})"
    return "db_error", f"the database refused the write ({text})"


class Recorder:
    """Buffers writes for one RunStore and writes them from its own thread."""

    def __init__(self, store: RunStore, *, max_bytes: int = 32 * 1024 * 1024,
                 interval: float = 1.0, max_backoff: float = 30.0,
                 batch_rows: int = 5000, batch_bytes: int = 8 * 1024 * 1024) -> None:
        """``max_bytes``: the buffer's cap; ``interval``: seconds between two writes;
        ``max_backoff``: longest pause between retries when the database fails;
        ``batch_rows``/``batch_bytes``: most metric rows / checkpoint bytes per transaction."""
        self.store = store
        self.max_bytes, self.interval, self.max_backoff = max_bytes, interval, max_backoff
        self.batch_rows, self.batch_bytes = batch_rows, batch_bytes
        self._lock = threading.Condition()
        self._buf = Batch()
        self._bytes = 0
        self._state: dict[str, Any] = {"state": "ok", "code": None, "reason": None,
                                       "since": None, "retry_in": None}
        self._refused: list[dict[str, Any]] = []
        self._counts = {"refused": 0, "thinned_rows": 0, "superseded_checkpoints": 0,
                        "dropped": 0, "written_batches": 0}
        self._busy = False  # a batch is being written
        self._inflight = (0, 0)  # (items, bytes) of the batch being written
        self._scale = 1.0  # batches shrink while writes fail, so what fits still gets in
        self._stop = False
        self._hurry = threading.Event()  # set by flush and close: write now, retry now
        self._thread = threading.Thread(target=self._run, name="run-recorder", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ what callers call
    def create_run(self, owner_key: str, *, name: str, config: Mapping[str, Any],
                   kinds: Iterable[str] = (), tags: Iterable[str] = (), note: str = "",
                   data_seed: int | None = None, run_id: str | None = None,
                   owner_sha256: str | None = None) -> str:
        """A new run's id at once; the run is written with the next batch. A bad value raises
        InvalidValue here; a quota refusal shows in ``status()``."""
        spec = run_spec(owner_key, name=name, config=config, kinds=kinds, tags=tags, note=note,
                        data_seed=data_seed, run_id=run_id or new_run_id(),
                        owner_sha256=owner_sha256)
        self._add(lambda b: b.creates.append(spec), 2 * ITEM_MEMORY + len(str(spec["config"])))
        return str(spec["id"])

    def metrics(self, run_id: str, rows: Sequence[Mapping[str, Any]]) -> None:
        clean = clean_rows(rows)
        if clean:
            self._add(lambda b: b.metrics.setdefault(run_id, []).extend(clean),
                      ROW_MEMORY * len(clean))

    def event(self, run_id: str, step: int, field: str, old: Any, new: Any) -> None:
        old_t, new_t = to_json(old), to_json(new)  # the values as they are now, as JSON
        item = (run_id, step, field, old_t, new_t, datetime.now(UTC))
        self._add(lambda b: b.events.append(item), _event_size(item))

    def checkpoint(self, run_id: str, step: int, reason: str, blob: bytes) -> None:
        self._add(lambda b: b.checkpoints.append((run_id, step, reason, bytes(blob))),
                  ITEM_MEMORY + len(blob))

    def live_session(self, session_id: str, token: str, *, kind: str,
                     run_id: str | None = None, presenter: Any = None,
                     instance: str | None = None, token_sha256: str | None = None) -> None:
        row = live_row(session_id, token, kind=kind, run_id=run_id, presenter=presenter,
                       instance=instance, token_sha256=token_sha256)

        def put(b: Batch) -> None:
            b.live = [r for r in b.live if r["session_id"] != session_id] + [row]
            b.live_drops = [s for s in b.live_drops if s != session_id]
        self._add(put, 0)

    def end_live_session(self, session_id: str) -> None:
        def drop(b: Batch) -> None:
            b.live = [r for r in b.live if r["session_id"] != session_id]
            b.live_drops.append(session_id)
        self._add(drop, 0)

    def status(self) -> dict[str, Any]:
        """{"state": "ok" | "paused", "code", "reason", "since", "retry_in", "buffered_bytes",
        "buffered_items", and counts of refused, thinned, superseded and dropped items}."""
        with self._lock:
            items = _count(self._buf)
            items += self._inflight[0]  # written only when its transaction commits
            return {**self._state, "buffered_bytes": self._used() + self._inflight[1],
                    "buffered_items": items,
                    **self._counts, "last_refused": list(self._refused)}

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything buffered is written; False if ``timeout`` passed first."""
        end = time.monotonic() + timeout
        self._hurry.set()
        with self._lock:
            while self._waiting() or self._busy:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(min(left, 0.05))
        return True

    def close(self, timeout: float = 10.0) -> bool:
        """Write what is buffered (up to ``timeout``), then stop the thread. False if some
        of it could not be written."""
        done = self.flush(timeout)
        with self._lock:
            self._stop = True
            self._lock.notify_all()
        self._hurry.set()
        self._thread.join(timeout=max(1.0, self.max_backoff))
        return done

    # ----------------------------------------------------------------- the buffer
    def _used(self) -> int:
        """Bytes buffered: the running count, and the live-session entries (few) counted now."""
        b = self._buf
        live = sum(ITEM_MEMORY + len(str(r["presenter"])) for r in b.live)
        return self._bytes + live + ITEM_MEMORY * len(b.live_drops)

    def _waiting(self) -> bool:
        b = self._buf
        return bool(b.creates or b.metrics or b.events or b.checkpoints or b.live
                    or b.live_drops)

    def _add(self, put: Any, size: int) -> None:
        with self._lock:
            if self._used() + size > self.max_bytes:
                self._make_room(size)
            if self._used() + size > self.max_bytes:
                self._counts["dropped"] += 1
                self._remember({"what": "buffer", "run_id": None, "count": 1,
                                "reason": f"the recording buffer is full ({self.max_bytes} "
                                          "bytes) while the database is away"})
                return
            put(self._buf)
            self._bytes += size
            self._lock.notify_all()

    def _make_room(self, need: int) -> None:
        """Checkpoints first (keep each run's initial and newest), then metric rows."""
        b = self._buf
        newest: dict[str, int] = {}
        for i, (run_id, _, reason, _) in enumerate(b.checkpoints):
            if reason != "initial":
                newest[run_id] = i
        kept = []
        for i, c in enumerate(b.checkpoints):
            if c[2] == "initial" or newest.get(c[0]) == i:
                kept.append(c)
            else:
                self._bytes -= ITEM_MEMORY + len(c[3])
                self._counts["superseded_checkpoints"] += 1
        b.checkpoints = kept
        progress = True
        while progress and self._used() + need > self.max_bytes:
            progress = False
            for run_id, rows in b.metrics.items():
                half = len(rows) // 2
                thinned = compact(rows[:half]) + rows[half:] if half >= 64 else rows
                if len(thinned) < len(rows):
                    progress = True
                    self._counts["thinned_rows"] += len(rows) - len(thinned)
                    self._bytes -= ROW_MEMORY * (len(rows) - len(thinned))
                    b.metrics[run_id] = thinned
                if self._used() + need <= self.max_bytes:
                    break

    def _take(self) -> tuple[Batch, int]:
        """The next batch: runs, events and live sessions, up to batch_rows metric rows and
        batch_bytes of checkpoints (at least one)."""
        b, out, size = self._buf, Batch(), 0
        out.creates, b.creates = b.creates, []
        out.events, b.events = b.events, []
        out.live, b.live = b.live, []
        out.live_drops, b.live_drops = b.live_drops, []
        size += sum(2 * ITEM_MEMORY + len(str(s["config"])) for s in out.creates)
        size += sum(_event_size(e) for e in out.events)
        rows, most = 0, max(1, int(self.batch_rows * self._scale))
        for run_id in list(b.metrics):
            if rows >= most:
                break
            take = b.metrics[run_id][:most - rows]
            rest = b.metrics[run_id][len(take):]
            out.metrics[run_id] = take
            if rest:
                b.metrics[run_id] = rest
            else:
                del b.metrics[run_id]
            rows += len(take)
        size += ROW_MEMORY * rows
        blob_bytes = 0
        while b.checkpoints and (not out.checkpoints or blob_bytes + len(b.checkpoints[0][3])
                                 <= self.batch_bytes * self._scale):
            c = b.checkpoints.pop(0)
            out.checkpoints.append(c)
            blob_bytes += len(c[3])
            size += ITEM_MEMORY + len(c[3])
        return out, size

    def _give_back(self, out: Batch) -> None:
        """A failed batch goes back to the front, in order."""
        b = self._buf
        b.creates = out.creates + b.creates
        for run_id, rows in out.metrics.items():
            b.metrics[run_id] = rows + b.metrics.get(run_id, [])
        b.metrics = {**{k: b.metrics[k] for k in out.metrics}, **b.metrics}
        b.events = out.events + b.events
        b.checkpoints = out.checkpoints + b.checkpoints
        later = {r["session_id"] for r in b.live} | set(b.live_drops)
        b.live = [r for r in out.live if r["session_id"] not in later] + b.live
        b.live_drops = [s for s in out.live_drops if s not in later] + b.live_drops

    def _remember(self, refusal: dict[str, Any]) -> None:
        self._refused = (self._refused + [refusal])[-MAX_REFUSED_SHOWN:]

    # ----------------------------------------------------------------- the thread
    def _run(self) -> None:
        backoff = 0.0
        while True:
            with self._lock:
                while not self._waiting() and not self._stop:
                    self._lock.wait(1.0)
                if self._stop and (not self._waiting() or backoff):
                    return
                batch, size = self._take()
                self._bytes -= size
                self._busy = True
                self._inflight = (_count(batch), size)
            try:
                refused = self.store.write_batch(batch)
            except Exception as exc:  # the database failed: keep it all and retry
                code, reason = classify(exc)
                backoff = min(self.max_backoff, max(0.2, backoff * 2))
                self._scale = max(1 / 1024, self._scale / 4)
                with self._lock:
                    self._give_back(batch)
                    self._bytes += size
                    self._inflight = (0, 0)
                    if self._used() > self.max_bytes:
                        self._make_room(0)
                    if self._state["code"] != code:
                        log.warning("recording paused: %s", reason)
                    self._state = {"state": "paused", "code": code, "reason": reason,
                                   "since": self._state["since"] or datetime.now(UTC)
                                   .isoformat(), "retry_in": backoff}
                    self._busy = False
                    self._lock.notify_all()
                if self._hurry.wait(backoff):  # flush and close retry at once
                    self._hurry.clear()
                continue
            with self._lock:
                backoff = 0.0
                self._scale = min(1.0, self._scale * 2)
                # paused until writes succeed at full size again, or nothing is left
                if self._state["state"] != "ok" and (self._scale >= 1.0
                                                     or not self._waiting()):
                    log.warning("recording resumed")
                    self._state = {"state": "ok", "code": None, "reason": None, "since": None,
                                   "retry_in": None}
                self._counts["written_batches"] += 1
                self._inflight = (0, 0)
                for r in refused:
                    self._counts["refused"] += r["count"]
                    self._remember(r)
                self._busy = False
                self._lock.notify_all()
                stop = self._stop
            if not stop and self._hurry.wait(self.interval):  # gather the next batch
                self._hurry.clear()
