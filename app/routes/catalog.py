"""What the server offers: health, the configuration schema, data sets, presets, models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter

from engine import activations, losses, network, optim
from engine import config as cfgmod
from engine.data import DATASETS, FEATURES

from .. import __version__
from ..deps import ManagerDep
from ..presets import PRESETS

router = APIRouter(prefix="/api", tags=["catalog"])

ZOO = Path(network.__file__).resolve().parent / "zoo"


def _choices() -> dict[str, list[Any]]:
    return {
        "data": [*DATASETS, "csv"],
        "activation": list(activations.ACTIVATIONS),
        "output": ["auto", *losses.OUTPUTS],
        "loss": ["auto", *losses.LOSSES],
        "init": list(network.INITS),
        "dtype": ["float32", "float64"],
        "optimizer": list(optim.OPTIMIZERS),
        "regularization": ["none", "l1", "l2"],
        "features": list(FEATURES),
    }


@router.get("/health")
def health(manager: ManagerDep) -> dict[str, Any]:
    """Liveness: the server answers and says how many sessions it holds."""
    return {"status": "ok", "sessions": len(manager), "version": __version__}


@router.get("/schema")
def schema() -> list[dict[str, Any]]:
    """Every configuration field: name, default, doc, group, whether it changes live, and
    the allowed values of the fields that take one of a list."""
    choices = _choices()
    fields = []
    for entry in cfgmod.describe():
        entry = dict(entry)
        if "choices" not in entry and entry["name"] in choices:
            entry["choices"] = choices[entry["name"]]
        fields.append(entry)
    return fields


@router.get("/datasets")
def datasets() -> list[dict[str, Any]]:
    """The bundled data sets and generators (an uploaded CSV file is the extra name "csv")."""
    return [{"name": d.name, "task": d.task, "n_classes": d.n_classes, "dims": d.dims,
             "title": d.title, "description": d.description} for d in DATASETS.values()]


@router.get("/presets")
def presets() -> list[dict[str, Any]]:
    """Named starting configurations."""
    return [p.to_dict() for p in PRESETS.values()]


@router.get("/models")
def models() -> list[dict[str, Any]]:
    """The pretrained models that ship with the app (files in engine/zoo)."""
    if not ZOO.is_dir():
        return []
    out = []
    for path in sorted(ZOO.glob("*.safetensors")):
        out.append({"name": path.stem, "file": path.name, "bytes": path.stat().st_size})
    return out
