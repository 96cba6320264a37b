import { test } from "node:test";
import assert from "node:assert/strict";
import { dataTask, outputSuits } from "../../static/js/controls.js";

const CATALOG = [
  { name: "spiral", task: "classification", n_classes: 2 },
  { name: "blobs", task: "classification", n_classes: 3 },
  { name: "plane", task: "regression", n_classes: 0 },
  { name: "digits", task: "classification", n_classes: 10 },
];

test("dataTask reads the task and the class count a configuration asks for", () => {
  assert.deepEqual(dataTask({ data: "spiral" }, CATALOG), { task: "classification", classes: 2 });
  assert.deepEqual(dataTask({ data: "blobs", classes: 5 }, CATALOG), { task: "classification", classes: 5 });
  assert.equal(dataTask({ data: "digits", digits_task: "even_odd" }, CATALOG).classes, 2);
  assert.equal(dataTask({ data: "digits", digits_task: "groups", digit_groups: [[0], [1], [2]] }, CATALOG).classes, 3);
  assert.equal(dataTask({ data: "csv" }, CATALOG), null, "an uploaded set: unknown here");
  assert.equal(dataTask({ data: "spiral" }, null), null);
});

test("outputSuits: the engine's cross-checks of output and loss against the task", () => {
  const two = { task: "classification", classes: 2 }, four = { task: "classification", classes: 4 };
  const reg = { task: "regression", classes: 0 };
  assert.ok(outputSuits("auto", "auto", four));
  assert.ok(outputSuits("sigmoid", "cross_entropy", two));
  assert.ok(!outputSuits("sigmoid", "cross_entropy", four), "sigmoid has one output");
  assert.ok(outputSuits("softmax", "auto", four));
  assert.ok(!outputSuits("softmax", "auto", reg));
  assert.ok(!outputSuits("auto", "cross_entropy", reg), "cross-entropy needs classes");
  assert.ok(outputSuits("linear", "mse", reg));
  assert.ok(!outputSuits("linear", "auto", two));
  assert.ok(!outputSuits("linear", "cross_entropy", reg), "a pair the engine refuses");
});
