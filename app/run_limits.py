"""The server's limits on a run: parameters per network, and work (rows × parameters) per
training step and per evaluation. Checked before a run is built, and again once built."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from engine.data import CsvData
from engine.sizing import batch_rows, run_size
from engine.trainer import Trainer

from .errors import AppError
from .settings import Settings


def check_params(cfg: Mapping[str, Any], max_params: int, n: int) -> None:
    """Refuse a network of more than ``max_params`` parameters (``n``)."""
    if n > max_params:
        raise AppError("too_many_params",
                       f"layers: {cfg['layers']} makes a network of {n:,} parameters; this "
                       f"server allows at most {max_params:,} per network",
                       "layers", cfg["layers"], params=n, limit=max_params)


def check_work(cfg: Mapping[str, Any], max_work: int, params: int, n_train: int, n_eval: int,
               changed: Collection[str] = (), runners: int = 1) -> None:
    """Refuse a run whose training step (batch rows × parameters) or evaluation ((train + test)
    rows × parameters) is over ``max_work``; ``params`` counts every runner of a race,
    ``n_eval`` the rows evaluated beside the training rows (test, and validation if any). The
    error names ``batch_size`` for a step; for an evaluation the field just changed
    (``layers`` or ``samples``), else what sets the rows (``samples``, ``csv``) or, for a data
    set of fixed size, ``layers``."""
    race = f" (a race: {runners} runners, {params:,} parameters in all)" if runners > 1 else ""
    b = batch_rows(cfg["batch_size"], n_train)  # the engine's rule
    if b * params > max_work:
        most = max(1, max_work // max(1, params))
        what = f"a full batch of {b:,} rows" if b == n_train else f"{b:,} rows"
        raise AppError("too_much_work_step", (
            f"batch_size: {what} × {params:,} parameters{race} is {b * params:,.0f} per step; "
            f"this server allows at most {max_work:,} (rows × parameters): choose a "
            + (f"batch_size of at most {most:,}, or " if most < n_train else "")
            + "smaller layers"), "batch_size", cfg["batch_size"],
            rows=b, params=params, limit=max_work)
    rows = n_train + n_eval
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
    size = run_size(cfg, csv)  # the engine's facts: parameters, rows of each split
    check_params(cfg, settings.max_params, size.params)
    check_work(cfg, settings.max_work, size.params * runners, size.train_rows,
               size.val_rows + size.test_rows, changed, runners)


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
