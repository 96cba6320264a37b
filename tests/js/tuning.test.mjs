// The tuning views' pure parts: the sweep table's sorting, the metric against one field
// (grouped by optimizer, mean and spread over seeds), and the finder's suggestion as shown.
import { test } from "node:test";
import assert from "node:assert/strict";
import { numericFields, seriesFor, sortRows, trialsFor } from "../../static/js/sweep-logic.js";
import { lossRange, shown } from "../../static/js/lrfind.js";

const rows = [
  { trial: 0, seed: 0, params: { lr: 0.1, optimizer: "sgd" }, val_loss: 0.5, state: "complete" },
  { trial: 0, seed: 1, params: { lr: 0.1, optimizer: "sgd" }, val_loss: 0.7, state: "complete" },
  { trial: 1, seed: 0, params: { lr: 0.01, optimizer: "adam" }, val_loss: 0.3, state: "complete" },
  { trial: 2, seed: 0, params: { lr: 1, optimizer: "sgd" }, val_loss: null, state: "failed" },
];

test("sorting by a swept field or a metric, missing values last", () => {
  assert.deepEqual(sortRows(rows, "lr").map((r) => r.params.lr), [0.01, 0.1, 0.1, 1]);
  assert.deepEqual(sortRows(rows, "val_loss").map((r) => r.val_loss), [0.3, 0.5, 0.7, null]);
  assert.deepEqual(sortRows(rows, "val_loss", true).map((r) => r.val_loss), [0.7, 0.5, 0.3, null]);
});

test("one line per optimizer, mean and spread over seeds, failed runs left out", () => {
  const s = seriesFor(rows, "lr", "val_loss");
  const sgd = s.find((g) => g.group === "sgd");
  assert.equal(sgd.points.length, 1);
  assert.deepEqual(sgd.points[0], { x: 0.1, n: 2, mean: 0.6, lo: 0.5, hi: 0.7 });
  assert.equal(s.find((g) => g.group === "adam").points[0].mean, 0.3);
});

test("only numeric fields go on the x axis", () => {
  assert.deepEqual(numericFields({ lr: { low: 1e-3, high: 1, log: true }, optimizer: { values: ["sgd"] },
    batch_size: { values: [8, 16] } }), ["lr", "batch_size"]);
});

test("the finder's suggestion is shown with two significant digits; none for a bad number", () => {
  assert.equal(shown(0.012345), 0.012);
  assert.equal(shown(NaN), null);
  assert.equal(shown(0), null);
  const [lo, hi] = lossRange({ smoothed: [1, 0.9, 0.4, 5] });
  assert.ok(lo < 0.4 && hi === 1.25);
});

test("two fields: one point per trial whose every seed completed, its mean metric", () => {
  const two = [
    { trial: 0, seed: 0, params: { lr: 0.1, dropout: 0.2 }, val_loss: 0.4, state: "complete" },
    { trial: 0, seed: 1, params: { lr: 0.1, dropout: 0.2 }, val_loss: 0.6, state: "complete" },
    { trial: 1, seed: 0, params: { lr: 1, dropout: 0.1 }, val_loss: 0.3, state: "complete" },
    { trial: 1, seed: 1, params: { lr: 1, dropout: 0.1 }, val_loss: null, state: "pruned" },
  ];
  assert.deepEqual(trialsFor(two, "lr", "dropout", "val_loss"), [{ trial: 0, x: 0.1, y: 0.2, value: 0.5 }]);
});
