"""The facts of a run, known without training it: parameters, rows of each split, batch rows.

    >>> run_size({"data": "spiral", "samples": 500, "layers": [8, 8]})
    RunSize(params=113, train_rows=250, val_rows=0, test_rows=250, batch_rows=10)

The numbers come from the same functions that build the run: the split sizes from
``engine.data.split_sizes`` (what ``load_dataset`` splits by), the batch from ``batch_rows``
(what ``Trainer.batch_size`` returns), the output layer from ``engine.config.resolve_output`` and,
for a pretrained model, whether its head is replaced from ``head_replaced`` (what the Trainer
decides by). A server can refuse a run that is too large before building it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import config as cfgmod
from .data import (
    CSV_NAME,
    DATASETS,
    CsvData,
    DataError,
    digits_half_rows,
    load_digits,
    per_class_rows,
    relabel_digits,
    split_sizes,
)


@dataclass(frozen=True)
class RunSize:
    """params: weights and biases of the network; train_rows, val_rows, test_rows: rows of each
    split (train_rows after ``train_per_class``, counted as its most); batch_rows: rows of one
    training step."""

    params: int
    train_rows: int
    val_rows: int
    test_rows: int
    batch_rows: int


def batch_rows(batch_size: int, n_train: int) -> int:
    """Rows of one training step: the batch, or every training row for 0 (full batch) or for a
    batch larger than the training set."""
    return n_train if batch_size == 0 or batch_size > n_train else batch_size


def head_replaced(replace_head: str, pre: Mapping[str, Any], data: str,
                  class_names: Sequence[str], task: str) -> bool:
    """Whether a pretrained model gets a fresh output layer: when asked ("replace"), or with
    "auto" when the task differs from the one it learned (``pre``: its stored preprocessing)."""
    same_task = (pre.get("data") == data and pre.get("class_names") == list(class_names)
                 and pre.get("task", task) == task)
    return replace_head == "replace" or (replace_head == "auto" and not same_task)


def layer_params(sizes: Sequence[int]) -> int:
    """Weights and biases of dense layers of these widths: sum of out * in + out."""
    return sum(o * i + o for i, o in zip(sizes[:-1], sizes[1:], strict=True))


def _source(cfg: Mapping[str, Any], csv: CsvData | None) -> tuple[int, int, int, str,
                                                                  list[str]]:
    """(rows, input columns, classes, task, class names) of the data before splitting."""
    name = cfg["data"]
    if name == CSV_NAME:
        if csv is None:
            return 0, 0, 0, "classification", []
        return len(csv.y), int(csv.X.shape[1]), len(csv.class_names), csv.task, \
            list(csv.class_names)
    if name == "digits":
        _, y = load_digits()
        y = y[digits_half_rows(cfg["digits_half"], len(y))]
        try:
            rows, _, names = relabel_digits(y, cfg["digits_task"], cfg["digit_groups"])
        except DataError:  # the Trainer names the bad field; count every digit meanwhile
            rows, names = y, [str(d) for d in range(10)]
        return len(rows), DATASETS[name].dims, len(names), "classification", names
    info = DATASETS[name]
    n_classes = cfg["classes"] if name == "blobs" else info.n_classes
    return (int(cfg["samples"]), len(cfg["features"]), n_classes, info.task,
            [str(c) for c in range(n_classes)])


def _params(cfg: Mapping[str, Any], dims: int, n_classes: int, task: str,
            class_names: list[str]) -> int:
    _, _, units = cfgmod.resolve_output(cfg, task, n_classes)
    model = cfg.get("model")
    if model is not None and model != "upload":  # a zoo model brings its own layers
        from .zoo import load

        try:
            net, pre, _ = load(model)
        except ValueError:
            return layer_params([dims, *cfg["layers"], units])
        if head_replaced(cfg["replace_head"], pre, cfg["data"], class_names, task):
            return layer_params([*net.sizes[:-1], units])
        return net.n_params
    # an uploaded model: the Trainer writes its hidden widths into "layers"
    return layer_params([dims, *cfg["layers"], units])


def run_size(cfg: Mapping[str, Any], csv: CsvData | None = None) -> RunSize:
    """The sizes of the run a validated configuration builds, without building it.

    ``csv``: the uploaded file for data "csv" (none: 0 rows and 0 parameters of input). Rows
    of a set too small to split (under 2) count as training rows. Missing fields take their
    defaults; the values are not checked again (``engine.config.validate`` does that once).
    """
    cfg = {**cfgmod.defaults(), **cfg}
    if cfg["data"] == CSV_NAME and csv is None:
        return RunSize(params=0, train_rows=0, val_rows=0, test_rows=0, batch_rows=0)
    n, dims, n_classes, task, class_names = _source(cfg, csv)
    n_train, n_val, n_test = split_sizes(n, cfg["test_share"], cfg.get("val_share", 0.0))
    if task == "classification":
        n_train = per_class_rows(n_train, cfg["train_per_class"], n_classes)
    params = _params(cfg, dims, n_classes, task, class_names)
    return RunSize(params=params, train_rows=n_train, val_rows=n_val, test_rows=n_test,
                   batch_rows=batch_rows(cfg["batch_size"], n_train))
