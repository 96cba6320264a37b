"""Optuna in the parent process: it picks each round's settings and learns from their results.

Optuna samples and prunes; nothing here invents a search. What this module adds is order:
settings are asked in rounds, and a round's results are told back in trial order once the whole
round is done, so what Optuna sees never depends on which run finished first.

  * grid, random, no pruner: one round holding every trial (sampled up front).
  * tpe, or any pruner: rounds of ``round`` settings. TPE learns from the rounds before; a pruner
    compares a run with the trials of the rounds before (never with its own round, whose runs
    may be anywhere in their training when it decides).

Pruning runs in the worker, epoch by epoch, against a copy of the finished trials of earlier
rounds (each trial's per-epoch value is the mean over its seeds). So a run is pruned or not by
its own numbers and those earlier trials alone: never by timing. The first round has nothing to
compare with and is never pruned; a trial is pruned when any of its seeds was.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.trial import FrozenTrial, TrialState

from .sweep_spec import Param, Sweep

optuna.logging.set_verbosity(optuna.logging.WARNING)


class _Grid(optuna.samplers.GridSampler):
    """Optuna's grid sampler, minus its habit of stopping the study from inside ``tell`` once
    the grid is done (which only works inside ``study.optimize``): we stop asking ourselves."""

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        pass


def make_pruner(kind: str) -> optuna.pruners.BasePruner:
    """none: never prune; median: stop a run whose metric at an epoch is worse than the median
    of earlier trials at that epoch (after 5 trials and 1 epoch); halving: successive halving
    with rungs at epochs 1, 3, 9, 27, ... keeping the best third at each."""
    if kind == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1)
    if kind == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    return optuna.pruners.NopPruner()


def distribution(p: Param) -> BaseDistribution:
    if p.values is not None:
        return CategoricalDistribution([p.encode(v) for v in p.values])
    assert p.low is not None and p.high is not None
    if p.integer:
        return IntDistribution(int(p.low), int(p.high), log=p.log)
    return FloatDistribution(p.low, p.high, log=p.log)


class Search:
    """The study of one sweep: ``next_round()`` gives settings, ``tell()`` takes results."""

    def __init__(self, sweep: Sweep) -> None:
        self.sweep = sweep
        self.dists = {p.name: distribution(p) for p in sweep.params}
        seed = sweep.sampler_seed
        sampler: optuna.samplers.BaseSampler
        if sweep.search == "grid":
            space = {p.name: [p.encode(v) for v in p.values or []] for p in sweep.params}
            sampler = _Grid(space, seed=seed)
        elif sweep.search == "random":
            sampler = optuna.samplers.RandomSampler(seed=seed)
        else:
            sampler = optuna.samplers.TPESampler(seed=seed)
        self.study = optuna.create_study(direction=sweep.direction,  # type: ignore[arg-type]
                                         sampler=sampler, pruner=make_pruner(sweep.pruner))
        self.asked = 0
        self.pending: list[optuna.Trial] = []

    @property
    def round_size(self) -> int:
        s = self.sweep
        if s.search != "tpe" and s.pruner == "none":
            return s.trials
        return s.round

    def next_round(self) -> list[tuple[int, dict[str, Any]]]:
        """(trial number, {field: value}) for the next round; empty when every trial is asked."""
        n = min(self.round_size, self.sweep.trials - self.asked)
        out = []
        for _ in range(n):
            trial = self.study.ask(self.dists)
            self.pending.append(trial)
            values = {p.name: p.decode(trial.params[p.name]) for p in self.sweep.params}
            out.append((trial.number, values))
        self.asked += n
        return out

    def history(self) -> list[FrozenTrial]:
        """The finished trials so far: what a pruner in a worker compares against."""
        return self.study.get_trials(deepcopy=True, states=(TrialState.COMPLETE,
                                                            TrialState.PRUNED))

    def tell(self, results: Mapping[int, Sequence[dict[str, Any]]]) -> None:
        """The rows of each pending trial (one per seed), told in trial order: failed if any
        seed failed or was cancelled, pruned if any was pruned, else complete with the mean of
        the metric over seeds. Intermediate values are the seed mean at each epoch."""
        metric = self.sweep.metric
        for trial in sorted(self.pending, key=lambda t: t.number):
            rows = results.get(trial.number, [])
            states = {r["state"] for r in rows}
            if not rows or states & {"failed", "cancelled"}:
                self.study.tell(trial, state=TrialState.FAIL)
                continue
            curves = [r["curve"] for r in rows]
            for epoch in range(1, max(len(c) for c in curves) + 1):
                at = [c[epoch - 1] for c in curves if len(c) >= epoch]
                trial.report(sum(at) / len(at), epoch)
                # asked for what it records (successive halving notes each rung a trial
                # reached, which later runs compare with); the answer itself is not used
                trial.should_prune()
            if "pruned" in states:
                self.study.tell(trial, state=TrialState.PRUNED)
            else:
                values = [r[metric] for r in rows]
                self.study.tell(trial, sum(values) / len(values))
        self.pending = []
