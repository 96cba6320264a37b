import test from "node:test";
import assert from "node:assert/strict";
import { configDiff, filterRuns, parseTags, sortRuns } from "../../static/js/runs-logic.js";

const runs = [
  { id: "a", name: "Spiral adam", updated_at: "2026-01-02", last_step: 50, tags: ["best"],
    kinds: ["train"], config: { data: "spiral", optimizer: "adam", lr: 0.03, layers: [8, 8] } },
  { id: "b", name: "xor sgd", updated_at: "2026-01-03", last_step: 500, tags: [],
    kinds: ["race"], config: { data: "xor", optimizer: "sgd", lr: 0.3, layers: [4] } },
  { id: "c", name: "no lr", updated_at: "2026-01-01", last_step: 5, tags: [], kinds: [],
    config: { data: "circle" } },
];

test("sorting by a number puts missing values last, both ways", () => {
  assert.deepEqual(sortRuns(runs, "lr", "asc").map((r) => r.id), ["a", "b", "c"]);
  assert.deepEqual(sortRuns(runs, "lr", "desc").map((r) => r.id), ["b", "a", "c"]);
  assert.deepEqual(sortRuns(runs, "steps", "desc").map((r) => r.id), ["b", "a", "c"]);
});

test("sorting by text and by time", () => {
  assert.deepEqual(sortRuns(runs, "name", "asc").map((r) => r.id), ["c", "a", "b"]);
  assert.deepEqual(sortRuns(runs, "updated", "desc").map((r) => r.id), ["b", "a", "c"]);
});

test("the filter looks in names, tags, kinds, data set and optimizer, in any case", () => {
  assert.deepEqual(filterRuns(runs, "SPIRAL").map((r) => r.id), ["a"]);
  assert.deepEqual(filterRuns(runs, "race").map((r) => r.id), ["b"]);
  assert.deepEqual(filterRuns(runs, "best").map((r) => r.id), ["a"]);
  assert.equal(filterRuns(runs, " ").length, 3);
});

test("the config diff lists only the fields that differ", () => {
  const diff = configDiff([runs[0].config, { ...runs[0].config, lr: 0.3 }]);
  assert.deepEqual(diff, [["lr", [0.03, 0.3]]]);
  assert.deepEqual(configDiff([{ layers: [8] }, { layers: [8] }]), []);
  assert.deepEqual(configDiff([{ a: 1 }, {}]), [["a", [1, undefined]]]);
});

test("tags typed with commas and spaces", () => {
  assert.deepEqual(parseTags(" a, b  c,a ,"), ["a", "b", "c"]);
  assert.equal(parseTags(Array.from({ length: 30 }, (_, i) => `t${i}`).join(" ")).length, 20);
});
