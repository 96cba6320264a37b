"""Splitting rows into training and test sets, and keeping k training rows per class."""

from __future__ import annotations

import numpy as np

from .registry import DataError


def split_rows(n: int, test_share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded permutation of n rows -> (train indices, test indices); each split has >= 1 row."""
    n_test = min(max(round(test_share * n), 1), n - 1)
    order = np.random.default_rng([seed, 1]).permutation(n)  # a stream apart from generate()'s
    return order[n_test:], order[:n_test]


def keep_per_class(
    y: np.ndarray, k: int, n_classes: int, seed: int, names: list[str]
) -> np.ndarray:
    """Indices into y keeping exactly k rows of each class (seeded), in their original order."""
    rng = np.random.default_rng([seed, 2])
    keep = []
    for c in range(n_classes):
        rows = np.flatnonzero(y == c)
        if len(rows) < k:
            most = int(np.bincount(y, minlength=n_classes).min())
            raise DataError(
                "train_per_class",
                f"train_per_class is {k} but the training split has only {len(rows)} examples "
                f"of class {names[c]!r}; use at most {most}",
            )
        keep.append(rng.choice(rows, size=k, replace=False))
    return np.sort(np.concatenate(keep))
