"""Save a run whole and bring it back: ``save(trainer) -> bytes``, ``restore(blob) -> Trainer``.

A restored trainer continues bit for bit as the saved one would have: the next steps draw the
same batches, the same dropout masks, and apply the same optimizer updates. A checkpoint holds

    configuration      the validated run configuration (frozen layers included)
    weights            params, and the initial weights that ``reset()`` goes back to
    gradients, update  the last gradients and the last update applied (what the page draws)
    optimizer          its name, hyperparameters, step count t and state arrays
    random states      the batch-order generator, the dropout and initialization generators
    batch order        the current epoch's order of the training rows and the position in it
    counters           step, epoch, training seconds, last loss, divergence
    history            every recorded point (step, epoch, losses, accuracies, seconds)
    a step in progress its phase, the layers' caches (x, z, a, mask, da, dz) and pending values
    data               an uploaded CSV file's rows and model file (unless left out), the
                       standardizer, a check sum of the rows (the data is rebuilt from the
                       configuration, and refused if it comes out different)

as a safetensors file (engine/serialize.py): arrays as tensors, everything else as one JSON
string in the metadata. Floats go through JSON's shortest round-trip repr, so they come back
exactly. A race is several trainers: checkpoint each runner's trainer.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

from .data import CsvData, Standardizer
from .network import Network
from .optim import OPTIMIZERS
from .serialize import ModelFileError, decode, encode
from .trainer import HISTORY_KEYS, Trainer

Array = np.ndarray
FORMAT = "backprop-lab-checkpoint"
VERSION = 1
_CACHES = ("x", "z", "a", "mask", "da", "dz")


class CheckpointError(ValueError):
    """The bytes are not a checkpoint, or the run cannot be rebuilt from them."""


def _data_digest(tr: Trainer) -> str:
    h = hashlib.sha256()
    for a in (tr.X_train, tr.y_train, tr.X_test, tr.y_test):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def _epoch_order(tr: Trainer) -> Array:
    """Indices i such that the current epoch's rows are X_train[i] (with their labels).
    Rows that are identical (inputs and label) are interchangeable."""
    n = len(tr.X_train)
    if tr._Xe is tr.X_train:
        return np.arange(n, dtype=np.int64)
    where: dict[bytes, list[int]] = {}
    for i in range(n - 1, -1, -1):  # popped from the end: equal rows keep their order
        where.setdefault(tr.X_train[i].tobytes() + tr.y_train[i].tobytes(), []).append(i)
    order = [where[tr._Xe[j].tobytes() + tr._ye[j].tobytes()].pop() for j in range(n)]
    return np.asarray(order, dtype=np.int64)


def save(trainer: Trainer, *, include_data: bool = True) -> bytes:
    """The bytes of a checkpoint of ``trainer``, from which ``restore`` rebuilds it.
    ``include_data=False`` leaves out an uploaded CSV's rows and model file (the larger part
    of such a run): keep them once (e.g. in the run's first checkpoint, see ``uploads``) and
    hand them to ``restore``."""
    tr, net, opt = trainer, trainer.net, trainer.opt
    t: dict[str, Array] = {
        "params": net.params, "grads": net.grads, "update": net.update,
        "initial_params": tr.initial_params, "epoch_order": _epoch_order(tr),
        "standardizer.mean": np.asarray(tr.data.standardizer.mean, np.float64),
        "standardizer.std": np.asarray(tr.data.standardizer.std, np.float64),
    }
    for k in HISTORY_KEYS:
        t[f"history.{k}"] = np.asarray(tr.history[k], np.float64)
    laid_out = opt._params is net.params  # the optimizer's state belongs to these weights
    if laid_out:
        for k, v in opt.state.items():
            t[f"opt.{k}"] = v
    for i, layer in enumerate(net.layers):
        for k in _CACHES:
            v = getattr(layer, k)
            if v is not None:
                t[f"layer{i}.{k}"] = v
    pending_scalars: dict[str, Any] = {}
    for k, v in tr._pending.items():
        if isinstance(v, np.ndarray):
            t[f"pending.{k}"] = v
        else:
            pending_scalars[k] = v
    if tr._last_eval is not None:
        for k, v in tr._last_eval.items():
            t[f"last_eval.{k}"] = v
    if tr.csv is not None and include_data:
        t["csv.X"], t["csv.y"] = tr.csv.X, tr.csv.y
    if tr.model_file is not None and include_data:
        t["model_file"] = np.frombuffer(tr.model_file, np.uint8)
    if tr.pretrained is not None:
        for k, v in tr.pretrained.state_dict().items():
            t[f"pretrained.{k}"] = v
    state = {
        "config": tr.config,
        "frozen": [not la.trainable for la in net.layers],
        "net": {"dropout": net.dropout, "l1": net.l1, "l2": net.l2, "output": net.output,
                "loss": net.loss, "sizes": net.sizes,
                "rng_init": net.rng_init.bit_generator.state,
                "rng_dropout": net.rng_dropout.bit_generator.state},
        "optimizer": {"name": opt.name, "t": opt.t, "hyper": opt.hyperparameters(),
                      "laid_out": laid_out, "buf_ready": getattr(opt, "_buf_ready", None)},
        "order_rng": tr._order_rng.bit_generator.state,
        "step_count": tr.step_count, "epoch_count": tr.epoch_count, "pos": tr._pos,
        "train_seconds": tr.train_seconds, "last_loss": tr.last_loss,
        "diverged": tr.diverged, "phase": tr._phase, "pending": pending_scalars,
        "history_dropped": tr.history_dropped, "head": tr.head,
        "csv": None if tr.csv is None else {"feature_names": tr.csv.feature_names,
                                           "class_names": tr.csv.class_names,
                                           "task": tr.csv.task},
        "pretrained": None if tr.pretrained is None else {
            "architecture": tr.pretrained.architecture(),
            "preprocessing": tr.pretrained_preprocessing},
        "data_digest": _data_digest(tr),
        "model_file": tr.model_file is not None,
    }
    meta = {"format": FORMAT, "version": str(VERSION), "state": json.dumps(state)}
    return encode({k: np.asarray(v) for k, v in t.items()}, meta)


def read(blob: bytes) -> tuple[dict[str, Array], dict[str, Any]]:
    """(tensors, state) of a checkpoint; CheckpointError if it is not one."""
    try:
        tensors, meta = decode(blob)
    except ModelFileError as exc:
        raise CheckpointError(f"not a checkpoint: {exc}") from None
    if meta.get("format") != FORMAT or "state" not in meta:
        raise CheckpointError("not a checkpoint: the file has no backprop-lab-checkpoint "
                              "metadata")
    if meta.get("version") != str(VERSION):
        raise CheckpointError(f"checkpoint version {meta.get('version')!r} is not supported; "
                              f"this engine reads version {VERSION}")
    try:
        state = json.loads(meta["state"])
    except json.JSONDecodeError:
        raise CheckpointError("not a checkpoint: its state is not JSON") from None
    return tensors, state


def uploads(blob: bytes) -> tuple[CsvData | None, bytes | None]:
    """(the uploaded CSV data, the uploaded model file) a checkpoint holds, None for each it
    does not hold."""
    t, s = read(blob)
    csv = None
    if s["csv"] is not None and "csv.X" in t:
        c = s["csv"]
        csv = CsvData(X=t["csv.X"], y=t["csv.y"], feature_names=c["feature_names"],
                      class_names=c["class_names"], task=c["task"])
    return csv, (t["model_file"].tobytes() if "model_file" in t else None)


def restore(blob: bytes, *, csv: CsvData | None = None,
            model_file: bytes | None = None) -> Trainer:
    """A Trainer in exactly the state ``save`` captured. ``csv``/``model_file``: the uploads
    of a checkpoint saved without them. Raises CheckpointError when the blob is not a
    checkpoint or the run cannot be rebuilt as it was."""
    t, s = read(blob)
    held_csv, held_model = uploads(blob)
    csv, model_file = held_csv or csv, held_model or model_file
    if s.get("csv") is not None and csv is None:
        raise CheckpointError("this checkpoint was saved without its uploaded CSV data; pass "
                              "csv= (the run's first checkpoint holds it)")
    if s.get("model_file") and model_file is None:
        raise CheckpointError("this checkpoint was saved without its uploaded model file; "
                              "pass model_file= (the run's first checkpoint holds it)")
    try:
        return _rebuild(t, s, csv, model_file)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, CheckpointError):
            raise
        raise CheckpointError(f"the checkpoint cannot be restored: {exc!r}") from None


def _rebuild(t: dict[str, Array], s: dict[str, Any], csv: CsvData | None,
             model_file: bytes | None) -> Trainer:
    model, pre = None, None
    if s["pretrained"] is not None:
        arch = dict(s["pretrained"]["architecture"])
        frozen = arch.pop("frozen", [])
        model = Network(**arch)
        model.load_state_dict({k[len("pretrained."):]: v for k, v in t.items()
                               if k.startswith("pretrained.")})
        for i in frozen:
            model.freeze(i)
        pre = s["pretrained"]["preprocessing"]
    tr = Trainer(s["config"], csv=csv, model=model, model_file=model_file, preprocessing=pre)
    tr.config = s["config"]  # exactly as saved (model runs rewrite a few fields when built)
    tr.head = s["head"]
    _restore_data(tr, t, s)
    _restore_network(tr, t, s)
    _restore_optimizer(tr, t, s)
    tr._order_rng.bit_generator.state = s["order_rng"]
    order = t["epoch_order"]
    tr._Xe, tr._ye = tr.X_train[order], tr.y_train[order]
    tr._pos = int(s["pos"])
    tr.step_count, tr.epoch_count = int(s["step_count"]), int(s["epoch_count"])
    tr.train_seconds, tr.last_loss = float(s["train_seconds"]), float(s["last_loss"])
    tr.diverged, tr._phase = s["diverged"], s["phase"]
    tr._pending = {**s["pending"], **{k[len("pending."):]: v for k, v in t.items()
                                      if k.startswith("pending.")}}
    last = {k[len("last_eval."):]: v for k, v in t.items() if k.startswith("last_eval.")}
    tr._last_eval = last or None
    for k in HISTORY_KEYS:
        tr.history[k] = [float(x) for x in t[f"history.{k}"]]
    tr.history_dropped = int(s["history_dropped"])
    return tr


def _restore_data(tr: Trainer, t: dict[str, Array], s: dict[str, Any]) -> None:
    """The standardizer as saved, then a check that the rows are the run's own."""
    d = tr.data
    mean, std = t["standardizer.mean"], t["standardizer.std"]
    if not (np.array_equal(d.standardizer.mean, mean) and np.array_equal(d.standardizer.std, std)):
        d.standardizer = Standardizer(mean=mean, std=std)
        d.X_train, d.X_test = d.inputs(d.raw_train), d.inputs(d.raw_test)
        dt = tr.net.params.dtype
        tr.X_train, tr.X_test = d.X_train.astype(dt), d.X_test.astype(dt)
        tr._grid_cache = {}
    if _data_digest(tr) != s["data_digest"]:
        raise CheckpointError("the data rebuilt from the checkpoint's configuration differs "
                              "from the rows the run trained on; it cannot continue exactly")


def _restore_network(tr: Trainer, t: dict[str, Array], s: dict[str, Any]) -> None:
    net, n = tr.net, s["net"]
    if list(net.sizes) != list(n["sizes"]) or net.params.shape != t["params"].shape:
        raise CheckpointError(f"the network rebuilt has sizes {net.sizes}; the checkpoint's "
                              f"has {n['sizes']}")
    net.params[...] = t["params"]
    net.grads[...] = t["grads"]
    net.update[...] = t["update"]
    tr.initial_params = t["initial_params"].copy()
    for i, frozen in enumerate(s["frozen"]):
        net.layers[i].trainable = not frozen
    net.dropout, net.l1, net.l2 = n["dropout"], n["l1"], n["l2"]
    net.output, net.loss = n["output"], n["loss"]
    net.rng_init.bit_generator.state = n["rng_init"]
    net.rng_dropout.bit_generator.state = n["rng_dropout"]
    for i, layer in enumerate(net.layers):
        for k in _CACHES:
            setattr(layer, k, t.get(f"layer{i}.{k}"))


def _restore_optimizer(tr: Trainer, t: dict[str, Array], s: dict[str, Any]) -> None:
    o = s["optimizer"]
    hyper = dict(o["hyper"])
    if "betas" in hyper:
        hyper["betas"] = tuple(hyper["betas"])
    opt = OPTIMIZERS[o["name"]](**hyper)
    if o["laid_out"]:
        opt._prepare(tr.net)
        for k, v in opt.state.items():
            v[...] = t[f"opt.{k}"]
        if o["buf_ready"] is not None:
            opt._buf_ready = o["buf_ready"]  # type: ignore[attr-defined]
    opt.t = int(o["t"])
    tr.opt = opt
