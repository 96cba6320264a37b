"""RunRecording: a session's run recorded as it trains, and brought back from the store."""

from __future__ import annotations

import numpy as np
from store_helpers import OWNER

from app.store import Recorder, RunStore
from app.store.session_runs import RunRecording, restore_session
from engine.trainer import Trainer


def test_a_session_is_recorded_and_a_restart_brings_its_trainer_back(store: RunStore) -> None:
    rec = Recorder(store, interval=0.02)
    try:
        tr = Trainer({"data": "spiral", "samples": 120, "optimizer": "adam", "dropout": 0.1})
        session = RunRecording(rec, OWNER, session_id="sess-1", token="tok-1", kind="train",
                               instance="a")
        (run_id,) = session.start([tr], name="spiral, adam", kinds=["lesson"])
        for _ in range(5):
            tr.step(10)
            tr.evaluate()
            session.points([tr])
        old = dict(tr.config)
        session.changed(0, tr, old, tr.set({"lr": 0.05}))
        tr.step(10)
        tr.evaluate()
        session.presenter({"view": "curves"})
        session.checkpoint([tr], "pause")
        assert rec.flush(10)
        run = store.get_run(run_id, OWNER)
        assert run is not None and run["kinds"] == ["lesson", "train"] and run["yours"]
        assert [p["step"] for p in store.history(run_id)] == [10, 20, 30, 40, 50, 60]
        assert [(e["step"], e["field"], e["new"]) for e in store.events(run_id)] == [
            (50, "lr", 0.05)]
        assert [c["reason"] for c in store.checkpoints(run_id)] == ["initial", "pause"]
        (row,) = store.live_sessions(instance="a")
        assert row["presenter"] == {"view": "curves"} and row["run_id"] == run_id
        back = restore_session(store, row)
        assert back is not None and back.step_count == 60
        assert np.array_equal(back.net.params, tr.net.params)
        tr.step(7)
        back.step(7)
        assert np.array_equal(back.net.params, tr.net.params)  # and it goes on the same
        session.close([tr])
        assert rec.flush(10)
        assert store.live_sessions() == []
        assert store.checkpoints(run_id)[-1]["reason"] == "end"
    finally:
        rec.close()


def test_a_rebuilt_run_is_a_new_run(store: RunStore) -> None:
    rec = Recorder(store, interval=0.02)
    try:
        tr = Trainer({"data": "xor", "samples": 60})
        session = RunRecording(rec, OWNER, session_id="s", token="t", kind="train")
        (first,) = session.start([tr], name="xor")
        tr.step(5)
        tr.evaluate()
        session.points([tr])
        session.changed(0, tr, dict(tr.config), tr.set({"layers": [3]}))
        tr.step(5)
        tr.evaluate()
        session.points([tr])
        assert rec.flush(10)
        second = session.run_ids[0]
        assert second != first
        assert store.get_run(second)["config"]["layers"] == [3]  # type: ignore[index]
        assert [p["step"] for p in store.history(first)] == [5]
        assert [p["step"] for p in store.history(second)] == [5]
        assert store.live_sessions()[0]["run_id"] == second
    finally:
        rec.close()
