"""The network's structure: shapes, seeds, initialization, dropout, state, freezing, updates."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engine.network import Network
from engine.optim import OPTIMIZERS, make_optimizer

# every optimizer, with the options that add state or change the rule switched on
OPTIMIZER_SETTINGS: list[tuple[str, dict[str, Any]]] = [
    ("sgd", {"lr": 0.1}),
    ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("rmsprop", {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.01}),
    ("adam", {"lr": 0.01, "weight_decay": 0.01}),
    ("adamw", {"lr": 0.01}),
    ("adagrad", {"lr": 0.1, "lr_decay": 0.01}),
]


def batch(n: int = 16, n_in: int = 4, k: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n_in)), rng.integers(0, k, n)


def test_every_optimizer_is_covered() -> None:
    assert {name for name, _ in OPTIMIZER_SETTINGS} == set(OPTIMIZERS)


# ------------------------------------------------------------------- shapes
def test_shapes_follow_torch_linear() -> None:
    net = Network([4, 8, 5, 3], seed=0)
    assert [layer.W.shape for layer in net.layers] == [(8, 4), (5, 8), (3, 5)]
    assert [layer.b.shape for layer in net.layers] == [(8,), (5,), (3,)]
    assert net.n_params == net.params.size == 4 * 8 + 8 + 8 * 5 + 5 + 5 * 3 + 3
    assert net.grads.shape == net.update.shape == net.params.shape
    for layer in net.layers:  # W, b, dW, db, updates are views into the flat buffers
        assert np.shares_memory(layer.W, net.params) and np.shares_memory(layer.b, net.params)
        assert np.shares_memory(layer.dW, net.grads) and np.shares_memory(layer.db, net.grads)
        assert np.shares_memory(layer.dW_update, net.update)
    X, _ = batch(7)
    z = net.forward(X)
    assert z.shape == (7, 3)
    assert [layer.z.shape for layer in net.layers] == [(7, 8), (7, 5), (7, 3)]  # type: ignore[union-attr]
    p = net.predict(X)
    assert p.shape == (7, 3)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)


def test_forward_reads_z_equals_W_x_plus_b() -> None:
    net = Network([4, 6, 3], activation="tanh", seed=1)
    net.params[:] = np.random.default_rng(0).normal(size=net.n_params)
    X, _ = batch(5)
    l0, l1 = net.layers
    expected = np.stack([l1.W @ np.tanh(l0.W @ x + l0.b) + l1.b for x in X])
    np.testing.assert_allclose(net.forward(X), expected, rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_training_step_keeps_the_dtype(dtype: str) -> None:
    net = Network([4, 8, 3], activation="relu", dtype=dtype, dropout=0.2, seed=0)
    X, y = batch()
    net.forward_backward(X.astype(dtype), y, True)
    opt = make_optimizer("adam")
    opt.step(net)
    arrays = [net.params, net.grads, net.update, *opt.state.values()]
    for layer in net.layers:
        arrays += [layer.z, layer.a, layer.dz]
    assert all(a.dtype == np.dtype(dtype) for a in arrays)


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"sizes": [3]}, "sizes"),
    ({"sizes": [3, 0, 2]}, "sizes"),
    ({"sizes": [3, 2], "activation": "swish"}, "'swish'"),
    ({"sizes": [3, 2], "output": "tanh"}, "'tanh'"),
    ({"sizes": [3, 2], "output": "linear", "loss": "cross_entropy"}, "cross_entropy"),
    ({"sizes": [3, 2], "init": "orthogonal"}, "'orthogonal'"),
    ({"sizes": [3, 2], "dropout": 0.95}, "dropout"),
    ({"sizes": [3, 2], "dtype": "float16"}, "float16"),
])
def test_bad_arguments_are_named(kwargs: dict[str, Any], needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        Network(**kwargs)


# ------------------------------------------------------------------- seeds
def test_same_seed_same_network_and_same_dropout() -> None:
    X, y = batch()
    runs = []
    for _ in range(2):
        net = Network([4, 8, 3], dropout=0.5, seed=7)
        opt = make_optimizer("sgd", lr=0.1)
        for _ in range(5):
            net.forward_backward(X, y, True)
            opt.step(net)
        runs.append((net.params.copy(), net.layers[0].mask.copy()))  # type: ignore[union-attr]
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    other = Network([4, 8, 3], dropout=0.5, seed=8)
    assert not np.array_equal(other.params, Network([4, 8, 3], dropout=0.5, seed=7).params)


# -------------------------------------------------------------------- init
def test_xavier_uniform_bounds() -> None:
    net = Network([300, 200, 10], init="xavier", seed=0)
    W = net.layers[0].W
    limit = np.sqrt(6.0 / (300 + 200))
    assert np.abs(W).max() <= limit
    assert np.abs(W).max() > 0.99 * limit  # the whole range is used
    assert W.std() == pytest.approx(limit / np.sqrt(3.0), rel=0.02)  # uniform's std
    assert not net.layers[0].b.any()


def test_he_normal_std() -> None:
    net = Network([400, 300, 10], init="he", seed=0)
    W = net.layers[0].W
    assert W.std() == pytest.approx(np.sqrt(2.0 / 400), rel=0.02)
    assert abs(W.mean()) < 0.01 * np.sqrt(2.0 / 400) * 10
    assert not net.layers[0].b.any()


def test_uniform_range() -> None:
    W = Network([100, 100, 2], init="uniform", seed=0).layers[0].W
    assert W.min() >= -0.5 and W.max() <= 0.5
    assert W.min() < -0.49 and W.max() > 0.49


def test_zeros_init_keeps_hidden_units_identical() -> None:
    """Symmetry: units that start equal get equal gradients, so they never become different."""
    net = Network([4, 6, 5, 3], activation="sigmoid", init="zeros", seed=0)
    assert not net.params.any()
    X, y = batch()
    opt = make_optimizer("sgd", lr=0.5)
    for _ in range(30):
        net.forward_backward(X, y, True)
        opt.step(net)
    assert net.layers[-1].W.any()  # it did learn something
    for layer in net.layers[:-1]:  # equal up to the order BLAS happens to sum in
        np.testing.assert_allclose(layer.W, np.broadcast_to(layer.W[0], layer.W.shape),
                                   rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(layer.b, np.full_like(layer.b, layer.b[0]), rtol=1e-12,
                                   atol=1e-15)
        assert np.abs(layer.W).max() > 1e-4  # the hidden weights moved, together


# ----------------------------------------------------------------- dropout
def test_dropout_is_inverted_and_the_mask_is_kept() -> None:
    p = 0.3
    net = Network([20, 400, 3], activation="tanh", dropout=p, seed=0)
    X, _ = batch(200, n_in=20)
    net.forward(X, training=True)
    hidden, out = net.layers
    mask = hidden.mask
    assert mask is not None and mask.shape == (200, 400)
    keep = 1.0 - p
    assert set(np.unique(mask)) <= {0.0, np.float64(1.0) / keep}
    assert (mask == 0).mean() == pytest.approx(p, abs=0.01)
    assert mask.mean() == pytest.approx(1.0, abs=0.01)  # E[mask] = 1: test time needs no scaling
    np.testing.assert_array_equal(out.x, hidden.a * mask)  # the next layer sees a ⊙ mask
    assert out.mask is None  # never on the output layer


def test_dropout_is_off_when_not_training() -> None:
    X, _ = batch()
    net = Network([4, 16, 3], dropout=0.5, seed=0)
    net.forward(X, training=True)
    z1 = net.forward(X).copy()
    z2 = net.forward(X, training=False).copy()
    assert all(layer.mask is None for layer in net.layers)
    np.testing.assert_array_equal(z1, z2)
    plain = Network([4, 16, 3], dropout=0.0, seed=0)
    np.testing.assert_array_equal(z1, plain.forward(X))


# ------------------------------------------------------------------- state
def test_state_dict_round_trip() -> None:
    a = Network([4, 8, 3], seed=0)
    b = Network([4, 8, 3], seed=1)
    sd = a.state_dict()
    assert list(sd) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert sd["0.weight"].shape == (8, 4) and sd["1.bias"].shape == (3,)
    sd["0.weight"][0, 0] += 1.0  # a copy: the network is not changed through it
    assert a.layers[0].W[0, 0] != sd["0.weight"][0, 0]
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a.params, b.params)
    X, _ = batch()
    np.testing.assert_array_equal(a.forward(X), b.forward(X))


def test_load_state_dict_names_the_bad_key() -> None:
    net = Network([4, 8, 3], seed=0)
    sd = net.state_dict()
    del sd["1.bias"]
    with pytest.raises(ValueError, match="1.bias"):
        net.load_state_dict(sd)
    sd = net.state_dict()
    sd["0.weight"] = np.zeros((4, 8))
    with pytest.raises(ValueError, match=r"0\.weight.*\(4, 8\)"):
        net.load_state_dict(sd)


def test_replace_output_keeps_other_weights_and_frozen_flags() -> None:
    net = Network([4, 8, 6, 10], seed=0)
    net.freeze(0)
    before = net.state_dict()
    net.replace_output(2, output="sigmoid")
    assert net.sizes == [4, 8, 6, 2]
    assert net.output == "sigmoid" and net.loss == "cross_entropy"
    after = net.state_dict()
    for key in ("0.weight", "0.bias", "1.weight", "1.bias"):
        np.testing.assert_array_equal(after[key], before[key])
    assert after["2.weight"].shape == (2, 6)
    assert [layer.trainable for layer in net.layers] == [False, True, True]
    for layer in net.layers:  # the new buffers are still what the layers view
        assert np.shares_memory(layer.W, net.params)
    X, _ = batch()
    assert net.predict(X).shape == (16, 2)


def test_optimizer_starts_afresh_after_replace_output() -> None:
    """A new layout (even of the same size) gets fresh optimizer state: the old head's running
    averages do not carry over to the new head."""
    X, y = batch()
    net = Network([4, 8, 3], seed=0)
    opt = make_optimizer("adam", lr=0.01)
    for _ in range(3):
        net.forward_backward(X, y, True)
        opt.step(net)
    net.replace_output(3)
    twin = Network([4, 8, 3], seed=0)
    twin.load_state_dict(net.state_dict())
    fresh = make_optimizer("adam", lr=0.01)
    for model, o in ((net, opt), (twin, fresh)):
        model.forward_backward(X, y, True)
        o.step(model)
    np.testing.assert_array_equal(net.params, twin.params)
    assert opt.t == fresh.t == 1


def test_replace_output_validates() -> None:
    net = Network([4, 8, 3], seed=0)
    with pytest.raises(ValueError, match="n_outputs"):
        net.replace_output(0)
    with pytest.raises(ValueError, match="'relu'"):
        net.replace_output(2, output="relu")


# ------------------------------------------------------------------ freeze
@pytest.mark.parametrize(("name", "hyper"), OPTIMIZER_SETTINGS)
@pytest.mark.parametrize("frozen", [[0], [1], [0, 2]])
def test_frozen_layers_are_bit_for_bit_unchanged(name: str, hyper: dict[str, Any],
                                                 frozen: list[int]) -> None:
    net = Network([4, 8, 6, 3], activation="relu", dropout=0.2, l1=1e-3, l2=1e-3, seed=0)
    for i in frozen:
        net.freeze(i)
    before = net.state_dict()
    opt = make_optimizer(name, **hyper)
    X, y = batch()
    for _ in range(50):
        net.forward_backward(X, y, True)
        opt.step(net)
    after = net.state_dict()
    for i in range(3):
        for key in (f"{i}.weight", f"{i}.bias"):
            if i in frozen:
                assert np.array_equal(after[key], before[key]), key
            else:
                assert not np.array_equal(after[key], before[key]), key
    for i in frozen:  # no gradient, no update and no optimizer state in a frozen layer
        layer = net.layers[i]
        s, e = layer.offset, layer.offset + layer.size
        assert not net.grads[s:e].any() and not net.update[s:e].any()
        assert not any(v[s:e].any() for v in opt.state.values()
                       if name != "adagrad" or hyper.get("initial_accumulator_value"))


def test_unfreeze_resumes_training() -> None:
    net = Network([4, 8, 3], seed=0)
    net.freeze(0)
    X, y = batch()
    opt = make_optimizer("sgd", lr=0.1)
    net.forward_backward(X, y, True)
    opt.step(net)
    W0 = net.layers[0].W.copy()
    net.unfreeze(0)
    net.forward_backward(X, y, True)
    opt.step(net)
    assert not np.array_equal(net.layers[0].W, W0)


def test_freeze_index_out_of_range() -> None:
    with pytest.raises(IndexError, match="layers 0..1"):
        Network([4, 8, 3]).freeze(2)


# ------------------------------------------------------------------ update
@pytest.mark.parametrize(("name", "hyper"), OPTIMIZER_SETTINGS)
def test_update_buffer_is_the_change_of_the_parameters(name: str, hyper: dict[str, Any]) -> None:
    net = Network([4, 8, 3], activation="tanh", seed=0)
    opt = make_optimizer(name, **hyper)
    X, y = batch()
    for _ in range(5):
        net.forward_backward(X, y, True)
        before = net.params.copy()
        opt.step(net)
        assert net.update.any()
        np.testing.assert_allclose(net.update, net.params - before, rtol=0, atol=1e-15)
        for layer in net.layers:
            s = layer.offset
            np.testing.assert_array_equal(layer.dW_update.ravel(),
                                          net.update[s:s + layer.W.size])


def test_step_update_does_not_apply() -> None:
    net = Network([4, 8, 3], seed=0)
    opt = make_optimizer("adam")
    X, y = batch()
    net.forward_backward(X, y, True)
    before = net.params.copy()
    opt.step_update(net)
    np.testing.assert_array_equal(net.params, before)
    assert net.update.any()
    opt.apply(net)
    np.testing.assert_allclose(net.params, before + net.update, rtol=0, atol=0)


def test_step_takes_gradients_keyed_like_the_state_dict() -> None:
    net = Network([4, 8, 3], seed=0)
    opt = make_optimizer("sgd", lr=0.5)
    grads = {k: np.ones_like(v) for k, v in net.state_dict().items()}
    before = net.params.copy()
    opt.step(net, grads)
    np.testing.assert_allclose(net.params, before - 0.5)


def test_unknown_optimizer_and_hyperparameter_are_named() -> None:
    with pytest.raises(ValueError, match="'lbfgs'.*allowed: sgd"):
        make_optimizer("lbfgs")
    with pytest.raises(ValueError, match="beta1.*allowed: lr"):
        make_optimizer("adam", beta1=0.9)


def test_optimizer_moved_to_another_network_starts_afresh() -> None:
    X, y = batch()
    a, b = Network([4, 8, 3], seed=0), Network([4, 8, 3], seed=1)
    opt = make_optimizer("adam", lr=0.01)
    a.forward_backward(X, y, True)
    opt.step(a)
    a_params = a.params.copy()
    b.forward_backward(X, y, True)
    opt.step(b)
    np.testing.assert_array_equal(a.params, a_params)  # the first network is left alone
    twin = Network([4, 8, 3], seed=1)
    twin.forward_backward(X, y, True)
    make_optimizer("adam", lr=0.01).step(twin)
    np.testing.assert_array_equal(b.params, twin.params)


@pytest.mark.parametrize("y, message", [
    (np.array([0, 3]), "class indices 0..2"),
    (np.array([0, -1]), "class indices 0..2"),
    (np.array([0.5, 1.0]), "class indices 0..2"),
    (np.array([0]), "y has 1 rows but X has 2"),
])
def test_loss_and_gradients_names_bad_labels(y: np.ndarray, message: str) -> None:
    net = Network([2, 4, 3], output="softmax", seed=0)
    with pytest.raises(ValueError, match=message):
        net.loss_and_gradients(np.zeros((2, 2)), y)


def test_loss_and_gradients_names_bad_shapes_and_binary_targets() -> None:
    net = Network([2, 4, 1], output="sigmoid", seed=0)
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        net.loss_and_gradients(np.zeros((2, 3)), np.array([0, 1]))
    with pytest.raises(ValueError, match="0 or 1"):
        net.loss_and_gradients(np.zeros((2, 2)), np.array([0, 2]))
