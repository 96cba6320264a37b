"""Data sets for Backprop Lab: 2-D toy sets, the 8x8 digits, and uploaded CSV files.

Everything a run feeds to a network comes from here:

- ``generate`` draws one of the 2-D sets (TensorFlow Playground style, points in
  [-6, 6]^2); ``DATASETS`` is the one registry of all sets: names, titles and tasks.
- ``make_features`` turns raw points X (N, 2) into model inputs (N, F): x1, x2, x1^2, ...
- ``Standardizer`` rescales each input column to mean 0 and standard deviation 1, using
  statistics of the training split only, so the test split stays unseen (the 64 digit
  pixels share one mean and std).
- ``load_dataset`` puts it together: make or load the set, split it, make features,
  standardize; it returns a ``Dataset``.
- ``load_digits`` reads the bundled UCI digits (engine/datafiles/digits.npz).
- ``parse_csv`` reads an uploaded CSV file and explains what is wrong with a bad one.

Shapes: N rows (examples), D model-input columns, C classes. Classification labels are
int64 class indices 0..C-1; regression targets are float64.

Only NumPy and the standard library are used.
"""

from __future__ import annotations

import csv as _csv
import io
import math
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "BLOB_CLASSES",
    "CSV_NAME",
    "DATASETS",
    "DIGITS_PATH",
    "DOMAIN",
    "FEATURES",
    "MAX_CSV_CLASSES",
    "MAX_SAMPLES",
    "MIN_CSV_ROWS",
    "MIN_SAMPLES",
    "CsvData",
    "DataError",
    "Dataset",
    "DatasetInfo",
    "Standardizer",
    "bumps_target",
    "generate",
    "load_dataset",
    "load_digits",
    "make_features",
    "parse_csv",
    "plane_target",
]

DOMAIN = 6.0
"""The 2-D sets' points lie in [-DOMAIN, DOMAIN]^2, the square the page draws."""

MIN_SAMPLES = 10
MAX_SAMPLES = 100_000
"""Allowed range of ``samples`` for the 2-D sets."""

MIN_CSV_ROWS = 4
MAX_CSV_CLASSES = 100
"""A CSV classification label with more distinct values than this is probably a regression
target; we refuse it rather than build a 5,000-way softmax."""

CSV_NAME = "csv"
"""The data name that means "use the uploaded CSV file" (not a key of DATASETS)."""

DIGITS_PATH = Path(__file__).resolve().parent / "datafiles" / "digits.npz"


class DataError(ValueError):
    """A bad data argument or a bad data file.

    ``field`` names what is at fault: a configuration field ("data", "samples", "noise",
    "test_share", "seed", "classes", "features", "train_per_class", "label_column", "task",
    "csv") or a place in a CSV file ("csv: row 7", "csv: row 7, column 'x1'").
    The message says what was wrong and what is allowed.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# --------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetInfo:
    """What a menu, a validator and ``load_dataset`` need to know about one data set."""

    name: str  # registry key
    task: str  # "classification" | "regression"
    n_classes: int  # 0 for regression; for "blobs" the default (3), can be 3..5
    dims: int  # raw input dimension: 2 for the 2-D sets, 64 for digits
    title: str  # short English title
    description: str  # one English sentence


# fmt: off
_REGISTRY = [
    #           name            task              classes dims  title
    DatasetInfo("circle",       "classification", 2,  2,  "Circle",
                "A disc of one class inside a ring of the other."),
    DatasetInfo("xor",          "classification", 2,  2,  "Exclusive or",
                "Four quadrants; the class is the sign of x1 times x2."),
    DatasetInfo("gaussians",    "classification", 2,  2,  "Two Gaussians",
                "Two round clouds of points, one per class."),
    DatasetInfo("spiral",       "classification", 2,  2,  "Spiral",
                "Two spiral arms wound around each other, one per class."),
    DatasetInfo("moons",        "classification", 2,  2,  "Moons",
                "Two interleaving half circles, one per class."),
    DatasetInfo("checkerboard", "classification", 2,  2,  "Checkerboard",
                "A 4 by 4 board of squares whose colours alternate between the two classes."),
    DatasetInfo("blobs",        "classification", 3,  2,  "Blobs",
                "Three to five round clouds of points around a circle, one per class."),
    DatasetInfo("plane",        "regression",     0,  2,  "Plane",
                "The target rises linearly from -1 in one corner to +1 in the opposite one."),
    DatasetInfo("bumps",        "regression",     0,  2,  "Bumps",
                "The target is a sum of six positive and negative Gaussian bumps."),
    DatasetInfo("digits",       "classification", 10, 64, "Handwritten digits",
                "1,797 handwritten digits as 8 by 8 images of pixel values 0 to 16 (UCI)."),
]
# fmt: on

DATASETS: dict[str, DatasetInfo] = {info.name: info for info in _REGISTRY}
"""The one registry of data sets: it feeds the menus, validation and ``load_dataset``.
The uploaded CSV file is not in it; its data name is CSV_NAME ("csv")."""

BLOB_CLASSES = (3, 5)
"""Allowed range (inclusive) of ``classes`` for the "blobs" set."""


def _allowed_names() -> str:
    return ", ".join(f'"{k}"' for k in [*DATASETS, CSV_NAME])


def _check_name(name: str) -> DatasetInfo:
    if name not in DATASETS:
        raise DataError("data", f"unknown data set {name!r}; allowed: {_allowed_names()}")
    return DATASETS[name]


# --------------------------------------------------------------------------------------
# 2-D generators. Each takes (rng, counts, noise) and returns X (N, 2) and y (N,).
# counts[c] is the number of points of class c (a single count for regression).
# --------------------------------------------------------------------------------------


def _labels(counts: list[int]) -> np.ndarray:
    """[2, 3] -> [0, 0, 1, 1, 1] as int64."""
    return np.repeat(np.arange(len(counts), dtype=np.int64), counts)


def _polar(r: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Radii and angles (N,) -> points (N, 2)."""
    return np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)


