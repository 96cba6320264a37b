"""A training run: data + network + optimizer + batching, driven one step at a time.

    >>> tr = Trainer({"data": "spiral", "lr": 0.03})
    >>> tr.step(100)            # 100 mini-batch steps
    >>> tr.evaluate()           # loss and accuracy on train and test, appended to tr.history
    >>> tr.snapshot(grid=40)    # arrays for drawing: weights, gradients, decision surface ...

A step is forward, loss, backward, update. ``step_phase()`` runs those one at a time so a
teaching view can show each with its real numbers. A step whose loss or update is NaN or
infinite is never applied: the run stops with ``diverged`` saying which step and which quantity.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np

from . import checks
from . import config as cfgmod
from .data import CsvData, DataError, Dataset, Standardizer, load_dataset
from .losses import loss_forward_backward, output_activation
from .metrics import confusion_matrix, precision_recall, predicted_classes, regression_scores
from .network import MAX_WEIGHT, Network
from .optim import OPTIMIZERS, Optimizer
from .sizing import batch_rows, head_replaced

Array = np.ndarray

PHASES = ("forward", "loss", "backward", "update")
DATA_FIELDS = cfgmod.DATA_FIELDS  # fields that rebuild the data; see engine.config.rebuilds
# DataError.field -> the configuration field it concerns
_DATA_FIELD = {"seed": "data_seed", "csv": "data"}
HISTORY_KEYS = ("step", "epoch", "train_loss", "test_loss", "train_acc", "test_acc", "seconds")
"""Columns of ``Trainer.history``; ``seconds`` is the cumulative training time (train_seconds)."""
VAL_HISTORY_KEYS = ("val_loss", "val_acc")
"""Columns of ``Trainer.val_history``, one value per point of ``history`` (same step)."""
MAX_EXPLAIN_ROWS = 64  # rows Trainer.explain takes at once
MAX_HISTORY = 20000  # points kept; beyond it every other old point is dropped


def make_optimizer_from_config(cfg: Mapping[str, Any]) -> Optimizer:
    cls = OPTIMIZERS[cfg["optimizer"]]
    hyper = {k: cfg[k] for k in cfgmod.OPTIMIZER_FIELDS[cfg["optimizer"]]}
    if "betas" in hyper:
        hyper["betas"] = tuple(hyper["betas"])
    return cls(**hyper)


class Trainer:
    """Everything about one run. Not thread-safe: drive it from one thread."""

    def __init__(self, config: Mapping[str, Any] | None = None, *, csv: CsvData | None = None,
                 model: Network | None = None, model_file: bytes | None = None,
                 preprocessing: Mapping[str, Any] | None = None) -> None:
        """``model``: a Network to train as it is (it must fit the data). ``model_file``: the
        bytes of an uploaded safetensors model, used when the configuration says
        ``"model": "upload"``; a zoo model is named by ``"model"`` itself. ``preprocessing``
        (with ``model``): what the model's file stores; its standardizer is used for the data."""
        self.config = cfgmod.validate(config or {})
        self.csv = csv
        self.model_file = model_file
        self.head: dict[str, Any] | None = None  # what replacing the output layer did
        if self.config["data"] == "csv" and csv is None:
            raise cfgmod.ConfigError([cfgmod.FieldError("data", "csv",
                                                        "upload a CSV file first")])
        self.pretrained = model
        self.pretrained_preprocessing = dict(preprocessing or {})
        self.history: dict[str, list[float]] = {k: [] for k in HISTORY_KEYS}
        self.history_dropped = 0  # points thinned out of a long history
        # validation metrics, point for point beside ``history`` (NaN without a validation split)
        self.val_history: dict[str, list[float]] = {k: [] for k in VAL_HISTORY_KEYS}
        self._build_data()
        self._build_network()

    # ---------------------------------------------------------------- building
    def _build_data(self) -> None:
        c = self.config
        try:
            self.data: Dataset = load_dataset(
                c["data"], samples=c["samples"], noise=c["noise"], test_share=c["test_share"],
                seed=c["data_seed"], classes=c["classes"], features=c["features"],
                standardize=c["standardize"], train_per_class=c["train_per_class"],
                csv=self.csv, digits_task=c["digits_task"], digits_half=c["digits_half"],
                digit_groups=c["digit_groups"], val_share=c["val_share"])
        except DataError as exc:  # e.g. train_per_class larger than the split allows
            name = _DATA_FIELD.get(exc.field, exc.field)
            raise cfgmod.ConfigError([cfgmod.FieldError(name, c.get(name), exc.message)]
                                     ) from None
        self.task = self.data.task
        self.n_classes = self.data.n_classes
        self._grid_cache: dict[int, tuple[Array, Array]] = {}

    def _build_network(self) -> None:
        c = self.config
        output, loss, units = cfgmod.resolve_output(c, self.task, self.n_classes)
        self.output, self.loss_name = output, loss
        l1, l2 = self._reg()
        if self.pretrained is not None:
            if self.pretrained_preprocessing:
                self._use_preprocessing(self.pretrained, self.pretrained_preprocessing, "model")
            self._check_model(self.pretrained)
            self.net = self.pretrained
            self.output, self.loss_name = self.net.output, str(self.net.loss)
            output = self.net.output
            self.net.dropout, self.net.l1, self.net.l2 = c["dropout"], l1, l2
        elif c["model"] is not None:
            self._adopt_model(output, loss, units)
            output = self.net.output
            self.net.dropout, self.net.l1, self.net.l2 = c["dropout"], l1, l2
        else:
            sizes = [self.data.X_train.shape[1], *c["layers"], units]
            self.net = Network(sizes, activation=c["activation"], output=output, loss=loss,
                               dropout=c["dropout"], init=c["init"], l1=l1, l2=l2,
                               seed=c["seed"], dtype=c["dtype"])
        dt = self.net.params.dtype
        self.X_train = self.data.X_train.astype(dt)
        self.X_test = self.data.X_test.astype(dt)
        self.X_val = self.data.X_val.astype(dt)
        target_dt = np.int64 if output == "softmax" else dt
        self.y_train = self.data.y_train.astype(target_dt)
        self.y_test = self.data.y_test.astype(target_dt)
        self.y_val = self.data.y_val.astype(target_dt)
        if self.net is not None and (self.pretrained is not None or c["model"]) and not c["freeze"]:
            c["freeze"] = [i for i, la in enumerate(self.net.layers) if not la.trainable]
        self._apply_freeze()
        self.initial_params = self.net.params.copy()
        self.opt = make_optimizer_from_config(c)
        self._restart()

    def _adopt_model(self, output: str, loss: str, units: int) -> None:
        """Start from a pretrained model: its weights, its input preprocessing, and (when the
        task differs from the one it learned, or when asked) a fresh output layer."""
        from .serialize import ModelFileError, model_from_bytes
        from .zoo import load

        c, d = self.config, self.data
        name = c["model"]
        try:
            if name == "upload":
                if self.model_file is None:
                    raise ModelFileError("no model file was uploaded")
                net, pre, _ = model_from_bytes(self.model_file)
            else:
                net, pre, _ = load(name)
        except (ModelFileError, ValueError) as exc:
            raise cfgmod.ConfigError([cfgmod.FieldError("model", name, str(exc))]) from None
        self._use_preprocessing(net, pre, name)
        replace = head_replaced(c["replace_head"], pre, d.name, d.class_names, d.task)
        old = {"units": net.sizes[-1], "output": net.output,
               "classes": pre.get("class_names", [])}
        if replace:
            net.replace_output(units, output=output, loss=loss)
        else:
            self._check_model(net)
        self.head = {"replaced": replace, "old": old,
                     "new": {"units": net.sizes[-1], "output": net.output,
                             "classes": d.class_names}}
        self.net = net
        # the configuration says what is true: the architecture is the model's
        c["layers"], c["activation"], c["dtype"] = net.sizes[1:-1], net.activation, net.dtype

    def _use_preprocessing(self, net: Network, pre: Mapping[str, Any], name: Any) -> None:
        """Feed a pretrained model its data as it was trained: same width, same features, and
        its own standardizer (not one refitted on the new, maybe few, examples)."""
        c, d = self.config, self.data
        inputs = d.X_train.shape[1]
        if net.sizes[0] != inputs:
            raise cfgmod.ConfigError([cfgmod.FieldError(
                "model", name, f"the model takes {net.sizes[0]} inputs; this data set gives "
                f"{inputs}: choose data of the model's width")])
        if pre.get("features", d.features) != d.features:
            raise cfgmod.ConfigError([cfgmod.FieldError(
                "features", c["features"],
                f"the model was trained on the features {pre.get('features')}; use the same")])
        if "standardizer" in pre:  # the model's own scaling
            try:
                std = Standardizer.from_dict(pre["standardizer"])
            except DataError as exc:
                raise cfgmod.ConfigError([cfgmod.FieldError(
                    "model", name, f"standardizer: {exc.message}")]) from None
            if len(std.mean) != inputs:
                raise cfgmod.ConfigError([cfgmod.FieldError(
                    "model", name, "the model's stored standardizer does not fit its inputs")])
            d.standardizer = std
            d.X_train, d.X_test = d.inputs(d.raw_train), d.inputs(d.raw_test)
            d.X_val = d.inputs(d.raw_val)
            self._grid_cache = {}

    def _apply_freeze(self) -> None:
        """Freeze the layers listed in the configuration, unfreeze the others."""
        wanted = self.config["freeze"]
        n = len(self.net.layers)
        bad = [i for i in wanted if i >= n]
        if bad:
            raise cfgmod.ConfigError([cfgmod.FieldError(
                "freeze", wanted, f"this network has layers 0 to {n - 1}; {bad} do not exist")])
        if len(wanted) == n:
            raise cfgmod.ConfigError([cfgmod.FieldError(
                "freeze", wanted, "every layer would be frozen and nothing left to train: "
                "leave at least one layer (usually the output layer) unfrozen")])
        for i in range(n):  # unfreeze first, so that one layer is always left to train
            if i not in wanted:
                self.net.unfreeze(i)
        for i in wanted:
            self.net.freeze(i)

    def _check_model(self, net: Network) -> None:
        """A loaded model must fit the data: as many inputs as the data has columns, and an
        output layer that suits the task and the class count."""
        d, c = self.data, self.config
        inputs = d.X_train.shape[1]
        if self.task == "regression":
            fits = net.output == "linear" and net.sizes[-1] == 1
            need = "1 linear output"
        else:
            need = f"{self.n_classes} softmax outputs" + (" or 1 sigmoid output"
                                                          if self.n_classes == 2 else "")
            if net.output == "sigmoid":
                fits = self.n_classes == 2 and net.sizes[-1] == 1
            else:
                fits = net.output == "softmax" and net.sizes[-1] == self.n_classes
        if net.sizes[0] != inputs or not fits:
            raise cfgmod.ConfigError([cfgmod.FieldError(
                "data", c["data"],
                f"the model takes {net.sizes[0]} inputs and has {net.sizes[-1]} {net.output} "
                f"outputs; this data set gives {inputs} inputs and needs {need}")])

    def _reg(self) -> tuple[float, float]:
        kind, rate = self.config["regularization"], self.config["reg_rate"]
        return (rate if kind == "l1" else 0.0), (rate if kind == "l2" else 0.0)

    def _restart(self) -> None:
        """Counters, batch order and history back to the start (weights untouched)."""
        self.step_count = 0
        self.epoch_count = 0
        self._order_rng = np.random.default_rng(np.random.SeedSequence(self.config["seed"]
                                                                       ).spawn(3)[2])
        self._new_epoch()
        self.diverged: dict[str, Any] | None = None
        self.last_loss = float("nan")
        self._phase: str | None = None  # last completed phase of a step in progress
        self._pending: dict[str, Any] = {}
        self._last_eval: dict[str, Any] | None = None
        self.train_seconds = 0.0
        for k in self.history:
            self.history[k].clear()
        for k in self.val_history:
            self.val_history[k].clear()
        self.history_dropped = 0
        self.net.update.fill(0.0)
        self.net.grads.fill(0.0)

    def _new_epoch(self) -> None:
        n = len(self.X_train)
        if self.config["shuffle"]:
            order = self._order_rng.permutation(n)
            self._Xe = self.X_train[order]
            self._ye = self.y_train[order]
        else:
            self._Xe, self._ye = self.X_train, self.y_train
        self._pos = 0

    @property
    def batch_size(self) -> int:
        return batch_rows(self.config["batch_size"], len(self.X_train))

    @property
    def epoch(self) -> float:
        """Completed passes over the training set, fractional."""
        return self.epoch_count + self._pos / len(self.X_train)

    # ---------------------------------------------------------------- stepping
    def _next_batch(self) -> tuple[Array, Array]:
        if self._pos >= len(self._Xe):
            self.epoch_count += 1
            self._new_epoch()
        b = self.batch_size
        s = self._pos
        self._pos = min(s + b, len(self._Xe))  # the last batch of an epoch may be partial
        return self._Xe[s:self._pos], self._ye[s:self._pos]

    def step(self, n: int = 1) -> int:
        """Run n training steps (one mini-batch each); returns how many were done (fewer if the
        run diverged). A step started phase by phase is finished first."""
        if self.diverged:
            return 0
        done = 0
        t0 = time.perf_counter()
        if self._phase is not None and n > 0:
            while self._phase is not None and not self.diverged:
                self.step_phase()
            done += 0 if self.diverged else 1
        net, opt = self.net, self.opt
        # overflow is detected below and stops the run: no need for NumPy's warnings too
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            while done < n and not self.diverged:
                X, y = self._next_batch()
                loss, _, _ = net.forward_backward(X, y, True)
                if not math.isfinite(loss):
                    self._diverge("loss", loss)
                    break
                opt.step_update(net)
                if not np.isfinite(net.update).all():
                    self._diverge("update", None)
                    break
                opt.apply(net)
                self.last_loss = loss
                self.step_count += 1
                done += 1
        self.train_seconds += time.perf_counter() - t0
        return done

    def train_epoch(self) -> int:
        """Steps to the end of the current epoch (a whole epoch from an epoch boundary)."""
        steps = 0
        while not self.diverged:
            steps += self.step(1)
            if self._pos >= len(self._Xe):
                break
        return steps

    def _diverge(self, quantity: str, value: float | None) -> None:
        step = self.step_count + 1
        if quantity == "update" and not np.isfinite(self.net.grads).all():
            quantity = "gradient"
        what = {"loss": "the loss", "update": "the weight update",
                "gradient": "the gradient"}[quantity]
        if value is not None:
            nan = math.isnan(value)
        else:  # an array went bad: NaN if any entry is NaN, otherwise it overflowed
            arr = self.net.grads if quantity == "gradient" else self.net.update
            nan = bool(np.isnan(arr).any())
        kind = "NaN" if nan else "infinite"
        lr = self.config["lr"]
        self.diverged = {
            "step": step, "quantity": quantity,
            "value": None if value is None else repr(value),
            "message": (f"{what} became {kind} at step {step}: the learning rate {lr:g} is "
                        "probably too large. Training stopped; the weights are those of the "
                        "last good step."),
        }
        self.net.update.fill(0.0)
        # the optimizer's running averages may hold the bad values: start them afresh
        self.opt = make_optimizer_from_config(self.config)
        self._phase = None

    # ------------------------------------------------------------- phase steps
    def step_phase(self) -> dict[str, Any]:
        """Advance one phase of the current step (forward, loss, backward, update) and return
        what that phase computed, layer by layer (see ``phase_details``)."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._step_phase()

    def _step_phase(self) -> dict[str, Any]:
        if self.diverged:
            return {"phase": None, "diverged": self.diverged}
        net = self.net
        nxt = PHASES[0] if self._phase is None else PHASES[PHASES.index(self._phase) + 1]
        p = self._pending
        if nxt == "forward":
            X, y = self._next_batch()
            p.clear()
            p.update(X=X, y=y)
            p["z_out"] = net.forward(X, training=True)
        elif nxt == "loss":
            loss, dz, out = loss_forward_backward(net.output, net.loss,  # type: ignore[arg-type]
                                                  p["z_out"], p["y"])
            p.update(loss=loss, dz=dz, p=out, penalty=net.penalty())
            if not math.isfinite(loss):
                self._diverge("loss", loss)
                return {"phase": "loss", "diverged": self.diverged}
        elif nxt == "backward":
            net.backward(p["dz"])
        else:
            p["before"] = net.params.copy()
            p["opt_t"] = self.opt.t + 1
            self.opt.step_update(net)
            if not np.isfinite(net.update).all():
                self._diverge("update", None)
                return {"phase": "update", "diverged": self.diverged}
            self.opt.apply(net)
            self.last_loss = p["loss"]
            self.step_count += 1
        self._phase = None if nxt == "update" else nxt
        return {"phase": nxt, **self.phase_details(nxt)}

    @property
    def phase(self) -> str | None:
        """The last completed phase of a step in progress, or None between steps."""
        return self._phase

    def phase_details(self, phase: str) -> dict[str, Any]:
        """Per-layer numbers for the teaching view, as NumPy arrays (views: copy to keep them).

        forward: x, W, b, z, a (N, units) and mask; loss: loss, penalty, p, y, dL/dz of the output;
        backward: da, dz, dW, db; update: W before and after, the update, optimizer state.
        """
        p = self._pending
        out: dict[str, Any] = {"step": self.step_count, "batch": len(p.get("X", []))}
        layers = []
        for i, layer in enumerate(self.net.layers):
            d: dict[str, Any] = {"index": i, "trainable": layer.trainable}
            if phase == "forward":
                d.update(x=layer.x, W=layer.W, b=layer.b, z=layer.z, a=layer.a, mask=layer.mask)
            elif phase == "backward":
                d.update(da=layer.da, dz=layer.dz, dW=layer.dW, db=layer.db)
            elif phase == "update":
                s, nw = layer.offset, layer.n_out * layer.n_in
                before = p["before"]
                d.update(W_before=before[s:s + nw].reshape(layer.W.shape),
                         b_before=before[s + nw:s + layer.size], W=layer.W, b=layer.b,
                         dW=layer.dW, db=layer.db, dW_update=layer.dW_update,
                         db_update=layer.db_update,
                         state={k: _layer_view(v, layer) for k, v in self.opt.state.items()})
            layers.append(d)
        out["layers"] = layers
        if phase == "loss":
            out.update(loss=p["loss"], penalty=p["penalty"], p=p["p"], y=p["y"], dz=p["dz"],
                       output=self.net.output, loss_name=self.net.loss)
        if phase == "update":
            out.update(optimizer=self.opt.name, hyper=self.opt.hyperparameters(),
                       t=p["opt_t"], rule=self.opt.rule)
        return out

    # -------------------------------------------------------------- evaluation
    def evaluate(self, record: bool = True) -> dict[str, Any]:
        """Loss (data loss, without the penalty) and accuracy on train, test and validation
        (``val_loss``, ``val_acc``: NaN without a validation split, like an accuracy of a
        regression); appended to ``history`` and ``val_history`` when ``record``."""
        net = self.net
        with _keeping_caches(net), np.errstate(over="ignore", invalid="ignore"):
            z_tr = net.forward(self.X_train)
            tr_loss, _, p_tr = loss_forward_backward(
                net.output, net.loss, z_tr, self.y_train)  # type: ignore[arg-type]
            z_te = net.forward(self.X_test)
            te_loss, _, p_te = loss_forward_backward(
                net.output, net.loss, z_te, self.y_test)  # type: ignore[arg-type]
        m: dict[str, Any] = {"step": self.step_count, "epoch": self.epoch,
                             "train_loss": tr_loss, "test_loss": te_loss,
                             "train_acc": float("nan"), "test_acc": float("nan"),
                             "seconds": self.train_seconds}
        if self.task == "classification":
            pred_tr = predicted_classes(p_tr)
            pred_te = predicted_classes(p_te)
            m["train_acc"] = float((pred_tr == self.data.y_train).mean())
            m["test_acc"] = float((pred_te == self.data.y_test).mean())
            self._last_eval = {"p_test": p_te, "pred_test": pred_te}
        else:
            self._last_eval = {"p_test": p_te, "pred_test": p_te[:, 0]}
        m["val_loss"], m["val_acc"] = self._validate()
        if record:
            self._record(m)
        return m

    def _validate(self) -> tuple[float, float]:
        """(loss, accuracy) on the validation split; NaN when there is none (val_share 0) and
        for the accuracy of a regression."""
        if len(self.X_val) == 0:
            return float("nan"), float("nan")
        net = self.net
        with _keeping_caches(net), np.errstate(over="ignore", invalid="ignore"):
            loss, _, p = loss_forward_backward(
                net.output, net.loss, net.forward(self.X_val), self.y_val)  # type: ignore[arg-type]
        acc = float("nan")
        if self.task == "classification":
            acc = float((predicted_classes(p) == self.data.y_val).mean())
        return float(loss), acc

    def explain(self, raw: Any) -> dict[str, Any]:
        """The network's answer for raw inputs, layer by layer, without touching the run.

        ``raw`` (M, raw dims), M ≤ 64: rows as the data set gives them (64 pixel values 0..16
        for digits, [x1, x2] points for a 2-D set, the input columns of a CSV file). They go
        through the run's own preprocessing (features, standardization), then a forward pass
        without dropout that leaves the caches of a step in progress as they were.

        Returns {"p": (M, K) probabilities (softmax, sigmoid) or values (linear), "class": (M,)
        predicted class indices (None for regression), "class_names", "layers": [{"z": (M,
        units), "a": (M, units)}, ...]} where the output layer's ``a`` is ``p``. Raises
        DataError naming ``raw`` for rows of the wrong width, too many rows or values that are
        not finite numbers.
        """
        d = self.data
        dims = int(d.raw_train.shape[1])
        raw_names = ["x1", "x2"] if d.features else list(d.input_names)
        names = ", ".join(raw_names) if len(raw_names) <= 8 else f"{dims} values"
        try:
            X = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError):
            raise DataError("raw", f"raw: it must be a list of rows, each a list of {dims} "
                                   f"numbers ({names})") from None
        if X.ndim == 1 and X.size == dims:
            X = X[None, :]
        if X.ndim != 2 or X.shape[0] == 0:
            raise DataError("raw", f"raw: it must be a list of 1 to {MAX_EXPLAIN_ROWS} rows, "
                                   f"each a list of {dims} numbers ({names})")
        if X.shape[0] > MAX_EXPLAIN_ROWS:
            raise DataError("raw", f"raw: {X.shape[0]} rows is too many; at most "
                                   f"{MAX_EXPLAIN_ROWS} at once")
        if X.shape[1] != dims:
            raise DataError("raw", f"raw: rows have {X.shape[1]} values; this data set takes "
                                   f"{dims} per row ({names})")
        if not np.isfinite(X).all():
            raise DataError("raw", "raw: every value must be a finite number")
        net = self.net
        inputs = d.inputs(X).astype(net.params.dtype)
        with _keeping_caches(net), np.errstate(over="ignore", invalid="ignore"):
            z_out = net.forward(inputs)
            layers = [{"z": np.array(la.z), "a": np.array(la.a)} for la in net.layers]
            p = output_activation(net.output, z_out)
        layers[-1]["a"] = p
        classes = predicted_classes(p) if self.task == "classification" else None
        return {"p": p, "class": classes, "class_names": list(d.class_names), "layers": layers}

    def _record(self, m: Mapping[str, Any]) -> None:
        h = self.history
        if h["step"] and h["step"][-1] == m["step"]:
            return  # no step since the last point
        for k in HISTORY_KEYS:
            h[k].append(float(m[k]))
        v = self.val_history
        for k in VAL_HISTORY_KEYS:
            v[k].append(float(m.get(k, float("nan"))))
        if len(h["step"]) > MAX_HISTORY:  # thin the older half, keep recent points dense
            half = MAX_HISTORY // 2
            for k in HISTORY_KEYS:
                h[k][:half] = h[k][:half:2]
            for k in VAL_HISTORY_KEYS:
                v[k][:half] = v[k][:half:2]
            self.history_dropped += half - half // 2

    def details(self) -> dict[str, Any]:
        """Test-set evaluation beyond loss and accuracy: confusion matrix and per-class precision
        and recall (classification), RMSE and R² (regression)."""
        if self._last_eval is None:
            self.evaluate(record=False)
        assert self._last_eval is not None
        if self.task == "classification":
            cm = confusion_matrix(self.data.y_test, self._last_eval["pred_test"], self.n_classes)
            precision, recall = precision_recall(cm)
            return {"confusion": cm, "precision": precision, "recall": recall}
        rmse, r2 = regression_scores(self.data.y_test.astype(np.float64),
                                     self._last_eval["pred_test"].astype(np.float64))
        return {"rmse": rmse, "r2": r2}

    # ---------------------------------------------------------------- drawing
    def grid(self, resolution: int) -> tuple[Array, Array]:
        """(points (R*R, 2), model inputs (R*R, D)) over the input plane, cached."""
        if resolution not in self._grid_cache:
            pts, inputs = self.data.grid(resolution)
            self._grid_cache[resolution] = (pts, inputs.astype(self.net.params.dtype))
        return self._grid_cache[resolution]

    def snapshot(self, grid: int | None = 40, neuron_grid: int | None = 16) -> dict[str, Any]:
        """Arrays for drawing the current state (float32 unless said), cheap next to training.

        W{i} (out, in), b{i}, dW{i}, db{i} (last gradients); grad_norm (L,) and
        update_ratio (L,) per layer = ‖ΔW‖ / ‖W‖; frozen (L,) uint8; mask{i} (units,) uint8 keep
        flags of the first sample of the last batch when dropout is on; for 2-D data,
        grid_output (R, R) or (R, R, K) and grid_hidden{i} (units, r, r) over [-6, 6]²;
        for classification, test_pred (N_test,) and confusion (K, K).
        """
        net = self.net
        arrays: dict[str, Array] = {}
        L = len(net.layers)
        grad_norm = np.zeros(L, np.float32)
        ratio = np.zeros(L, np.float32)
        for i, layer in enumerate(net.layers):
            arrays[f"W{i}"] = layer.W
            arrays[f"b{i}"] = layer.b
            arrays[f"dW{i}"] = layer.dW
            arrays[f"db{i}"] = layer.db
            # a run on its way to diverging may overflow these norms: inf is the honest value
            with np.errstate(over="ignore", invalid="ignore"):
                grad_norm[i] = np.sqrt(float(np.dot(layer.dW.ravel(), layer.dW.ravel()))
                                       + float(np.dot(layer.db, layer.db)))
                wn = float(np.linalg.norm(layer.W))
                ratio[i] = float(np.linalg.norm(layer.dW_update)) / wn if wn > 0 else 0.0
            if layer.mask is not None and i < L - 1:
                arrays[f"mask{i}"] = (layer.mask[0] > 0).astype(np.uint8)
        arrays["grad_norm"] = grad_norm
        arrays["update_ratio"] = ratio
        arrays["frozen"] = np.array([not la.trainable for la in net.layers], np.uint8)
        if self.data.features and grid:  # a 2-D set: draw the output over the plane
            with _keeping_caches(net), np.errstate(over="ignore", invalid="ignore"):
                _, inputs = self.grid(grid)
                p = output_activation(net.output, net.forward(inputs))
                k = p.shape[1]
                arrays["grid_output"] = (p[:, 0].reshape(grid, grid) if k == 1
                                         else p.reshape(grid, grid, k))
                if neuron_grid:
                    _, small = self.grid(neuron_grid)
                    net.forward(small)
                    for i, layer in enumerate(net.layers[:-1]):
                        a = np.ascontiguousarray(layer.a.T)  # type: ignore[union-attr]
                        arrays[f"grid_hidden{i}"] = a.reshape(layer.n_out, neuron_grid,
                                                              neuron_grid)
        if self.task == "classification" and self._last_eval is not None:
            arrays["test_pred"] = self._last_eval["pred_test"].astype(np.uint8)
            arrays["confusion"] = self.details()["confusion"].astype(np.int32)
        for k, v in arrays.items():
            if v.dtype == np.float64:
                arrays[k] = v.astype(np.float32)
        return {"step": self.step_count, "epoch": self.epoch, "arrays": arrays,
                "diverged": self.diverged}

    def data_arrays(self) -> dict[str, Array]:
        """The data for drawing, sent once per data change: raw train/test points and labels."""
        d = self.data
        return {
            "train_x": d.raw_train.astype(np.float32), "train_y": d.y_train.astype(np.float32),
            "test_x": d.raw_test.astype(np.float32), "test_y": d.y_test.astype(np.float32),
        }

    # ----------------------------------------------------------------- control
    def set(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Change configuration fields. Live fields apply before the next step with weights,
        optimizer state and counters kept; any other field rebuilds the run. Returns
        {"live": [...], "rebuilt": None | "network" | "data"}. Raises ConfigError (nothing
        changed) when a value is invalid."""
        new = cfgmod.validate(changes, base=self.config)
        changed = [k for k in changes if new[k] != self.config[k]]
        old = self.config
        saved = dict(self.__dict__)  # every part of the run, to put back if the change fails
        self.config = new
        rebuild_data = any(k in DATA_FIELDS for k in changed)
        rebuild_net = any(k not in cfgmod.LIVE_FIELDS and k not in DATA_FIELDS for k in changed)
        try:
            if rebuild_data:
                self._build_data()
                self.pretrained = None
                self._build_network()
                return {"live": [], "rebuilt": "data", "changed": changed}
            if rebuild_net:
                self.pretrained = None
                self._build_network()
                return {"live": [], "rebuilt": "network", "changed": changed}
            self._apply_live(changed, old)
        except Exception:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise
        return {"live": changed, "rebuilt": None, "changed": changed}

    def _apply_live(self, changed: list[str], old: Mapping[str, Any]) -> None:
        c = self.config
        if "optimizer" in changed:
            self.opt = make_optimizer_from_config(c)  # new rule, same weights
        else:
            for k in changed:
                if k in cfgmod.OPTIMIZER_FIELDS[c["optimizer"]]:
                    setattr(self.opt, k, tuple(c[k]) if k == "betas" else c[k])
        if "dropout" in changed:
            self.net.dropout = c["dropout"]
        if "freeze" in changed:
            self._apply_freeze()
        if "regularization" in changed or "reg_rate" in changed:
            self.net.l1, self.net.l2 = self._reg()

    def freeze(self, layer: int, frozen: bool) -> list[int]:
        """Freeze (``frozen`` true) or unfreeze one layer, and say so in ``config["freeze"]``,
        so a saved model and a shared configuration record it. Returns the frozen layers.
        Raises ConfigError naming ``layer`` (no such layer), ``frozen`` (not a boolean, or it
        would freeze the last trainable layer); nothing changes then."""
        n = len(self.net.layers)
        i = checks.whole_number("layer", layer, 0, n - 1, f"this network has {n} layers")
        if not isinstance(frozen, bool):
            raise cfgmod.ConfigError([cfgmod.FieldError("frozen", frozen,
                                                        "it must be true or false")])
        wanted = sorted(set(self.config["freeze"]) - {i} | ({i} if frozen else set()))
        if len(wanted) == n:
            raise cfgmod.ConfigError([cfgmod.FieldError("frozen", frozen, (
                f"layer {i} is the last trainable layer; at least one layer must stay trainable "
                "(unfreeze another layer first)"))])
        if wanted != self.config["freeze"]:
            self.config = {**self.config, "freeze": wanted}
            self._apply_freeze()
        return wanted

    def set_weight(self, layer: int, row: int, col: int | None, value: float,
                   bias: bool = False) -> float:
        """Write one weight W[row, col] of layer ``layer`` (0 is the first layer of weights), or
        its bias b[row] when ``bias`` (``col`` is then null). Returns the value stored (rounded
        to the network's dtype). Raises ConfigError naming ``layer``, ``row``, ``col``,
        ``value`` or ``bias`` with the allowed range; nothing changes then."""
        n = len(self.net.layers)
        i = checks.whole_number("layer", layer, 0, n - 1, f"this network has {n} layers")
        la = self.net.layers[i]
        r = checks.whole_number("row", row, 0, la.n_out - 1, f"layer {i} has {la.n_out} units")
        if not isinstance(bias, bool):
            raise cfgmod.ConfigError([cfgmod.FieldError("bias", bias,
                                                        "it must be true or false")])
        if bias and col is not None:
            raise cfgmod.ConfigError([cfgmod.FieldError(
                "col", col, "a bias has no column: leave col null with bias true")])
        j = None if bias else checks.whole_number("col", col, 0, la.n_in - 1,
                                                   f"layer {i} has {la.n_in} inputs")
        v = checks.bounded_number("value", value, MAX_WEIGHT)
        if j is None:
            la.b[r] = v
            return float(la.b[r])
        la.W[r, j] = v
        return float(la.W[r, j])

    def reset(self) -> None:
        """Back to step 0 with the same initial weights and the same data."""
        self.net.params[...] = self.initial_params
        self.opt = make_optimizer_from_config(self.config)
        self._restart()

    def new_seed(self, seed: int | None = None) -> None:
        """New initial weights (and dropout and batch order): seed + 1 unless given."""
        self.set({"seed": (self.config["seed"] + 1) % (2**31) if seed is None else seed})

    def regenerate(self) -> None:
        """New data from the next data seed; the network starts again."""
        self.set({"data_seed": (self.config["data_seed"] + 1) % (2**31)})

    # ----------------------------------------------------------------- saving
    def preprocessing(self) -> dict[str, Any]:
        d = self.data
        return {"features": d.features, "standardizer": d.standardizer.to_dict(),
                "input_names": d.input_names, "class_names": d.class_names,
                "image_shape": list(d.image_shape) if d.image_shape else None,
                "task": d.task, "data": d.name}

    def model_bytes(self) -> bytes:
        from .serialize import model_bytes

        m = self.evaluate(record=False)
        metrics = {k: m[k] for k in ("step", "train_loss", "test_loss", "train_acc", "test_acc")
                   if math.isfinite(m[k])}
        return model_bytes(self.net, self.preprocessing(), self.config, metrics)


_CACHES = ("x", "z", "a", "mask", "da", "dz")


@contextmanager
def _keeping_caches(net: Network) -> Iterator[None]:
    """Run extra forward passes (evaluation, drawing) without losing what the last training
    pass left in each layer (x, z, a, mask, da, dz): a step in progress still needs them, and
    the teaching view shows them."""
    saved = [[getattr(layer, k) for k in _CACHES] for layer in net.layers]
    try:
        yield
    finally:
        for layer, values in zip(net.layers, saved, strict=True):
            for k, v in zip(_CACHES, values, strict=True):
                setattr(layer, k, v)


def _layer_view(flat: Array, layer: Any) -> dict[str, Array]:
    s, nw = layer.offset, layer.n_out * layer.n_in
    return {"W": flat[s:s + nw].reshape(layer.n_out, layer.n_in), "b": flat[s + nw:s + layer.size]}
