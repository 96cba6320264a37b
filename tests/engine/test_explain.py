"""Trainer.explain: raw inputs through the run's preprocessing and network, layer by layer,
without disturbing the run (a step in progress keeps its caches)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data import DataError
from engine.losses import output_activation
from engine.trainer import MAX_EXPLAIN_ROWS, Trainer


def _by_hand(tr: Trainer, raw: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(z, a) of every layer, computed from the weights with NumPy."""
    a = tr.data.inputs(np.asarray(raw, dtype=np.float64)).astype(np.float64)
    out = []
    for layer in tr.net.layers:
        z = a @ layer.W.astype(np.float64).T + layer.b.astype(np.float64)
        a = layer.act.forward(z) if layer is not tr.net.layers[-1] else z
        out.append((z, a))
    return out


def test_explain_matches_the_network_by_hand_on_a_2d_set_with_features() -> None:
    tr = Trainer({"data": "circle", "features": ["x1", "x2", "x1_sq", "x2_sq"],
                  "layers": [6, 4], "dtype": "float64"})
    tr.step(20)
    raw = [[0.5, -1.0], [3.0, 2.0], [0.0, 0.0]]
    e = tr.explain(raw)
    hand = _by_hand(tr, np.array(raw))
    assert len(e["layers"]) == 3
    for got, (z, a) in zip(e["layers"][:-1], hand[:-1], strict=True):
        np.testing.assert_allclose(got["z"], z, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got["a"], a, rtol=1e-12, atol=1e-12)
    z_out = hand[-1][0]
    np.testing.assert_allclose(e["layers"][-1]["z"], z_out, rtol=1e-12, atol=1e-12)
    p = output_activation("sigmoid", z_out)
    np.testing.assert_allclose(e["p"], p, rtol=1e-12)
    np.testing.assert_array_equal(e["layers"][-1]["a"], e["p"])
    np.testing.assert_array_equal(e["class"], (p[:, 0] > 0.5).astype(int))
    assert e["class_names"] == list(tr.data.class_names)


def test_explain_on_digits_takes_64_pixels_and_gives_ten_probabilities() -> None:
    tr = Trainer({"data": "digits", "layers": [32], "batch_size": 32})
    tr.step(50)
    raw = tr.data.raw_test[:5]
    e = tr.explain(raw.tolist())
    assert e["p"].shape == (5, 10) and np.allclose(e["p"].sum(axis=1), 1, atol=1e-5)
    assert [la["a"].shape for la in e["layers"]] == [(5, 32), (5, 10)]
    np.testing.assert_allclose(e["p"], tr.net.predict(tr.X_test[:5]), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(e["class"], e["p"].argmax(axis=1))


def test_explain_of_a_fine_tuned_model_uses_the_models_own_scaling() -> None:
    tr = Trainer({"data": "digits", "digits_half": "b", "digits_task": "even_odd",
                  "train_per_class": 10, "model": "digits-all", "freeze": [0, 1]})
    raw = tr.data.raw_test[:3]
    e = tr.explain(raw)
    np.testing.assert_allclose(e["p"], tr.net.predict(tr.X_test[:3]), rtol=1e-5, atol=1e-6)
    assert e["class_names"] == ["even", "odd"] and e["p"].shape == (3, 1)


def test_regression_has_values_and_no_class() -> None:
    tr = Trainer({"data": "bumps", "layers": [4]})
    e = tr.explain([[1.0, 2.0]])
    assert e["class"] is None and e["p"].shape == (1, 1)


def test_a_single_row_may_be_given_flat() -> None:
    tr = Trainer({"data": "spiral"})
    assert tr.explain([1.0, 2.0])["p"].shape == (1, 1)


def test_explain_ignores_dropout_and_changes_nothing() -> None:
    tr = Trainer({"data": "spiral", "dropout": 0.5})
    tr.step(5)
    params = tr.net.params.copy()
    first = tr.explain([[1.0, 1.0]])["p"]
    assert np.array_equal(first, tr.explain([[1.0, 1.0]])["p"])  # no random mask
    np.testing.assert_array_equal(tr.net.params, params)
    assert tr.step_count == 5 and tr.history["step"] == []


def test_explain_in_the_middle_of_a_step_keeps_the_steps_caches() -> None:
    cfg = {"data": "moons", "layers": [5], "dropout": 0.3, "batch_size": 8}
    a, b = Trainer(cfg), Trainer(cfg)
    results = {}
    for tr, explain in ((a, True), (b, False)):
        out = []
        for _ in range(4):
            out.append(tr.step_phase())
            if explain:
                tr.explain([[0.1, 0.2], [1.0, -1.0]])
        results[explain] = out
    np.testing.assert_array_equal(a.net.params, b.net.params)
    for pa, pb in zip(results[True], results[False], strict=True):
        for la, lb in zip(pa["layers"], pb["layers"], strict=True):
            for k in ("x", "z", "a", "dW", "W"):
                if k in la and la[k] is not None:
                    np.testing.assert_array_equal(la[k], lb[k])


@pytest.mark.parametrize("raw, message", [
    ([[1.0, 2.0, 3.0]], r"raw: rows have 3 values; this data set takes 2 per row \(x1, x2\)"),
    ([[1.0, 2.0]] * (MAX_EXPLAIN_ROWS + 1), rf"raw: {MAX_EXPLAIN_ROWS + 1} rows is too many; "
                                            rf"at most {MAX_EXPLAIN_ROWS}"),
    ([], r"raw: it must be a list of 1 to 64 rows"),
    ([[1.0, float("nan")]], r"raw: every value must be a finite number"),
    ([[1.0, "x"]], r"raw: it must be a list of rows"),
    ([[1.0, 2.0], [1.0]], r"raw: it must be a list of rows"),
])
def test_bad_raw_input_is_refused_naming_raw(raw: object, message: str) -> None:
    tr = Trainer({"data": "spiral"})
    with pytest.raises(DataError, match=message) as e:
        tr.explain(raw)
    assert e.value.field == "raw"


def test_digits_with_the_wrong_width_says_how_many_pixels() -> None:
    tr = Trainer({"data": "digits", "layers": [8]})
    with pytest.raises(DataError, match=r"raw: rows have 63 values; this data set takes 64 per "
                                        r"row \(64 values\)"):
        tr.explain([[0.0] * 63])
