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
import struct
from pathlib import Path
from typing import Any

import numpy as np

from .network import Network

FORMAT = "backprop-lab"
_DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64,
           "I32": np.int32, "U8": np.uint8}
_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}
MAX_HEADER = 1 << 20


class ModelFileError(ValueError):
    """The file is not a safetensors file, or not one of ours."""


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


def decode(raw: bytes) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """(tensors, metadata) from safetensors bytes; ModelFileError if malformed."""
    if len(raw) < 8:
        raise ModelFileError("not a safetensors file: shorter than its 8-byte header size")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > MAX_HEADER or 8 + n > len(raw):
        raise ModelFileError("not a safetensors file: the header size does not fit the file")
    try:
        header = json.loads(raw[8:8 + n])
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelFileError("not a safetensors file: the header is not JSON") from None
    if not isinstance(header, dict):
        raise ModelFileError("not a safetensors file: the header is not a JSON object")
    meta = header.pop("__metadata__", {}) or {}
    body = raw[8 + n:]
    tensors = {}
    for name, info in header.items():
        try:
            dt = np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
            start, end = (int(o) for o in info["data_offsets"])
            shape = tuple(int(s) for s in info["shape"])
            if any(s < 0 for s in shape):
                raise ValueError
        except (KeyError, TypeError, ValueError):
            raise ModelFileError(f"tensor {name!r}: unsupported dtype or bad entry") from None
        if not 0 <= start <= end <= len(body) or (end - start) != dt.itemsize * int(
                np.prod(shape, dtype=np.int64)):
            raise ModelFileError(f"tensor {name!r}: its data offsets do not fit the file "
                                 "(is it truncated?)")
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
    """(network, preprocessing, config) from the bytes of a file saved by save_model."""
    tensors, meta = decode(raw)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or "architecture" not in meta:
        raise ModelFileError("this safetensors file has no Backprop Lab metadata (format and "
                             "architecture); save it with engine.save_model")
    try:
        arch = json.loads(meta["architecture"])
        pre = json.loads(meta.get("preprocessing", "{}"))
        cfg = json.loads(meta.get("config", "{}"))
        if not all(isinstance(d, dict) for d in (arch, pre, cfg)):
            raise ValueError("architecture, preprocessing and config must be JSON objects")
        frozen = arch.pop("frozen", [])
        _check_shapes(arch.get("sizes"), tensors)  # before allocating anything
        net = Network(**arch)
        net.load_state_dict(tensors)
        for i in frozen:
            net.freeze(i)
    except (ValueError, TypeError, IndexError) as exc:
        raise ModelFileError(f"the model's metadata does not match its tensors: {exc}") from None
    return net, pre, cfg


def _check_shapes(sizes: Any, tensors: dict[str, np.ndarray]) -> None:
    """Every layer's weight (out, in) and bias (out,) is in the file with the shape ``sizes``
    (inputs first) says."""
    if not isinstance(sizes, list) or len(sizes) < 2:
        raise ValueError(f"sizes must list at least inputs and outputs; got {sizes!r}")
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
