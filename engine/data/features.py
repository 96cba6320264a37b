"""Input features of 2-D points: x1, x2, x1^2, x1*x2, sin(x1), ..."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..echo import short
from .registry import DataError

Expr = str | list  # a variable name ("x1", "x2") or [op, *arguments]

FEATURE_EXPRS: dict[str, tuple[str, Expr]] = {
    "x1": ("x₁", "x1"),
    "x2": ("x₂", "x2"),
    "x1_sq": ("x₁²", ["mul", "x1", "x1"]),
    "x2_sq": ("x₂²", ["mul", "x2", "x2"]),
    "x1_x2": ("x₁·x₂", ["mul", "x1", "x2"]),
    "sin_x1": ("sin(x₁)", ["sin", "x1"]),
    "sin_x2": ("sin(x₂)", ["sin", "x2"]),
}
"""key -> (display label, formula). A formula is a variable, "x1" or "x2" (the point's two
coordinates), or a list [op, argument, ...] whose arguments are formulas; the ops are FEATURE_OPS.
The engine computes every feature from its formula, so a page that evaluates the same formula
gets the same numbers."""

FEATURE_VARS = {"x1": 0, "x2": 1}
FEATURE_OPS: dict[str, tuple[int, Callable[..., np.ndarray]]] = {
    "mul": (2, np.multiply),  # a * b
    "sin": (1, np.sin),  # sin(a), a in radians
}
"""op -> (number of arguments, function)."""


def evaluate_feature(expr: Expr, X: np.ndarray) -> np.ndarray:
    """A feature formula over raw points X (N, 2) -> one column (N,)."""
    if isinstance(expr, str):
        return X[:, FEATURE_VARS[expr]]
    op, *args = expr
    _, fn = FEATURE_OPS[op]
    return fn(*(evaluate_feature(a, X) for a in args))


def _column(expr: Expr) -> Callable[[np.ndarray], np.ndarray]:
    return lambda X: evaluate_feature(expr, X)


FEATURES: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    key: (label, _column(expr)) for key, (label, expr) in FEATURE_EXPRS.items()
}
"""key -> (display label, function of raw points X (N, 2) returning one input column (N,))."""


def check_features(features: Sequence[str]) -> list[str]:
    allowed = ", ".join(f'"{k}"' for k in FEATURES)
    if isinstance(features, str):
        raise DataError(
            "features", f"features must be a list of keys, got the string {short(features)}"
        )
    keys = list(features)
    if not keys:
        raise DataError("features", f"choose at least one feature; allowed: {allowed}")
    for key in keys:
        if key not in FEATURES:
            raise DataError("features", f"unknown feature {short(key)}; allowed: {allowed}")
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