def _scatter(rng: np.random.Generator, centres: np.ndarray, sd: float) -> np.ndarray:
    """centres (N, 2) plus Gaussian offsets of standard deviation sd -> points (N, 2).

    A point whose offset would take it outside [-6, 6]^2 gets a fresh offset, so every
    set stays inside the drawn square without piling points on its edges.
    """
    X = centres + rng.normal(0, sd, centres.shape)
    for _ in range(100):
        out = np.flatnonzero(np.any(np.abs(X) > DOMAIN, axis=1))
        if len(out) == 0:
            break
        X[out] = centres[out] + rng.normal(0, sd, (len(out), 2))
    return np.clip(X, -DOMAIN, DOMAIN)  # only reached by a centre outside the square


def _circle(rng: np.random.Generator, counts: list[int], noise: float) -> tuple[np.ndarray, ...]:
    # class 0: the disc r < 2.5; class 1: the ring 3.5 < r < 5. Gap 1, jitter sd = noise * 1.
    n_in, n_out = counts
    r_in = 2.5 * np.sqrt(rng.uniform(0, 1, n_in))  # sqrt: uniform density over the disc
    r_out = np.sqrt(rng.uniform(3.5**2, 5.0**2, n_out))
    angle = rng.uniform(0, 2 * np.pi, n_in + n_out)
    clean = _polar(np.concatenate([r_in, r_out]), angle)
    return _scatter(rng, clean, 1.0 * noise), _labels(counts)


def _xor(rng: np.random.Generator, counts: list[int], noise: float) -> tuple[np.ndarray, ...]:
    # class 1 where x1 * x2 > 0 (quadrants I and III), class 0 in II and IV.
    # |x| in [0.3, 5] keeps a thin margin along the axes, as in Playground.
    n0, n1 = counts
    size = rng.uniform(0.3, 5.0, (n0 + n1, 2))
    s1 = rng.choice([-1.0, 1.0], n0 + n1)  # sign of x1
    same = np.concatenate([-np.ones(n0), np.ones(n1)])  # sign of x2 relative to x1
    clean = size * np.stack([s1, s1 * same], axis=1)
    return _scatter(rng, clean, 1.0 * noise), _labels(counts)


def _gaussians(rng: np.random.Generator, counts: list[int], noise: float) -> tuple[np.ndarray, ...]:
    # centres (-2.5, -2.5) and (2.5, 2.5); each cloud has sd 1 + 1.5 noise.
    y = _labels(counts)
    centres = np.array([[-2.5, -2.5], [2.5, 2.5]])
    return _scatter(rng, centres[y], 1.0 + 1.5 * noise), y


