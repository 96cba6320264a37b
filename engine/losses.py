"""Output functions and losses, each the mean over the batch, as PyTorch defines them.

The output activation and the loss are computed together from the logits z of the last layer,
because that is where the numerics are stable and the gradient is simplest:

* softmax + cross-entropy   (torch.nn.CrossEntropyLoss):   dL/dz = (p - onehot(y)) / N
* sigmoid + cross-entropy   (torch.nn.BCEWithLogitsLoss):  dL/dz = (σ(z) - y) / N
* linear  + MSE             (torch.nn.MSELoss):             dL/dz = 2 (z - y) / (N·K)
* softmax or sigmoid + MSE  (MSELoss on the probabilities): the chain rule through the output

``loss_forward_backward(output, loss, z, y) -> (L, dz, p)`` where z is (N, K) logits, y holds
class indices (N,) for softmax, 0/1 (N,) for sigmoid and targets (N,) or (N, K) for linear,
and p is the network's output: probabilities or predicted values, (N, K).
"""

from __future__ import annotations

import numpy as np

from .activations import _sigmoid

Array = np.ndarray

OUTPUTS = ("softmax", "sigmoid", "linear")
LOSSES = ("cross_entropy", "mse")
# output -> the loss it takes when the configuration says "auto"
DEFAULT_LOSS = {"softmax": "cross_entropy", "sigmoid": "cross_entropy", "linear": "mse"}
ALLOWED = {("softmax", "cross_entropy"), ("sigmoid", "cross_entropy"), ("linear", "mse"),
           ("softmax", "mse"), ("sigmoid", "mse")}


def softmax(z: Array) -> Array:
    """Row-wise softmax of z (N, K); subtracting the row maximum keeps exp from overflowing."""
    e = np.exp(z - np.maximum.reduce(z, axis=1, keepdims=True))
    e /= np.add.reduce(e, axis=1, keepdims=True)
    return e


def output_activation(output: str, z: Array) -> Array:
    """p = the network's output for logits z (N, K)."""
    if output == "softmax":
        return softmax(z)
    if output == "sigmoid":
        return _sigmoid(z)
    return z


def targets_2d(output: str, y: Array, k: int, dtype: np.dtype) -> Array:
    """The target as an (N, K) array of the logits' dtype: one-hot for softmax, a column
    otherwise."""
    if output == "softmax":
        t = np.zeros((len(y), k), dtype=dtype)
        t[np.arange(len(y)), y.astype(np.intp)] = 1.0
        return t
    return np.asarray(y, dtype=dtype).reshape(len(y), -1)


# Small networks spend their time in the number of NumPy calls, not in arithmetic, so the two
# cross-entropies below are written with few calls (np.add.reduce rather than .mean()/.sum(),
# whose Python wrappers cost more than the sum of ten numbers).

def softmax_cross_entropy(z: Array, y: Array) -> tuple[float, Array, Array]:
    """L = mean over rows of −log p_y, p = softmax(z); dL/dz = (p − onehot(y)) / N.

    z (N, K) logits, y (N,) class indices. Returns (L, dz (N, K), p (N, K))."""
    n, k = z.shape
    shifted = z - np.maximum.reduce(z, axis=1, keepdims=True)  # ≤ 0: exp cannot overflow
    e = np.exp(shifted)
    s = np.add.reduce(e, axis=1, keepdims=True)
    p = e / s
    rows = np.arange(n)
    # −log p_y = log Σ e^shifted − shifted_y
    L = float(np.add.reduce(np.log(s), axis=None) - np.add.reduce(shifted[rows, y])) / n
    dz = p.copy()
    dz[rows, y] -= 1.0
    dz *= 1.0 / n
    return L, dz, p


def sigmoid_cross_entropy(z: Array, t: Array) -> tuple[float, Array, Array]:
    """Binary cross-entropy on logits: L = mean of log(1 + e^z) − t z, dL/dz = (σ(z) − t) / (N·K).

    z (N, K) logits, t (N, K) targets in [0, 1]. Returns (L, dz (N, K), p = σ(z) (N, K))."""
    # log(1 + e^z) = logaddexp(0, z), computed without overflow for any z
    L = float(np.add.reduce(np.logaddexp(0.0, z) - z * t, axis=None)) / z.size
    p = _sigmoid(z)
    dz = p - t
    dz *= 1.0 / z.size
    return L, dz, p


def loss_forward_backward(output: str, loss: str, z: Array, y: Array) -> tuple[float, Array, Array]:
    """Loss L (a float), its gradient dL/dz (N, K) and the output p (N, K) for logits z (N, K)."""
    n, k = z.shape
    if output == "softmax" and loss == "cross_entropy":
        return softmax_cross_entropy(z, y.astype(np.intp, copy=False))
    if output == "sigmoid" and loss == "cross_entropy":
        return sigmoid_cross_entropy(z, np.asarray(y, dtype=z.dtype).reshape(n, k))
    if loss == "mse":
        t = targets_2d(output, y, k, z.dtype)
        p = output_activation(output, z)
        diff = p - t
        L = float(np.add.reduce(diff * diff, axis=None)) / (n * k)
        dp = diff * (2.0 / (n * k))
        if output == "linear":
            dz = dp
        elif output == "sigmoid":
            dz = dp * p * (1.0 - p)
        else:  # softmax Jacobian: dz_j = p_j (dp_j - Σ_i dp_i p_i)
            dz = p * (dp - np.add.reduce(dp * p, axis=1, keepdims=True))
        return L, dz, p
    raise ValueError(f"output {output!r} with loss {loss!r} is not supported; "
                     f"allowed: {sorted(ALLOWED)}")
