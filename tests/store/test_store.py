"""RunStore on SQLite and PostgreSQL: runs, owners, listing, history, events, checkpoints,
quotas, pruning and live sessions."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable

import pytest
from store_helpers import CFG, OTHER, OWNER, row

from app.store import (
    InvalidValue,
    NotOwner,
    QuotaError,
    RunNotFound,
    RunStore,
    check_token,
)


def test_a_run_is_created_read_back_and_its_owner_key_is_not_stored(store: RunStore) -> None:
    run = store.create_run(OWNER, name="spiral, adam", config=CFG, kinds=["race"],
                           tags=["homework"], data_seed=7, note="first try")
    got = store.get_run(run["id"], OWNER)
    assert got is not None
    assert (got["name"], got["kinds"], got["tags"], got["data_seed"], got["note"]) == (
        "spiral, adam", ["race"], ["homework"], 7, "first try")
    assert got["config"] == CFG and got["yours"] is True and got["starred"] is False
    assert store.get_run(run["id"], OTHER)["yours"] is False  # type: ignore[index]
    assert store.get_run(run["id"])["yours"] is False  # type: ignore[index]
    with store.engine.connect() as conn:
        dump = repr(conn.exec_driver_sql("SELECT * FROM runs").all())
    assert OWNER not in dump and hashlib.sha256(OWNER.encode()).hexdigest() in dump


def test_only_the_owner_changes_or_deletes_a_run(store: RunStore) -> None:
    run_id = store.create_run(OWNER, name="mine", config=CFG)["id"]
    with pytest.raises(NotOwner):
        store.update_run(run_id, OTHER, name="stolen")
    with pytest.raises(NotOwner):
        store.delete_run(run_id, OTHER)
    got = store.update_run(run_id, OWNER, name="renamed", tags=["a", "b", "a"], starred=True,
                           note="n")
    assert (got["name"], got["tags"], got["starred"], got["note"]) == (
        "renamed", ["a", "b"], True, "n")
    store.delete_run(run_id, OWNER)
    assert store.get_run(run_id) is None
    with pytest.raises(RunNotFound):
        store.delete_run(run_id, OWNER)


@pytest.mark.parametrize("change, field", [
    ({"name": "x" * 201}, "name"), ({"name": "   "}, "name"), ({"note": "y" * 4001}, "note"),
    ({"tags": ["t"] * 21}, "tags"), ({"tags": ["z" * 41]}, "tags"), ({"tags": "solo"}, "tags"),
])
def test_changes_past_their_limits_are_refused_naming_the_field(
        store: RunStore, change: dict, field: str) -> None:
    run_id = store.create_run(OWNER, name="r", config=CFG)["id"]
    with pytest.raises(InvalidValue) as err:
        store.update_run(run_id, OWNER, **change)
    assert err.value.field == field and field in err.value.message


def test_listing_filters_sorts_and_pages_the_owners_runs(store: RunStore) -> None:
    for i in range(5):
        store.create_run(OWNER, name=f"run {i}", config=CFG, tags=["even"] if i % 2 == 0
                         else [], kinds=["lesson"] if i < 2 else [])
    store.create_run(OTHER, name="someone else's", config=CFG, tags=["even"])
    runs, total = store.list_runs(OWNER)
    assert total == 5 and [r["name"] for r in runs] == [f"run {i}" for i in range(4, -1, -1)]
    page, total = store.list_runs(OWNER, sort="name", descending=False, limit=2, offset=2)
    assert total == 5 and [r["name"] for r in page] == ["run 2", "run 3"]
    assert {r["name"] for r in store.list_runs(OWNER, tag="even")[0]} == {"run 0", "run 2",
                                                                          "run 4"}
    assert {r["name"] for r in store.list_runs(OWNER, kind="lesson")[0]} == {"run 0", "run 1"}
    assert [r["name"] for r in store.list_runs(OWNER, q="N 3")[0]] == ["run 3"]
    assert store.list_runs(OWNER, q="%")[1] == 0  # a wildcard is a plain character
    store.update_run(runs[0]["id"], OWNER, starred=True)
    assert [r["id"] for r in store.list_runs(OWNER, starred=True)[0]] == [runs[0]["id"]]
    with pytest.raises(InvalidValue, match="sort"):
        store.list_runs(OWNER, sort="owner")
    with pytest.raises(InvalidValue, match="limit"):
        store.list_runs(OWNER, limit=1000)


def test_history_is_appended_in_step_order_and_repeats_are_skipped(store: RunStore) -> None:
    run_id = store.create_run(OWNER, name="r", config=CFG)["id"]
    assert store.add_metrics(run_id, [row(0), row(10, 0.5)]) == 2
    assert store.add_metrics(run_id, [row(10, 0.5), row(20, float("nan"), val_loss=0.3)]) == 1
    h = store.history(run_id)
    assert [p["step"] for p in h] == [0, 10, 20]
    assert h[2]["train_loss"] is None and h[2]["val_loss"] == 0.3 and h[0]["val_acc"] is None
    assert store.get_run(run_id)["last_step"] == 20  # type: ignore[index]
    with pytest.raises(InvalidValue, match="metrics.step"):
        store.add_metrics(run_id, [{"step": -1, "epoch": 0, "seconds": 0}])


def test_a_long_history_is_compacted_and_keeps_its_spike(make_store: Callable) -> None:
    store = make_store(points_per_run=400)
    run_id = store.create_run(OWNER, name="long", config=CFG)["id"]
    rows = [row(s, 1.0 / (1 + s)) for s in range(1, 2001)]
    rows[137]["train_loss"] = 50.0  # a spike among the old points
    for s in range(0, len(rows), 250):
        store.add_metrics(run_id, rows[s:s + 250])
    h = store.history(run_id)
    assert len(h) <= 400
    assert store.get_run(run_id)["points"] == len(h)  # type: ignore[index]
    assert max(p["train_loss"] for p in h) == 50.0
    assert h[0]["step"] == 1 and h[-1]["step"] == 2000
    assert [p["step"] for p in h[-200:]] == list(range(1801, 2001))  # recent points whole
    assert any(p["compacted"] for p in h) and not any(p["compacted"] for p in h[-200:])


def test_events_keep_their_values_and_a_repeat_is_not_stored_twice(store: RunStore
                                                                   ) -> None:
    run_id = store.create_run(OWNER, name="r", config=CFG)["id"]
    store.add_event(run_id, 4120, "lr", 0.03, 0.3)
    store.add_event(run_id, 5000, "optimizer", "sgd", "adam")
    store.add_event(run_id, 5001, "layers", [8, 8], "x" * 5000)
    ev = store.events(run_id)
    assert [(e["step"], e["field"], e["old"], e["new"]) for e in ev[:2]] == [
        (4120, "lr", 0.03, 0.3), (5000, "optimizer", "sgd", "adam")]
    assert ev[2]["old"] == [8, 8] and len(ev[2]["new"]) <= 1000
    store.add_event(run_id, 4120, "lr", 0.03, 0.3)  # a retried write
    assert len(store.events(run_id)) == 3


def test_checkpoints_keep_the_initial_the_newest_of_each_reason_and_the_latest(
        make_store: Callable) -> None:
    store = make_store(checkpoints_per_run=3)
    run_id = store.create_run(OWNER, name="r", config=CFG)["id"]
    store.add_checkpoint(run_id, 0, "initial", b"init")
    store.add_checkpoint(run_id, 50, "best", b"best")
    for step in range(100, 1100, 100):
        store.add_checkpoint(run_id, step, "periodic", bytes([step % 256]) * 10)
    again = store.add_checkpoint(run_id, 1000, "periodic", b"retry")  # a retried write
    kept = store.checkpoints(run_id)
    assert [(c["step"], c["reason"]) for c in kept] == [
        (0, "initial"), (50, "best"), (800, "periodic"), (900, "periodic"), (1000, "periodic")]
    assert kept[-1]["id"] == again
    assert store.checkpoint_data(run_id) == bytes([1000 % 256]) * 10
    assert store.checkpoint_data(run_id, kept[0]["id"]) == b"init"
    expected = 5 * 64 + 4 + 4 + 30  # accounted: kept blobs and their overhead
    assert store.get_run(run_id)["bytes"] == expected  # type: ignore[index]
    with pytest.raises(InvalidValue, match="reason"):
        store.add_checkpoint(run_id, 5, "whim", b"x")


def test_quotas_refuse_with_the_limit_named(make_store: Callable) -> None:
    store = make_store(runs_per_owner=2, run_bytes=1000, events_per_run=2)
    a = store.create_run(OWNER, name="a", config=CFG)["id"]
    store.create_run(OWNER, name="b", config=CFG)
    with pytest.raises(QuotaError, match=r"runs per owner \(2\)"):
        store.create_run(OWNER, name="c", config=CFG)
    store.create_run(OTHER, name="other owner", config=CFG)  # another owner is not limited
    with pytest.raises(QuotaError, match=r"bytes per run \(1000\)"):
        store.add_checkpoint(a, 1, "save", b"\0" * 2000)
    store.add_event(a, 1, "lr", 1, 2)
    store.add_event(a, 2, "lr", 2, 3)
    with pytest.raises(QuotaError, match=r"events per run \(2\)"):
        store.add_event(a, 3, "lr", 3, 4)
    assert store.checkpoints(a) == []


def test_the_store_size_quota_counts_every_run(make_store: Callable) -> None:
    store = make_store(store_bytes=3000)
    a = store.create_run(OWNER, name="a", config=CFG)["id"]
    b = store.create_run(OTHER, name="b", config=CFG)["id"]
    store.add_checkpoint(a, 1, "save", b"\0" * 2000)
    with pytest.raises(QuotaError, match=r"store size \(3000\)"):
        store.add_checkpoint(b, 1, "save", b"\0" * 2000)


def test_pruning_deletes_only_the_oldest_unstarred_runs_when_asked(store: RunStore) -> None:
    ids = [store.create_run(OWNER, name=f"r{i}", config=CFG)["id"] for i in range(5)]
    other = store.create_run(OTHER, name="other", config=CFG)["id"]
    store.update_run(ids[0], OWNER, starred=True)
    store.add_metrics(ids[1], [row(1)])
    assert store.prune(OWNER, keep=2) == ids[1:4]
    left = {r["id"] for r in store.list_runs(OWNER)[0]}
    assert left == {ids[0], ids[4]} and store.get_run(other) is not None
    assert store.usage(OWNER) == {"runs": 2, "bytes": 0}
    with pytest.raises(InvalidValue, match="keep"):
        store.prune(OWNER, keep=-1)


def test_live_sessions_keep_a_hash_of_the_token(store: RunStore) -> None:
    run_id = store.create_run(OWNER, name="r", config=CFG)["id"]
    store.put_live_session("s1", "secret-token", kind="train", run_id=run_id,
                           presenter={"view": "network"}, instance="a")
    store.put_live_session("s2", "other-token", kind="race", run_id="no-such-run")
    store.put_live_session("s1", "secret-token", kind="train", run_id=run_id,
                           presenter={"view": "curves"}, instance="a")
    live = {s["session_id"]: s for s in store.live_sessions()}
    assert set(live) == {"s1", "s2"} and live["s1"]["presenter"] == {"view": "curves"}
    assert live["s2"]["run_id"] is None
    assert check_token("secret-token", live["s1"]["token_sha256"])
    assert not check_token("guess", live["s1"]["token_sha256"])
    assert [s["session_id"] for s in store.live_sessions(instance="a")] == ["s1"]
    store.delete_run(run_id, OWNER)
    assert store.live_sessions(instance="a")[0]["run_id"] is None
    store.drop_live_session("s1")
    assert [s["session_id"] for s in store.live_sessions()] == ["s2"]


def test_infinite_losses_are_kept_as_infinite(store: RunStore) -> None:
    run_id = store.create_run(OWNER, name="r", config=CFG)["id"]
    store.add_metrics(run_id, [row(1, float("inf"))])
    assert math.isinf(store.history(run_id)[0]["train_loss"])
