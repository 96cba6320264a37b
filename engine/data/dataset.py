"""``load_dataset``: make or load a set, split it, make features, standardize -> ``Dataset``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..echo import short
from .csv_file import CsvData, is_image_header
from .digits import (
    DIGITS_IMAGE_SHAPE,
    DIGITS_SHAPE,
    digits_half_rows,
    load_digits,
    relabel_digits,
)
from .features import check_features, make_features
from .registry import CSV_NAME, DataError, check_name, check_seed
from .split import keep_per_class, split_rows
from .standardize import Standardizer
from .toy import DOMAIN, generate

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
    X_val (N_val, D), y_val (N_val,), raw_val: the validation split, held out of the training
        rows (N_val is 0 when val_share is 0).
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
    X_val: np.ndarray
    y_val: np.ndarray
    raw_val: np.ndarray

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
            raise DataError(
                "data", f"a grid exists only for the 2-D sets, not for {short(self.name)}"
            )
        if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 1:
            raise DataError(
                "resolution", f"resolution must be a whole number >= 1, got {short(resolution)}"
            )
        step = 2 * DOMAIN / resolution
        centres = -DOMAIN + (np.arange(resolution) + 0.5) * step
        x1, x2 = np.meshgrid(centres, centres[::-1])  # x2 decreases down the rows
        points = np.stack([x1.ravel(), x2.ravel()], axis=1)
        return points, self.inputs(points)


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
    val_share: float = 0.0,
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
        val_share: share of the training rows held out for validation (seeded; after the
            test split, before train_per_class), 0 <= val_share < 1; 0 holds out none. The
            standardizer never sees them.

    Returns a Dataset (see its docstring for the shapes).
    """
    if isinstance(test_share, bool) or not (
        isinstance(test_share, int | float) and 0.0 < test_share < 1.0
    ):
        raise DataError(
            "test_share", f"test_share must be between 0 and 1, got {short(test_share)}"
        )
    check_seed(seed)
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
        info = check_name(name)
        feature_keys = check_features(features)
        raw, y = generate(name, samples, noise, seed, classes)
        task = info.task
        n = classes if name == "blobs" else info.n_classes
        class_names = [str(c) for c in range(n)]
        input_names = feature_keys
    n_classes = len(class_names)
    if len(y) < 2:
        raise DataError("data", f"a data set needs at least 2 rows to split, got {len(y)}")

    if isinstance(val_share, bool) or not (
        isinstance(val_share, int | float) and 0.0 <= val_share < 1.0
    ):
        raise DataError("val_share", f"val_share must be >= 0 and < 1, got {short(val_share)}")
    train, val, test = split_rows(len(y), test_share, seed, val_share)
    if len(train) < 1:
        raise DataError(
            "val_share",
            f"val_share {val_share} leaves no training rows: of {len(y)} rows, {len(test)} are "
            f"for testing and {len(val)} for validation; use a smaller val_share",
        )
    if train_per_class is not None:
        if task != "classification":
            raise DataError("train_per_class", "train_per_class applies to classification only")
        if isinstance(train_per_class, bool) or not isinstance(train_per_class, int):
            raise DataError(
                "train_per_class",
                f"train_per_class must be a whole number, got {short(train_per_class)}",
            )
        if train_per_class < 1:
            raise DataError(
                "train_per_class", f"train_per_class must be >= 1, got {train_per_class}"
            )
        train = train[keep_per_class(y[train], train_per_class, n_classes, seed, class_names)]

    raw_train, raw_test = raw[train].astype(np.float64), raw[test].astype(np.float64)
    raw_val = raw[val].astype(np.float64)
    inputs_train = make_features(raw_train, feature_keys) if feature_keys else raw_train
    inputs_test = make_features(raw_test, feature_keys) if feature_keys else raw_test
    inputs_val = make_features(raw_val, feature_keys) if feature_keys else raw_val
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
        X_val=standardizer.transform(inputs_val),
        y_val=y[val],
        raw_val=raw_val,
    )
