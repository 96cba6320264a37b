"""Activation functions a = f(z) and their derivatives f'(z), as PyTorch defines them.

Each entry of ACTIVATIONS is an :class:`Activation` with

* ``forward(z) -> a``                         element-wise, any shape;
* ``backward(z, a, da) -> dz``                the chain rule dL/dz = dL/da * f'(z).

``backward`` gets both z and a = f(z) because for several functions the derivative is cheapest
from a (sigmoid: a(1-a), tanh: 1-a²). One registry feeds the menus, the saved models and the
dispatch: add a function here and it is everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray

_SQRT_2_OVER_PI = float(np.sqrt(2.0 / np.pi))
GELU_C = 0.044715
LEAKY_SLOPE = 0.01  # torch.nn.LeakyReLU default negative_slope
ELU_ALPHA = 1.0  # torch.nn.ELU default alpha


@dataclass(frozen=True)
class Activation:
    name: str
    formula: str  # a = f(z), plain text for menus and the teaching view
    derivative: str  # f'(z)
    forward: Callable[[Array], Array]
    backward: Callable[[Array, Array, Array], Array]


def _sigmoid(z: Array) -> Array:
    # Numerically stable: with e = e^-|z| ≤ 1, σ(z) = 1 / (1 + e) for z ≥ 0 and e / (1 + e) below.
    e = np.exp(-np.abs(z))
    a = np.where(z >= 0, 1.0, e)
    a /= 1.0 + e
    return a


def _gelu(z: Array) -> Array:
    # torch.nn.GELU(approximate="tanh")
    return 0.5 * z * (1.0 + np.tanh(_SQRT_2_OVER_PI * (z + GELU_C * z**3)))


def _gelu_backward(z: Array, a: Array, da: Array) -> Array:
    u = _SQRT_2_OVER_PI * (z + GELU_C * z**3)
    t = np.tanh(u)
    du = _SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_C * z * z)
    return da * (0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * du)


def _silu_backward(z: Array, a: Array, da: Array) -> Array:
    s = _sigmoid(z)
    return da * (s * (1.0 + z * (1.0 - s)))


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation("linear", "z", "1", lambda z: z, lambda z, a, da: da),
        Activation(
            "sigmoid", "1 / (1 + e^-z)", "a (1 - a)", _sigmoid, lambda z, a, da: da * a * (1.0 - a)
        ),
        Activation("tanh", "tanh z", "1 - a²", np.tanh, lambda z, a, da: da * (1.0 - a * a)),
        Activation(
            "relu",
            "max(0, z)",
            "1 if z > 0 else 0",
            lambda z: np.maximum(z, 0.0),
            lambda z, a, da: da * (z > 0),
        ),
        Activation(
            "leaky_relu",
            "z if z > 0 else 0.01 z",
            "1 if z > 0 else 0.01",
            lambda z: np.where(z > 0, z, LEAKY_SLOPE * z),
            lambda z, a, da: np.where(z > 0, da, LEAKY_SLOPE * da),
        ),
        Activation(
            "elu",
            "z if z > 0 else e^z - 1",
            "1 if z > 0 else a + 1",
            lambda z: np.where(z > 0, z, ELU_ALPHA * np.expm1(np.minimum(z, 0.0))),
            lambda z, a, da: np.where(z > 0, da, da * (a + ELU_ALPHA)),
        ),
        Activation(
            "gelu",
            "z/2 (1 + tanh(√(2/π)(z + 0.044715 z³)))",
            "see engine/activations.py",
            _gelu,
            _gelu_backward,
        ),
        Activation(
            "silu", "z σ(z)", "σ(z)(1 + z(1 - σ(z)))", lambda z: z * _sigmoid(z), _silu_backward
        ),
        Activation("sin", "sin z", "cos z", np.sin, lambda z, a, da: da * np.cos(z)),
    ]
}


def get_activation(name: str) -> Activation:
    """Look up an activation by name; the error lists the allowed names."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        allowed = ", ".join(ACTIVATIONS)
        raise ValueError(f"activation {name!r} is unknown; allowed: {allowed}") from None
