"""Optimizers with torch.optim's names and meanings, working on the network's flat buffers.

Each optimizer holds its state (velocity, running averages) as flat arrays in the layout of
``net.params``. ``step(net)`` reads ``net.grads``, writes the update it applies into
``net.update`` (so the page can show "the update actually applied") and adds it to the
parameters. Only the trainable segments are touched: a frozen layer's parameters, gradients and
optimizer state never change. Hyperparameters are plain attributes: change ``opt.lr`` between
two steps and the state is kept.

One known difference from torch.optim: the step count t used by Adam's bias correction and
Adagrad's learning-rate decay is one per optimizer, not one per parameter, so a layer that is
unfrozen mid-run continues with the optimizer's t.

When the network's layout changes (another network, or ``replace_output``), the optimizer starts
afresh: zero state and t = 0, as a newly made optimizer would. Freezing or unfreezing a layer
keeps the state.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .network import Network

Array = np.ndarray


class Optimizer:
    name = "base"
    #: hyperparameter -> default, in torch.optim's names
    defaults: dict[str, Any] = {}
    #: state arrays, each shaped like net.params
    state_names: tuple[str, ...] = ()
    #: formula of the update, for the teaching view
    rule = ""

    def __init__(self, **hyper: Any) -> None:
        unknown = set(hyper) - set(self.defaults)
        if unknown:
            allowed = ", ".join(self.defaults)
            raise ValueError(f"{self.name} has no hyperparameter {', '.join(sorted(unknown))};"
                             f" allowed: {allowed}")
        for key, value in {**self.defaults, **hyper}.items():
            setattr(self, key, value)
        self.t = 0  # steps taken
        self.state: dict[str, Array] = {}
        self._params: Array | None = None  # the parameter buffer the state is laid out for
        self._trainable: list[bool] = []
        self._segs: list[tuple[Array, Array, Array, dict[str, Array]]] = []

    def hyperparameters(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self.defaults}

    def _prepare(self, net: Network) -> None:
        if net.params is not self._params:  # another network or a new layout: start afresh
            self._params = net.params
            self.t = 0
            self.state = {k: np.zeros_like(net.params) for k in self.state_names}
            self._init_state(net)
            self._trainable = []
        trainable = [layer.trainable for layer in net.layers]
        if trainable != self._trainable:  # views of the trainable ranges, made once
            self._trainable = trainable
            self._segs = [
                (net.params[s:e], net.grads[s:e], net.update[s:e],
                 {k: v[s:e] for k, v in self.state.items()})
                for s, e in net.trainable_segments()
            ]

    def _init_state(self, net: Network) -> None:
        pass

    def step(self, net: Network, grads: Mapping[str, Array] | None = None) -> None:
        """Apply one update to ``net`` from ``grads`` (keyed like state_dict) or, when None,
        from the gradients the last backward pass left in ``net.grads``."""
        self.step_update(net, grads)
        self.apply(net)

    def step_update(self, net: Network, grads: Mapping[str, Array] | None = None) -> None:
        """Compute the update into ``net.update`` (and advance the state) without applying it,
        so a caller can check it is finite first."""
        self._prepare(net)
        if grads is not None:
            for i, layer in enumerate(net.layers):
                if not layer.trainable:
                    continue  # a frozen layer's gradient slots stay zero
                for key, g in ((f"{i}.weight", layer.dW), (f"{i}.bias", layer.db)):
                    if key in grads and grads[key] is not g:
                        g[...] = grads[key]
        self.t += 1
        for theta, g, upd, st in self._segs:
            self._update(theta, g, upd, st)
        self._after_update()

    def apply(self, net: Network) -> None:
        """Add the computed update to the trainable parameters: w ← w + Δw."""
        for theta, _, upd, _ in self._segs:
            theta += upd

    def _after_update(self) -> None:
        pass

    def _update(self, theta: Array, g: Array, upd: Array, st: dict[str, Array]) -> None:
        """Write the update for parameters theta with gradient g into upd."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        return {"name": self.name, "t": self.t, "hyper": self.hyperparameters(),
                "state": {k: v.copy() for k, v in self.state.items()}}


class SGD(Optimizer):
    lr: float
    momentum: float
    dampening: float
    nesterov: bool
    weight_decay: float
    name = "sgd"
    defaults = {"lr": 0.01, "momentum": 0.0, "dampening": 0.0, "nesterov": False,
                "weight_decay": 0.0}
    state_names = ("momentum_buffer",)
    rule = "v ← μ v + (1 − τ) g;  w ← w − lr · v   (μ = 0: w ← w − lr · g)"

    def _init_state(self, net: Network) -> None:
        self._buf_ready = False

    def _update(self, theta: Array, g: Array, upd: Array, st: dict[str, Array]) -> None:
        if self.weight_decay:
            g = g + self.weight_decay * theta
        if self.momentum:
            buf = st["momentum_buffer"]
            if self._buf_ready:
                buf *= self.momentum
                buf += (1.0 - self.dampening) * g
            else:
                buf[...] = g  # torch starts the buffer at the first gradient
            g = g + self.momentum * buf if self.nesterov else buf
        np.multiply(g, -self.lr, out=upd)

    def _after_update(self) -> None:
        if self.momentum:
            self._buf_ready = True


