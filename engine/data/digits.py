"""The bundled UCI handwritten digits (8 x 8 images), their halves and their relabelled tasks."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..echo import short
from .registry import DataError

DIGITS_PATH = Path(__file__).resolve().parent.parent / "datafiles" / "digits.npz"

# --------------------------------------------------------------------------------------
# Digits
# --------------------------------------------------------------------------------------

DIGITS_SHAPE = (1797, 64)
DIGITS_IMAGE_SHAPE = (8, 8)


@lru_cache(maxsize=1)
def _read_digits(path: Path) -> tuple[np.ndarray, np.ndarray]:
    fix = "; regenerate it with `python scripts/make_digits.py`"
    try:
        with np.load(path, allow_pickle=False) as npz:
            pixels = np.array(npz["pixels"])
            labels = np.array(npz["labels"])
    except FileNotFoundError as exc:
        raise DataError("data", f"the digits file {path} is missing{fix}") from exc
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError("data", f"the digits file {path} is damaged ({exc}){fix}") from exc
    problem = None
    if pixels.shape != DIGITS_SHAPE or labels.shape != DIGITS_SHAPE[:1]:
        problem = f"shapes {pixels.shape} and {labels.shape}, expected {DIGITS_SHAPE} and (1797,)"
    elif not (np.issubdtype(pixels.dtype, np.integer) and np.issubdtype(labels.dtype, np.integer)):
        problem = f"dtypes {pixels.dtype} and {labels.dtype}, expected integers"
    elif pixels.min() < 0 or pixels.max() > 16:
        problem = f"pixel values {pixels.min()}..{pixels.max()}, expected 0..16"
    elif labels.min() < 0 or labels.max() > 9:
        problem = f"labels {labels.min()}..{labels.max()}, expected 0..9"
    if problem:
        raise DataError("data", f"the digits file {path} is damaged: {problem}{fix}")
    X = pixels.astype(np.float64)
    y = labels.astype(np.int64)
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


def load_digits(path: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The UCI optical-recognition handwritten digits (the 1,797-image test copy).

    Read from engine/datafiles/digits.npz (or ``path``) once, then cached.

    Returns:
        X: (1797, 64) float64 pixel values 0..16; row i reshaped to (8, 8) is the image,
            top row first.
        y: (1797,) int64 digit labels 0..9.
    Raises DataError(field="data") if the file is missing or damaged.
    """
    X, y = _read_digits(DIGITS_PATH if path is None else Path(path))
    return X.copy(), y.copy()


DIGITS_TASKS = ("all", "0-4", "5-9", "even_odd", "ge5", "groups")
DIGITS_HALVES = ("all", "a", "b")
DIGITS_HALF_SEED = 7  # fixed, so that a model pretrained on half "a" never saw a row of half "b"


def digits_half_rows(half: str, n: int = DIGITS_SHAPE[0]) -> np.ndarray:
    """Row indices of one half of the digits, from a fixed permutation: "a" (the first
    n // 2 rows of it), "b" (the rest) or "all". The zoo's digits models are pretrained on
    half "a"; fine-tuning tasks use half "b", so their test rows were never seen."""
    if half not in DIGITS_HALVES:
        raise DataError(
            "digits_half",
            f"digits_half {short(half)} is unknown; allowed: " + ", ".join(DIGITS_HALVES),
        )
    if half == "all":
        return np.arange(n)
    order = np.random.default_rng(DIGITS_HALF_SEED).permutation(n)
    return np.sort(order[: n // 2] if half == "a" else order[n // 2 :])


def relabel_digits(
    y: np.ndarray, task: str, groups: Sequence[Sequence[int]] | None = None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Relabel digit labels y (N,) for a task: (rows kept (M,), new labels (M,), class names).

    "all": the ten digits; "0-4" / "5-9": only those digits, five classes; "even_odd":
    even 0, odd 1; "ge5": 0-4 is 0, 5-9 is 1; "groups": each digit in ``groups`` (a list of
    at least two disjoint lists of digits) gets the index of its group; digits in no group
    are left out."""
    y = np.asarray(y, dtype=np.int64)
    if task == "all":
        return np.arange(len(y)), y, [str(d) for d in range(10)]
    if task in ("0-4", "5-9"):
        lo = 0 if task == "0-4" else 5
        rows = np.flatnonzero((y >= lo) & (y < lo + 5))
        return rows, y[rows] - lo, [str(d) for d in range(lo, lo + 5)]
    if task == "even_odd":
        return np.arange(len(y)), y % 2, ["even", "odd"]
    if task == "ge5":
        return np.arange(len(y)), (y >= 5).astype(np.int64), ["0-4", "5-9"]
    if task != "groups":
        raise DataError(
            "digits_task",
            f"digits_task {short(task)} is unknown; allowed: " + ", ".join(DIGITS_TASKS),
        )
    rule = (
        "digit_groups must be at least two non-empty lists of distinct digits 0-9, "
        "e.g. [[0, 6, 8, 9], [1, 4, 7]]"
    )
    if not isinstance(groups, (list, tuple)) or len(groups) < 2:
        raise DataError("digit_groups", f"{rule}; got {short(groups)}")
    table = np.full(10, -1, dtype=np.int64)
    for g, group in enumerate(groups):
        if not isinstance(group, (list, tuple)) or not group:
            raise DataError("digit_groups", f"{rule}; got {short(groups)}")
        for d in group:
            if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 9 or table[d] >= 0:
                raise DataError("digit_groups", f"{rule}; got {short(groups)}")
            table[d] = g
    rows = np.flatnonzero(table[y] >= 0)
    names = [",".join(str(d) for d in group) for group in groups]
    return rows, table[y[rows]], names
