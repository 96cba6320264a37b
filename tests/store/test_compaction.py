"""Compaction keeps real points: every bucket's first, last, lowest and highest, so the
history's extremes survive, within the cap."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from app.store.compaction import BUCKET, METRICS, compact, compact_oldest, keep_in_bucket

values = st.one_of(st.none(), st.just(math.nan), st.floats(-1e6, 1e6))


@st.composite
def histories(draw: st.DrawFn) -> list[dict]:
    n = draw(st.integers(0, 3000))
    base = draw(st.lists(values, min_size=1, max_size=50))
    return [{"step": i, **{m: base[(i * (j + 3)) % len(base)] for j, m in enumerate(METRICS)}}
            for i in range(n)]


@settings(max_examples=40, deadline=None)
@given(histories(), st.integers(200, 1000))
def test_compaction_keeps_the_extremes_ends_and_order_within_the_cap(
        points: list[dict], cap: int) -> None:
    kept = compact_oldest(points, cap)
    assert len(kept) <= cap
    steps = [p["step"] for p in kept]
    assert steps == sorted(set(steps))  # a subsequence of real points, in order
    assert all(p is points[p["step"]] for p in kept)
    if points:
        assert kept[0] is points[0] and kept[-1] is points[-1]
    for m in METRICS:
        finite = [p[m] for p in points if p[m] is not None and math.isfinite(p[m])]
        if finite:
            got = [p[m] for p in kept if p[m] is not None and math.isfinite(p[m])]
            assert min(got) == min(finite) and max(got) == max(finite)


def test_a_bucket_keeps_first_last_and_each_metrics_low_and_high() -> None:
    bucket = [{"train_loss": v, "test_acc": None} for v in (3, 1, 5, 2, 2)]
    assert keep_in_bucket(bucket) == [0, 1, 2, 4]


def test_a_flat_history_shrinks_to_first_and_last_per_bucket() -> None:
    points = [{"step": i, "train_loss": 1.0} for i in range(10 * BUCKET)]
    assert len(compact(points)) == 20


def test_a_short_history_is_kept_whole() -> None:
    points = [{"step": i, "train_loss": float(i)} for i in range(100)]
    assert compact_oldest(points, cap=100) == points
