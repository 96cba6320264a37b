import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dataTask, outputSuits } from "../../static/js/controls.js";
import { outputLossPairs } from "../../static/js/facts.js";

// the engine's facts as the server gives them (fixtures/make_engine_facts.py)
const { engine: ENGINE } = JSON.parse(readFileSync(new URL("./fixtures/engine_facts.json", import.meta.url), "utf8"));
const DIGITS = ENGINE.digits_classes;
const PAIRS = outputLossPairs(ENGINE);

const CATALOG = [
  { name: "spiral", task: "classification", n_classes: 2 },
  { name: "blobs", task: "classification", n_classes: 3 },
  { name: "plane", task: "regression", n_classes: 0 },
  { name: "digits", task: "classification", n_classes: 10 },
];

test("dataTask reads the task and the class count a configuration asks for", () => {
  assert.deepEqual(dataTask({ data: "spiral" }, CATALOG, DIGITS), { task: "classification", classes: 2 });
  assert.deepEqual(dataTask({ data: "blobs", classes: 5 }, CATALOG, DIGITS), { task: "classification", classes: 5 });
  assert.equal(dataTask({ data: "digits", digits_task: "even_odd" }, CATALOG, DIGITS).classes, 2);
  assert.equal(dataTask({ data: "digits", digits_task: "groups", digit_groups: [[0], [1], [2]] }, CATALOG, DIGITS).classes, 3);
  assert.equal(dataTask({ data: "csv" }, CATALOG, DIGITS), null, "an uploaded set: unknown here");
  assert.equal(dataTask({ data: "spiral" }, null, DIGITS), null);
});

test("outputSuits: the engine's cross-checks of output and loss against the task", () => {
  const two = { task: "classification", classes: 2 }, four = { task: "classification", classes: 4 };
  const reg = { task: "regression", classes: 0 };
  assert.ok(outputSuits("auto", "auto", four, PAIRS));
  assert.ok(outputSuits("sigmoid", "cross_entropy", two, PAIRS));
  assert.ok(!outputSuits("sigmoid", "cross_entropy", four, PAIRS), "sigmoid has one output");
  assert.ok(outputSuits("softmax", "auto", four, PAIRS));
  assert.ok(!outputSuits("softmax", "auto", reg, PAIRS));
  assert.ok(!outputSuits("auto", "cross_entropy", reg, PAIRS), "cross-entropy needs classes");
  assert.ok(outputSuits("linear", "mse", reg, PAIRS));
  assert.ok(!outputSuits("linear", "auto", two, PAIRS));
  assert.ok(!outputSuits("linear", "cross_entropy", reg, PAIRS), "a pair the engine refuses");
});
