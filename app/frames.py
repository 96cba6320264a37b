"""Binary frames: one JSON header, then raw little-endian arrays (see docs/protocol.md).

    uint32 LE  H            length of the header in bytes
    H bytes    header       UTF-8 JSON; "arrays" lists name, dtype, shape, offset (+ range)
    padding    zero bytes   up to a multiple of 8 from the start of the message
    data       arrays       each at its offset from the start of data, each offset a multiple of 8

A frame is encoded once and the same bytes go to every client of the session.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

Array = np.ndarray

QUANTIZED_PREFIXES = ("grid_output", "grid_hidden")
_DTYPES = {"float32", "float64", "uint8", "int32", "int64", "uint32", "int8", "uint16",
           "int16"}


@dataclass(frozen=True)
class Frame:
    """One encoded frame and what a sender needs to keep each client's history whole."""

    seq: int
    gen: int  # history generation: bumped when the history restarts (reset, rebuild, thinning)
    history_from: int
    n_points: int
    data_version: int
    payload: bytes


def clean(value: Any) -> Any:
    """A JSON-ready copy: arrays to lists, NaN and infinities to None, numpy scalars to Python."""
    if isinstance(value, np.ndarray):
        return clean(value.tolist())
    if isinstance(value, float | np.floating):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    if isinstance(value, Mapping):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


def dumps(obj: Any) -> str:
    """Compact JSON of ``clean(obj)``."""
    return json.dumps(clean(obj), separators=(",", ":"), allow_nan=False)


def quantize(a: Array, lo: float | None = None, hi: float | None = None
             ) -> tuple[Array, list[float]]:
    """float array -> (uint8 array of the same shape, [lo, hi]); value ≈ lo + (hi-lo)·q/255.
    Without lo/hi the array's own finite min and max are used."""
    a = np.asarray(a, dtype=np.float32)
    finite = a[np.isfinite(a)]
    if lo is None:
        lo = float(finite.min()) if finite.size else 0.0
    if hi is None:
        hi = float(finite.max()) if finite.size else 1.0
    if not hi > lo:
        hi = lo + 1.0
    scaled = (np.nan_to_num(a, nan=lo, posinf=hi, neginf=lo) - lo) * (255.0 / (hi - lo))
    q = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    return q, [lo, hi]


def dequantize(q: Array, value_range: list[float]) -> Array:
    """uint8 q with [lo, hi] -> float32 values lo + (hi-lo)·q/255."""
    lo, hi = value_range
    return (lo + (hi - lo) * q.astype(np.float32) / 255.0).astype(np.float32)


def encode(header: Mapping[str, Any], arrays: Mapping[str, Array],
           ranges: Mapping[str, list[float]] | None = None) -> bytes:
    """Encode one frame. ``header`` gets an "arrays" table added; arrays are written
    little-endian in C order; ``ranges[name]`` marks a quantized array."""
    ranges = ranges or {}
    table = []
    chunks: list[bytes] = []
    offset = 0
    for name, a in arrays.items():
        a = np.ascontiguousarray(a)
        if a.dtype.byteorder == ">":
            a = a.astype(a.dtype.newbyteorder("<"))
        if a.dtype.name not in _DTYPES:
            raise TypeError(f"array {name!r} has dtype {a.dtype}, which frames do not carry")
        entry: dict[str, Any] = {"name": name, "dtype": a.dtype.name, "shape": list(a.shape),
                                 "offset": offset}
        if name in ranges:
            entry["range"] = ranges[name]
        table.append(entry)
        raw = a.tobytes()
        pad = -len(raw) % 8
        chunks.append(raw + b"\0" * pad)
        offset += len(raw) + pad
    head = dumps({**header, "arrays": table}).encode()
    start = 4 + len(head)
    pad = -start % 8
    return b"".join([struct.pack("<I", len(head)), head, b"\0" * pad, *chunks])


def decode(message: bytes) -> tuple[dict[str, Any], dict[str, Array]]:
    """Inverse of ``encode``: (header, {name: array}); quantized arrays stay uint8 (their
    range is in the header's table; see ``dequantize``)."""
    if len(message) < 4:
        raise ValueError("a frame is at least 4 bytes long")
    (n,) = struct.unpack_from("<I", message, 0)
    header = json.loads(bytes(message[4:4 + n]).decode())
    data = 4 + n + (-(4 + n) % 8)
    arrays: dict[str, Array] = {}
    for entry in header.get("arrays", []):
        dt = np.dtype(entry["dtype"]).newbyteorder("<")
        count = int(np.prod(entry["shape"], dtype=np.int64))
        a = np.frombuffer(message, dtype=dt, count=count, offset=data + entry["offset"])
        arrays[entry["name"]] = a.reshape(entry["shape"])
    return header, arrays


def quantize_snapshot(arrays: Mapping[str, Array], output: str
                      ) -> tuple[dict[str, Array], dict[str, list[float]]]:
    """Quantize the grid arrays of ``Trainer.snapshot()`` to uint8.

    grid_output of a sigmoid or softmax output is a probability: range [0, 1]; otherwise
    (regression) its own min and max. grid_hidden{i}: its own min and max.
    """
    out: dict[str, Array] = {}
    ranges: dict[str, list[float]] = {}
    for name, a in arrays.items():
        if name.startswith(QUANTIZED_PREFIXES):
            if name == "grid_output" and output in ("sigmoid", "softmax"):
                q, r = quantize(a, 0.0, 1.0)
            else:
                q, r = quantize(a)
            out[name], ranges[name] = q, r
        else:
            out[name] = a
    return out, ranges


def history_row(values: Any) -> list[Any]:
    """A history row for the wire: step as a whole number, NaN as None."""
    row = clean(list(values))
    row[0] = int(row[0])
    return row
