"""Write the PyTorch reference values the engine's tests compare against.

    .venv/bin/python scripts/make_fixtures.py        # rewrites tests/engine/fixtures/*.npz

The tests only read the .npz files (no torch at test time). Everything is float64 and seeded,
so running this again gives the same numbers.

* activations.npz  for every activation: a = f(z) and f'(z) at fixed points z.
* losses.npz       for every allowed (output, loss): L and dL/dz on fixed logits and targets,
                   ordinary ones ("normal") and logits of ±1000 ("extreme").
* trajectories.npz for every optimizer setting: 100 steps of a 3-5-4-3 tanh/softmax network
                   on fixed mini-batches, from the engine's own initial weights: the weights at
                   a few checkpoints ("{name}__params", one row per checkpoint, flattened as
                   "0.weight" row by row, "0.bias", "1.weight", ...) and the loss of every step
                   (data loss + regularization penalty, "{name}__loss").

Key mapping. The engine's state_dict has "{i}.weight" (out, in) and "{i}.bias" (out,) for
dense layer i. The torch model is nn.Sequential(Linear, Tanh, Linear, Tanh, Linear), where
the activations take positions too, so engine layer i is torch module 2·i:
"{i}.weight" ↔ "{2i}.weight" and "{i}.bias" ↔ "{2i}.bias". The fixtures use the engine's keys.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.activations import ACTIVATIONS  # noqa: E402
from engine.losses import ALLOWED  # noqa: E402
from engine.network import Network  # noqa: E402

OUT = ROOT / "tests" / "engine" / "fixtures"

# ------------------------------------------------------------------ activations
ACT_POINTS = np.concatenate([np.linspace(-4.0, 4.0, 33), [-30.0, -10.0, -1e-3, 1e-3, 10.0, 30.0]])

TORCH_ACT: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "linear": lambda z: z,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: nn.functional.leaky_relu(z, 0.01),
    "elu": lambda z: nn.functional.elu(z, 1.0),
    "gelu": lambda z: nn.functional.gelu(z, approximate="tanh"),
    "silu": nn.functional.silu,
    "sin": torch.sin,
}


def activations() -> dict[str, np.ndarray]:
    assert set(TORCH_ACT) == set(ACTIVATIONS), "a new activation needs its torch twin here"
    out = {"z": ACT_POINTS}
    for name, f in TORCH_ACT.items():
        z = torch.tensor(ACT_POINTS, dtype=torch.float64, requires_grad=True)
        a = f(z)
        (d,) = torch.autograd.grad(a.sum(), z)  # f'(z), element by element
        out[f"{name}__a"] = a.detach().numpy()
        out[f"{name}__d"] = d.numpy()
    return out


# ----------------------------------------------------------------------- losses
def loss_inputs(output: str, kind: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Logits z (N, K) and targets y as the engine takes them."""
    k = 1 if output == "sigmoid" else 3
    n = 5
    if kind == "normal":
        z = rng.normal(0.0, 2.0, (n, k))
    else:  # ±1000 and mixtures of them: exp would overflow in a naive formula
        z = rng.choice([-1000.0, 1000.0, 0.0, 999.0], (n, k))
        z[0] = 1000.0
        z[1] = -1000.0
    if output == "softmax":
        y = rng.integers(0, k, n).astype(np.int64)
        y[0] = 1 if k > 1 else 0  # not the largest logit of row 0: the loss is large
    elif output == "sigmoid":
        y = rng.integers(0, 2, n).astype(np.float64)
        y[0], y[1] = 0.0, 1.0  # confidently wrong at ±1000
    else:
        y = rng.normal(0.0, 1.0, (n, k))
    return z, y


def torch_loss(output: str, loss: str, z: torch.Tensor, y: np.ndarray) -> torch.Tensor:
    n, k = z.shape
    if output == "softmax" and loss == "cross_entropy":
        return nn.functional.cross_entropy(z, torch.from_numpy(y))
    if output == "sigmoid" and loss == "cross_entropy":
        return nn.functional.binary_cross_entropy_with_logits(
            z, torch.from_numpy(y).reshape(n, k))
    if output == "softmax":
        t = nn.functional.one_hot(torch.from_numpy(y), k).double()
        return nn.functional.mse_loss(torch.softmax(z, dim=1), t)
    if output == "sigmoid":
        return nn.functional.mse_loss(torch.sigmoid(z), torch.from_numpy(y).reshape(n, k))
    return nn.functional.mse_loss(z, torch.from_numpy(y).reshape(n, k))


