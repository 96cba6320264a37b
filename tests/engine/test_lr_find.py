"""The learning-rate range test: a useful suggestion, an untouched run, an early stop."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.lr_find import LRFind, lr_find, lr_schedule, smooth, suggestions
from engine.optim import OPTIMIZERS

SEEDS = (0, 1, 2)


def final_train_loss(cfg: dict, lr: float, steps: int) -> float:
    tr = engine.Trainer({**cfg, "lr": lr})
    tr.step(steps)
    assert not tr.diverged
    return float(tr.evaluate(record=False)["train_loss"])


# plain SGD, as the learning-rate lessons use it: the default rate 0.03 is the page's own
@pytest.mark.parametrize(("cfg", "steps"), [
    ({"data": "spiral", "layers": [16, 16], "activation": "relu"}, 2000),
    ({"data": "digits", "layers": [32], "batch_size": 32}, 1000),
    ({"data": "plane"}, 1000),
], ids=["spiral", "digits", "plane-regression"])
def test_the_suggestion_trains_at_least_as_far_as_the_default_rate(cfg: dict, steps: int
                                                                   ) -> None:
    default_lr = engine.FIELDS["lr"].default
    found, by_default = [], []
    for seed in SEEDS:
        run = {**cfg, "optimizer": "sgd", "seed": seed}
        result = lr_find(engine.Trainer(run))
        assert 1e-6 <= result.suggestion <= 10
        found.append(final_train_loss(run, result.suggestion, steps))
        by_default.append(final_train_loss(run, default_lr, steps))
    # over three seeds, the suggested rate gets the training loss at least as low
    assert np.mean(found) <= np.mean(by_default), (found, by_default)


def run_state(tr: engine.Trainer) -> dict:
    net = tr.net
    return {
        "params": net.params.copy(), "grads": net.grads.copy(), "update": net.update.copy(),
        "opt": {k: v.copy() for k, v in tr.opt.state.items()}, "t": tr.opt.t,
        "dropout_rng": net.rng_dropout.bit_generator.state,
        "caches": [[None if getattr(la, k) is None else np.array(getattr(la, k))
                    for k in ("x", "z", "a", "mask", "da", "dz")] for la in net.layers],
        "step": tr.step_count, "epoch": tr.epoch, "history": {k: list(v) for k, v in
                                                             tr.history.items()},
    }


def assert_same(a: dict, b: dict) -> None:
    for key in ("params", "grads", "update"):
        assert a[key].tobytes() == b[key].tobytes(), key
    assert a["opt"].keys() == b["opt"].keys()
    for k in a["opt"]:
        assert a["opt"][k].tobytes() == b["opt"][k].tobytes(), k
    assert (a["t"], a["dropout_rng"], a["step"], a["epoch"], a["history"]) == (
        b["t"], b["dropout_rng"], b["step"], b["epoch"], b["history"])
    for la, lb in zip(a["caches"], b["caches"], strict=True):
        for x, y in zip(la, lb, strict=True):
            assert (x is None and y is None) or x.tobytes() == y.tobytes()


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_the_run_is_restored_bit_for_bit_and_continues_as_before(optimizer: str) -> None:
    cfg = {"data": "moons", "optimizer": optimizer, "dropout": 0.2, "momentum": 0.5,
           "samples": 200}
    tr, twin = engine.Trainer(cfg), engine.Trainer(cfg)
    for t in (tr, twin):  # mid-run: optimizer state, batch position and dropout rng in use
        t.step(37)
        t.evaluate()
    before = run_state(tr)
    result = lr_find(tr, steps=60)
    assert isinstance(result, LRFind) and result.optimizer == optimizer
    assert len(result.lrs) > 10
    assert_same(run_state(tr), before)
    # and the run goes on exactly as its twin that never saw the test
    tr.step(25)
    twin.step(25)
    assert tr.net.params.tobytes() == twin.net.params.tobytes()
    assert tr.opt.state.keys() == twin.opt.state.keys()
    for k in tr.opt.state:
        assert tr.opt.state[k].tobytes() == twin.opt.state[k].tobytes()


def test_frozen_layers_stay_frozen_during_the_test() -> None:
    tr = engine.Trainer({"data": "circle", "layers": [6, 6], "freeze": [0]})
    W0 = tr.net.layers[0].W.copy()
    seen: list[bytes] = []
    orig = tr.net.forward_backward

    def spy(X, y, training=True):  # type: ignore[no-untyped-def]
        seen.append(tr.net.layers[0].W.tobytes())
        return orig(X, y, training)

    tr.net.forward_backward = spy  # type: ignore[method-assign]
    lr_find(tr, steps=30)
    assert seen and all(s == W0.tobytes() for s in seen)


def test_the_test_stops_early_once_the_loss_explodes() -> None:
    tr = engine.Trainer({"data": "digits", "layers": [32], "batch_size": 32,
                         "optimizer": "sgd"})
    result = lr_find(tr, steps=300)
    assert result.stopped in ("exploded", "diverged")
    assert len(result.lrs) < 300
    assert result.lrs[-1] < 10
    if result.stopped == "exploded":  # the last smoothed loss broke the 4× bound
        assert result.smoothed[-1] > 4 * min(result.smoothed[:-1])
    assert not result.flat
    # nothing but finite points is kept
    assert np.isfinite(result.losses).all() and np.isfinite(result.smoothed).all()


def test_schedule_is_exponential_from_start_to_end() -> None:
    lrs = lr_schedule(8, 1e-6, 10.0)
    assert lrs[0] == pytest.approx(1e-6) and lrs[-1] == pytest.approx(10.0)
    ratios = lrs[1:] / lrs[:-1]
    assert np.allclose(ratios, ratios[0])


def test_smoothing_is_a_bias_corrected_moving_average() -> None:
    assert smooth([2.0, 2.0, 2.0], 0.9) == pytest.approx([2.0, 2.0, 2.0])  # no pull toward 0
    beta = 0.5
    s = smooth([1.0, 3.0], beta)
    assert s[1] == pytest.approx((beta * (1 - beta) * 1 + (1 - beta) * 3) / (1 - beta**2))


def test_suggestions_read_the_curve() -> None:
    lrs = lr_schedule(100)
    x = np.log10(lrs)
    curve = 2.0 - np.tanh(x + 2) + np.where(x > 0, 5 * x**2, 0)  # falls fastest at 1e-2
    div10, steep = suggestions(lrs, curve)
    assert div10 == pytest.approx(lrs[int(np.argmin(curve))] / 10)
    assert 10**-2.3 < steep < 10**-1.7


def test_bad_arguments_are_named() -> None:
    tr = engine.Trainer({"data": "xor", "samples": 100})
    with pytest.raises(ValueError, match="steps"):
        lr_find(tr, steps=3)
    with pytest.raises(ValueError, match="start_lr"):
        lr_find(tr, start_lr=1.0, end_lr=0.1)
