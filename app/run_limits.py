"""The server's limits on a run: parameters per network, and work (rows × parameters) per
training step and per evaluation. Checked before a run is built, and again once built."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from engine import config as cfgmod
from engine.data import DATASETS, CsvData, DataError, digits_half_rows, load_digits, relabel_digits
from engine.trainer import Trainer

from .errors import AppError
from .settings import Settings


def count_params(cfg: Mapping[str, Any], csv: CsvData | None = None) -> int:
    """Weights and biases of the network a (validated) configuration builds."""
    name = cfg["data"]
    if name == "csv":
        if csv is None:
            return 0
        dims, task, n_classes = csv.X.shape[1], csv.task, len(csv.class_names)
    else:
        info = DATASETS[name]
        dims = info.dims if info.dims != 2 else len(cfg["features"])
        task = info.task
        n_classes = cfg["classes"] if name == "blobs" else info.n_classes
    _, _, units = cfgmod.resolve_output(cfg, task, n_classes)
    sizes = [dims, *cfg["layers"], units]
    return sum(o * i + o for i, o in zip(sizes[:-1], sizes[1:], strict=True))


def count_rows(cfg: Mapping[str, Any], csv: CsvData | None = None) -> tuple[int, int]:
    """(training rows, test rows) of the data a (validated) configuration loads, without
    loading it (``train_per_class`` counted as its most)."""
    name = cfg["data"]
    if name == "csv":
        n = 0 if csv is None else len(csv.y)
        n_classes = 0 if csv is None else len(csv.class_names)
    elif name == "digits":
        _, y = load_digits()
        y = y[digits_half_rows(cfg["digits_half"], len(y))]
        try:
            rows, _, names = relabel_digits(y, cfg["digits_task"], cfg["digit_groups"])
        except DataError:
            rows, names = y, [str(d) for d in range(10)]  # the engine names the field
        n, n_classes = len(rows), len(names)
    else:
        n = cfg["samples"]
        n_classes = cfg["classes"] if name == "blobs" else DATASETS[name].n_classes
    if n < 2:
        return n, 0
    n_test = min(max(round(cfg["test_share"] * n), 1), n - 1)
    n_train = n - n_test
    if cfg.get("train_per_class") is not None:
        n_train = min(n_train, cfg["train_per_class"] * max(1, n_classes))
    return n_train, n_test


def batch_rows(batch_size: int, n_train: int) -> int:
    """Rows of one training step: the batch, or every training row for 0 (full batch)."""
    return n_train if batch_size == 0 or batch_size > n_train else batch_size


def check_params(cfg: Mapping[str, Any], max_params: int, csv: CsvData | None = None) -> None:
    n = count_params(cfg, csv)
    if n > max_params:
        raise AppError("too_many_params",
                       f"layers: {cfg['layers']} makes a network of {n:,} parameters; this "
                       f"server allows at most {max_params:,} per network",
                       "layers", cfg["layers"], params=n, limit=max_params)


def check_work(cfg: Mapping[str, Any], max_work: int, params: int, n_train: int, n_test: int,
               changed: Collection[str] = (), runners: int = 1) -> None:
    """Refuse a run whose training step (batch rows × parameters) or evaluation ((train + test)
    rows × parameters) is over ``max_work``; ``params`` counts every runner of a race. The
    error names ``batch_size`` for a step; for an evaluation the field just changed
    (``layers`` or ``samples``), else what sets the rows (``samples``, ``csv``) or, for a data
    set of fixed size, ``layers``."""
    race = f" (a race: {runners} runners, {params:,} parameters in all)" if runners > 1 else ""
    b = batch_rows(cfg["batch_size"], n_train)
    if b * params > max_work:
        most = max(1, max_work // max(1, params))
        what = f"a full batch of {b:,} rows" if b == n_train else f"{b:,} rows"
        raise AppError("too_much_work_step", (
            f"batch_size: {what} × {params:,} parameters{race} is {b * params:,.0f} per step; "
            f"this server allows at most {max_work:,} (rows × parameters): choose a "
            + (f"batch_size of at most {most:,}, or " if most < n_train else "")
            + "smaller layers"), "batch_size", cfg["batch_size"],
            rows=b, params=params, limit=max_work)
    rows = n_train + n_test
    if rows * params <= max_work:
        return
    name = cfg["data"]
    sized = name not in ("csv", "digits")  # a generator: "samples" sets its rows
    if "layers" in changed or (name == "digits"):
        field = "layers"
    elif name == "csv" and "samples" not in changed:
        field = "csv"
    else:
        field = "samples" if sized else "layers"
    most = max_work // max(1, params)
    fixes = {"samples": f"at most {most:,} samples, or smaller layers",
             "csv": f"a CSV file of at most {most:,} rows, or smaller layers",
             "layers": "smaller layers" + (f" or at most {most:,} samples" if sized else "")}
    value = {"samples": cfg["samples"], "csv": rows, "layers": cfg["layers"]}[field]
    raise AppError("too_much_work_eval", (
        f"{field}: evaluating {rows:,} rows (train + test) × {params:,} parameters{race} is "
        f"{rows * params:,.0f} per frame; this server allows at most {max_work:,} "
        f"(rows × parameters): choose {fixes[field]}"), field, value,
        rows=rows, params=params, limit=max_work)


def check_limits(cfg: Mapping[str, Any], settings: Settings, csv: CsvData | None = None,
                 changed: Collection[str] = (), runners: int = 1) -> None:
    """The parameter and compute limits for a (validated) configuration, before building it
    (``runners``: a race's runner count). Raises AppError."""
    check_params(cfg, settings.max_params, csv)
    n_train, n_test = count_rows(cfg, csv)
    check_work(cfg, settings.max_work, count_params(cfg, csv) * runners, n_train, n_test,
               changed, runners)


def check_built(trainers: list[Trainer], settings: Settings, field: str | None = None,
                value: Any = None) -> None:
    """The limits for a built run (a race: every runner), counted exactly; ``field``
    replaces the field named (e.g. "model" for an uploaded model). Raises AppError."""
    for i, tr in enumerate(trainers):
        n = tr.net.n_params
        if n > settings.max_params:
            race = len(trainers) > 1
            name = field or (f"runners[{i}].model" if race else "layers")
            who = f"runner {i} has" if race else ("the model has" if field else "the run has")
            raise AppError("too_many_params",
                           f"{who} a network of {n:,} parameters; this server allows at "
                           f"most {settings.max_params:,} per network",
                           name, value if field else tr.config["layers"],
                           params=n, limit=settings.max_params)
    tr = trainers[0]
    try:
        check_work(tr.config, settings.max_work, sum(t.net.n_params for t in trainers),
                   len(tr.X_train), len(tr.X_test), runners=len(trainers))
    except AppError as exc:
        if field is None:
            raise
        raise AppError(exc.code, f"{field}: " + exc.message, field, value,
                       **exc.extra) from None