def losses() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    out: dict[str, np.ndarray] = {}
    for output, loss in sorted(ALLOWED):
        for kind in ("normal", "extreme"):
            z_np, y = loss_inputs(output, kind, rng)
            z = torch.tensor(z_np, requires_grad=True)
            L = torch_loss(output, loss, z, y)
            (dz,) = torch.autograd.grad(L, z)
            key = f"{output}__{loss}__{kind}"
            out[f"{key}__z"] = z_np
            out[f"{key}__y"] = y
            out[f"{key}__loss"] = np.array(L.item())
            out[f"{key}__dz"] = dz.numpy()
    return out


# ------------------------------------------------------------------ trajectories
SIZES = [3, 5, 4, 3]
STEPS = 100
BATCH = 6
N_BATCHES = 4
CHECKPOINTS = (1, 10, 50, 100)
SEED = 3

# name -> (phases, network options). A phase is (first step, optimizer name, its hyperparameters
# in torch.optim's names, "new" to build a fresh optimizer or "set" to change the running
# one's hyperparameters). Every name here is also a torch.optim class.
TRAJECTORIES: dict[str, tuple[list[tuple[int, str, dict[str, Any], str]], dict[str, Any]]] = {
    "sgd": ([(0, "sgd", {"lr": 0.1}, "new")], {}),
    "sgd_momentum": ([(0, "sgd", {"lr": 0.05, "momentum": 0.9}, "new")], {}),
    "sgd_momentum_dampening": ([(0, "sgd", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3},
                                 "new")], {}),
    "sgd_nesterov": ([(0, "sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, "new")], {}),
    "sgd_weight_decay": ([(0, "sgd", {"lr": 0.1, "weight_decay": 0.05}, "new")], {}),
    "rmsprop": ([(0, "rmsprop", {"lr": 0.01}, "new")], {}),
    "rmsprop_momentum_centered": ([(0, "rmsprop", {"lr": 0.005, "momentum": 0.9,
                                                   "centered": True}, "new")], {}),
    "rmsprop_weight_decay": ([(0, "rmsprop", {"lr": 0.01, "alpha": 0.9, "weight_decay": 0.01},
                               "new")], {}),
    "adam": ([(0, "adam", {"lr": 0.01}, "new")], {}),
    "adam_betas": ([(0, "adam", {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6}, "new")], {}),
    "adam_weight_decay": ([(0, "adam", {"lr": 0.01, "weight_decay": 0.01}, "new")], {}),
    "adamw": ([(0, "adamw", {"lr": 0.01, "weight_decay": 0.1}, "new")], {}),
    "adagrad": ([(0, "adagrad", {"lr": 0.1}, "new")], {}),
    "adagrad_decay": ([(0, "adagrad", {"lr": 0.1, "lr_decay": 0.01,
                                       "initial_accumulator_value": 0.1}, "new")], {}),
    # a hyperparameter changed at step 50, the optimizer's state kept
    "adam_lr_change": ([(0, "adam", {"lr": 0.01}, "new"), (50, "adam", {"lr": 0.002}, "set")],
                       {}),
    "sgd_momentum_lr_change": ([(0, "sgd", {"lr": 0.05, "momentum": 0.9}, "new"),
                                (50, "sgd", {"lr": 0.2}, "set")], {}),
    # the optimizer switched at step 50: same weights, a fresh optimizer
    "sgd_then_adam": ([(0, "sgd", {"lr": 0.05, "momentum": 0.9}, "new"),
                       (50, "adam", {"lr": 0.01}, "new")], {}),
    # regularization in the loss: l1·Σ|W| + l2/2·Σ W² over the weights
    "sgd_l2": ([(0, "sgd", {"lr": 0.1, "momentum": 0.5}, "new")], {"l2": 0.01}),
    "adam_l1": ([(0, "adam", {"lr": 0.01}, "new")], {"l1": 0.001}),
    # layer 0 frozen from the start
    "adam_frozen0": ([(0, "adam", {"lr": 0.01}, "new")], {"frozen": [0]}),
}

TORCH_OPT = {"sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam,
             "adamw": torch.optim.AdamW, "adagrad": torch.optim.Adagrad}


def trajectory_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    X = rng.normal(0.0, 1.0, (BATCH * N_BATCHES, SIZES[0]))
    y = rng.integers(0, SIZES[-1], BATCH * N_BATCHES).astype(np.int64)
    return X, y


def torch_model(state: dict[str, np.ndarray]) -> nn.Sequential:
    mods: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:], strict=True)):
        mods.append(nn.Linear(n_in, n_out))
        if i < len(SIZES) - 2:
            mods.append(nn.Tanh())
    model = nn.Sequential(*mods).double()
    with torch.no_grad():
        for i in range(len(SIZES) - 1):  # engine "{i}.weight" is torch "{2i}.weight"
            model[2 * i].weight.copy_(torch.from_numpy(state[f"{i}.weight"]))
            model[2 * i].bias.copy_(torch.from_numpy(state[f"{i}.bias"]))
    return model


