"""Data sets for Backprop Lab: 2-D toy sets, the 8x8 digits, and uploaded CSV files.

Everything a run feeds to a network comes from here, one module per job:

- ``registry``: ``DATASETS``, the one registry of all sets (names, titles, tasks), and
  ``DataError``.
- ``toy``: ``generate`` draws one of the 2-D sets (TensorFlow Playground style, points in
  [-6, 6]^2).
- ``features``: ``make_features`` turns raw points X (N, 2) into model inputs (N, F): x1, x2,
  x1^2, ...
- ``standardize``: ``Standardizer`` rescales each input column to mean 0 and standard
  deviation 1, using statistics of the training split only, so the test split stays unseen
  (the 64 digit pixels share one mean and std).
- ``digits``: ``load_digits`` reads the bundled UCI digits (engine/datafiles/digits.npz);
  its halves and relabelled tasks.
- ``csv_file``: ``parse_csv`` reads an uploaded CSV file and explains what is wrong with a
  bad one.
- ``split``: the seeded train / validation / test split, and the sizes it gives.
- ``dataset``: ``load_dataset`` puts it together: make or load the set, split it, make
  features, standardize; it returns a ``Dataset``.

Shapes: N rows (examples), D model-input columns, C classes. Classification labels are
int64 class indices 0..C-1; regression targets are float64.

Only NumPy and the standard library are used.
"""

from .csv_file import MAX_CSV_CLASSES, MIN_CSV_ROWS, TASKS, CsvData, is_image_header, parse_csv
from .dataset import Dataset, load_dataset
from .digits import (
    DIGITS_HALF_SEED,
    DIGITS_HALVES,
    DIGITS_IMAGE_SHAPE,
    DIGITS_PATH,
    DIGITS_SHAPE,
    DIGITS_TASKS,
    digits_half_rows,
    load_digits,
    relabel_digits,
)
from .features import (
    FEATURE_EXPRS,
    FEATURE_OPS,
    FEATURE_VARS,
    FEATURES,
    check_features,
    evaluate_feature,
    make_features,
)
from .registry import BLOB_CLASSES, CSV_NAME, DATASETS, DataError, DatasetInfo
from .split import keep_per_class, per_class_rows, split_rows, split_sizes
from .standardize import Standardizer
from .toy import (
    DOMAIN,
    MAX_SAMPLES,
    MIN_SAMPLES,
    REGRESSION_NOISE,
    bumps_target,
    generate,
    plane_target,
)

__all__ = [
    "BLOB_CLASSES",
    "CSV_NAME",
    "DATASETS",
    "DIGITS_HALF_SEED",
    "DIGITS_HALVES",
    "DIGITS_IMAGE_SHAPE",
    "DIGITS_PATH",
    "DIGITS_SHAPE",
    "DIGITS_TASKS",
    "DOMAIN",
    "FEATURES",
    "FEATURE_EXPRS",
    "FEATURE_OPS",
    "FEATURE_VARS",
    "MAX_CSV_CLASSES",
    "MAX_SAMPLES",
    "MIN_CSV_ROWS",
    "MIN_SAMPLES",
    "REGRESSION_NOISE",
    "TASKS",
    "CsvData",
    "DataError",
    "Dataset",
    "DatasetInfo",
    "Standardizer",
    "bumps_target",
    "check_features",
    "digits_half_rows",
    "evaluate_feature",
    "generate",
    "is_image_header",
    "keep_per_class",
    "load_dataset",
    "load_digits",
    "make_features",
    "parse_csv",
    "per_class_rows",
    "plane_target",
    "relabel_digits",
    "split_rows",
    "split_sizes",
]
