"""Save and load models as safetensors files, readable by PyTorch and the `safetensors` library.

The format (https://github.com/huggingface/safetensors) is an 8-byte little-endian header size,
a JSON header, then the raw little-endian tensors. Our files hold, for the i-th dense layer,

    "{i}.weight"  (out, in)   - the same layout as torch.nn.Linear.weight
    "{i}.bias"    (out,)

so ``torch.nn.Sequential`` of Linear layers (with the activations between them at indices that
differ) loads them with the key mapping documented in docs/python-api.md. The header's
``__metadata__`` (strings only, as the format requires) stores:

    format        "backprop-lab"
    architecture  JSON: sizes, activation, output, loss, dropout, init, frozen layers ...
    preprocessing JSON: features, standardizer mean/std, input names, class names
    config        JSON: the run configuration that trained it (may be "{}")
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any

import numpy as np

from .config import MAX_HIDDEN_LAYERS
from .data import DataError, Standardizer
from .echo import short, text
from .network import MAX_DROPOUT, MAX_WEIGHT, Network

FORMAT = "backprop-lab"
_DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64,
           "I32": np.int32, "U8": np.uint8}
_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}
MAX_HEADER = 1 << 20


MISMATCH = "the model's metadata does not match its tensors"
MAX_DIMS = 8  # dimensions of one tensor
MAX_WIDTH = 1_000_000  # units of one layer (inputs included)
MAX_PENALTY = 10.0  # l1 and l2 of a stored architecture, as reg_rate allows


class ModelFileError(ValueError):
    """The file is not a safetensors file, or not one of ours, or holds values a network must
    not start from. ``field`` names the part at fault ("header", "0.weight", "frozen",
    "standardizer", "architecture", ...); the message starts with it."""

    def __init__(self, message: str, field: str = "model") -> None:
        super().__init__(message)
        self.field = field


def encode(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> bytes:
    """The bytes of a safetensors file holding ``tensors`` with string ``metadata``."""
    header: dict[str, Any] = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _CODES[arr.dtype], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)  # align the data to 8 bytes
    return struct.pack("<Q", len(head)) + head + b"".join(blobs)


def _json(text: bytes | str, what: str) -> Any:
    """json.loads that turns every failure (bad syntax, nesting deeper than Python's recursion
    limit, a number of more than 4,300 digits) into a ModelFileError naming ``what``."""
    try:
        return json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        why = ("not a safetensors file: the header is not JSON" if what == "header"
               else f"it is not JSON; {MISMATCH}")
        raise ModelFileError(f"{what}: {why} (or it is nested too deeply)", what) from None


def _whole(v: Any, lo: int, hi: int) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


def decode(raw: bytes) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """(tensors, metadata) from safetensors bytes; ModelFileError if malformed."""
    if len(raw) < 8:
        raise ModelFileError("not a safetensors file: shorter than its 8-byte header size",
                             "header")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > MAX_HEADER or 8 + n > len(raw):
        raise ModelFileError("not a safetensors file: the header size does not fit the file",
                             "header")
    header = _json(raw[8:8 + n], "header")
    if not isinstance(header, dict):
        raise ModelFileError("header: not a safetensors file: the header is not a JSON object",
                             "header")
    meta = header.pop("__metadata__", {}) or {}
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise ModelFileError("__metadata__: it must map names to strings", "__metadata__")
    body = raw[8 + n:]
    tensors = {}
    for name, info in header.items():
        where = short(name)
        if not isinstance(info, dict) or not isinstance(info.get("dtype"), str) \
                or info["dtype"] not in _DTYPES:
            raise ModelFileError(f"{where}: unsupported dtype or bad entry (dtype must be one "
                                 f"of {', '.join(_DTYPES)})", text(name))
        dt = np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
        offsets, shape = info.get("data_offsets"), info.get("shape")
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(_whole(o, 0, 2**64) for o in offsets)):
            raise ModelFileError(f"{where}: bad entry: data_offsets must be two whole numbers "
                                 f"≥ 0; got {short(offsets)}", text(name))
        if not (isinstance(shape, list) and len(shape) <= MAX_DIMS
                and all(_whole(d, 0, len(body)) for d in shape)):
            raise ModelFileError(f"{where}: bad entry: shape must be a list of at most "
                                 f"{MAX_DIMS} whole numbers, each from 0 to {len(body)} (the "
                                 f"size of the data in bytes); got {short(shape)}", text(name))
        start, end = offsets
        # exact integer arithmetic: a shape of [10**30] is simply too large, never an overflow
        if not start <= end <= len(body) or (end - start) != dt.itemsize * math.prod(shape):
            raise ModelFileError(f"{where}: its data offsets do not fit the file "
                                 "(is it truncated?)", text(name))
        tensors[name] = np.frombuffer(body[start:end], dtype=dt).reshape(shape).astype(
            dt.newbyteorder("="))
    return tensors, meta


def model_bytes(net: Network, preprocessing: dict | None = None,
                config: dict | None = None, metrics: dict | None = None) -> bytes:
    """The safetensors bytes of ``net``; ``metrics`` (e.g. its test accuracy when saved) are
    stored too and read back by ``model_metrics``."""
    meta = {
        "format": FORMAT,
        "architecture": json.dumps(net.architecture()),
        "preprocessing": json.dumps(preprocessing or {}),
        "config": json.dumps(config or {}),
        "metrics": json.dumps(metrics or {}),
    }
    return encode(net.state_dict(), meta)


def model_metrics(raw: bytes) -> dict:
    """The metrics stored with a model ({} when none were stored)."""
    _, meta = decode(raw)
    try:
        m = json.loads(meta.get("metrics", "{}"))
    except (json.JSONDecodeError, TypeError):
        return {}
    return m if isinstance(m, dict) else {}


def save_model(net: Network, path: str | Path, preprocessing: dict | None = None,
               config: dict | None = None) -> None:
    """Write ``net`` (weights, architecture, preprocessing, config) to a safetensors file."""
    Path(path).write_bytes(model_bytes(net, preprocessing, config))


def model_from_bytes(raw: bytes) -> tuple[Network, dict, dict]:
    """(network, preprocessing, config) from the bytes of a file saved by save_model.

    Refused with a ModelFileError naming the part at fault: a malformed file, metadata that
    does not match the tensors, weights that are not finite or exceed MAX_WEIGHT in size,
    ``frozen`` layers that do not exist or leave nothing to train, a standardizer whose std is
    not a sane positive number (see Standardizer.from_dict)."""
    tensors, meta = decode(raw)
    if meta.get("format") != FORMAT or "architecture" not in meta:
        raise ModelFileError("this safetensors file has no Backprop Lab metadata (format and "
                             "architecture); save it with engine.save_model")
    arch = _json(meta["architecture"], "architecture")
    pre = _json(meta.get("preprocessing", "{}"), "preprocessing")
    cfg = _json(meta.get("config", "{}"), "config")
    for what, d in (("architecture", arch), ("preprocessing", pre), ("config", cfg)):
        if not isinstance(d, dict):
            raise ModelFileError(f"{what}: it must be a JSON object; {MISMATCH}", what)
    frozen = arch.pop("frozen", [])
    _check_weights(tensors)
    _check_arch(arch)
    try:
        _check_shapes(arch["sizes"], tensors)  # before allocating anything
        net = Network(**arch)
        net.load_state_dict(tensors)
    except (ValueError, TypeError, IndexError) as exc:
        raise ModelFileError(f"architecture: {MISMATCH}: {exc}", "architecture") from None
    _check_frozen(frozen, len(net.layers))
    for i in frozen:
        net.freeze(i)
    if "standardizer" in pre:
        try:
            Standardizer.from_dict(pre["standardizer"])
        except DataError as exc:
            raise ModelFileError(f"standardizer: {exc.message}", "standardizer") from None
    return net, pre, cfg


def _check_arch(arch: dict[str, Any]) -> None:
    sizes = arch.get("sizes")
    if not (isinstance(sizes, list) and 2 <= len(sizes) <= MAX_HIDDEN_LAYERS + 2
            and all(_whole(w, 1, MAX_WIDTH) for w in sizes)):
        raise ModelFileError(f"sizes: it must list 2 to {MAX_HIDDEN_LAYERS + 2} layer widths, "
                             f"each a whole number from 1 to {MAX_WIDTH}; got {short(sizes)} "
                             f"({MISMATCH})", "sizes")
    for key in ("l1", "l2", "dropout"):
        v = arch.get(key, 0.0)
        hi = MAX_DROPOUT if key == "dropout" else MAX_PENALTY
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= hi:
            raise ModelFileError(f"{key}: it must be a number from 0 to {hi:g}; got {short(v)} "
                                 f"({MISMATCH})", key)
    seed = arch.get("seed", 0)
    if not _whole(seed, 0, 2**32 - 1):
        raise ModelFileError(f"seed: it must be a whole number from 0 to {2**32 - 1}; got "
                             f"{short(seed)} ({MISMATCH})", "seed")


def _check_weights(tensors: dict[str, np.ndarray]) -> None:
    """Every weight and bias finite and at most MAX_WEIGHT in size: a network that starts from
    NaN or from 3e38 would fail its first step, and the failure would look like the learning
    rate's."""
    for key, value in tensors.items():
        if not np.isfinite(value).all():
            raise ModelFileError(f"{key}: it holds NaN or infinite values; every weight and "
                                 "bias must be a finite number", key)
        if value.size and float(np.abs(value).max()) > MAX_WEIGHT:
            raise ModelFileError(f"{key}: it holds values of size up to "
                                 f"{float(np.abs(value).max()):g}; weights and biases must be "
                                 f"within ±{MAX_WEIGHT:g}", key)


