"""The engine's facts for the page (engine.facts.facts and each field's live/rebuilds) agree with
what the engine does: a field said to rebuild the data rebuilds it, a pair said to be allowed
trains, a feature's formula gives the numbers the engine feeds the network."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from engine import config as cfgmod
from engine.activations import ACTIVATIONS
from engine.config import ConfigError, describe, validate
from engine.data import DIGITS_TASKS, make_features
from engine.facts import facts
from engine.race import CHECK_EVERY
from engine.trainer import Trainer

FACTS = facts()

# another valid value for each field, changed on a small default run (circle, [4])
BASE = {"data": "circle", "samples": 60, "layers": [4]}
OTHER: dict[str, Any] = {
    "data": "xor", "samples": 80, "noise": 0.3, "test_share": 0.3, "val_share": 0.2,
    "data_seed": 5,
    "classes": 4, "train_per_class": 5, "digits_task": "ge5", "digit_groups": [[0], [1, 2]],
    "digits_half": "b", "features": ["x1", "x2", "x1_x2"], "standardize": False,
    "layers": [3, 3], "activation": "relu", "output": "softmax", "loss": "mse", "init": "he",
    "seed": 9, "dtype": "float64", "optimizer": "sgd", "lr": 0.1, "momentum": 0.5,
    "nesterov": True, "alpha": 0.9, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0.01,
    "batch_size": 7, "shuffle": False, "dropout": 0.2, "regularization": "l2", "reg_rate": 0.01,
    "model": "spiral", "replace_head": "replace", "freeze": [0],
}


def test_every_field_has_another_value_in_this_test() -> None:
    assert set(OTHER) == set(cfgmod.FIELDS)


@pytest.mark.parametrize("name", sorted(cfgmod.FIELDS))
def test_a_field_rebuilds_what_the_schema_says(name: str) -> None:
    entry = {f["name"]: f for f in describe()}[name]
    tr = Trainer(BASE)
    out = tr.set({name: OTHER[name]})
    assert out["changed"] == [name]
    assert out["rebuilt"] == entry["rebuilds"]
    assert entry["live"] is (entry["rebuilds"] is None)
    assert (name in FACTS["live_fields"]) is entry["live"]
    assert (name in FACTS["data_fields"]) is (entry["rebuilds"] == "data")


def test_the_facts_are_strict_json() -> None:
    assert json.loads(json.dumps(FACTS, allow_nan=False)) == FACTS


@pytest.mark.parametrize("output", FACTS["outputs"])
@pytest.mark.parametrize("loss", FACTS["losses"])
def test_an_output_loss_pair_trains_exactly_when_the_facts_allow_it(output: str, loss: str
                                                                    ) -> None:
    data = "plane" if output == "linear" else "blobs"
    if output == "sigmoid":
        data = "circle"
    cfg = {"data": data, "output": output, "loss": loss, "samples": 40, "layers": [3]}
    if [output, loss] in FACTS["pairs"]:
        tr = Trainer(cfg)
        assert tr.step(3) == 3
    else:
        with pytest.raises(ConfigError):
            Trainer(cfg)


@pytest.mark.parametrize(("kind", "data"), [("regression", "plane"), ("two_classes", "moons"),
                                            ("more_classes", "blobs")])
def test_auto_resolves_as_the_facts_say(kind: str, data: str) -> None:
    tr = Trainer({"data": data, "samples": 40})
    assert {"output": tr.net.output, "loss": tr.net.loss} == FACTS["auto"][kind]


@pytest.mark.parametrize("task", DIGITS_TASKS)
def test_digits_class_counts_are_the_trainers(task: str) -> None:
    extra = {"digit_groups": [[0, 1], [2], [3, 4, 5]]} if task == "groups" else {}
    tr = Trainer({"data": "digits", "digits_task": task, "layers": [4], **extra})
    expected = FACTS["digits_classes"][task]
    assert tr.n_classes == (3 if expected is None else expected)
    assert set(FACTS["digits_classes"]) == set(DIGITS_TASKS)


def test_max_layers_and_units_are_the_limits_validation_applies() -> None:
    n, units = FACTS["max_layers"], FACTS["max_units"]
    validate({"layers": [units] * n})
    with pytest.raises(ConfigError):
        validate({"layers": [1] * (n + 1)})
    with pytest.raises(ConfigError):
        validate({"layers": [units + 1]})


def _formula(expr: Any, x1: float, x2: float) -> float:
    """The page's side: a formula evaluated with plain Python maths, one point at a time."""
    if isinstance(expr, str):
        return {"x1": x1, "x2": x2}[expr]
    op, *args = expr
    assert len(args) == FACTS["feature_ops"][op]
    vals = [_formula(a, x1, x2) for a in args]
    return vals[0] * vals[1] if op == "mul" else math.sin(vals[0])


def test_each_feature_formula_gives_the_engines_numbers_in_the_engines_order() -> None:
    rng = np.random.default_rng(3)
    X = rng.uniform(-6, 6, (50, 2))
    names = [f["name"] for f in FACTS["features"]]
    cols = make_features(X, names)
    for j, f in enumerate(FACTS["features"]):
        mine = [_formula(f["expr"], x1, x2) for x1, x2 in X]
        assert np.allclose(cols[:, j], mine, rtol=1e-15, atol=1e-15), f["name"]
    assert [v for v in FACTS["feature_vars"]] == ["x1", "x2"]
    assert {f["name"] for f in FACTS["features"]} == set(
        {f["name"]: f for f in describe()}["features"]["choices"])


def test_activations_are_the_engines_with_the_constants_their_formulas_use() -> None:
    assert [a["name"] for a in FACTS["activations"]] == list(ACTIVATIONS)
    params = {a["name"]: a["params"] for a in FACTS["activations"]}
    z = np.array([-2.0, -0.5, 0.7])
    slope = params["leaky_relu"]["slope"]
    assert np.allclose(ACTIVATIONS["leaky_relu"].forward(z), np.where(z > 0, z, slope * z))
    alpha = params["elu"]["alpha"]
    assert np.allclose(ACTIVATIONS["elu"].forward(z), np.where(z > 0, z, alpha * np.expm1(z)))
    c = params["gelu"]["c"]
    gelu = 0.5 * z * (1 + np.tanh(math.sqrt(2 / math.pi) * (z + c * z**3)))
    assert np.allclose(ACTIVATIONS["gelu"].forward(z), gelu)


def test_check_every_is_the_races() -> None:
    assert FACTS["check_every"] == CHECK_EVERY
