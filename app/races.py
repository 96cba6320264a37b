"""What a race session adds to a single run: each runner's history, frame arrays and
divergence notice (the race's commands are in app/commands/edit.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from engine.trainer import HISTORY_KEYS

from . import frames
from .session import Session


def runner_divergence(s: Session) -> None:
    """A notice for each runner of a race that diverged (the others go on)."""
    race = s.race
    assert race is not None
    for i, tr in enumerate(race.trainers):
        if tr.diverged is not None and i not in s.diverged_runners:
            s.diverged_runners.add(i)
            if not race.diverged:
                s.notice("runner_diverged", (
                    f"runner {i} ({race.labels[i]}) diverged and stopped; the others go on: "
                    f"{tr.diverged.get('message')}"),
                    runner=i, label=race.labels[i], step=tr.diverged.get("step"))


def sync_race_history(s: Session) -> None:
    """Mirror every runner's history into ``rows``: [runner, step, ...] in order of step,
    then runner."""
    assert s.race is not None
    trainers = s.race.trainers
    dropped = [tr.history_dropped for tr in trainers]
    lengths = [len(tr.history["step"]) for tr in trainers]
    restart = dropped != s.race_dropped or any(
        n < c for n, c in zip(lengths, s.race_counts, strict=True))
    start = [0] * len(trainers) if restart else s.race_counts
    new = []
    for k, tr in enumerate(trainers):
        h = tr.history
        for i in range(start[k], lengths[k]):
            new.append(frames.history_row(
                [h["step"][i], k, *(h[key][i] for key in HISTORY_KEYS[1:])]))
    new.sort(key=lambda r: (r[0], r[1]))
    for r in new:  # step first for sorting; the wire has runner first
        r[0], r[1] = r[1], int(r[0])
    with s.lock:
        if restart:
            s.rows = new
            s.gen += 1
        else:
            s.rows.extend(new)
    s.race_counts, s.race_dropped = lengths, dropped


def race_frame(s: Session, snap0: Mapping[str, Any], metrics: list[dict[str, Any]],
               arrays: dict[str, Any], ranges: dict[str, list[float]]) -> dict[str, Any]:
    """Add each runner's arrays (r{k}.grid_output, r{k}.grad_norm, r{k}.test_pred,
    r{k}.confusion) to ``arrays``; return the header fields ``runners``, ``winner`` and
    ``target``."""
    race = s.race
    assert race is not None
    runners = []
    target = race.target
    for k, (r, m) in enumerate(zip(race.runners, metrics, strict=True)):
        tr = r.trainer
        if k == 0:
            snap = snap0
        else:
            with np.errstate(over="ignore", invalid="ignore"):
                snap = tr.snapshot(s.settings.grid_output, neuron_grid=None)
        for name in ("grid_output", "grad_norm", "test_pred", "confusion"):
            a = snap["arrays"].get(name)
            if a is None:
                continue
            if name == "grid_output":
                lo_hi = (0.0, 1.0) if tr.output in ("sigmoid", "softmax") else (None, None)
                a, ranges[f"r{k}.{name}"] = frames.quantize(a, *lo_hi)
            arrays[f"r{k}.{name}"] = a
        hit = r.reached(target)
        runners.append({
            "label": r.label, "step": tr.step_count, "epoch": tr.epoch,
            "seconds": tr.train_seconds,
            "metrics": {key: m[key] for key in ("train_loss", "test_loss", "train_acc",
                                                "test_acc")},
            "reached": None if hit is None else {"step": hit[0], "seconds": hit[1]},
            "diverged": tr.diverged,
        })
    return {"runners": runners, "winner": race.winner(), "target": target}