class RMSprop(Optimizer):
    lr: float
    alpha: float
    eps: float
    weight_decay: float
    momentum: float
    centered: bool
    name = "rmsprop"
    defaults = {"lr": 0.01, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0,
                "centered": False}
    state_names = ("square_avg", "momentum_buffer", "grad_avg")
    rule = "s ← α s + (1 − α) g²;  w ← w − lr · g / (√s + ε)"

    def _update(self, theta: Array, g: Array, upd: Array, st: dict[str, Array]) -> None:
        if self.weight_decay:
            g = g + self.weight_decay * theta
        sq = st["square_avg"]
        sq *= self.alpha
        sq += (1.0 - self.alpha) * g * g
        if self.centered:
            ga = st["grad_avg"]
            ga *= self.alpha
            ga += (1.0 - self.alpha) * g
            avg = np.sqrt(sq - ga * ga)
        else:
            avg = np.sqrt(sq)
        avg += self.eps
        if self.momentum > 0:
            buf = st["momentum_buffer"]
            buf *= self.momentum
            buf += g / avg
            np.multiply(buf, -self.lr, out=upd)
        else:
            np.divide(g, avg, out=upd)
            upd *= -self.lr


class Adam(Optimizer):
    lr: float
    betas: tuple[float, float]
    eps: float
    weight_decay: float
    name = "adam"
    defaults = {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0}
    state_names = ("exp_avg", "exp_avg_sq")
    rule = ("m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;  m̂ = m / (1 − β₁ᵗ);"
            "  v̂ = v / (1 − β₂ᵗ);  w ← w − lr · m̂ / (√v̂ + ε)")
    decoupled = False

    def _update(self, theta: Array, g: Array, upd: Array, st: dict[str, Array]) -> None:
        beta1, beta2 = self.betas
        if self.weight_decay and not self.decoupled:
            g = g + self.weight_decay * theta
        m, v = st["exp_avg"], st["exp_avg_sq"]
        m *= beta1
        m += (1.0 - beta1) * g  # m ← β₁ m + (1 − β₁) g
        v *= beta2
        v += (1.0 - beta2) * (g * g)  # v ← β₂ v + (1 − β₂) g²
        bc1 = 1.0 - beta1**self.t  # bias corrections: divide, as torch does
        root_bc2 = math.sqrt(1.0 - beta2**self.t)
        # lr · m̂ / (√v̂ + ε), with m̂ = m / bc1 and √v̂ = √v / √bc2, is the same number as
        # (lr √bc2 / bc1) · m / (√v + ε √bc2): two passes over the parameters fewer
        np.sqrt(v, out=upd)
        upd += self.eps * root_bc2
        np.divide(m, upd, out=upd)
        upd *= -self.lr * root_bc2 / bc1
        if self.weight_decay and self.decoupled:
            upd -= (self.lr * self.weight_decay) * theta


class AdamW(Adam):
    name = "adamw"
    defaults = {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.01}
    decoupled = True
    rule = Adam.rule + ";  w ← w − lr · λ w (decoupled weight decay)"


class Adagrad(Optimizer):
    lr: float
    lr_decay: float
    weight_decay: float
    initial_accumulator_value: float
    eps: float
    name = "adagrad"
    defaults = {"lr": 0.01, "lr_decay": 0.0, "weight_decay": 0.0,
                "initial_accumulator_value": 0.0, "eps": 1e-10}
    state_names = ("sum",)
    rule = "s ← s + g²;  w ← w − lr · g / (√s + ε)"

    def _init_state(self, net: Network) -> None:
        self.state["sum"].fill(self.initial_accumulator_value)

    def _update(self, theta: Array, g: Array, upd: Array, st: dict[str, Array]) -> None:
        if self.weight_decay:
            g = g + self.weight_decay * theta
        clr = self.lr / (1.0 + (self.t - 1) * self.lr_decay)
        s = st["sum"]
        s += g * g
        std = np.sqrt(s)
        std += self.eps
        np.divide(g, std, out=upd)
        upd *= -clr


OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (SGD, RMSprop, Adam, AdamW, Adagrad)
}


def make_optimizer(name: str, **hyper: Any) -> Optimizer:
    """``make_optimizer("adam", lr=1e-3, betas=(0.9, 0.999))``; names as in torch.optim."""
    try:
        cls = OPTIMIZERS[name]
    except KeyError:
        raise ValueError(f"optimizer {name!r} is unknown; allowed: {', '.join(OPTIMIZERS)}"
                         ) from None
    return cls(**hyper)
