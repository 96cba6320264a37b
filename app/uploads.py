"""(worker thread) Uploads that start a new run in a session: a CSV data set, a model."""

from __future__ import annotations

from typing import Any

from engine import config as cfgmod
from engine.data import CsvData
from engine.race import Race
from engine.trainer import Trainer

from . import frames
from .publish import replace_run
from .run_limits import check_built
from .runs import build_run
from .session import Session


def load_csv(s: Session, csv: CsvData) -> dict[str, Any]:
    """Train on an uploaded CSV file from now on: a new run."""
    cfg = dict(s.race.config if s.race is not None else s.trainer.config)
    cfg.update(data="csv", output="auto", loss="auto", train_per_class=None)
    trainer, race = build_run(cfgmod.validate(cfg), s.race_spec(), s.settings, csv=csv,
                              model_file=s.trainer.model_file, check_every=s.check_every())
    rows, columns = int(len(csv.y)), int(csv.X.shape[1])
    _start(s, trainer, race, "data", "csv_loaded", (
        f"now training on the uploaded CSV file: {rows} rows, {columns} input columns"),
        rows=rows, columns=columns)
    return {"config": s.config, "rows": rows, "features": list(csv.feature_names),
            "classes": list(csv.class_names), "task": csv.task}


def load_model(s: Session, raw: bytes) -> dict[str, Any]:
    """Start from an uploaded safetensors model from now on: a new run (``"model":
    "upload"``; its own layer count, so ``freeze`` starts from the model's). Raises
    ConfigError or AppError and keeps the current run when the file does not fit."""
    cfg = dict(s.race.config if s.race is not None else s.trainer.config)
    cfg.update(model="upload", freeze=[])
    trainer, race = build_run(cfgmod.validate(cfg), s.race_spec(), s.settings,
                              csv=s.trainer.csv, model_file=raw, check=False,
                              check_every=s.check_every())
    check_built(race.trainers if race else [trainer], s.settings, "model", "upload")
    replaced = bool(trainer.head and trainer.head["replaced"])
    _start(s, trainer, race, "model", "model_loaded", (
        f"now starting from the uploaded model: layers {trainer.net.sizes}"
        + (", output layer replaced" if replaced else "")),
        sizes=list(trainer.net.sizes), replaced=replaced)
    return {"config": s.config, "info": s.info, "head": frames.clean(trainer.head)}


def _start(s: Session, trainer: Trainer, race: Race | None, field: str, code: str,
           message: str, **numbers: Any) -> None:
    """Swap in the run an upload built (no lesson any more) and tell every client."""
    replace_run(s, trainer, race)
    with s.lock:
        s.lesson = None
    s.broadcast(s.config_event([field], "data"))
    s.notice(code, message, **numbers)
    s.broadcast(s.state_event())
