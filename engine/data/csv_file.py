"""Uploaded CSV files: ``parse_csv`` reads one and explains what is wrong with a bad one."""

from __future__ import annotations

import csv as _csv
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..echo import short, text
from .registry import DataError

MIN_CSV_ROWS = 4
MAX_CSV_CLASSES = 100
"""A CSV classification label with more distinct values than this is probably a regression
target; we refuse it rather than build a 5,000-way softmax."""


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


MAX_CELL = 100
"""Longest number a cell may hold, in characters (a 5,000-digit "number" is not one)."""
MAX_INDEX_DIGITS = 9
"""Longest label column index, in digits."""
_INDEX = re.compile(rf"-?[0-9]{{1,{MAX_INDEX_DIGITS}}}")


def _names(names: Sequence[str], most: int = 20) -> str:
    """Column names for a message: the first ``most``, each cut short."""
    shown = [text(n)[:40] for n in names[:most]]
    return ", ".join(shown) + (f", ... ({len(names)} in all)" if len(names) > most else "")


def _label_index(label_column: str | int, header: list[str]) -> int:
    """The index of the label column named by ``label_column``: a header name, or an index
    (negative counts from the end), given as an int or as the text of one (as a query string
    brings it: "-1", "2"). A header name wins over the same text read as an index."""
    n = len(header)
    allowed = f"a header name ({_names(header)}) or an index 0..{n - 1} or -{n}..-1"
    if isinstance(label_column, str):
        if label_column in header:
            return header.index(label_column)
        if not _INDEX.fullmatch(label_column):
            raise DataError(
                "label_column",
                f"label column {short(label_column)} is not in the header; use {allowed}",
            )
        label_column = int(label_column)
    if isinstance(label_column, bool) or not isinstance(label_column, int):
        raise DataError(
            "label_column",
            f"label column must be a header name or an index, got {short(label_column)}",
        )
    if not -n <= label_column < n:
        raise DataError(
            "label_column",
            f"label column {short(label_column)} does not exist; the file has {n} "
            f"columns, so use 0..{n - 1} or -{n}..-1",
        )
    return label_column % n


def _number(text: str) -> float | None:
    """The cell as a float, or None if it is not a number."""
    if len(text) > MAX_CELL:
        return None
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
        raise DataError("task", f"task must be 'classification' or 'regression', got {short(task)}")
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
            f"({_names(header, 5)}); add a first row such as x1,x2,label",
        )
    for i, name in enumerate(header):
        if not name:
            raise DataError(where, f"column {i + 1} of the header has no name")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise DataError(where, f"header names must be unique; repeated: {_names(repeated)}")
    if len(header) < 2:
        raise DataError(
            where, f"the CSV file needs at least 2 columns (inputs and a label), got {len(header)}"
        )

    # The label column
    label_index = _label_index(label_column, header)
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
                f"csv: row {line}, column {short(header[label_index])}",
                f"row {line}, label column {short(header[label_index])}: the cell is empty",
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
            f"label column {short(header[label_index])} has one class only "
            f"({short(class_names[0])}); "
            "classification needs at least 2",
        )
    if len(class_names) > MAX_CSV_CLASSES:
        raise DataError(
            "csv",
            f"label column {short(header[label_index])} has {len(class_names)} different values; "
            f"classification allows at most {MAX_CSV_CLASSES} classes (is it a regression target?)",
        )
    index = {name: c for c, name in enumerate(class_names)}
    y = np.array([index[v] for v in labels], dtype=np.int64)
    return CsvData(X, y, feature_names, class_names, task)


def _cell_number(cell: str, line: int, column: str) -> float:
    """One numeric cell, or a DataError naming its row, column and content."""
    where = f"csv: row {line}, column {short(column)}"
    text = cell.strip()
    if not text:
        raise DataError(
            where, f"row {line}, column {short(column)}: the cell is empty; a number is needed"
        )
    value = _number(text)
    if value is None:
        raise DataError(where, f"row {line}, column {short(column)}: {short(cell)} is not a number")
    if not math.isfinite(value):
        raise DataError(
            where, f"row {line}, column {short(column)}: {short(cell)} is not a finite number"
        )
    return value


def is_image_header(names: Sequence[str]) -> bool:
    """A CSV whose 64 feature columns are named p0..p63 (or px0..px63) holds 8 x 8 images, like
    the digits: it is drawn as images and standardized like them."""
    return len(names) == 64 and any(
        list(names) == [f"{prefix}{i}" for i in range(64)] for prefix in ("p", "px")
    )
