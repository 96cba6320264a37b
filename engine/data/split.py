"""Splitting rows into training, validation and test sets, and keeping k training rows per class.

``split_sizes`` is the one formula for how many rows each split gets; ``split_rows`` draws them
(seeded) and ``engine.sizing.run_size`` counts them without loading anything.
"""

from __future__ import annotations

import numpy as np

from ..echo import short
from .registry import DataError


def split_sizes(n: int, test_share: float, val_share: float = 0.0) -> tuple[int, int, int]:
    """(training rows, validation rows, test rows) of n rows.

    The test split takes round(test_share * n) rows, clamped so that both it and the rest keep
    at least one row. The validation split is then held out of the rest: round(val_share *
    rest) rows, at least one when val_share > 0; val_share 0 gives no validation rows. The
    training rows are what is left, and may be 0 when val_share is too large for the data
    (validation of the configuration refuses that, naming val_share).
    """
    if n < 2:
        return n, 0, 0
    n_test = min(max(round(test_share * n), 1), n - 1)
    rest = n - n_test
    n_val = 0 if val_share <= 0 else min(max(round(val_share * rest), 1), rest)
    return rest - n_val, n_val, n_test


def split_rows(
    n: int, test_share: float, seed: int, val_share: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded permutation of n rows -> (train indices, validation indices, test indices).

    The sizes are ``split_sizes(n, test_share, val_share)``. The test rows do not depend on
    val_share: the validation rows come out of the training rows, so turning a validation split
    on never moves a row into or out of the test set.
    """
    n_train, n_val, n_test = split_sizes(n, test_share, val_share)
    order = np.random.default_rng([seed, 1]).permutation(n)  # a stream apart from generate()'s
    return order[n_test + n_val :], order[n_test : n_test + n_val], order[:n_test]


def per_class_rows(n_train: int, k: int | None, n_classes: int) -> int:
    """Training rows left by keeping k rows of each class: k * classes, at most n_train (when
    the split has fewer rows of some class, ``keep_per_class`` refuses it)."""
    return n_train if k is None else min(n_train, k * max(1, n_classes))


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
                f"of class {short(names[c])}; use at most {most}",
            )
        keep.append(rng.choice(rows, size=k, replace=False))
    return np.sort(np.concatenate(keep))
