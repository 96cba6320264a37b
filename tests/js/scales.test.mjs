import { test } from "node:test";
import assert from "node:assert/strict";
import {
  decimate, emaDebiased, extent, formatCount, formatNumber, friendlyLogValues, fromLogSlider,
  linearScale, logScale, logTicks, nearestIndex, nearestLogIndex, niceTicks, roundSig, thinTicks,
  toLogSlider,
} from "../../static/js/scales.js";

test("linear scale maps and inverts", () => {
  const s = linearScale([0, 10], [100, 200]);
  assert.equal(s(0), 100);
  assert.equal(s(5), 150);
  assert.equal(s.invert(175), 7.5);
});

test("log scale maps decades evenly", () => {
  const s = logScale([0.01, 1], [0, 100]);
  assert.ok(Math.abs(s(0.1) - 50) < 1e-9);
  assert.ok(Math.abs(s.invert(50) - 0.1) < 1e-12);
  assert.equal(s(0), 0, "non-positive values sit at the bottom");
});

test("nice ticks are round and cover the range", () => {
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0, 100, 4), [0, 50, 100]);
  assert.deepEqual(logTicks(0.005, 20), [0.01, 0.1, 1, 10]);
});

test("extent skips non-finite values and, for log axes, non-positive ones", () => {
  assert.deepEqual(extent([3, NaN, -1, Infinity, 2]), [-1, 3]);
  assert.deepEqual(extent([0, 0.5, 2], true), [0.5, 2]);
  assert.equal(extent([NaN]), null);
});

test("the debiased EMA starts at the first value and follows a constant exactly", () => {
  const s = emaDebiased([4, 4, 4, 4], 0.9);
  for (const v of s) assert.ok(Math.abs(v - 4) < 1e-12);
  const r = emaDebiased([1, 3], 0.5);
  assert.equal(r[0], 1);
  // m1 = 0.5, m2 = 0.25 + 1.5 = 1.75; debiased 1.75 / (1 - 0.25) = 2.333…
  assert.ok(Math.abs(r[1] - 1.75 / 0.75) < 1e-12);
});

test("the EMA with beta 0 is the raw series, and NaN does not poison it", () => {
  assert.deepEqual(Array.from(emaDebiased([1, 2, 3], 0)), [1, 2, 3]);
  const s = emaDebiased([NaN, 2, NaN, 2], 0.8);
  assert.ok(Number.isNaN(s[0]));
  assert.equal(s[1], 2);
  assert.equal(s[2], 2);
  assert.ok(Math.abs(s[3] - 2) < 1e-12);
});

test("decimation keeps every pixel column's extremes", () => {
  const n = 10000;
  const xs = Float64Array.from({ length: n }, (_, i) => i);
  const ys = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
  ys[5123] = 50; // a spike must survive
  const idx = decimate(xs, ys, (x) => (x / n) * 100);
  assert.ok(idx.length <= 100 * 4 + 2, `${idx.length} points kept`);
  assert.ok(idx.includes(5123));
  assert.ok(idx.includes(0) && idx.includes(n - 1));
  for (let k = 1; k < idx.length; k++) assert.ok(idx[k] > idx[k - 1]);
});

test("nearestIndex finds the closest x", () => {
  assert.equal(nearestIndex([0, 10, 20, 30], 14), 1);
  assert.equal(nearestIndex([0, 10, 20, 30], 16), 2);
  assert.equal(nearestIndex([0, 10, 20, 30], 99), 3);
  assert.equal(nearestIndex([], 1), -1);
});

test("numbers are written for people", () => {
  assert.equal(formatNumber(0.123456), "0.123");
  assert.equal(formatNumber(Infinity), "∞");
  assert.equal(formatNumber(NaN), "NaN");
  assert.equal(formatNumber(-0.5), "−0.5");
  assert.equal(formatNumber(0.00001234), "1.23e-5");
  assert.equal(formatCount(2471.9, 6), "002,471");
  assert.equal(formatCount(1234567), "1,234,567");
});

