"""The engine's global facts, as one JSON-ready object, so that a page reads them instead of
keeping copies: which output goes with which loss, what "auto" picks, class counts of the
digits tasks, the network's limits, the input features with their formulas, the activations
and the race's check interval. Per-field facts (default, range, live, what a change rebuilds)
are in ``engine.config.describe()``.

    >>> facts()["pairs"][0]
    ['linear', 'mse']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import config as cfgmod
from .activations import ACTIVATIONS, ELU_ALPHA, GELU_C, LEAKY_SLOPE
from .data import DIGITS_TASKS, DOMAIN, FEATURE_EXPRS, FEATURE_OPS, FEATURE_VARS, relabel_digits
from .losses import ALLOWED, LOSSES, OUTPUTS
from .network import MAX_WEIGHT
from .race import CHECK_EVERY

# constants an activation's formula uses, by name
_ACTIVATION_PARAMS: dict[str, dict[str, Any]] = {
    "leaky_relu": {"slope": LEAKY_SLOPE},
    "elu": {"alpha": ELU_ALPHA},
    "gelu": {"approximate": "tanh", "c": GELU_C},
}


def digits_classes() -> dict[str, int | None]:
    """digits_task -> number of classes; "groups" is None (one class per list of
    digit_groups)."""
    labels = np.arange(10)
    return {task: None if task == "groups" else len(relabel_digits(labels, task)[2])
            for task in DIGITS_TASKS}


def auto_choices() -> dict[str, dict[str, str]]:
    """What output "auto" and loss "auto" resolve to, by kind of task (from
    ``engine.config.resolve_output``)."""
    auto = {"output": "auto", "loss": "auto"}
    out: dict[str, dict[str, str]] = {}
    for kind, task, classes in (("regression", "regression", 0),
                                ("two_classes", "classification", 2),
                                ("more_classes", "classification", 3)):
        output, loss, _ = cfgmod.resolve_output(auto, task, classes)
        out[kind] = {"output": output, "loss": loss}
    return out


def facts() -> dict[str, Any]:
    """Every global fact; the exact shape is documented in docs/config.md ("GET /api/engine")."""
    return {
        "outputs": list(OUTPUTS),
        "losses": list(LOSSES),
        "pairs": sorted([list(p) for p in ALLOWED]),
        "auto": auto_choices(),
        "digits_classes": digits_classes(),
        "max_layers": cfgmod.MAX_HIDDEN_LAYERS,
        "max_units": cfgmod.MAX_UNITS,
        "max_weight": MAX_WEIGHT,
        "domain": DOMAIN,
        "feature_vars": list(FEATURE_VARS),
        "feature_ops": {op: arity for op, (arity, _) in FEATURE_OPS.items()},
        "features": [{"name": name, "label": label, "expr": expr}
                     for name, (label, expr) in FEATURE_EXPRS.items()],
        "activations": [{"name": a.name, "formula": a.formula, "derivative": a.derivative,
                         "params": _ACTIVATION_PARAMS.get(a.name, {})}
                        for a in ACTIVATIONS.values()],
        "live_fields": sorted(cfgmod.LIVE_FIELDS),
        "data_fields": sorted(cfgmod.DATA_FIELDS),
        "check_every": CHECK_EVERY,
    }