def _spiral(rng: np.random.Generator, counts: list[int], noise: float) -> tuple[np.ndarray, ...]:
    # Arm c: at fraction u along the arm, radius 5u and angle 1.75 turns * u + c * pi.
    # Neighbouring arms are about 1.4 apart, so jitter sd is noise * 0.5.
    y = _labels(counts)
    u = rng.uniform(0, 1, len(y))
    clean = _polar(5.0 * u, 1.75 * 2 * np.pi * u + np.pi * y)
    return _scatter(rng, clean, 0.5 * noise), y


def _moons(rng: np.random.Generator, counts: list[int], noise: float) -> tuple[np.ndarray, ...]:
    # Upper moon: (cos t, sin t); lower moon: (1 - cos t, 0.5 - sin t), t in [0, pi];
    # then centred and scaled by 3.6 into about [-5.4, 5.4] x [-2.7, 2.7].
    n0, n1 = counts
    t = rng.uniform(0, np.pi, n0 + n1)
    upper = np.stack([np.cos(t[:n0]), np.sin(t[:n0])], axis=1)
    lower = np.stack([1 - np.cos(t[n0:]), 0.5 - np.sin(t[n0:])], axis=1)
    clean = 3.6 * (np.concatenate([upper, lower]) - np.array([0.5, 0.25]))
    return _scatter(rng, clean, 1.0 * noise), _labels(counts)


def _checkerboard(
    rng: np.random.Generator, counts: list[int], noise: float
) -> tuple[np.ndarray, ...]:
    # 4 x 4 squares of side 3 over [-6, 6]^2; a square's class is (column + row) % 2.
    # Each point picks a square of its class, then a uniform spot inside it.
    y = _labels(counts)
    col = rng.integers(0, 4, len(y))
    row = (2 * rng.integers(0, 2, len(y)) + col + y) % 4  # so (col + row) % 2 == y
    corner = np.stack([col, row], axis=1) * 3.0 - DOMAIN
    clean = corner + rng.uniform(0, 3.0, (len(y), 2))
    return _scatter(rng, clean, 1.0 * noise), y


def _blobs(rng: np.random.Generator, counts: list[int], noise: float) -> tuple[np.ndarray, ...]:
    # C clouds centred on a circle of radius 4, the first at the top; sd 0.7 + 1.3 noise.
    y = _labels(counts)
    angle = np.pi / 2 + 2 * np.pi * np.arange(len(counts)) / len(counts)
    centres = _polar(np.full(len(counts), 4.0), angle)
    return _scatter(rng, centres[y], 0.7 + 1.3 * noise), y


REGRESSION_NOISE = 0.3
"""Regression noise: the target gets Gaussian noise of sd ``noise * REGRESSION_NOISE``."""


