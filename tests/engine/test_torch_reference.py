"""The engine against PyTorch: activations, losses and 100-step optimizer trajectories.

The reference numbers come from scripts/make_fixtures.py (run with torch) and live in
tests/engine/fixtures/*.npz; this file needs no torch. Everything is float64 and must agree to
1e-9.

Key mapping: the engine's state_dict keys are "{i}.weight" and "{i}.bias" for dense layer i;
in the reference torch model, nn.Sequential(Linear, Tanh, Linear, Tanh, Linear), the same layer
is module 2·i ("{2i}.weight", "{2i}.bias"), because the activations take positions too. The
fixtures store the weights flattened in the engine's layout: "0.weight" row by row, "0.bias",
"1.weight", ... which is also the layout of ``net.params``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine.activations import ACTIVATIONS
from engine.losses import ALLOWED, loss_forward_backward
from engine.network import Network
from engine.optim import OPTIMIZERS, make_optimizer

FIXTURES = Path(__file__).parent / "fixtures"
TOL = 1e-9


def load(name: str) -> dict[str, Any]:
    with np.load(FIXTURES / f"{name}.npz") as f:
        return {k: f[k] for k in f.files}


ACT = load("activations")
LOSS = load("losses")
TRAJ = load("trajectories")
SPEC: dict[str, Any] = json.loads(str(TRAJ["spec"]))


def test_fixtures_cover_every_activation_loss_and_optimizer() -> None:
    assert {k.split("__")[0] for k in ACT if "__" in k} == set(ACTIVATIONS)
    assert {tuple(k.split("__")[:2]) for k in LOSS} == ALLOWED
    used = {phase[1] for phases, _ in SPEC.values() for phase in phases}
    assert used == set(OPTIMIZERS)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_torch(name: str) -> None:
    z = ACT["z"]
    act = ACTIVATIONS[name]
    a = act.forward(z.copy())
    np.testing.assert_allclose(a, ACT[f"{name}__a"], rtol=TOL, atol=1e-12)
    d = act.backward(z.copy(), a, np.ones_like(z))  # dL/da = 1 gives f'(z)
    np.testing.assert_allclose(d, ACT[f"{name}__d"], rtol=TOL, atol=1e-12)


@pytest.mark.parametrize("kind", ["normal", "extreme"])
@pytest.mark.parametrize("pair", sorted(ALLOWED))
def test_loss_and_gradient_match_torch(pair: tuple[str, str], kind: str) -> None:
    output, loss = pair
    key = f"{output}__{loss}__{kind}"
    z, y = LOSS[f"{key}__z"], LOSS[f"{key}__y"]
    L, dz, p = loss_forward_backward(output, loss, z.copy(), y.copy())
    assert np.isfinite(L) and np.isfinite(dz).all() and np.isfinite(p).all()
    np.testing.assert_allclose(L, LOSS[f"{key}__loss"], rtol=TOL, atol=1e-12)
    np.testing.assert_allclose(dz, LOSS[f"{key}__dz"], rtol=TOL, atol=1e-12)


def unflatten(flat: np.ndarray, sizes: list[int]) -> dict[str, np.ndarray]:
    """The inverse of the fixture layout: "{i}.weight" (out, in) and "{i}.bias" (out,)."""
    d: dict[str, np.ndarray] = {}
    off = 0
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        d[f"{i}.weight"] = flat[off:off + n_out * n_in].reshape(n_out, n_in)
        off += n_out * n_in
        d[f"{i}.bias"] = flat[off:off + n_out]
        off += n_out
    assert off == flat.size
    return d


def run_engine(name: str) -> tuple[np.ndarray, list[dict[str, np.ndarray]]]:
    """The engine's version of one reference trajectory: (loss per step, checkpoint weights)."""
    phases, opts = SPEC[name]
    sizes = [int(s) for s in TRAJ["sizes"]]
    batch, steps = int(TRAJ["batch"]), int(TRAJ["steps"])
    n_batches = int(TRAJ["n_batches"])
    checkpoints = [int(c) for c in TRAJ["checkpoints"]]
    net = Network(sizes, activation="tanh", output="softmax", init="xavier",
                  seed=int(TRAJ["seed"]), dtype="float64", l1=opts.get("l1", 0.0),
                  l2=opts.get("l2", 0.0))
    net.load_state_dict(unflatten(TRAJ["init"], sizes))
    for i in opts.get("frozen", []):
        net.freeze(i)
    X, y = TRAJ["X"], TRAJ["y"]
    opt = None
    losses = np.zeros(steps)
    states = []
    for t in range(steps):
        for start, oname, hyper, how in phases:
            if start != t:
                continue
            hyper = {k: tuple(v) if k == "betas" else v for k, v in hyper.items()}
            if how == "new":
                opt = make_optimizer(oname, **hyper)  # a switch: fresh state, same weights
            else:
                assert opt is not None and opt.name == oname
                for k, v in hyper.items():
                    setattr(opt, k, v)  # a live change: the state is kept
        assert opt is not None
        s = (t % n_batches) * batch
        losses[t], _ = net.loss_and_gradients(X[s:s + batch], y[s:s + batch])
        opt.step(net)
        if t + 1 in checkpoints:
            states.append(net.state_dict())
    return losses, states


@pytest.mark.parametrize("name", sorted(SPEC))
def test_trajectory_matches_torch(name: str) -> None:
    losses, states = run_engine(name)
    np.testing.assert_allclose(losses, TRAJ[f"{name}__loss"], rtol=TOL, atol=TOL)
    sizes = [int(s) for s in TRAJ["sizes"]]
    for step, ours, ref in zip(TRAJ["checkpoints"], states, TRAJ[f"{name}__params"],
                               strict=True):
        for key, expected in unflatten(ref, sizes).items():
            np.testing.assert_allclose(ours[key], expected, rtol=TOL, atol=TOL,
                                       err_msg=f"{name}: {key} after step {step}")


def test_trajectories_move_the_weights() -> None:
    """The reference runs are not trivial: every trainable weight ends far from its start."""
    for name, (_, opts) in SPEC.items():
        moved = np.abs(TRAJ[f"{name}__params"][-1] - TRAJ["init"])
        frozen = opts.get("frozen", [])
        n0 = int(TRAJ["sizes"][0]) * int(TRAJ["sizes"][1]) + int(TRAJ["sizes"][1])
        if frozen == [0]:
            assert moved[:n0].max() == 0.0
            moved = moved[n0:]
        assert moved.max() > 1e-2, name
