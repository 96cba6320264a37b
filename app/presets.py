"""Named starting points: a configuration each, checked to learn in a few seconds."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    description: str
    config: dict[str, Any]  # overrides of the engine's defaults

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "description": self.description,
                "config": copy.deepcopy(self.config)}


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset("spiral", "Spiral",
               "Two interleaved spiral arms: a 2-8-8-1 tanh network with Adam. The default run.",
               {"data": "spiral", "layers": [8, 8], "activation": "tanh", "optimizer": "adam",
                "lr": 0.03, "batch_size": 10}),
        Preset("xor", "Exclusive or",
               "The classic problem a single layer cannot solve: one hidden layer of 4 units.",
               {"data": "xor", "noise": 0.1, "layers": [4], "activation": "tanh",
                "optimizer": "adam", "lr": 0.03, "batch_size": 10}),
        Preset("circle", "Circle",
               "A disc inside a ring; try it with the features x1² and x2² and no hidden layer.",
               {"data": "circle", "noise": 0.1, "layers": [4], "activation": "tanh",
                "optimizer": "sgd", "lr": 0.1, "momentum": 0.9, "batch_size": 10}),
        Preset("digits", "Handwritten digits",
               "8×8 images of digits 0-9: a 64-64-32-10 ReLU network with a softmax output.",
               {"data": "digits", "layers": [64, 32], "activation": "relu", "init": "he",
                "optimizer": "adam", "lr": 0.003, "batch_size": 32}),
        Preset("regression", "Regression: bumps",
               "Fit a surface of six bumps with a linear output and the mean squared error.",
               {"data": "bumps", "noise": 0.1, "layers": [16, 16], "activation": "tanh",
                "optimizer": "adam", "lr": 0.01, "batch_size": 10}),
    ]
}

DEFAULT_PRESET = "spiral"


def preset_config(name: str) -> dict[str, Any]:
    """A copy of the preset's configuration overrides. KeyError if unknown."""
    return copy.deepcopy(PRESETS[name].config)
