"""The learning-rate range test: raise the learning rate step by step and watch the loss.

    >>> tr = Trainer({"data": "spiral"})
    >>> found = lr_find(tr)          # the run itself is left exactly as it was
    >>> found.suggestion             # a learning rate to start from
    >>> found.lrs, found.losses      # every (lr, loss) point, and found.smoothed

From the run's current weights, each mini-batch step uses a larger learning rate than the one
before, growing exponentially from ``start_lr`` to ``end_lr``:

    lr_i = start_lr · (end_lr / start_lr) ^ (i / (steps − 1)),   i = 0 … steps − 1

At first the rate is too small to change anything and the loss stays flat; then it falls
faster and faster; then the rate is too large and the loss shoots up. The test stops early once
the smoothed loss is more than four times its lowest value so far, or a loss or update is NaN or
infinite.

The mini-batch losses are noisy, so they are smoothed by an exponential moving average with
bias correction (as Adam corrects m):

    avg_i = β · avg_{i−1} + (1 − β) · loss_i,   avg_0 = 0,   smoothed_i = avg_i / (1 − β^(i+1))

Two suggestions come from the smoothed curve (against log lr):
  * ``lr_min_div10``: the learning rate at the lowest smoothed loss, divided by 10 — one order
    of magnitude below the point where the loss stopped improving. This is ``suggestion``.
  * ``lr_steep``: where the smoothed loss falls fastest per decade of learning rate (before the
    lowest point).
The first is the one returned as ``suggestion``: on the spiral, digits and regression sets it
trains at least as far as the default learning rate (tests/engine/test_lr_find.py), while the
steepest point, read off a noisy curve, sometimes lands a decade too low.

When the smoothed loss never falls 2 % below where it started (``flat``), the network learned
nothing within the test (a tanh network on the spiral needs thousands of steps before its loss
moves): the lowest point is noise and the suggestions mean little; try more ``steps``.

The test uses its own optimizer, of the run's kind and hyperparameters but with fresh state (a
momentum or Adam average from the run's past would carry the old learning rate's steps into
the test), and its own batch order. Afterwards the weights, gradients, the last update, each
layer's cached forward/backward values and the dropout generator are put back bit for bit; the
run's optimizer, batch order, counters and history are never touched, so the run continues
exactly as if the test had not happened.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .optim import Optimizer
from .trainer import Trainer, make_optimizer_from_config

Array = np.ndarray

DEFAULT_STEPS = 200
MIN_STEPS, MAX_STEPS = 10, 1000
START_LR, END_LR = 1e-6, 10.0
SMOOTHING = 0.95  # β of the moving average
SKIP_SHARE = 0.1  # share of the first points left out when reading the suggestions
STOP_FACTOR = 4.0  # stop once the smoothed loss exceeds this many times its minimum
FLAT_DROP = 0.02  # a lowest smoothed loss less than 2 % under the first one: a flat curve
_CACHES = ("x", "z", "a", "mask", "da", "dz")


@dataclass
class LRFind:
    """The result of a range test: every point, the smoothed curve and the suggestions."""

    lrs: list[float]  # learning rate of each step
    losses: list[float]  # mini-batch loss of each step (data loss, before the step's update)
    smoothed: list[float]  # bias-corrected exponential moving average of the losses
    lr_min_div10: float  # learning rate at the lowest smoothed loss, ÷ 10
    lr_steep: float  # learning rate where the smoothed loss falls fastest
    stopped: str  # why the test ended: "end" (all steps), "exploded" or "diverged"
    flat: bool  # the smoothed loss never fell FLAT_DROP below its start: no suggestion to trust
    optimizer: str
    smoothing: float = SMOOTHING
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def suggestion(self) -> float:
        """The suggested learning rate: ``lr_min_div10``."""
        return self.lr_min_div10

    def rows(self) -> list[tuple[float, float, float]]:
        """(lr, loss, smoothed loss) per step, for a CSV file or a plot."""
        return list(zip(self.lrs, self.losses, self.smoothed, strict=True))


def lr_schedule(steps: int, start_lr: float = START_LR, end_lr: float = END_LR) -> Array:
    """lr_i = start · (end / start)^(i / (steps − 1)), i = 0 … steps − 1."""
    return start_lr * (end_lr / start_lr) ** (np.arange(steps) / (steps - 1))


def smooth(losses: list[float] | Array, beta: float = SMOOTHING) -> Array:
    """Bias-corrected exponential moving average of a sequence of losses."""
    out = np.empty(len(losses))
    avg = 0.0
    for i, loss in enumerate(losses):
        avg = beta * avg + (1.0 - beta) * float(loss)
        out[i] = avg / (1.0 - beta ** (i + 1))
    return out


def suggestions(lrs: Array, smoothed: Array) -> tuple[float, float]:
    """(lr at the lowest smoothed loss ÷ 10, lr of the steepest descent before it)."""
    lrs, smoothed = np.asarray(lrs, float), np.asarray(smoothed, float)
    # the first points average too few losses to be trusted: look from SKIP_SHARE of the way in
    skip = min(int(SKIP_SHARE * len(lrs)), len(lrs) - 1)
    i_min = skip + int(np.argmin(smoothed[skip:]))
    lr_min_div10 = float(lrs[i_min] / 10.0)
    x = np.log10(lrs)
    # slope over half a decade either side, so that one noisy batch does not make the steepest
    h = max(1, int(round(0.5 * (len(x) - 1) / max(x[-1] - x[0], 1e-12) / 2)))
    lo, hi = skip + h, i_min - h
    if hi < lo:  # no descent to speak of before the minimum
        return lr_min_div10, float(lrs[min(skip, i_min)])
    i = np.arange(lo, hi + 1)
    slope = (smoothed[i + h] - smoothed[i - h]) / (x[i + h] - x[i - h])
    return lr_min_div10, float(lrs[lo + int(np.argmin(slope))])


def _check(steps: int, start_lr: float, end_lr: float, beta: float) -> None:
    if isinstance(steps, bool) or not isinstance(steps, int) or not MIN_STEPS <= steps <= MAX_STEPS:
        raise ValueError(f"steps: {steps!r} is not allowed; it must be a whole number from "
                         f"{MIN_STEPS} to {MAX_STEPS}")
    if not (0 < start_lr < end_lr <= 100):
        raise ValueError(f"start_lr, end_lr: {start_lr!r}, {end_lr!r} are not allowed; they must "
                         "satisfy 0 < start_lr < end_lr ≤ 100")
    if not 0 <= beta < 1:
        raise ValueError(f"smoothing: {beta!r} is not allowed; it must be ≥ 0 and < 1")


def lr_find(trainer: Trainer, steps: int = DEFAULT_STEPS, start_lr: float = START_LR,
            end_lr: float = END_LR, smoothing: float = SMOOTHING,
            stop_factor: float = STOP_FACTOR) -> LRFind:
    """Run the learning-rate range test from the trainer's current weights and put every part
    of the run back afterwards. ``steps`` mini-batches at most (of the run's batch size)."""
    _check(steps, start_lr, end_lr, smoothing)
    net = trainer.net
    saved_params, saved_grads = net.params.copy(), net.grads.copy()
    saved_update = net.update.copy()
    saved_caches = [[getattr(layer, k) for k in _CACHES] for layer in net.layers]
    saved_rng = net.rng_dropout.bit_generator.state
    opt: Optimizer = make_optimizer_from_config(trainer.config)
    try:
        return _range_test(trainer, opt, steps, start_lr, end_lr, smoothing, stop_factor)
    finally:
        net.params[...] = saved_params
        net.grads[...] = saved_grads
        net.update[...] = saved_update
        for layer, values in zip(net.layers, saved_caches, strict=True):
            for k, v in zip(_CACHES, values, strict=True):
                setattr(layer, k, v)
        net.rng_dropout.bit_generator.state = saved_rng


def _batches(trainer: Trainer, rng: np.random.Generator) -> Any:
    """Mini-batches of the run's size from the training set, reshuffled every pass."""
    X, y, b = trainer.X_train, trainer.y_train, trainer.batch_size
    while True:
        order = rng.permutation(len(X))
        for s in range(0, len(X), b):
            idx = order[s:s + b]
            yield X[idx], y[idx]


def _range_test(trainer: Trainer, opt: Optimizer, steps: int, start_lr: float, end_lr: float,
                beta: float, stop_factor: float) -> LRFind:
    net = trainer.net
    schedule = lr_schedule(steps, start_lr, end_lr)
    rng = np.random.default_rng(np.random.SeedSequence([trainer.config["seed"], 7]))
    batches = _batches(trainer, rng)
    lrs: list[float] = []
    losses: list[float] = []
    avg, best = 0.0, math.inf
    stopped = "end"
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for i, lr in enumerate(schedule):
            X, y = next(batches)
            loss, _, _ = net.forward_backward(X, y, True)
            if not math.isfinite(loss):
                stopped = "diverged"
                break
            lrs.append(float(lr))
            losses.append(float(loss))
            avg = beta * avg + (1.0 - beta) * loss
            smoothed = avg / (1.0 - beta ** (i + 1))
            best = min(best, smoothed)
            if smoothed > stop_factor * best:
                stopped = "exploded"
                break
            opt.lr = float(lr)  # type: ignore[attr-defined]  # every optimizer has lr
            opt.step_update(net)
            if not np.isfinite(net.update).all():
                stopped = "diverged"
                break
            opt.apply(net)
    if not lrs:
        raise ValueError("the loss was not finite at the first step: the run's weights are "
                         "already broken (reset the run)")
    sm = smooth(losses, beta)
    div10, steep = suggestions(np.array(lrs), sm)
    flat = bool(sm.min() > (1.0 - FLAT_DROP) * sm[0])
    return LRFind(lrs=lrs, losses=losses, smoothed=[float(v) for v in sm], lr_min_div10=div10,
                  lr_steep=steep, stopped=stopped, flat=flat, optimizer=opt.name, smoothing=beta,
                  extra={"batch_size": trainer.batch_size, "steps_run": len(lrs)})
