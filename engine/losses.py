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
    e = np.exp(z - z.max(axis=1, keepdims=True))
    e /= e.sum(axis=1, keepdims=True)
    return e


def output_activation(output: str, z: Array) -> Array:
    """p = the network's output for logits z (N, K)."""
    if output == "softmax":
        return softmax(z)
    if output == "sigmoid":
        return _sigmoid(z)
    return z


def targets_2d(output: str, y: Array, k: int, dtype: np.dtype) -> Array:
    """The target as an (N, K) array of the logits' dtype: one-hot for softmax, a column otherwise."""
    if output == "softmax":
        t = np.zeros((len(y), k), dtype=dtype)
        t[np.arange(len(y)), y.astype(np.intp)] = 1.0
        return t
    return np.asarray(y, dtype=dtype).reshape(len(y), -1)


def loss_forward_backward(output: str, loss: str, z: Array, y: Array) -> tuple[float, Array, Array]:
    """Loss L (a float), its gradient dL/dz (N, K) and the output p (N, K) for logits z (N, K)."""
    n, k = z.shape
    if output == "softmax" and loss == "cross_entropy":
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        rows = np.arange(n)
        yi = y.astype(np.intp, copy=False)
        # -log p_y = log Σ e^z - z_y, with the same shift in both terms
        L = float(np.log(s).sum() - shifted[rows, yi].sum()) / n
        p = e / s
        dz = p.copy()
        dz[rows, yi] -= 1.0
        dz /= n
        return L, dz, p
    if output == "sigmoid" and loss == "cross_entropy":
        t = np.asarray(y, dtype=z.dtype).reshape(n, k)
        # max(z, 0) - z t + log(1 + e^-|z|): no overflow for any z
        L = float((np.maximum(z, 0.0) - z * t + np.log1p(np.exp(-np.abs(z)))).mean())
        p = _sigmoid(z)
        dz = (p - t) / (n * k)
        return L, dz, p
    if loss == "mse":
        t = targets_2d(output, y, k, z.dtype)
        p = output_activation(output, z)
        diff = p - t
        L = float((diff * diff).mean())
        dp = diff * (2.0 / (n * k))
        if output == "linear":
            dz = dp
        elif output == "sigmoid":
            dz = dp * p * (1.0 - p)
        else:  # softmax Jacobian: dz_j = p_j (dp_j - Σ_i dp_i p_i)
            dz = p * (dp - (dp * p).sum(axis=1, keepdims=True))
        return L, dz, p
    raise ValueError(f"output {output!r} with loss {loss!r} is not supported; allowed: {sorted(ALLOWED)}")
