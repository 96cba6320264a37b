"""Backprop Lab's training engine: NumPy networks that learn and explain every step.

    >>> import engine
    >>> net = engine.Network([2, 8, 8, 3], activation="tanh", output="softmax", seed=0)
    >>> opt = engine.make_optimizer("adam", lr=1e-3)
    >>> loss, grads = net.loss_and_gradients(X, y)
    >>> opt.step(net, grads)

A whole run from one configuration: ``engine.Trainer({"data": "spiral"}).step(100)``.
See docs/python-api.md; the command line is ``python -m engine --help``.

NumPy runs on one thread here unless you say otherwise: the engine's matrices are small, so
BLAS threads cost more than they give, and on a server many sessions share the cores (full-batch
digits trains 10x faster on one thread than with OpenBLAS's default threads on 2 busy cores,
docs/performance.md). Set OPENBLAS_NUM_THREADS (or OMP_NUM_THREADS) before importing NumPy to
choose otherwise; if NumPy was imported first, its own setting stands.
"""

import os
import sys

if "numpy" not in sys.modules:
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

from . import config  # noqa: E402
from .activations import ACTIVATIONS  # noqa: E402
from .config import FIELDS, ConfigError, validate  # noqa: E402
from .data import DATASETS, FEATURES, load_dataset  # noqa: E402
from .losses import LOSSES, OUTPUTS  # noqa: E402
from .lr_find import LRFind, lr_find  # noqa: E402
from .network import INITS, Dense, Network  # noqa: E402
from .optim import OPTIMIZERS, Optimizer, make_optimizer  # noqa: E402
from .serialize import ModelFileError, load_model, load_model_full, save_model  # noqa: E402
from .trainer import Trainer  # noqa: E402

__all__ = [
    "ACTIVATIONS", "LOSSES", "OUTPUTS", "INITS", "OPTIMIZERS", "DATASETS", "FEATURES", "FIELDS",
    "ConfigError", "Dense", "LRFind", "ModelFileError", "Network", "Optimizer", "Trainer",
    "config", "load_dataset", "load_model", "load_model_full", "lr_find", "make_optimizer",
    "save_model", "validate",
]