def _uniform_points(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.uniform(-DOMAIN, DOMAIN, (n, 2))


def plane_target(X: np.ndarray) -> np.ndarray:
    """The noiseless "plane" target: (x1 + x2) / 12, from -1 at (-6, -6) to +1 at (6, 6).

    X (N, 2) -> (N,)."""
    return (X[:, 0] + X[:, 1]) / (2 * DOMAIN)


_BUMP_CENTRES = np.array([[x, y] for y in (2.5, -2.5) for x in (-4.0, 0.0, 4.0)])
_BUMP_SIGNS = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
_BUMP_SD = 1.6


def bumps_target(X: np.ndarray) -> np.ndarray:
    """The noiseless "bumps" target: six Gaussian bumps of height +1 or -1 (alternating like
    a checkerboard, sd 1.6) centred on a 3 x 2 grid. Stays within about [-1, 1].

    X (N, 2) -> (N,)."""
    d2 = ((X[:, None, :] - _BUMP_CENTRES[None, :, :]) ** 2).sum(axis=2)  # (N, 6)
    return np.exp(-d2 / (2 * _BUMP_SD**2)) @ _BUMP_SIGNS


def _plane(rng: np.random.Generator, counts: list[int], noise: float) -> tuple[np.ndarray, ...]:
    X = _uniform_points(rng, counts[0])
    return X, plane_target(X) + rng.normal(0, REGRESSION_NOISE * noise, len(X))


def _bumps(rng: np.random.Generator, counts: list[int], noise: float) -> tuple[np.ndarray, ...]:
    X = _uniform_points(rng, counts[0])
    return X, bumps_target(X) + rng.normal(0, REGRESSION_NOISE * noise, len(X))


_GENERATORS: dict[str, Callable[..., tuple[np.ndarray, ...]]] = {
    "circle": _circle,
    "xor": _xor,
    "gaussians": _gaussians,
    "spiral": _spiral,
    "moons": _moons,
    "checkerboard": _checkerboard,
    "blobs": _blobs,
    "plane": _plane,
    "bumps": _bumps,
}


def _check_2d_args(name: str, samples: int, noise: float, seed: int, classes: int) -> DatasetInfo:
    info = _check_name(name)
    if name not in _GENERATORS:
        two_d = ", ".join(f'"{k}"' for k in _GENERATORS)
        raise DataError("data", f"{name!r} is not a 2-D set that can be generated; use {two_d}")
    if isinstance(samples, bool) or not isinstance(samples, int | np.integer):
        raise DataError("samples", f"samples must be a whole number, got {samples!r}")
    if not MIN_SAMPLES <= samples <= MAX_SAMPLES:
        raise DataError(
            "samples", f"samples must be from {MIN_SAMPLES} to {MAX_SAMPLES}, got {samples}"
        )
    if isinstance(noise, bool) or not (isinstance(noise, int | float) and 0.0 <= noise <= 1.0):
        raise DataError("noise", f"noise must be a number from 0 to 1, got {noise!r}")
    _check_seed(seed)
    if name == "blobs":
        lo, hi = BLOB_CLASSES
        whole = isinstance(classes, int | np.integer) and not isinstance(classes, bool)
        if not whole or not lo <= classes <= hi:
            raise DataError("classes", f"classes must be from {lo} to {hi}, got {classes!r}")
    return info


def _check_seed(seed: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise DataError("seed", f"seed must be a whole number >= 0, got {seed!r}")


def _balanced_counts(samples: int, n_classes: int) -> list[int]:
    """Split ``samples`` into n_classes counts that differ by at most one: (10, 3) -> [4, 3, 3]."""
    base, extra = divmod(samples, n_classes)
    return [base + (1 if c < extra else 0) for c in range(n_classes)]


def generate(
    name: str, samples: int, noise: float, seed: int, classes: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Draw one of the 2-D sets.

    Args:
        name: a 2-D key of DATASETS ("circle", "xor", ..., "bumps"; not "digits").
        samples: number of points N, MIN_SAMPLES..MAX_SAMPLES.
        noise: 0 (a clean set) to 1 (a hard one), as a fraction of the set's natural scale:
            classification points get Gaussian jitter, regression targets Gaussian noise.
        seed: seeds np.random.default_rng(seed); the same seed gives the same set.
        classes: number of classes for "blobs" (3..5); ignored by the other sets.

    Returns:
        X: (N, 2) float64 points inside [-6, 6]^2 (a noisy point that would land outside
            gets a fresh draw of its noise).
        y: (N,) int64 class indices 0..C-1, balanced (counts differ by at most one), for
            classification; (N,) float64 targets in about [-1, 1] for regression.
        Rows are in random order.
    """
    info = _check_2d_args(name, samples, noise, seed, classes)
    rng = np.random.default_rng(seed)
    if info.task == "regression":
        counts = [int(samples)]
    else:
        counts = _balanced_counts(int(samples), classes if name == "blobs" else info.n_classes)
    X, y = _GENERATORS[name](rng, counts, float(noise))
    order = rng.permutation(len(y))
    y_dtype = np.float64 if info.task == "regression" else np.int64
    return X[order].astype(np.float64), y[order].astype(y_dtype)


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


def _check_features(features: Sequence[str]) -> list[str]:
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
    keys = _check_features(features)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise DataError("features", f"features are made from points of shape (N, 2), got {X.shape}")
    return np.stack([FEATURES[key][1](X) for key in keys], axis=1).astype(np.float64)


# --------------------------------------------------------------------------------------
# Standardization
# --------------------------------------------------------------------------------------


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
        constant = std <= 1e-12 * (1.0 + np.abs(mean))  # zero, up to rounding
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
        """Inverse of to_dict; checks equal lengths, finite values and std > 0."""
        try:
            mean = np.asarray(d["mean"], dtype=np.float64)
            std = np.asarray(d["std"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(
                "standardizer", f"standardizer needs lists 'mean' and 'std' of numbers ({exc})"
            ) from exc
        if mean.ndim != 1 or mean.shape != std.shape:
            raise DataError(
                "standardizer",
                f"'mean' and 'std' must be lists of equal length, got {mean.shape} and {std.shape}",
            )
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(std)) and np.all(std > 0)):
            raise DataError("standardizer", "'mean' must be finite and 'std' finite and > 0")
        return cls(mean=mean, std=std)


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


# --------------------------------------------------------------------------------------
# CSV files
# --------------------------------------------------------------------------------------


@dataclass
class CsvData:
    """A parsed CSV file.

    X: (N, D) float64 feature columns; y: (N,) int64 class indices (classification) or
    float64 targets (regression); feature_names: D header names; class_names: the label
    strings of classes 0..C-1 ([] for regression); task: "classification" | "regression".
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    class_names: list[str]
    task: str


TASKS = ("classification", "regression")


def _number(text: str) -> float | None:
    """The cell as a float, or None if it is not a number."""
    try:
        return float(text)
    except ValueError:
        return None


def _sort_classes(values: set[str]) -> list[str]:
    """Label strings in class order: numerically if they are all numbers ("2" before "10"),
    otherwise alphabetically."""
    numbers = {v: _number(v) for v in values}
    if all(n is not None and math.isfinite(n) for n in numbers.values()):
        return sorted(values, key=lambda v: (numbers[v], v))
    return sorted(values)


def parse_csv(
    text: str,
    label_column: str | int = -1,
    task: str = "classification",
    max_rows: int = 100_000,
) -> CsvData:
    """Parse a comma-separated file with a header row into inputs and labels.

    Args:
        text: the file's text. The first non-blank row is the header of column names;
            blank lines are skipped. Quotes are handled as in Python's csv module.
        label_column: the label's header name, or its index (negative counts from the end;
            the default -1 is the last column). Every other column is a numeric input.
        task: "classification": labels are any strings, classes numbered in sorted order
            (numerically if all labels are numbers); "regression": labels are numbers.
        max_rows: most data rows accepted.

    Raises DataError naming the field ("csv", "csv: row R", "csv: row R, column 'name'",
    "label_column", "task") for: an empty file, a header that is missing (all numbers) or
    has empty or repeated names, fewer than 2 columns, a label column that does not exist,
    ragged rows, empty / non-numeric / NaN / infinite cells, fewer than MIN_CSV_ROWS rows,
    more than max_rows rows, one class only, more than MAX_CSV_CLASSES classes.
    Row numbers are line numbers in the file (the header is usually row 1).
    """
    if task not in TASKS:
        raise DataError("task", f"task must be 'classification' or 'regression', got {task!r}")
    if text.startswith("\ufeff"):  # byte-order mark left by some spreadsheet exports
        text = text[1:]
    if not text.strip():
        raise DataError("csv", "the CSV file is empty; it needs a header row and data rows")

    reader = _csv.reader(io.StringIO(text))
    try:
        header: list[str] | None = None
        header_row = 0
        rows: list[tuple[int, list[str]]] = []  # (line number where the row starts, cells)
        start = 1
        for cells in reader:
            line, start = start, reader.line_num + 1  # a quoted cell may span several lines
            if not cells or all(not c.strip() for c in cells):
                continue  # blank line
            if header is None:
                header, header_row = [c.strip() for c in cells], line
                continue
            if len(rows) >= max_rows:
                raise DataError(
                    "csv", f"the CSV file has more than {max_rows} data rows; at most {max_rows}"
                )
            rows.append((line, cells))
    except _csv.Error as exc:
        where = f"csv: row {start}"
        raise DataError(where, f"row {start} is not valid CSV: {exc}") from exc
    assert header is not None  # the text has a non-blank line

    # The header
    where = f"csv: row {header_row}"
    if all(_number(name) is not None for name in header):
        raise DataError(
            where,
            f"row {header_row} must be a header of column names, but it holds only numbers "
            f"({', '.join(header[:5])}); add a first row such as x1,x2,label",
        )
    for i, name in enumerate(header):
        if not name:
            raise DataError(where, f"column {i + 1} of the header has no name")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise DataError(where, f"header names must be unique; repeated: {', '.join(repeated)}")
    if len(header) < 2:
        raise DataError(
            where, f"the CSV file needs at least 2 columns (inputs and a label), got {len(header)}"
        )

    # The label column
    if isinstance(label_column, str):
        if label_column not in header:
            raise DataError(
                "label_column",
                f"label column {label_column!r} is not in the header; columns: {', '.join(header)}",
            )
        label_index = header.index(label_column)
    elif isinstance(label_column, int) and not isinstance(label_column, bool):
        if not -len(header) <= label_column < len(header):
            raise DataError(
                "label_column",
                f"label column {label_column} does not exist; the file has {len(header)} "
                f"columns, so use 0..{len(header) - 1} or -{len(header)}..-1",
            )
        label_index = label_column % len(header)
    else:
        raise DataError(
            "label_column", f"label column must be a header name or an index, got {label_column!r}"
        )
    feature_index = [i for i in range(len(header)) if i != label_index]

    # The rows: each one's problems first, then whether there are enough of them
    X = np.empty((len(rows), len(feature_index)), dtype=np.float64)
    labels: list[str] = []
    for r, (line, cells) in enumerate(rows):
        if len(cells) != len(header):
            raise DataError(
                f"csv: row {line}",
                f"row {line} has {len(cells)} cell{'s' * (len(cells) != 1)} "
                f"but the header has {len(header)} columns"
                + (" (is a quote left open?)" if any("\n" in c for c in cells) else ""),
            )
        for j, col in enumerate(feature_index):
            X[r, j] = _cell_number(cells[col], line, header[col])
        label = cells[label_index].strip()
        if not label:
            raise DataError(
                f"csv: row {line}, column {header[label_index]!r}",
                f"row {line}, label column {header[label_index]!r}: the cell is empty",
            )
        if task == "regression":
            _cell_number(label, line, header[label_index])
        labels.append(label)

    if len(rows) < MIN_CSV_ROWS:
        raise DataError(
            "csv", f"the CSV file has {len(rows)} data rows; at least {MIN_CSV_ROWS} are needed"
        )
    feature_names = [header[i] for i in feature_index]
    if task == "regression":
        y = np.array([float(v) for v in labels], dtype=np.float64)
        return CsvData(X, y, feature_names, [], task)

    class_names = _sort_classes(set(labels))
    if len(class_names) < 2:
        raise DataError(
            "csv",
            f"label column {header[label_index]!r} has one class only ({class_names[0]!r}); "
            "classification needs at least 2",
        )
    if len(class_names) > MAX_CSV_CLASSES:
        raise DataError(
            "csv",
            f"label column {header[label_index]!r} has {len(class_names)} different values; "
            f"classification allows at most {MAX_CSV_CLASSES} classes (is it a regression target?)",
        )
    index = {name: c for c, name in enumerate(class_names)}
    y = np.array([index[v] for v in labels], dtype=np.int64)
    return CsvData(X, y, feature_names, class_names, task)


def _cell_number(cell: str, line: int, column: str) -> float:
    """One numeric cell, or a DataError naming its row, column and content."""
    where = f"csv: row {line}, column {column!r}"
    text = cell.strip()
    if not text:
        raise DataError(
            where, f"row {line}, column {column!r}: the cell is empty; a number is needed"
        )
    value = _number(text)
    if value is None:
        raise DataError(where, f"row {line}, column {column!r}: {cell!r} is not a number")
    if not math.isfinite(value):
        raise DataError(where, f"row {line}, column {column!r}: {cell!r} is not a finite number")
    return value


# --------------------------------------------------------------------------------------
# Putting it together
# --------------------------------------------------------------------------------------


@dataclass
class Dataset:
    """A data set ready to train on: split, featurized and standardized.

    X_train (N_train, D), X_test (N_test, D): model inputs, float64.
    y_train (N_train,), y_test (N_test,): int64 class indices or float64 targets.
    raw_train, raw_test: the inputs before features and standardization, for drawing:
        (N, 2) points for 2-D sets, (N, 64) pixels 0..16 for digits, (N, D) for CSV.
    input_names: D names, one per model input column.
    class_names: C names ([] for regression).
    standardizer: fitted on the training split only (identity if not standardizing).
    features: the feature keys of a 2-D set ([] otherwise).
    image_shape: (8, 8) for digits, else None.
    """

    name: str
    task: str
    n_classes: int
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    raw_train: np.ndarray
    raw_test: np.ndarray
    input_names: list[str]
    class_names: list[str]
    standardizer: Standardizer
    features: list[str]
    image_shape: tuple[int, int] | None

    def inputs(self, raw: np.ndarray) -> np.ndarray:
        """Raw rows (M, raw dims) -> model inputs (M, D): features (2-D sets), then standardize."""
        if self.features:
            raw = make_features(raw, self.features)
        return self.standardizer.transform(raw)

    def grid(self, resolution: int) -> tuple[np.ndarray, np.ndarray]:
        """2-D sets only: a resolution x resolution grid over [-6, 6]^2, for drawing the
        network's output as an image.

        Returns:
            points: (R*R, 2) raw coordinates of the cell centres, row-major like an image:
                row i has x2 = 6 - (i + 0.5) * 12 / R (decreasing down the rows), column j
                has x1 = -6 + (j + 0.5) * 12 / R. points.reshape(R, R, 2) is the image.
            inputs: (R*R, D) the model inputs of those points, after the same features and
                standardization as the training data.
        """
        if not self.features:
            raise DataError("data", f"a grid exists only for the 2-D sets, not for {self.name!r}")
        if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 1:
            raise DataError(
                "resolution", f"resolution must be a whole number >= 1, got {resolution!r}"
            )
        step = 2 * DOMAIN / resolution
        centres = -DOMAIN + (np.arange(resolution) + 0.5) * step
        x1, x2 = np.meshgrid(centres, centres[::-1])  # x2 decreases down the rows
        points = np.stack([x1.ravel(), x2.ravel()], axis=1)
        return points, self.inputs(points)


def _split(n: int, test_share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded permutation of n rows -> (train indices, test indices); each split has >= 1 row."""
    n_test = min(max(round(test_share * n), 1), n - 1)
    order = np.random.default_rng([seed, 1]).permutation(n)  # a stream apart from generate()'s
    return order[n_test:], order[:n_test]


def _keep_per_class(
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


def is_image_header(names: Sequence[str]) -> bool:
    """A CSV whose 64 feature columns are named p0..p63 (or px0..px63) holds 8 x 8 images, like
    the digits: it is drawn as images and standardized like them."""
    return len(names) == 64 and any(
        list(names) == [f"{prefix}{i}" for i in range(64)] for prefix in ("p", "px"))


DIGITS_TASKS = ("all", "0-4", "5-9", "even_odd", "ge5", "groups")
DIGITS_HALVES = ("all", "a", "b")
DIGITS_HALF_SEED = 7  # fixed, so that a model pretrained on half "a" never saw a row of half "b"


def digits_half_rows(half: str, n: int = DIGITS_SHAPE[0]) -> np.ndarray:
    """Row indices of one half of the digits, from a fixed permutation: "a" (the first
    n // 2 rows of it), "b" (the rest) or "all". The zoo's digits models are pretrained on
    half "a"; fine-tuning tasks use half "b", so their test rows were never seen."""
    if half not in DIGITS_HALVES:
        raise DataError("digits_half", f"digits_half {half!r} is unknown; allowed: "
                        + ", ".join(DIGITS_HALVES))
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
        raise DataError("digits_task", f"digits_task {task!r} is unknown; allowed: "
                        + ", ".join(DIGITS_TASKS))
    rule = ("digit_groups must be at least two non-empty lists of distinct digits 0-9, "
            "e.g. [[0, 6, 8, 9], [1, 4, 7]]")
    if not isinstance(groups, (list, tuple)) or len(groups) < 2:
        raise DataError("digit_groups", f"{rule}; got {groups!r}")
    table = np.full(10, -1, dtype=np.int64)
    for g, group in enumerate(groups):
        if not isinstance(group, (list, tuple)) or not group:
            raise DataError("digit_groups", f"{rule}; got {groups!r}")
        for d in group:
            if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 9 or table[d] >= 0:
                raise DataError("digit_groups", f"{rule}; got {groups!r}")
            table[d] = g
    rows = np.flatnonzero(table[y] >= 0)
    names = [",".join(str(d) for d in group) for group in groups]
    return rows, table[y[rows]], names


def load_dataset(
    name: str = "spiral",
    samples: int = 500,
    noise: float = 0.0,
    test_share: float = 0.5,
    seed: int = 0,
    classes: int = 3,
    features: Sequence[str] = ("x1", "x2"),
    standardize: bool = True,
    train_per_class: int | None = None,
    csv: CsvData | None = None,
    digits_task: str = "all",
    digits_half: str = "all",
    digit_groups: Sequence[Sequence[int]] | None = None,
) -> Dataset:
    """Make or load a data set, split it, make features and standardize.

    Args:
        name: a key of DATASETS, or "csv" to use ``csv``.
        samples, noise, classes: passed to ``generate`` for the 2-D sets; ignored otherwise.
        test_share: fraction of rows for the test split, 0 < test_share < 1; the rounded
            count is clamped so that each split keeps at least one row.
        seed: seeds the generator (2-D sets), the split and the train_per_class choice.
        features: feature keys for the 2-D sets (see FEATURES); ignored otherwise.
        standardize: fit a Standardizer on the training split (after features) and apply
            it to both splits; otherwise the identity. Per column, except for digits, whose
            64 pixels share one mean and std (see Standardizer.fit).
        train_per_class: classification only: keep just this many training examples of each
            class (seeded), e.g. for few-shot fine-tuning. The test split is unchanged and the
            standardizer is fitted on the rows kept.
        csv: the parsed file, when name == "csv".
        digits_task, digits_half, digit_groups: digits only: which half of the digits to use
            (see digits_half_rows) and how to label them (see relabel_digits).

    Returns a Dataset (see its docstring for the shapes).
    """
    if isinstance(test_share, bool) or not (
        isinstance(test_share, int | float) and 0.0 < test_share < 1.0
    ):
        raise DataError("test_share", f"test_share must be between 0 and 1, got {test_share!r}")
    _check_seed(seed)
    image_shape: tuple[int, int] | None = None
    feature_keys: list[str] = []
    if name == CSV_NAME:
        if csv is None:
            raise DataError("csv", 'data "csv" needs an uploaded CSV file; none was given')
        raw, y = csv.X, csv.y
        task, class_names, input_names = csv.task, list(csv.class_names), list(csv.feature_names)
        if is_image_header(input_names):  # e.g. drawings from the page's pad: 8 x 8 pixels
            image_shape = DIGITS_IMAGE_SHAPE
    elif name == "digits":
        raw, y = load_digits()
        half = digits_half_rows(digits_half, len(y))
        raw, y = raw[half], y[half]
        rows, y, class_names = relabel_digits(y, digits_task, digit_groups)
        raw = raw[rows]
        task = "classification"
        input_names = [f"px{i}" for i in range(DIGITS_SHAPE[1])]
        image_shape = DIGITS_IMAGE_SHAPE
    else:
        info = _check_name(name)
        feature_keys = _check_features(features)
        raw, y = generate(name, samples, noise, seed, classes)
        task = info.task
        n = classes if name == "blobs" else info.n_classes
        class_names = [str(c) for c in range(n)]
        input_names = feature_keys
    n_classes = len(class_names)
    if len(y) < 2:
        raise DataError("data", f"a data set needs at least 2 rows to split, got {len(y)}")

    train, test = _split(len(y), test_share, seed)
    if train_per_class is not None:
        if task != "classification":
            raise DataError("train_per_class", "train_per_class applies to classification only")
        if isinstance(train_per_class, bool) or not isinstance(train_per_class, int):
            raise DataError(
                "train_per_class",
                f"train_per_class must be a whole number, got {train_per_class!r}",
            )
        if train_per_class < 1:
            raise DataError(
                "train_per_class", f"train_per_class must be >= 1, got {train_per_class}"
            )
        train = train[_keep_per_class(y[train], train_per_class, n_classes, seed, class_names)]

    raw_train, raw_test = raw[train].astype(np.float64), raw[test].astype(np.float64)
    inputs_train = make_features(raw_train, feature_keys) if feature_keys else raw_train
    inputs_test = make_features(raw_test, feature_keys) if feature_keys else raw_test
    dims = inputs_train.shape[1]
    if standardize:  # digits: one mean and std shared by all 64 pixels
        standardizer = Standardizer.fit(inputs_train, shared=image_shape is not None)
    else:
        standardizer = Standardizer.identity(dims)
    return Dataset(
        name=name,
        task=task,
        n_classes=n_classes,
        X_train=standardizer.transform(inputs_train),
        y_train=y[train],
        X_test=standardizer.transform(inputs_test),
        y_test=y[test],
        raw_train=raw_train,
        raw_test=raw_test,
        input_names=input_names,
        class_names=class_names,
        standardizer=standardizer,
        features=feature_keys,
        image_shape=image_shape,
    )
