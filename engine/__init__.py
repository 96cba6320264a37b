"""Backprop Lab's training engine: NumPy networks that learn and explain every step.

    >>> import engine
    >>> net = engine.Network([2, 8, 8, 3], activation="tanh", output="softmax", seed=0)
    >>> opt = engine.make_optimizer("adam", lr=1e-3)
    >>> loss, grads = net.loss_and_gradients(X, y)
    >>> opt.step(net, grads)
"""

from .activations import ACTIVATIONS
from .losses import LOSSES, OUTPUTS
from .network import INITS, Dense, Network
from .optim import OPTIMIZERS, Optimizer, make_optimizer

__all__ = [
    "ACTIVATIONS", "LOSSES", "OUTPUTS", "INITS", "OPTIMIZERS",
    "Dense", "Network", "Optimizer", "make_optimizer",
]
