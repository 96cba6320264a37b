"""Input features of 2-D points: x1, x2, x1^2, x1*x2, sin(x1), ..."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .registry import DataError

# --------------------------------------------------------------------------------------
# Features of 2-D points
# --------------------------------------------------------------------------------------

FEATURES: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    "x1": ("x₁", lambda X: X[:, 0]),
    "x2": ("x₂", lambda X: X[:, 1]),
    "x1_sq": ("x₁²", lambda X: X[:, 0] ** 2),
    "x2_sq": ("x₂²", lambda X: X[:, 1] ** 2),
    "x1_x2": ("x₁·x₂", lambda X: X[:, 0] * X[:, 1]),
    "sin_x1": ("sin(x₁)", lambda X: np.sin(X[:, 0])),
    "sin_x2": ("sin(x₂)", lambda X: np.sin(X[:, 1])),
}
"""key -> (display label, function of raw points X (N, 2) returning one input column (N,))."""


def check_features(features: Sequence[str]) -> list[str]:
    allowed = ", ".join(f'"{k}"' for k in FEATURES)
    if isinstance(features, str):
        raise DataError("features", f"features must be a list of keys, got the string {features!r}")
    keys = list(features)
    if not keys:
        raise DataError("features", f"choose at least one feature; allowed: {allowed}")
    for key in keys:
        if key not in FEATURES:
            raise DataError("features", f"unknown feature {key!r}; allowed: {allowed}")
    if len(set(keys)) != len(keys):
        raise DataError("features", f"each feature may appear only once, got {keys}")
    return keys


def make_features(X: np.ndarray, features: Sequence[str]) -> np.ndarray:
    """Raw points X (N, 2) -> model inputs (N, F) float64, one column per feature key, in order.

    Raises DataError(field="features") for an unknown key (listing the allowed ones),
    an empty list or a repeated key.
    """
    keys = check_features(features)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise DataError("features", f"features are made from points of shape (N, 2), got {X.shape}")
    return np.stack([FEATURES[key][1](X) for key in keys], axis=1).astype(np.float64)
