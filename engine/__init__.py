"""Backprop Lab's training engine: NumPy networks that learn and explain every step.

    >>> import engine
    >>> net = engine.Network([2, 8, 8, 3], activation="tanh", output="softmax", seed=0)
    >>> opt = engine.make_optimizer("adam", lr=1e-3)
    >>> loss, grads = net.loss_and_gradients(X, y)
    >>> opt.step(net, grads)

A whole run from one configuration: ``engine.Trainer({"data": "spiral"}).step(100)``.
See docs/python-api.md; the command line is ``python -m engine --help``.
"""

from . import config
from .activations import ACTIVATIONS
from .config import FIELDS, ConfigError, validate
from .data import DATASETS, FEATURES, load_dataset
from .losses import LOSSES, OUTPUTS
from .network import INITS, Dense, Network
from .optim import OPTIMIZERS, Optimizer, make_optimizer
from .serialize import ModelFileError, load_model, load_model_full, save_model
from .trainer import Trainer

__all__ = [
    "ACTIVATIONS", "LOSSES", "OUTPUTS", "INITS", "OPTIMIZERS", "DATASETS", "FEATURES", "FIELDS",
    "ConfigError", "Dense", "ModelFileError", "Network", "Optimizer", "Trainer", "config",
    "load_dataset", "load_model", "load_model_full", "make_optimizer", "save_model", "validate",
]
