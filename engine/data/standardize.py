"""Standardization of model inputs, fitted on the training split only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .registry import DataError

# --------------------------------------------------------------------------------------
# Standardization
# --------------------------------------------------------------------------------------


MIN_STD_RATIO = 1e-12
"""A column whose std is at most MIN_STD_RATIO·(1 + |mean|) is constant, up to rounding."""
MAX_SCALE = 1e15
"""Largest |mean| and std a stored standardizer may hold."""


@dataclass
class Standardizer:
    """Per-column standardization x' = (x - mean) / std.

    mean, std: (D,) float64, fitted on the training split only. The std of a constant
    column is set to 1, so that column just loses its mean instead of dividing by zero.
    """

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, X: np.ndarray, *, shared: bool = False) -> Standardizer:
        """Statistics of X (N, D): mean and population std (ddof=0) of each column.

        shared=True uses one mean and std over all columns (repeated D times): right for
        image pixels, which share one unit, and it keeps a pixel that is almost always
        blank from being blown up to huge values by its tiny std.
        """
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[0] < 1:
            raise DataError(
                "data", f"standardizer needs inputs of shape (N, D), N >= 1, got {X.shape}"
            )
        if shared:
            mean = np.full(X.shape[1], X.mean())
            std = np.full(X.shape[1], X.std())
        else:
            mean = X.mean(axis=0)
            std = X.std(axis=0)
        constant = std <= MIN_STD_RATIO * (1.0 + np.abs(mean))  # zero, up to rounding
        std[constant] = 1.0
        return cls(mean=mean, std=std)

    @classmethod
    def identity(cls, dims: int) -> Standardizer:
        """mean 0, std 1 over ``dims`` columns: transform returns the inputs unchanged."""
        return cls(mean=np.zeros(dims), std=np.ones(dims))

    def transform(self, X: np.ndarray) -> np.ndarray:
        """X (N, D) -> (N, D) float64 standardized with the fitted statistics."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.mean.shape[0]:
            raise DataError(
                "data",
                f"standardizer was fitted on {self.mean.shape[0]} columns, got shape {X.shape}",
            )
        return (X - self.mean) / self.std

    def to_dict(self) -> dict[str, list[float]]:
        """{"mean": [...], "std": [...]}: plain lists, ready for JSON."""
        return {"mean": [float(v) for v in self.mean], "std": [float(v) for v in self.std]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Standardizer:
        """Inverse of to_dict; checks equal lengths, finite values and sane sizes:
        |mean| ≤ MAX_SCALE, and MIN_STD_RATIO·(1 + |mean|) < std ≤ MAX_SCALE. Below that
        ratio ``fit`` itself calls a column constant (and stores std 1), so a std of 1e-300,
        which would blow every input up to about 1e300, never comes from a fitted run."""
        try:
            mean = np.asarray(d["mean"], dtype=np.float64)
            std = np.asarray(d["std"], dtype=np.float64)
        except (KeyError, TypeError, ValueError, OverflowError, RecursionError):
            raise DataError(
                "standardizer", "standardizer needs lists 'mean' and 'std' of finite numbers"
            ) from None
        if mean.ndim != 1 or mean.shape != std.shape:
            raise DataError(
                "standardizer",
                f"'mean' and 'std' must be lists of equal length, got {mean.shape} and {std.shape}",
            )
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(std))):
            raise DataError("standardizer", "'mean' and 'std' must be finite numbers")
        if np.any(np.abs(mean) > MAX_SCALE) or np.any(std > MAX_SCALE):
            raise DataError("standardizer", f"'mean' and 'std' must be within ±{MAX_SCALE:g}")
        low = std <= MIN_STD_RATIO * (1.0 + np.abs(mean))
        if np.any(low):
            j = int(np.flatnonzero(low)[0])
            raise DataError(
                "standardizer",
                f"'std' of column {j} is {std[j]:g}; it must be > {MIN_STD_RATIO:g}·(1 + |mean|) "
                f"(= {MIN_STD_RATIO * (1 + abs(mean[j])):g}): dividing by it would blow the "
                "input up",
            )
        return cls(mean=mean, std=std)
