"""Backpropagation against central finite differences, in float64.

For every parameter θ_j:  dL/dθ_j ≈ (L(θ + h e_j) − L(θ − h e_j)) / 2h, with L the data loss
plus the regularization penalty. The analytic gradient must agree to a relative error below
1e-6 for every activation, every allowed (output, loss) pair, and with L1 or L2 on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.activations import ACTIVATIONS, Activation
from engine.losses import ALLOWED, loss_forward_backward
from engine.network import Network

H = 1e-5  # finite-difference step: truncation ~h² and round-off ~1e-16/h both far below 1e-6
RTOL = 1e-6
FLOOR = 1e-3  # relative error of entries smaller than this is measured against it
KINKED = {"relu", "leaky_relu", "elu"}  # f' jumps at z = 0 (elu: f'' does)
FIXTURES = Path(__file__).parent / "fixtures"


def data(output: str, n_out: int, n: int = 6, n_in: int = 3, seed: int = 0
         ) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(0.0, 1.0, (n, n_in))
    if output == "softmax":
        y = rng.integers(0, n_out, n)
    elif output == "sigmoid":
        y = rng.integers(0, 2, n).astype(np.float64)
    else:
        y = rng.normal(0.0, 1.0, (n, n_out))
    return X, y


def loss_with_masks(net: Network, X: np.ndarray, y: np.ndarray,
                    masks: list[np.ndarray | None] | None = None) -> float:
    """L(θ) written out independently of Network.forward: a = f(X Wᵀ + b) ⊙ mask per hidden
    layer, then the output loss plus the penalty. ``masks`` fixes the dropout masks."""
    a = X
    last = len(net.layers) - 1
    for i, layer in enumerate(net.layers):
        z = a @ layer.W.T + layer.b
        if i == last:
            break
        a = layer.act.forward(z)
        if masks is not None and masks[i] is not None:
            a = a * masks[i]
    L, _, _ = loss_forward_backward(net.output, net.loss, z, y)  # type: ignore[arg-type]
    return L + net.penalty()


def numerical_gradient(net: Network, X: np.ndarray, y: np.ndarray,
                       masks: list[np.ndarray | None] | None = None) -> np.ndarray:
    """Central differences over every entry of the flat parameter buffer."""
    theta = net.params
    g = np.zeros_like(theta)
    for j in range(theta.size):
        old = theta[j]
        theta[j] = old + H
        up = loss_with_masks(net, X, y, masks)
        theta[j] = old - H
        down = loss_with_masks(net, X, y, masks)
        theta[j] = old
        g[j] = (up - down) / (2 * H)
    return g


def assert_close(analytic: np.ndarray, numeric: np.ndarray) -> None:
    err = np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), FLOOR)
    worst = int(np.argmax(err))
    assert err[worst] < RTOL, (f"entry {worst}: analytic {analytic[worst]!r}, "
                               f"numeric {numeric[worst]!r}, relative error {err[worst]:.2e}")
    assert np.abs(numeric).max() > 1e-3  # the check is not comparing zeros with zeros


def hidden_z(net: Network, X: np.ndarray) -> np.ndarray:
    net.forward(X)
    return np.concatenate([layer.z.ravel() for layer in net.layers[:-1]])  # type: ignore[union-attr]


@pytest.mark.parametrize("reg", ["none", "l1", "l2"])
@pytest.mark.parametrize("pair", sorted(ALLOWED))
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_backprop_equals_finite_differences(activation: str, pair: tuple[str, str],
                                            reg: str) -> None:
    output, loss = pair
    n_out = 1 if output == "sigmoid" else 3
    net = Network([3, 4, 3, n_out], activation=activation, output=output, loss=loss,
                   init="uniform", seed=9, dtype="float64",
                   l1=0.01 if reg == "l1" else 0.0, l2=0.05 if reg == "l2" else 0.0)
    net.params += np.random.default_rng(1).normal(0.0, 0.3, net.params.size)  # biases ≠ 0
    X, y = data(output, n_out)
    # Kinks: relu-like functions (and |W| under L1) are not differentiable at 0. This seed puts
    # every hidden z and every weight well away from 0 (asserted here), so a step of h = 1e-5
    # never crosses a kink and the difference quotient sees one smooth piece.
    if activation in KINKED:
        assert np.abs(hidden_z(net, X)).min() > 100 * H
    if reg == "l1":
        assert np.abs(net.params).min() > 10 * H
    loss_value, _ = net.loss_and_gradients(X, y)
    analytic = net.grads.copy()
    assert loss_value == pytest.approx(loss_with_masks(net, X, y), rel=1e-12)
    assert_close(analytic, numerical_gradient(net, X, y))


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_dropout_backward_uses_the_forward_mask(activation: str) -> None:
    net = Network([3, 6, 5, 3], activation=activation, output="softmax", dropout=0.5,
                  init="uniform", seed=2, dtype="float64")
    net.params += np.random.default_rng(3).normal(0.0, 0.3, net.params.size)
    X, y = data("softmax", 3, n=8)
    z = net.forward(X, training=True)
    masks = [layer.mask for layer in net.layers]
    assert masks[0] is not None and masks[1] is not None and masks[-1] is None
    assert (masks[0] == 0).any() and (masks[0] > 0).any()  # some units dropped, some kept
    _, dz, _ = loss_forward_backward(net.output, net.loss, z, y)  # type: ignore[arg-type]
    net.backward(dz)
    analytic = net.grads.copy()
    if activation == "relu":
        assert np.abs(hidden_z(net, X)).min() > 100 * H  # no kink within reach (see above)
    assert_close(analytic, numerical_gradient(net, X, y, masks))
    # a unit dropped for every sample sends no gradient to its incoming weights
    dead = np.flatnonzero((masks[0] == 0).all(axis=0))
    if dead.size:
        assert not net.layers[0].dW[dead].any() and not net.layers[0].db[dead].any()


def test_frozen_layer_gets_no_gradient_and_the_layers_below_still_do() -> None:
    net = Network([3, 4, 4, 3], activation="tanh", output="softmax", init="uniform", seed=4,
                  dtype="float64", l2=0.01)
    X, y = data("softmax", 3)
    net.loss_and_gradients(X, y)
    assert net.layers[1].dW.any()
    net.freeze(1)
    net.loss_and_gradients(X, y)
    assert not net.layers[1].dW.any() and not net.layers[1].db.any()
    numeric = numerical_gradient(net, X, y)
    mid = net.layers[1]
    s, e = mid.offset, mid.offset + mid.size
    assert_close(np.delete(net.grads, np.s_[s:e]), np.delete(numeric, np.s_[s:e]))


def test_nothing_below_the_lowest_trainable_layer_is_computed() -> None:
    net = Network([3, 4, 4, 3], activation="tanh", output="softmax", init="uniform", seed=4,
                  dtype="float64")
    X, y = data("softmax", 3)
    net.loss_and_gradients(X, y)  # fills every layer's da, dz, dW, db
    net.freeze(0)
    net.freeze(1)

    def must_not_run(z: np.ndarray, a: np.ndarray, da: np.ndarray) -> np.ndarray:
        raise AssertionError("backward went below the lowest trainable layer")

    for layer in net.layers[:2]:
        layer.act = Activation(layer.act.name, "", "", layer.act.forward, must_not_run)
    net.loss_and_gradients(X, y)
    for layer in net.layers[:2]:
        assert not layer.dW.any() and not layer.db.any()
        assert layer.da is None and layer.dz is None  # no stale values from an earlier pass
    top = net.layers[2]
    numeric = numerical_gradient(net, X, y)
    assert_close(net.grads[top.offset:], numeric[top.offset:])


def test_everything_frozen_computes_no_gradient() -> None:
    net = Network([3, 4, 3], seed=1, dtype="float64")
    X, y = data("softmax", 3)
    # Network.freeze keeps one layer trainable; the layers' own flags reach the all-frozen state
    net.layers[0].freeze()
    net.layers[1].freeze()
    loss, _ = net.loss_and_gradients(X, y)
    assert np.isfinite(loss) and not net.grads.any()


@pytest.mark.parametrize("pair", sorted(ALLOWED))
def test_losses_are_stable_at_logits_of_1000(pair: tuple[str, str]) -> None:
    output, loss = pair
    with np.load(FIXTURES / "losses.npz") as f:
        key = f"{output}__{loss}__extreme"
        z, y, L_ref, dz_ref = f[f"{key}__z"], f[f"{key}__y"], f[f"{key}__loss"], f[f"{key}__dz"]
    assert np.abs(z).max() == 1000.0
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        L, dz, p = loss_forward_backward(output, loss, z.copy(), y.copy())
    assert np.isfinite(L) and np.isfinite(dz).all() and np.isfinite(p).all()
    np.testing.assert_allclose(L, L_ref, rtol=1e-9)  # torch's value
    np.testing.assert_allclose(dz, dz_ref, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("output", ["softmax", "sigmoid"])
def test_saturated_network_trains_on_finite_numbers(output: str) -> None:
    """A network whose logits reach ±1000 still gives a finite loss and finite gradients."""
    n_out = 1 if output == "sigmoid" else 3
    net = Network([3, 4, n_out], activation="tanh", output=output, seed=0, dtype="float64")
    net.layers[-1].W[...] = 1000.0 * np.sign(net.layers[-1].W)
    X, y = data(output, n_out)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, _ = net.loss_and_gradients(X, y)
    assert np.abs(net.layers[-1].z).max() > 500  # type: ignore[union-attr]
    assert np.isfinite(loss) and np.isfinite(net.grads).all()
