// The lessons menu's pure parts: finding a lesson, its variants and the one in force.
import { test } from "node:test";
import assert from "node:assert/strict";
import { currentVariant, findLesson, variantsOf } from "../../static/js/lessons-view.js";

const catalogue = [
  { name: "no-hidden-layer", title: "A straight line is enough", race: null, runs: [{ name: "lesson", label: null, config: {} }] },
  { name: "overfitting", title: "Overfitting", race: null, runs: [
    { name: "none", label: "No regularization", config: {} },
    { name: "dropout", label: "Dropout 0.5", config: {} },
    { name: "l2", label: "L2", config: {} },
  ] },
  { name: "optimizer-race", title: "Race", race: { runners: [{}, {}] }, runs: [{ name: "lesson", label: null, config: {} }] },
];

test("a lesson is found by name; an unknown name gives null", () => {
  assert.equal(findLesson(catalogue, "overfitting").title, "Overfitting");
  assert.equal(findLesson(catalogue, "nope"), null);
  assert.equal(findLesson(null, "overfitting"), null);
});

test("variants are the labelled runs; a single run or a race has none", () => {
  assert.deepEqual(variantsOf(findLesson(catalogue, "overfitting")).map((v) => v.name), ["none", "dropout", "l2"]);
  assert.deepEqual(variantsOf(findLesson(catalogue, "no-hidden-layer")), []);
  assert.deepEqual(variantsOf(findLesson(catalogue, "optimizer-race")), []);
});

test("the variant in force is the one named, else the first", () => {
  const l = findLesson(catalogue, "overfitting");
  assert.equal(currentVariant(l, "l2"), "l2");
  assert.equal(currentVariant(l, null), "none");
  assert.equal(currentVariant(l, "bogus"), "none");
  assert.equal(currentVariant(findLesson(catalogue, "no-hidden-layer"), null), null);
});
