"""Fine-tuning on little data: pretrain on the ten digits, then learn a new two-class task from a
few examples, either by fine-tuning the pretrained network or from scratch.

    >>> (X_pre, y_pre), (X_new, y_new) = digits_split(seed=0)     # two disjoint halves
    >>> y2 = relabel(y_new, "even_odd")                           # 0 = even, 1 = odd
    >>> X_few, y_few, X_rest, y_rest = few_shot(X_new, y2, per_class=10, seed=0)
    >>> compare(seed=0)["finetuned_acc"], compare(seed=0)["scratch_acc"]

The pretrained network keeps its hidden layers (frozen) and gets a fresh 2-class softmax head
(``replace_output(2)``); the network from scratch has the same architecture with all layers
trainable. Both see the same 20 examples with the same optimizer and step count.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from .data import Standardizer, load_digits
from .network import Network
from .optim import make_optimizer

Array = np.ndarray

TASKS = ("even_odd", "ge5")
HIDDEN = (64, 32)  # the digits network: 64 inputs, 64 and 32 hidden units, 10 outputs


def digits_split(seed: int) -> tuple[tuple[Array, Array], tuple[Array, Array]]:
    """The 1,797 digits cut in two halves by a seeded permutation:
    ((X_a (898, 64), y_a (898,)), (X_b (899, 64), y_b (899,))); raw pixels 0..16 as float64,
    labels 0..9 as int64. Use one half to pretrain and the other for the new task."""
    X, y = load_digits()
    order = np.random.default_rng([seed, 7]).permutation(len(y))
    half = len(y) // 2
    a, b = order[:half], order[half:]
    return (X[a].astype(np.float64), y[a].astype(np.int64)), (X[b].astype(np.float64),
                                                                y[b].astype(np.int64))


def relabel(y: Array, task: str | Sequence[Sequence[int]]) -> Array:
    """Digit labels y (N,) -> labels of a new task (N,) int64.

    "even_odd": 0 for even digits, 1 for odd ones; "ge5": 0 for 0..4, 1 for 5..9; a list of
    groups such as [[0, 1, 2], [3, 4, 5, 6], [7, 8, 9]]: the index of the group holding the
    digit (every digit present in y must be in exactly one group)."""
    y = np.asarray(y, dtype=np.int64)
    if isinstance(task, str):
        if task == "even_odd":
            return y % 2
        if task == "ge5":
            return (y >= 5).astype(np.int64)
        raise ValueError(f"task {task!r} is unknown; allowed: {', '.join(TASKS)} or a list of "
                         "groups of digits")
    lookup: dict[int, int] = {}
    for g, group in enumerate(task):
        for digit in group:
            if int(digit) in lookup:
                raise ValueError(f"digit {digit} is in more than one group: {list(task)}")
            lookup[int(digit)] = g
    if len(lookup) == 0 or len(task) < 2:
        raise ValueError(f"give at least two groups of digits; got {list(task)}")
    missing = sorted(set(np.unique(y).tolist()) - set(lookup))
    if missing:
        raise ValueError(f"digits {missing} are in no group: {list(task)}")
    table = np.full(max(max(lookup), int(y.max(initial=0))) + 1, -1, dtype=np.int64)
    for digit, g in lookup.items():
        table[digit] = g
    return table[y]


def few_shot(X: Array, y: Array, per_class: int, seed: int
             ) -> tuple[Array, Array, Array, Array]:
    """Pick ``per_class`` rows of each class (seeded): (X_few (K·per_class, D), y_few, X_rest,
    y_rest), the rest being every row not picked (for evaluation)."""
    rng = np.random.default_rng([seed, 11])
    picked = []
    for c in np.unique(y):
        rows = np.flatnonzero(y == c)
        if len(rows) < per_class:
            raise ValueError(f"class {c} has {len(rows)} rows; per_class is {per_class}")
        picked.append(rng.choice(rows, size=per_class, replace=False))
    few = np.sort(np.concatenate(picked))
    rest = np.setdiff1d(np.arange(len(y)), few)
    return X[few], y[few], X[rest], y[rest]


def train(net: Network, X: Array, y: Array, steps: int, lr: float = 1e-3, batch: int = 0,
          seed: int = 0) -> Network:
    """``steps`` Adam steps on (X (N, D), y (N,)): full batch when ``batch`` is 0, otherwise
    seeded mini-batches reshuffled every epoch. Frozen layers stay as they are."""
    X = np.asarray(X, dtype=net.params.dtype)
    opt = make_optimizer("adam", lr=lr)
    rng = np.random.default_rng(seed)
    n = len(y)
    b = n if batch <= 0 else min(batch, n)
    order, pos = rng.permutation(n), 0
    for _ in range(steps):
        if pos + b > n:
            order, pos = rng.permutation(n), 0
        idx = order[pos:pos + b]
        pos += b
        net.forward_backward(X[idx], y[idx], True)
        opt.step(net)
    return net


def accuracy(net: Network, X: Array, y: Array) -> float:
    """Share of rows of X (N, D) whose predicted class equals y (N,)."""
    p = net.predict(X)
    pred = (p[:, 0] > 0.5).astype(np.int64) if p.shape[1] == 1 else p.argmax(axis=1)
    return float((pred == y).mean())


def pretrain_digits(X: Array, y: Array, seed: int, steps: int = 2000, lr: float = 1e-3,
                    batch: int = 32) -> Network:
    """The 64-64-32-10 relu network (64 inputs, hidden 64 and 32, ten classes) trained on (X, y)."""
    net = Network([X.shape[1], *HIDDEN, 10], activation="relu", output="softmax", seed=seed,
                  dtype="float32")
    return train(net, X, y, steps, lr=lr, batch=batch, seed=seed)


def compare(seed: int, task: str | Sequence[Sequence[int]] = "even_odd", per_class: int = 10,
            steps: int = 300, lr: float = 1e-3, pretrain_steps: int = 2000) -> dict[str, Any]:
    """Fine-tuning against training from scratch on ``per_class`` examples per class.

    Pretrain on one half of the digits (all ten classes); on the other half, relabel for
    ``task``, pick the few examples, and evaluate on the rest of that half. Returns the two
    accuracies, the pretrained network's accuracy on its own task (digits of the other half)
    and the CPU seconds of each part."""
    (X_a, y_a), (X_b, y_b) = digits_split(seed)
    scaler = Standardizer.fit(X_a, shared=True)  # pixels share one mean and std
    X_a, X_b = scaler.transform(X_a), scaler.transform(X_b)
    t0 = time.process_time()
    pre = pretrain_digits(X_a, y_a, seed, steps=pretrain_steps)
    t_pre = time.process_time() - t0
    pre_acc = accuracy(pre, X_b, y_b)
    y_task = relabel(y_b, task)
    n_classes = int(y_task.max()) + 1
    X_few, y_few, X_rest, y_rest = few_shot(X_b, y_task, per_class, seed)

    t0 = time.process_time()
    pre.replace_output(n_classes)  # a fresh softmax head; hidden layers keep their weights
    for i in range(len(HIDDEN)):
        pre.freeze(i)
    train(pre, X_few, y_few, steps, lr=lr, seed=seed)
    t_fine = time.process_time() - t0

    t0 = time.process_time()
    scratch = Network([X_b.shape[1], *HIDDEN, n_classes], activation="relu", output="softmax",
                      seed=seed + 1000, dtype="float32")
    train(scratch, X_few, y_few, steps, lr=lr, seed=seed)
    t_scratch = time.process_time() - t0
    return {
        "seed": seed, "finetuned_acc": accuracy(pre, X_rest, y_rest),
        "scratch_acc": accuracy(scratch, X_rest, y_rest), "pretrained_digits_acc": pre_acc,
        "n_train": len(y_few), "n_eval": len(y_rest),
        "cpu_seconds": {"pretrain": t_pre, "finetune": t_fine, "scratch": t_scratch},
    }