def _check_frozen(frozen: Any, n: int) -> None:
    if not (isinstance(frozen, list) and all(_whole(i, 0, n - 1) for i in frozen)
            and len(set(frozen)) == len(frozen)):
        raise ModelFileError(f"frozen: it must list distinct layer indices from 0 to {n - 1}; "
                             f"got {short(frozen)} ({MISMATCH})", "frozen")
    if len(frozen) >= n:
        raise ModelFileError(f"frozen: all {n} layers are frozen; at least one layer must stay "
                             "trainable", "frozen")


def _check_shapes(sizes: list[int], tensors: dict[str, np.ndarray]) -> None:
    """Every layer's weight (out, in) and bias (out,) is in the file with the shape ``sizes``
    (inputs first) says."""
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=False)):
        for key, shape in ((f"{i}.weight", (n_out, n_in)), (f"{i}.bias", (n_out,))):
            if key not in tensors:
                raise ValueError(f"the file has no tensor {key!r}")
            if tensors[key].shape != shape:
                raise ValueError(f"{key}: shape {tensors[key].shape} does not match {shape}")


def load_model(path: str | Path) -> Network:
    """The network saved in ``path`` (use load_model_full for preprocessing and config)."""
    return model_from_bytes(Path(path).read_bytes())[0]


def load_model_full(path: str | Path) -> tuple[Network, dict, dict]:
    return model_from_bytes(Path(path).read_bytes())
