"""The 2-D toy sets (TensorFlow Playground style): points in [-6, 6]^2 with classes or targets.

``generate(name, samples, noise, seed)`` draws one; each generator takes (rng, counts, noise)
and returns X (N, 2) and y (N,).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..echo import short
from .registry import BLOB_CLASSES, DataError, DatasetInfo, check_name, check_seed

DOMAIN = 6.0
"""The 2-D sets' points lie in [-DOMAIN, DOMAIN]^2, the square the page draws."""

MIN_SAMPLES = 10
MAX_SAMPLES = 100_000
"""Allowed range of ``samples`` for the 2-D sets."""


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
    info = check_name(name)
    if name not in _GENERATORS:
        two_d = ", ".join(f'"{k}"' for k in _GENERATORS)
        raise DataError(
            "data", f"{short(name)} is not a 2-D set that can be generated; use {two_d}"
        )
    if isinstance(samples, bool) or not isinstance(samples, int | np.integer):
        raise DataError("samples", f"samples must be a whole number, got {short(samples)}")
    if not MIN_SAMPLES <= samples <= MAX_SAMPLES:
        raise DataError(
            "samples", f"samples must be from {MIN_SAMPLES} to {MAX_SAMPLES}, got {samples}"
        )
    if isinstance(noise, bool) or not (isinstance(noise, int | float) and 0.0 <= noise <= 1.0):
        raise DataError("noise", f"noise must be a number from 0 to 1, got {short(noise)}")
    check_seed(seed)
    if name == "blobs":
        lo, hi = BLOB_CLASSES
        whole = isinstance(classes, int | np.integer) and not isinstance(classes, bool)
        if not whole or not lo <= classes <= hi:
            raise DataError("classes", f"classes must be from {lo} to {hi}, got {short(classes)}")
    return info


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