test("the log slider round-trips and rounds to 2 significant digits", () => {
  assert.equal(fromLogSlider(toLogSlider(0.03)), 0.03);
  assert.equal(fromLogSlider(-1.5), 0.032);
  assert.equal(fromLogSlider(0), 1);
  assert.equal(roundSig(0.0123456, 3), 0.0123);
});

test("the learning-rate slider stops at 1, 2, 3, 5 per decade and reaches 0.03 and 0.003", () => {
  const v = friendlyLogValues(-5, 1);
  assert.equal(v[0], 1e-5);
  assert.equal(v.at(-1), 10);
  assert.equal(v.length, 25);
  for (const x of [0.03, 0.003, 0.1, 1, 0.5, 2e-5]) assert.ok(v.includes(x), `${x} is a stop`);
  assert.ok(v.every((x, i) => i === 0 || x > v[i - 1]), "ascending");
  assert.equal(v[nearestLogIndex(v, 0.03)], 0.03);
  assert.equal(v[nearestLogIndex(v, 0.004)], 0.005, "0.004 is nearer 0.005 than 0.003 on a log scale");
  assert.equal(v[nearestLogIndex(v, 100)], 10);
  assert.equal(v[nearestLogIndex(v, 1e-9)], 1e-5);
});

test("thinTicks keeps at most max ticks, evenly, from the first", () => {
  const ticks = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1];
  assert.deepEqual(thinTicks(ticks, 10), ticks);
  assert.deepEqual(thinTicks(ticks, 4), [1e-6, 1e-4, 1e-2, 1]);
  assert.deepEqual(thinTicks(ticks, 2), [1e-6, 1e-2]);
  assert.equal(thinTicks(ticks, 0).length, 1);
});

test("maxFiniteAbs: the network's edge scale leaves NaN and infinities out", async () => {
  const { maxFiniteAbs } = await import("../../static/js/scales.js");
  assert.equal(maxFiniteAbs(Float32Array.from([0.5, -1.5, NaN, Infinity, -Infinity])), 1.5);
  assert.equal(maxFiniteAbs([NaN, Infinity]), 0);
});

test("x tick labels are never cut off at either end of a chart, and never overlap", async () => {
  const { layoutXTicks } = await import("../../static/js/scales.js");
  const measure = (s) => 8 * s.length; // a 14 px font's digits
  const ranges = [[0, 1000], [0, 40000], [0, 1], [1, 7], [0, 3.5], [100, 123456], [0.001, 0.0042],
    [0, 999999], [12, 13], [0, 2.5e7], [-50, 50], [0, 60]];
  const widths = [120, 180, 200, 250, 320, 390, 470, 640, 900, 1400];
  let checked = 0;
  for (const [lo, hi] of ranges) {
    for (const w of widths) {
      // the chart's plot area ends 14 px from the canvas's right edge (its right padding)
      const x0 = 60, x1 = w - 14;
      const sx = linearScale([lo, hi], [x0, x1]);
      const labels = layoutXTicks(sx.ticks(5), sx, measure, w);
      assert.ok(labels.length >= 1, `no label at all for [${lo}, ${hi}] in ${w} px`);
      let right = -Infinity;
      for (const l of labels) {
        assert.ok(l.left >= 0 && l.left + l.width <= w, `"${l.text}" cut off: ${l.left}..${l.left + l.width} in ${w} px`);
        assert.ok(l.left >= right, `"${l.text}" overlaps the label before it`);
        right = l.left + l.width;
        checked++;
      }
    }
  }
  assert.ok(checked > 200);
  // the case: the right-most label of 0..1000 and 0..40000 is there, whole
  for (const hi of [1000, 40000]) {
    const sx = linearScale([0, hi], [64, 486]);
    const last = layoutXTicks(sx.ticks(5), sx, measure, 500).at(-1);
    assert.equal(last.v, hi);
    assert.ok(last.left + last.width <= 500);
  }
});
