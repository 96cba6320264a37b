"""Evaluation: accuracy, confusion matrix, per-class precision and recall, RMSE and R²."""

from __future__ import annotations

import numpy as np

Array = np.ndarray


def predicted_classes(p: Array) -> Array:
    """Class indices (N,) from outputs p (N, K): argmax, or p > 0.5 for a single sigmoid unit."""
    if p.shape[1] == 1:
        return (p[:, 0] > 0.5).astype(np.int64)
    return p.argmax(axis=1)


def confusion_matrix(y_true: Array, y_pred: Array, n_classes: int) -> Array:
    """C (K, K) with C[i, j] = how many samples of true class i were predicted as class j."""
    idx = y_true.astype(np.int64) * n_classes + y_pred.astype(np.int64)
    return np.bincount(idx, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def precision_recall(cm: Array) -> tuple[Array, Array]:
    """Per-class precision = C[k,k] / Σ_i C[i,k] and recall = C[k,k] / Σ_j C[k,j]; NaN where
    the denominator is 0 (a class never predicted, or absent)."""
    tp = np.diag(cm).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = tp / cm.sum(axis=0)
        recall = tp / cm.sum(axis=1)
    return precision, recall


def regression_scores(y: Array, pred: Array) -> tuple[float, float]:
    """(RMSE, R²) of predictions (N,) against targets (N,)."""
    resid = y - pred
    rmse = float(np.sqrt(np.mean(resid**2)))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum(resid**2)) / ss_tot if ss_tot > 0 else float("nan")
    return rmse, r2
