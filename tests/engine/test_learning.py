"""Every data set is learnable: each reaches the accuracy (or R²) recorded in docs/engine.md
with the configuration recorded there. Seeds 0, 1 and 2 must all get there."""

from __future__ import annotations

import time
from typing import Any

import pytest

from engine.trainer import Trainer

PLAYGROUND = {"layers": [8, 8], "activation": "tanh", "optimizer": "adam", "lr": 0.03,
              "batch_size": 10}
# data set -> (configuration, steps); mirrored in docs/engine.md ("Learning")
CLASSIFICATION: dict[str, tuple[dict[str, Any], int]] = {
    "circle": (PLAYGROUND, 1000),
    "xor": (PLAYGROUND, 1000),
    "gaussians": (PLAYGROUND, 1000),
    "moons": (PLAYGROUND, 1000),
    "blobs": (PLAYGROUND, 1000),
    "spiral": ({"layers": [32, 32], "activation": "relu", "lr": 0.01, "batch_size": 0}, 1000),
    "checkerboard": ({"samples": 2000, "layers": [32, 32], "activation": "relu", "lr": 0.01,
                      "batch_size": 250}, 2000),
}
REGRESSION: dict[str, tuple[dict[str, Any], int, float]] = {
    "plane": ({"layers": [8], "activation": "tanh", "lr": 0.01, "batch_size": 10}, 1000, 0.99),
    "bumps": ({"layers": [32, 32], "activation": "tanh", "lr": 0.01, "batch_size": 0}, 1000,
              0.97),
}
DIGITS = {"data": "digits", "layers": [64, 32], "activation": "relu", "optimizer": "adam",
          "lr": 0.003, "batch_size": 32}
DIGITS_STEPS = 1000


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", list(CLASSIFICATION))
def test_2d_classification_reaches_95_percent(name: str, seed: int) -> None:
    cfg, steps = CLASSIFICATION[name]
    tr = Trainer({**cfg, "data": name, "seed": seed})
    assert tr.step(steps) == steps
    m = tr.evaluate()
    assert m["test_acc"] >= 0.95, m


def test_blobs_with_five_classes_and_noise() -> None:
    tr = Trainer({**PLAYGROUND, "data": "blobs", "classes": 5, "noise": 0.2})
    tr.step(1000)
    assert tr.evaluate()["test_acc"] >= 0.95


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", list(REGRESSION))
def test_regression_reaches_a_good_r2(name: str, seed: int) -> None:
    cfg, steps, r2 = REGRESSION[name]
    tr = Trainer({**cfg, "data": name, "seed": seed})
    assert tr.step(steps) == steps
    tr.evaluate()
    assert tr.details()["r2"] >= r2


def test_digits_reach_95_percent_within_30_cpu_seconds() -> None:
    t0 = time.process_time()
    tr = Trainer(DIGITS)
    done = tr.step(DIGITS_STEPS)
    m = tr.evaluate()
    cpu = time.process_time() - t0
    assert done == DIGITS_STEPS and tr.diverged is None
    assert m["test_acc"] >= 0.95, m
    assert cpu < 30.0  # a generous cap on the budget, not a speed measurement
