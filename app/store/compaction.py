"""Bounded metric history: every point while a run is young, then older points thinned per
bucket keeping, in each bucket, the first and last point and the points where each metric is
lowest and highest, so a spike is never lost.

A point is a dict with the keys of METRIC_COLUMNS (values may be None or NaN) plus whatever
else the caller keeps (an id, a step). Points kept are real recorded points, never averages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

COLUMNS = ("step", "epoch", "seconds", "train_loss", "test_loss", "train_acc", "test_acc",
           "val_loss", "val_acc")
"""The columns of a metric row, in the order of the history CSV."""
METRICS = ("train_loss", "test_loss", "train_acc", "test_acc", "val_loss", "val_acc")
"""The columns whose lows and highs compaction keeps."""
BUCKET = 64
"""Points per bucket: at most 2 + 2 × 6 = 14 of 64 survive, so a pass keeps ≤ 22 %."""
MAX_POINTS = 4000
"""Metric rows held per run; past it all but the newest 2,000 are compacted to fit."""


def _finite(v: Any) -> bool:
    return isinstance(v, int | float) and math.isfinite(v)


def keep_in_bucket(bucket: Sequence[dict[str, Any]]) -> list[int]:
    """Indices (ascending) of the points a bucket keeps: first, last, and for every metric the
    lowest and the highest finite value (the first of equal ones)."""
    if not bucket:
        return []
    keep = {0, len(bucket) - 1}
    for m in METRICS:
        values = [(p.get(m), i) for i, p in enumerate(bucket) if _finite(p.get(m))]
        if values:
            keep.add(min(values)[1])
            keep.add(max(values, key=lambda vi: (vi[0], -vi[1]))[1])
    return sorted(keep)


def compact(points: Sequence[dict[str, Any]], bucket: int = BUCKET) -> list[dict[str, Any]]:
    """The points kept when ``points`` (in step order) are thinned bucket by bucket."""
    out: list[dict[str, Any]] = []
    for s in range(0, len(points), bucket):
        chunk = points[s:s + bucket]
        out.extend(chunk[i] for i in keep_in_bucket(chunk))
    return out


def compact_oldest(points: Sequence[dict[str, Any]], cap: int = MAX_POINTS,
                   bucket: int = BUCKET) -> list[dict[str, Any]]:
    """``points`` unchanged while there are at most ``cap``; past it, the newest cap // 2
    points are kept whole and the older ones compacted, pass after pass, until all fit in
    ``cap``. Older points are thinned more than recent ones; every bucket's extremes stay."""
    if len(points) <= cap:
        return list(points)
    half = cap // 2
    old, new = list(points[:-half]), list(points[-half:])
    while len(old) > cap - half:
        smaller = compact(old, bucket)
        if len(smaller) == len(old):  # nothing left to thin (tiny buckets): stop
            break
        old = smaller
    return old + new
