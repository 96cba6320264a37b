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

test("a history CSV reads into columns, empty cells as NaN", async () => {
  const { parseHistoryCsv } = await import("../../static/js/runs-logic.js");
  const h = parseHistoryCsv("step,test_acc,val_acc\n0,0.5,\n10,0.75,\n");
  assert.deepEqual([...h.step], [0, 10]);
  assert.deepEqual([...h.test_acc], [0.5, 0.75]);
  assert.ok(Number.isNaN(h.val_acc[0]));
});

test("overlaid runs share the union of their x values, each NaN where it has no point", async () => {
  const { overlaySeries } = await import("../../static/js/runs-logic.js");
  const a = { label: "a", history: { step: [0, 10], test_loss: [1, 0.5] } };
  const b = { label: "b", history: { step: [0, 5], test_loss: [2, 1.5] } };
  const o = overlaySeries([a, b], "step", "test_loss");
  assert.deepEqual([...o.xs], [0, 5, 10]);
  assert.deepEqual([...o.series[0].ys].map((v) => (Number.isNaN(v) ? null : v)), [1, null, 0.5]);
  assert.deepEqual([...o.series[1].ys].map((v) => (Number.isNaN(v) ? null : v)), [2, 1.5, null]);
  assert.equal(o.series[0].joinGaps, true);
});

test("a change marker says field, old, new and step", async () => {
  const { markerText } = await import("../../static/js/runs-logic.js");
  assert.equal(markerText({ field: "lr", old: 0.03, new: 0.3, step: 4120 }), "lr 0.03 → 0.3 at step 4,120");
  assert.equal(markerText({ field: "optimizer", old: "sgd", new: "adam", step: 5 }), "optimizer sgd → adam at step 5");
});

test("a fork's changes typed as field=value pairs", async () => {
  const { parseChanges } = await import("../../static/js/runs-logic.js");
  assert.deepEqual(parseChanges("lr=0.1, optimizer=adam, layers=[4,4]"),
    { lr: 0.1, optimizer: "adam", layers: [4, 4] });
  assert.deepEqual(parseChanges(""), {});
  assert.equal(parseChanges("lr 0.1"), null);
});