def run_torch(name: str, init: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray
              ) -> dict[str, np.ndarray]:
    phases, opts = TRAJECTORIES[name]
    model = torch_model(init)
    linears = [model[2 * i] for i in range(len(SIZES) - 1)]
    for i in opts.get("frozen", []):
        linears[i].weight.requires_grad_(False)
        linears[i].bias.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    l1, l2 = opts.get("l1", 0.0), opts.get("l2", 0.0)
    opt: torch.optim.Optimizer | None = None
    checkpoints = []
    losses = np.zeros(STEPS)
    for t in range(STEPS):
        for start, oname, hyper, how in phases:
            if start == t:
                if how == "new":
                    opt = TORCH_OPT[oname](params, **hyper)
                else:
                    assert opt is not None
                    for group in opt.param_groups:
                        group.update(hyper)
        assert opt is not None
        s = (t % N_BATCHES) * BATCH
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model(Xt[s:s + BATCH]), yt[s:s + BATCH])
        penalty = sum(l1 * lin.weight.abs().sum() + 0.5 * l2 * (lin.weight**2).sum()
                      for lin in linears)
        total = loss + penalty
        total.backward()
        opt.step()
        losses[t] = total.item()
        if t + 1 in CHECKPOINTS:
            checkpoints.append(flatten({f"{i}.{kind}": getattr(lin, kind).detach().numpy()
                                        for i, lin in enumerate(linears)
                                        for kind in ("weight", "bias")}))
    return {f"{name}__params": np.stack(checkpoints), f"{name}__loss": losses}


def flatten(state: dict[str, np.ndarray]) -> np.ndarray:
    """One vector: "0.weight" row by row, "0.bias", "1.weight", ... (the layout of net.params)."""
    n = len(SIZES) - 1
    return np.concatenate([state[f"{i}.{kind}"].ravel() for i in range(n)
                           for kind in ("weight", "bias")])


def trajectories() -> dict[str, np.ndarray]:
    net = Network(SIZES, activation="tanh", output="softmax", init="xavier", seed=SEED,
                  dtype="float64")
    init = net.state_dict()
    X, y = trajectory_data()
    out: dict[str, np.ndarray] = {"X": X, "y": y, "sizes": np.array(SIZES),
                                  "batch": np.array(BATCH), "steps": np.array(STEPS),
                                  "checkpoints": np.array(CHECKPOINTS),
                                  "seed": np.array(SEED), "n_batches": np.array(N_BATCHES),
                                  "spec": np.array(json.dumps(TRAJECTORIES))}
    out["init"] = flatten(init)
    for name in TRAJECTORIES:
        out.update(run_torch(name, init, X, y))
    return out


def main() -> None:
    torch.manual_seed(0)
    OUT.mkdir(parents=True, exist_ok=True)
    for fname, make in (("activations", activations), ("losses", losses),
                        ("trajectories", trajectories)):
        arrays = make()
        path = OUT / f"{fname}.npz"
        np.savez_compressed(path, **arrays)
        print(f"{path.relative_to(ROOT)}: {len(arrays)} arrays, {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
