"""The registry of data sets (names, tasks, class counts, titles) and the data error type.

``DATASETS`` is the one list of bundled sets: it feeds the menus, validation and
``load_dataset``. The uploaded CSV file is not in it; its data name is ``CSV_NAME``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..echo import short

CSV_NAME = "csv"
"""The data name that means "use the uploaded CSV file" (not a key of DATASETS)."""


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


def check_name(name: str) -> DatasetInfo:
    if name not in DATASETS:
        raise DataError("data", f"unknown data set {short(name)}; allowed: {_allowed_names()}")
    return DATASETS[name]


def check_seed(seed: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise DataError("seed", f"seed must be a whole number >= 0, got {short(seed)}")
