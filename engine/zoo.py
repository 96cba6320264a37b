"""The model zoo: small pretrained models that ship with the app, for fine-tuning.

engine/zoo/index.json lists the models (title, description, training steps); for each, NAME.json
is its run configuration, exactly what ``python -m engine train`` reads, and NAME.safetensors
the model it trains. `make models` (scripts/make_models.py) retrains every model with

    python -m engine train engine/zoo/NAME.json --steps STEPS --out engine/zoo/NAME.safetensors

and tests check that the shipped files still match their recipes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .network import Network
from .serialize import model_from_bytes, model_metrics

ZOO_DIR = Path(__file__).resolve().parent / "zoo"


def _index() -> dict[str, dict[str, Any]]:
    return json.loads((ZOO_DIR / "index.json").read_text(encoding="utf-8"))


def model_names() -> list[str]:
    """Names of the shipped models (listed in the index, with a model file beside them)."""
    return [n for n in _index() if (ZOO_DIR / f"{n}.safetensors").exists()]


def recipe(name: str) -> dict[str, Any]:
    """The recipe of model ``name``: title, description, steps, and config (its run
    configuration)."""
    index = _index()
    if name not in index:
        raise ValueError(f"model {name!r} is not in the zoo; allowed: {', '.join(index)}")
    config = json.loads((ZOO_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return {**index[name], "name": name, "config": config}


def model_file(name: str) -> bytes:
    recipe(name)  # checks the name
    return (ZOO_DIR / f"{name}.safetensors").read_bytes()


def load(name: str) -> tuple[Network, dict[str, Any], dict[str, Any]]:
    """(network, preprocessing, config) of zoo model ``name``."""
    return model_from_bytes(model_file(name))


def describe(name: str) -> dict[str, Any]:
    """What the page lists for a model: architecture, training data and its test accuracy."""
    r = recipe(name)
    raw = model_file(name)
    net, pre, cfg = model_from_bytes(raw)
    return {
        "name": name, "title": r["title"], "description": r["description"],
        "sizes": net.sizes, "activation": net.activation, "output": net.output,
        "parameters": net.n_params, "data": cfg.get("data"),
        "digits_task": cfg.get("digits_task"), "digits_half": cfg.get("digits_half"),
        "class_names": pre.get("class_names", []), "steps": r["steps"],
        "metrics": model_metrics(raw),
    }


def catalogue() -> list[dict[str, Any]]:
    return [describe(n) for n in model_names()]
