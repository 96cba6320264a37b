"""The Recorder never makes its caller wait, and loses nothing when the database goes away:
it pauses with the reason, retries, and catches up when the database is back."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from store_helpers import CFG, OWNER, row

from app.store import Quotas, Recorder, RunStore, sqlite_url


def wait_for(check: Callable[[], bool], timeout: float = 15.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def recorders() -> Iterator[list[Recorder]]:
    made: list[Recorder] = []
    yield made
    for r in made:
        r.close(timeout=2)


def start(store: RunStore, made: list[Recorder], **kw: Any) -> Recorder:
    rec = Recorder(store, interval=0.02, max_backoff=0.2, **kw)
    made.append(rec)
    return rec


def test_everything_recorded_arrives_in_order(store: RunStore, recorders: list[Recorder]
                                              ) -> None:
    rec = start(store, recorders)
    run_id = rec.create_run(OWNER, name="spiral", config=CFG, kinds=["lesson"], data_seed=3)
    rec.checkpoint(run_id, 0, "initial", b"weights-0")
    for s in range(0, 300, 3):
        rec.metrics(run_id, [row(s), row(s + 1), row(s + 2)])
        if s % 60 == 0:
            rec.event(run_id, s, "lr", s, s + 1)
    rec.checkpoint(run_id, 299, "pause", b"weights-299")
    assert rec.flush(10)
    assert [p["step"] for p in store.history(run_id)] == list(range(300))
    assert [e["step"] for e in store.events(run_id)] == [0, 60, 120, 180, 240]
    assert [c["reason"] for c in store.checkpoints(run_id)] == ["initial", "pause"]
    run = store.get_run(run_id, OWNER)
    assert run is not None and run["kinds"] == ["lesson"] and run["yours"]
    st = rec.status()
    assert st["state"] == "ok" and st["buffered_bytes"] == 0 and st["refused"] == 0


def test_refusals_are_counted_and_named_not_silent(make_store: Callable,
                                                   recorders: list[Recorder]) -> None:
    store = make_store(runs_per_owner=1)
    rec = start(store, recorders)
    first = rec.create_run(OWNER, name="a", config=CFG)
    second = rec.create_run(OWNER, name="b", config=CFG)
    rec.metrics(first, [row(1)])
    rec.metrics(second, [row(1), row(2)])
    assert rec.flush(10)
    st = rec.status()
    assert st["state"] == "ok" and st["refused"] == 3
    reasons = " | ".join(r["reason"] for r in st["last_refused"])
    assert "runs per owner (1)" in reasons and f"run {second} is not in the store" in reasons
    assert [p["step"] for p in store.history(first)] == [1]


def test_a_full_buffer_keeps_the_newest_checkpoint_and_thins_old_rows(
        tmp_path: Path, recorders: list[Recorder]) -> None:
    store = RunStore(sqlite_url(tmp_path))
    store.engine.dispose()
    rec = start(store, recorders, max_bytes=200_000)
    # a store that cannot be written: everything waits in the buffer
    rec.store = _Unreachable()  # type: ignore[assignment]
    run_id = rec.create_run(OWNER, name="r", config=CFG)
    rec.checkpoint(run_id, 0, "initial", b"i" * 20_000)
    for step in range(1, 6):
        rec.checkpoint(run_id, step * 100, "periodic", bytes([step]) * 30_000)
    rows = [row(s, 1.0 / s) for s in range(1, 401)]
    rows[7]["train_loss"] = 99.0
    for s in range(0, 400, 20):
        rec.metrics(run_id, rows[s:s + 20])
    assert wait_for(lambda: rec.status()["state"] == "paused")
    st = rec.status()
    assert st["buffered_bytes"] <= 200_000 and st["superseded_checkpoints"] >= 1
    assert st["thinned_rows"] > 0 and st["code"] == "db_unreachable"
    rec.store = store
    assert rec.flush(10)
    kept = store.checkpoints(run_id)
    assert kept[0]["reason"] == "initial" and kept[-1]["step"] == 500
    h = store.history(run_id)
    assert max(p["train_loss"] for p in h) == 99.0 and h[-1]["step"] == 400
    assert rec.status()["dropped"] == 0
    store.close()


class _Unreachable:
    def write_batch(self, batch: Any) -> Any:
        import sqlalchemy as sa

        raise sa.exc.OperationalError("INSERT", {}, ConnectionRefusedError(
            "connection refused"))


def test_recording_pauses_while_postgresql_is_down_and_catches_up(
        postgres: Any, recorders: list[Recorder]) -> None:
    store = RunStore(postgres.new_database())
    rec = start(store, recorders)
    run_id = rec.create_run(OWNER, name="outage", config=CFG)
    rec.metrics(run_id, [row(s) for s in range(100)])
    assert rec.flush(10)
    postgres.stop()
    try:
        t0 = time.perf_counter()
        for s in range(100, 400):
            rec.metrics(run_id, [row(s)])
        rec.event(run_id, 250, "lr", 0.01, 0.1)
        rec.checkpoint(run_id, 399, "pause", b"weights")
        assert time.perf_counter() - t0 < 1.0  # the caller never waited for the database
        assert wait_for(lambda: rec.status()["state"] == "paused")
        st = rec.status()
        assert st["code"] == "db_unreachable" and "cannot be reached" in st["reason"]
        assert st["buffered_items"] >= 302
    finally:
        postgres.start()
    assert rec.flush(20), rec.status()
    assert rec.status()["state"] == "ok"
    assert [p["step"] for p in store.history(run_id)] == list(range(400))
    assert [e["step"] for e in store.events(run_id)] == [250]
    assert store.checkpoint_data(run_id) == b"weights"
    store.close()


def test_a_full_sqlite_file_pauses_recording_until_space_is_freed(
        tmp_path: Path, recorders: list[Recorder]) -> None:
    url = sqlite_url(tmp_path)
    store = RunStore(url, quotas=Quotas(checkpoints_per_run=50),
                     pragmas={"max_page_count": 120})  # 120 pages of 4 KB
    ballast = store.create_run(OWNER, name="ballast", config=CFG)["id"]
    store.add_checkpoint(ballast, 1, "save", b"\1" * 200_000)
    rec = start(store, recorders)
    run_id = rec.create_run(OWNER, name="r", config=CFG)
    for step in range(1, 7):
        rec.checkpoint(run_id, step, "periodic", bytes([step]) * 40_000)
    assert wait_for(lambda: rec.status()["state"] == "paused")
    st = rec.status()
    assert st["code"] == "db_full" and "full" in st["reason"]
    # what fits still gets in, in smaller transactions
    assert wait_for(lambda: store.get_run(run_id) is not None
                    and len(store.checkpoints(run_id)) >= 3)
    assert rec.status()["state"] == "paused" and rec.status()["buffered_items"] >= 1
    store.delete_run(ballast, OWNER)  # the owner frees space
    assert rec.flush(15), rec.status()
    assert rec.status()["state"] == "ok"
    assert [c["step"] for c in store.checkpoints(run_id)] == list(range(1, 7))
    store.close()


def test_live_sessions_go_through_the_recorder_newest_state_wins(
        store: RunStore, recorders: list[Recorder]) -> None:
    rec = start(store, recorders)
    rec.store = _Unreachable()  # type: ignore[assignment]  # gather while the store is away
    run_id = rec.create_run(OWNER, name="r", config=CFG)
    rec.live_session("s1", "token-1", kind="train", run_id=run_id, presenter={"v": 1})
    rec.live_session("s1", "token-1", kind="train", run_id=run_id, presenter={"v": 2})
    rec.live_session("s2", "token-2", kind="race")
    rec.end_live_session("s2")
    values = [1, 2, 3]
    rec.event(run_id, 5, "layers", values, [4])
    values.append(99)  # the caller's list changing later does not change the event
    assert wait_for(lambda: rec.status()["state"] == "paused")
    rec.store = store
    assert rec.flush(10) and rec.status()["buffered_bytes"] == 0
    live = store.live_sessions()
    assert [(s["session_id"], s["presenter"], s["run_id"]) for s in live] == [
        ("s1", {"v": 2}, run_id)]
    assert store.events(run_id)[0]["old"] == [1, 2, 3]
