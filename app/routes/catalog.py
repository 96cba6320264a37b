"""What the server offers: health, the configuration schema, data sets, presets, models."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from engine import config as cfgmod
from engine import facts as enginefacts
from engine import lessons, zoo
from engine.data import DATASETS

from .. import __version__
from ..deps import ManagerDep
from ..presets import PRESETS

router = APIRouter(prefix="/api", tags=["catalog"])


@router.get("/health")
def health(manager: ManagerDep) -> dict[str, Any]:
    """Liveness: the server answers and says how many sessions it holds."""
    return {"status": "ok", "sessions": len(manager), "version": __version__}


@router.get("/schema")
def schema() -> list[dict[str, Any]]:
    """Every configuration field: name, default, doc, group, whether it changes live, what a
    change rebuilds (``rebuilds``: "data", "network" or null), and
    what its control needs: the allowed values (``choices``) of the fields that take one of a
    list, the range (``min``, ``max``, ``min_open``, ``integer``, ``nullable``) of numbers."""
    return cfgmod.describe()


@router.get("/engine")
def engine_facts() -> dict[str, Any]:
    """The engine's global facts for the page: output/loss pairs and what "auto" picks, class
    counts of the digits tasks, the network's limits, the input features with a formula each,
    the activations, the live and data fields and the race's check interval (the shape is in
    docs/config.md)."""
    return enginefacts.facts()


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
    """The pretrained models that ship with the app: name, title, description, sizes,
    activation, output, parameters, data, digits_task, digits_half, class_names, steps and
    metrics (test_acc among them)."""
    return zoo.catalogue()


@router.get("/lessons", responses={422: {"description": "an unknown language"}})
def lesson_menu(lang: Annotated[str, Query(description="en or ja")] = "en") -> Any:
    """The lessons in one language: name, title, explanation, question, look_at, focus, steps,
    figure, runs (name, label, config) and race (runners, target_loss, evaluate_every) or
    null."""
    try:
        return lessons.catalogue(lang)
    except lessons.LessonError as exc:
        return JSONResponse({"detail": [{"field": "lang", "value": lang[:20],
                                         "message": f"lang: {exc}"}]}, status_code=422)
