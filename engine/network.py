"""A fully connected network: layers of z = W @ x + b, a = f(z), and backpropagation.

Shapes follow torch.nn.Linear: W is (out, in), b is (out,). A batch is the rows of X (N, in), so
the per-sample formula z = W @ x + b reads, for the whole batch, Z = X @ W.T + b, Z being (N, out).

All parameters of a network live in one flat buffer (``net.params``) and every W and b is a view
into it; the gradients (``net.grads``) and the last update applied (``net.update``) share that
layout. An optimizer step is then a handful of NumPy calls over all parameters at once, which is
what makes small networks fast: their cost is the number of calls, not the arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .activations import Activation, get_activation
from .losses import ALLOWED, DEFAULT_LOSS, OUTPUTS, loss_forward_backward, output_activation

Array = np.ndarray

INITS = ("xavier", "he", "uniform", "zeros")
MAX_DROPOUT = 0.9
MAX_WEIGHT = 1e6
"""Largest |value| of a weight or bias that an edit or a model file may set: far beyond what
training reaches (|W| of a trained playground network stays under ~100), far below float32's
overflow (3.4e38), so that a forward pass of a sane network never overflows."""


@dataclass
class Dense:
    """One fully connected layer: z = W @ x + b, a = f(z), then (hidden layers) dropout.

    W, b, dW, db, dW_update, db_update are views into the network's flat buffers.
    After a forward pass the layer keeps what backward needs: x (N, in), z (N, out), a (N, out)
    and, in training with dropout, ``mask`` (N, out): 0 for a dropped unit, 1/keep for a kept one.
    After backward it holds da = dL/da (N, out) and dz = dL/dz (N, out).
    """

    n_in: int
    n_out: int
    activation: str
    W: Array
    b: Array
    dW: Array
    db: Array
    dW_update: Array
    db_update: Array
    offset: int  # where W starts in the flat buffer; b follows W
    act: Activation
    trainable: bool = True
    x: Array | None = None
    z: Array | None = None
    a: Array | None = None
    mask: Array | None = None
    da: Array | None = None
    dz: Array | None = None

    @property
    def size(self) -> int:
        return self.n_out * self.n_in + self.n_out

    def freeze(self) -> None:
        self.trainable = False

    def unfreeze(self) -> None:
        self.trainable = True


@dataclass
class Network:
    """A multilayer perceptron with flat parameter storage.

    ``sizes`` lists the width of every layer, inputs first and outputs last: [2, 8, 8, 1].
    ``activation`` is used by every hidden layer; ``output`` ("softmax", "sigmoid", "linear")
    turns the last layer's z into the network's output, and ``loss`` ("cross_entropy", "mse";
    None picks the natural one) scores it. ``dropout`` is the probability of dropping a hidden
    unit in training (inverted dropout: kept units are scaled by 1/keep, so nothing changes at
    test time). ``l1`` and ``l2`` add  l1·Σ|W| + l2/2·Σ W²  over the weights (not the biases).
    """

    sizes: list[int]
    activation: str = "tanh"
    output: str = "softmax"
    loss: str | None = None
    dropout: float = 0.0
    init: str = "xavier"
    l1: float = 0.0
    l2: float = 0.0
    seed: int = 0
    dtype: str = "float64"
    layers: list[Dense] = field(init=False, default_factory=list)
    params: Array = field(init=False)
    grads: Array = field(init=False)
    update: Array = field(init=False)
    version: int = field(init=False, default=0)  # bumped when the parameter layout changes

    def __post_init__(self) -> None:
        if len(self.sizes) < 2 or any(int(s) < 1 for s in self.sizes):
            raise ValueError(
                f"sizes must list at least inputs and outputs, each ≥ 1; got {self.sizes}")
        self.sizes = [int(s) for s in self.sizes]
        get_activation(self.activation)
        if self.output not in OUTPUTS:
            raise ValueError(f"output {self.output!r} is unknown; allowed: {', '.join(OUTPUTS)}")
        if self.loss is None:
            self.loss = DEFAULT_LOSS[self.output]
        if (self.output, self.loss) not in ALLOWED:
            raise ValueError(f"loss {self.loss!r} does not go with output {self.output!r}")
        if self.init not in INITS:
            raise ValueError(f"init {self.init!r} is unknown; allowed: {', '.join(INITS)}")
        if not 0.0 <= self.dropout <= MAX_DROPOUT:
            raise ValueError(f"dropout must be in [0, {MAX_DROPOUT}]; got {self.dropout}")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be float32 or float64; got {self.dtype!r}")
        seeds = np.random.SeedSequence(self.seed).spawn(2)
        self.rng_init = np.random.default_rng(seeds[0])
        self.rng_dropout = np.random.default_rng(seeds[1])
        self._allocate([None] * (len(self.sizes) - 1))

    # ----------------------------------------------------------------- storage
    def _allocate(self, keep: list[tuple[Array, Array, bool] | None]) -> None:
        """(Re)build the flat buffers. ``keep[i]`` holds an old layer's (W, b, trainable) to copy
        in, or None for a freshly initialized layer."""
        dt = np.dtype(self.dtype)
        total = sum(o * i + o for i, o in zip(self.sizes[:-1], self.sizes[1:], strict=True))
        self.params = np.zeros(total, dtype=dt)
        self.grads = np.zeros(total, dtype=dt)
        self.update = np.zeros(total, dtype=dt)
        self.layers = []
        off = 0
        n_layers = len(self.sizes) - 1
        for i, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:], strict=True)):
            nw = n_out * n_in

            def views(buf: Array, off: int = off, nw: int = nw, n_out: int = n_out,
                      n_in: int = n_in) -> tuple[Array, Array]:
                return buf[off:off + nw].reshape(n_out, n_in), buf[off + nw:off + nw + n_out]

            W, b = views(self.params)
            dW, db = views(self.grads)
            uW, ub = views(self.update)
            act = self.activation if i < n_layers - 1 else "linear"
            layer = Dense(n_in, n_out, act, W, b, dW, db, uW, ub, off, get_activation(act))
            old = keep[i]
            if old is None:
                W[...] = self._init_weights(n_in, n_out)
            else:
                W[...] = old[0]
                b[...] = old[1]
                layer.trainable = old[2]
            self.layers.append(layer)
            off += nw + n_out
        self.version += 1

    def _init_weights(self, n_in: int, n_out: int) -> Array:
        rng = self.rng_init
        if self.init == "xavier":  # torch.nn.init.xavier_uniform_, gain 1
            limit = np.sqrt(6.0 / (n_in + n_out))
            return rng.uniform(-limit, limit, (n_out, n_in))
        if self.init == "he":  # torch.nn.init.kaiming_normal_, fan_in, relu gain √2
            return rng.normal(0.0, np.sqrt(2.0 / n_in), (n_out, n_in))
        if self.init == "uniform":
            return rng.uniform(-0.5, 0.5, (n_out, n_in))
        return np.zeros((n_out, n_in))  # "zeros": every unit the same, so they stay the same

    @property
    def n_params(self) -> int:
        return int(self.params.size)

    @property
    def n_trainable(self) -> int:
        return sum(layer.size for layer in self.layers if layer.trainable)

    def trainable_segments(self) -> list[tuple[int, int]]:
        """Ranges [start, end) of the flat buffer that belong to trainable layers, merged."""
        segs: list[tuple[int, int]] = []
        for layer in self.layers:
            if not layer.trainable:
                continue
            start, end = layer.offset, layer.offset + layer.size
            if segs and segs[-1][1] == start:
                segs[-1] = (segs[-1][0], end)
            else:
                segs.append((start, end))
        return segs

    # ----------------------------------------------------------------- forward
    def forward(self, X: Array, training: bool = False) -> Array:
        """Logits Z (N, K) of the last layer for inputs X (N, in); keeps each layer's x, z, a."""
        a = X
        drop = self.dropout if training else 0.0
        *hidden, top = self.layers
        for layer in hidden:
            layer.x = a
            z = a @ layer.W.T
            z += layer.b  # z = W @ x + b, for every row x of the batch at once
            layer.z = z
            a = layer.act.forward(z)
            layer.a = a
            if drop:
                layer.mask = self._dropout_mask(a, drop)
                a = a * layer.mask
            else:
                layer.mask = None
        top.x = a
        z = a @ top.W.T
        z += top.b
        top.z = top.a = z  # the output function is applied with the loss (engine/losses.py)
        return z

    def _dropout_mask(self, a: Array, p: float) -> Array:
        """Inverted dropout: 0 for a dropped unit (probability p), 1/keep for a kept one."""
        keep = 1.0 - p
        mask = self.rng_dropout.random(a.shape, dtype=a.dtype) < keep
        return np.multiply(mask, 1.0 / keep, dtype=a.dtype)

    def predict(self, X: Array) -> Array:
        """The network's output for X (N, in): probabilities (softmax, sigmoid) or values (linear),
        shape (N, K). No dropout."""
        return output_activation(self.output, self.forward(np.asarray(X, dtype=self.params.dtype)))

    # ---------------------------------------------------------------- backward
    def penalty(self) -> float:
        """The regularization term added to the loss: l1·Σ|W| + l2/2·Σ W² (weights only)."""
        total = 0.0
        if self.l1:
            total += self.l1 * sum(float(np.abs(layer.W).sum()) for layer in self.layers)
        if self.l2:
            total += 0.5 * self.l2 * sum(float((layer.W * layer.W).sum()) for layer in self.layers)
        return total

    def backward(self, dz_out: Array) -> None:
        """Backpropagate dL/dz of the last layer (N, K) through every layer, filling dW, db.

        For each layer, from the top:  dz = da ⊙ f'(z),  dW = dzᵀ x,  db = Σ_rows dz,
        and da for the layer below = dz W. Frozen layers get no dW/db, and nothing is computed
        below the lowest trainable layer, since no parameter there needs it (their da and dz
        are set to None).
        """
        layers = self.layers
        lowest = 0
        while lowest < len(layers) and not layers[lowest].trainable:
            layers[lowest].da = layers[lowest].dz = None
            lowest += 1
        if lowest == len(layers):
            return
        dz = dz_out
        layers[-1].da = dz_out  # the output layer's "a" is its logits z: dL/da = dL/dz there
        for i in range(len(layers) - 1, lowest - 1, -1):
            layer = layers[i]
            layer.dz = dz
            if layer.trainable:
                np.matmul(dz.T, layer.x, out=layer.dW)  # type: ignore[arg-type]  # dW = dzᵀ x
                np.add.reduce(dz, axis=0, out=layer.db)  # db = Σ dz
                if self.l2:
                    layer.dW += self.l2 * layer.W
                if self.l1:
                    layer.dW += self.l1 * np.sign(layer.W)
            if i == lowest:
                break
            below = layers[i - 1]
            da = dz @ layer.W  # dL/da of the layer below (after its dropout)
            if below.mask is not None:
                da *= below.mask  # dropped units pass no gradient back
            below.da = da
            dz = below.act.backward(below.z, below.a, da)  # type: ignore[arg-type]  # da ⊙ f'(z)

    def loss_and_gradients(self, X: Array, y: Array, training: bool = True
                           ) -> tuple[float, dict[str, Array]]:
        """Loss (data loss + regularization penalty) and its gradients, keyed like state_dict.

        X (N, in); y: class indices (N,) for softmax, 0/1 (N,) for sigmoid, targets (N,) or
        (N, K) for linear. The returned arrays are views of ``net.grads``.
        """
        X = np.asarray(X, dtype=self.params.dtype)
        y = np.asarray(y)
        self._check_batch(X, y)
        loss, dz, _ = self.forward_backward(X, y, training)
        return loss + self.penalty(), self.grad_dict()

    def _check_batch(self, X: Array, y: Array) -> None:
        """Clear errors for inputs and targets that do not fit (the public API checks; the
        trainer's inner loop uses data it has checked already)."""
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ValueError(f"X must have shape (N, {self.sizes[0]}); got {X.shape}")
        if len(y) != len(X):
            raise ValueError(f"y has {len(y)} rows but X has {len(X)}")
        k = self.sizes[-1]
        if self.output == "softmax":
            if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or (
                    len(y) and (y.min() < 0 or y.max() >= k)):
                raise ValueError(f"y must be class indices 0..{k - 1} (N,) for a {k}-class "
                                 "softmax output")
        elif self.output == "sigmoid":
            if not np.isin(y, (0, 1)).all():
                raise ValueError("y must be 0 or 1 for a sigmoid output")

    def forward_backward(self, X: Array, y: Array, training: bool = True
                         ) -> tuple[float, Array, Array]:
        """One forward and backward pass: returns (data loss, dL/dz of the output, output p)."""
        z = self.forward(X, training)
        loss, dz, p = loss_forward_backward(self.output, self.loss, z, y)  # type: ignore[arg-type]
        self.backward(dz)
        return loss, dz, p

    # ---------------------------------------------------------------- state
    def state_dict(self) -> dict[str, Array]:
        """{"{i}.weight": W (out, in), "{i}.bias": b (out,)} - copies, like torch's layout."""
        d: dict[str, Array] = {}
        for i, layer in enumerate(self.layers):
            d[f"{i}.weight"] = layer.W.copy()
            d[f"{i}.bias"] = layer.b.copy()
        return d

    def grad_dict(self) -> dict[str, Array]:
        d: dict[str, Array] = {}
        for i, layer in enumerate(self.layers):
            d[f"{i}.weight"] = layer.dW
            d[f"{i}.bias"] = layer.db
        return d

    def load_state_dict(self, d: Mapping[str, Array]) -> None:
        """Copy weights in; every key must be present with the right shape."""
        for i, layer in enumerate(self.layers):
            for key, target in ((f"{i}.weight", layer.W), (f"{i}.bias", layer.b)):
                if key not in d:
                    raise ValueError(f"state_dict lacks {key!r}")
                value = np.asarray(d[key])
                if value.shape != target.shape:
                    raise ValueError(f"{key}: shape {value.shape} does not match {target.shape}")
                target[...] = value

    def freeze(self, i: int) -> None:
        """Freeze layer i (as in the state_dict keys): its W and b stop changing. At least one
        layer must stay trainable: freezing the last one raises ConfigError naming ``layer``."""
        k = self._index(i)
        layer = self.layers[k]
        if layer.trainable and sum(la.trainable for la in self.layers) == 1:
            from .config import ConfigError, FieldError

            raise ConfigError([FieldError("layer", i, (
                f"layer {k} is the last trainable layer; at least one layer must stay "
                "trainable (unfreeze another layer first)"))])
        layer.freeze()
        # a frozen layer has no gradient and no update: its slots read zero
        self.grads[layer.offset : layer.offset + layer.size] = 0.0
        self.update[layer.offset : layer.offset + layer.size] = 0.0

    def unfreeze(self, i: int) -> None:
        self.layers[self._index(i)].unfreeze()

    def _index(self, i: int) -> int:
        n = len(self.layers)
        if not -n <= i < n:
            raise IndexError(f"layer {i} does not exist; this network has layers 0..{n - 1}")
        return i % n

    def replace_output(self, n_outputs: int, output: str | None = None, loss: str | None = None
                       ) -> None:
        """Swap the last layer for a freshly initialized one with ``n_outputs`` units.

        Every other layer keeps its weights and its frozen flag; the new head is trainable.
        ``output``/``loss`` change the output function too (e.g. 10-class softmax to a
        1-unit sigmoid).
        """
        if n_outputs < 1:
            raise ValueError(f"n_outputs must be ≥ 1; got {n_outputs}")
        if output is not None:
            if output not in OUTPUTS:
                raise ValueError(f"output {output!r} is unknown; allowed: {', '.join(OUTPUTS)}")
            self.output = output
            self.loss = loss or DEFAULT_LOSS[output]
        keep: list[tuple[Array, Array, bool] | None] = [
            (layer.W.copy(), layer.b.copy(), layer.trainable) for layer in self.layers[:-1]
        ]
        keep.append(None)
        self.sizes = self.sizes[:-1] + [int(n_outputs)]
        self._allocate(keep)

    def architecture(self) -> dict:
        """A JSON-serializable description that rebuilds this network (without its weights)."""
        return {
            "sizes": self.sizes, "activation": self.activation, "output": self.output,
            "loss": self.loss, "dropout": self.dropout, "init": self.init,
            "l1": self.l1, "l2": self.l2, "seed": self.seed, "dtype": self.dtype,
            "frozen": [i for i, layer in enumerate(self.layers) if not layer.trainable],
        }
