"""RunRecording: what one live session records, in the few calls a session makes.

    >>> rec = RunRecording(recorder, owner_key, session_id=sid, token=token, kind="train")
    >>> rec.start([trainer], name="spiral, adam")       # a run per trainer (a race: per runner)
    >>> rec.points([trainer])                           # after an evaluation: the new points
    >>> rec.changed(0, trainer, old_config, result)     # after Trainer.set: events, or a new run
    >>> rec.checkpoint([trainer], "pause")              # on pause / save / a new best
    >>> rec.close([trainer])                            # the session ends

Every call only hands work to the Recorder (it never waits for the database); a checkpoint
costs its ``engine.checkpoint.save`` (1 ms for the spiral network, 4 ms for digits). Uploads
(a CSV file, a model file) go into the run's first checkpoint only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine import checkpoint as ckpt
from engine.trainer import HISTORY_KEYS, Trainer

from .recorder import Recorder

PERIODIC_SECONDS = 300.0
"""Training time between two periodic checkpoints of a run."""


class RunRecording:
    """The runs of one session (one per trainer) and what has been recorded of them."""

    def __init__(self, recorder: Recorder, owner_key: str, *, session_id: str, token: str,
                 kind: str, instance: str | None = None,
                 periodic_seconds: float = PERIODIC_SECONDS, owner_sha256: str | None = None,
                 token_sha256: str | None = None) -> None:
        self.recorder, self.owner_key = recorder, owner_key
        self.owner_sha256, self.token_sha256 = owner_sha256, token_sha256
        self.session_id, self.token, self.kind, self.instance = session_id, token, kind, instance
        self.periodic_seconds = periodic_seconds
        self.run_ids: list[str] = []
        self._last_step: list[int] = []  # the last step recorded of each run's history
        self._last_periodic: list[float] = []
        self._presenter: Any = None
        self._name = ""
        self._kinds: tuple[str, ...] = ()

    def start(self, trainers: Sequence[Trainer], *, name: str, kinds: Sequence[str] = (),
              labels: Sequence[str] | None = None) -> list[str]:
        """A new run for each trainer, with its initial checkpoint; returns their ids."""
        self._name, self._kinds = name, (self.kind, *kinds)
        self.run_ids, self._last_step, self._last_periodic = [], [], []
        for i, tr in enumerate(trainers):
            label = labels[i] if labels else None
            self.run_ids.append(self._new_run(tr, name if label is None else f"{name}: {label}"))
            self._last_step.append(-1)
            self._last_periodic.append(tr.train_seconds)
        self._live()
        return list(self.run_ids)

    def resume(self, run_id: str, trainer: Trainer, *, name: str,
               kinds: Sequence[str] = ()) -> None:
        """Go on recording run ``run_id`` (a session brought back at its checkpoint): only
        points after the trainer's history are new."""
        self._name, self._kinds = name, (self.kind, *kinds)
        steps = trainer.history["step"]
        self.run_ids = [run_id]
        self._last_step = [int(steps[-1]) if len(steps) else -1]
        self._last_periodic = [trainer.train_seconds]
        self._live()

    def _new_run(self, tr: Trainer, name: str) -> str:
        run_id = self.recorder.create_run(self.owner_key, name=name[:200], config=tr.config,
                                          kinds=self._kinds,
                                          data_seed=int(tr.config.get("data_seed", 0)),
                                          owner_sha256=self.owner_sha256)
        self.recorder.checkpoint(run_id, tr.step_count, "initial", ckpt.save(tr))
        return run_id

    def _live(self) -> None:
        self.recorder.live_session(self.session_id, self.token, kind=self.kind,
                                   run_id=self.run_ids[0] if self.run_ids else None,
                                   presenter=self._presenter, instance=self.instance,
                                   token_sha256=self.token_sha256)

    def points(self, trainers: Sequence[Trainer]) -> int:
        """Hand over the history points recorded since the last call; returns how many."""
        total = 0
        for i, tr in enumerate(trainers):
            h = tr.history
            steps = h["step"]
            k = len(steps)
            while k > 0 and steps[k - 1] > self._last_step[i]:
                k -= 1
            if k == len(steps):
                continue
            rows = [{key: h[key][j] for key in HISTORY_KEYS} for j in range(k, len(steps))]
            self.recorder.metrics(self.run_ids[i], rows)
            self._last_step[i] = int(steps[-1])
            total += len(rows)
        self._periodic(trainers)
        return total

    def changed(self, index: int, trainer: Trainer, old_config: Mapping[str, Any],
                result: Mapping[str, Any]) -> None:
        """After ``trainer.set(...)`` returned ``result``: live changes are events of the run
        at its step; a rebuilt run is a new trajectory, so a new run. (Call ``points`` before
        ``set``: a rebuild clears the trainer's history.)"""
        if result.get("rebuilt"):
            self.run_ids[index] = self._new_run(trainer, self._name)
            self._last_step[index] = -1
            self._last_periodic[index] = trainer.train_seconds
            if index == 0:
                self._live()
            return
        for field in result.get("live", []):
            self.recorder.event(self.run_ids[index], trainer.step_count, field,
                                old_config.get(field), trainer.config.get(field))

    def checkpoint(self, trainers: Sequence[Trainer], reason: str) -> None:
        """Points so far, then a checkpoint of each run ("pause", "save", "end", "best" ...)."""
        self.points(trainers)
        for run_id, tr in zip(self.run_ids, trainers, strict=True):
            self.recorder.checkpoint(run_id, tr.step_count, reason,
                                     ckpt.save(tr, include_data=False))

    def _periodic(self, trainers: Sequence[Trainer]) -> None:
        for i, tr in enumerate(trainers):
            if tr.train_seconds - self._last_periodic[i] >= self.periodic_seconds:
                self._last_periodic[i] = tr.train_seconds
                self.recorder.checkpoint(self.run_ids[i], tr.step_count, "periodic",
                                         ckpt.save(tr, include_data=False))

    def presenter(self, state: Any) -> None:
        """The presenter's state changed: a restarted server shows the same."""
        self._presenter = state
        self._live()

    def close(self, trainers: Sequence[Trainer]) -> None:
        """The session ends: a last checkpoint; it is no longer brought back."""
        self.checkpoint(trainers, "end")
        self.recorder.end_live_session(self.session_id)


def restore_session(store: Any, row: Mapping[str, Any]) -> Trainer | None:
    """The trainer of a remembered live session (``store.live_sessions()`` row), from its
    run's newest checkpoint and the uploads of its first; None when it has no run left."""
    run_id = row.get("run_id")
    if run_id is None:
        return None
    cps = store.checkpoints(run_id)
    if not cps:
        return None
    first = store.checkpoint_data(run_id, cps[0]["id"])
    csv, model_file = ckpt.uploads(first)
    return ckpt.restore(store.checkpoint_data(run_id), csv=csv, model_file=model_file)


__all__ = ["PERIODIC_SECONDS", "RunRecording", "restore_session"]
