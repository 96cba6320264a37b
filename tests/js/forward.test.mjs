// The inspector's arithmetic: z = W·x + b, activations, and dL/dz for one point.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ACTIVATIONS, backwardPoint, fitStandardizer, forwardPoint, makeFeatures } from "../../static/js/forward.js";
import { History } from "../../static/js/history.js";
import { backoff } from "../../static/js/socket.js";
import { precisionRecall } from "../../static/js/confusion-view.js";
import { readFileSync } from "node:fs";
import { useFacts } from "../../static/js/facts.js";

// the engine's features as the server gives them (fixtures/make_engine_facts.py)
useFacts(JSON.parse(readFileSync(new URL("./fixtures/engine_facts.json", import.meta.url), "utf8")));

const mat = (rows) => Object.assign(Float32Array.from(rows.flat()), { shape: [rows.length, rows[0].length] });

test("forward computes z = W·x + b and the activation", () => {
  const layers = [{ W: mat([[1, 2], [-1, 0.5]]), b: [0.5, 0] }, { W: mat([[1, 1]]), b: [0] }];
  const s = forwardPoint(layers, [1, 2], "relu", "linear");
  assert.deepEqual(s[0].z, [5.5, 0]);
  assert.deepEqual(s[0].a, [5.5, 0]);
  assert.deepEqual(s[1].z, [5.5]);
});

test("backward matches a finite difference of the loss", () => {
  const layers = [{ W: mat([[0.3, -0.2], [0.1, 0.4]]), b: [0.05, -0.1] }, { W: mat([[0.7, -0.5]]), b: [0.2] }];
  const x = [0.8, -1.1], y = 1;
  const loss = (ls) => {
    const p = forwardPoint(ls, x, "tanh", "sigmoid")[1].a[0];
    return -(y * Math.log(p) + (1 - y) * Math.log(1 - p));
  };
  const steps = forwardPoint(layers, x, "tanh", "sigmoid");
  const dz = backwardPoint(layers, steps, y, "tanh", "sigmoid", "cross_entropy");
  // dL/db = dL/dz for one point
  for (const [l, j] of [[0, 0], [0, 1], [1, 0]]) {
    const h = 1e-6;
    const plus = layers.map((L) => ({ W: L.W, b: [...L.b] }));
    plus[l].b[j] += h;
    const minus = layers.map((L) => ({ W: L.W, b: [...L.b] }));
    minus[l].b[j] -= h;
    const num = (loss(plus) - loss(minus)) / (2 * h);
    assert.ok(Math.abs(num - dz[l][j]) < 1e-6, `layer ${l} unit ${j}: ${num} vs ${dz[l][j]}`);
  }
});

test("activation derivatives match finite differences", () => {
  for (const [name, [f, d]] of Object.entries(ACTIVATIONS)) {
    for (const z of [-1.3, 0.4, 2.1]) {
      const num = (f(z + 1e-6) - f(z - 1e-6)) / 2e-6;
      assert.ok(Math.abs(num - d(z, f(z))) < 1e-5, `${name} at ${z}`);
    }
  }
});

test("features and standardization follow the engine", () => {
  const raw = Float32Array.from([1, 2, 3, -4]);
  assert.deepEqual(Array.from(makeFeatures(raw, 2, ["x1", "x2", "x1_x2", "x1_sq"])), [1, 2, 2, 1, 3, -4, -12, 9]);
  const { mean, std } = fitStandardizer(Float64Array.from([1, 5, 3, 5]), 2, 2);
  assert.deepEqual(Array.from(mean), [2, 5]);
  assert.deepEqual(Array.from(std), [1, 1], "a constant column gets std 1");
  const shared = fitStandardizer(Float64Array.from([0, 2, 4, 6]), 2, 2, true);
  assert.deepEqual(Array.from(shared.mean), [3, 3]);
});

test("history appends, overlaps without double counting, and reports gaps", () => {
  const h = new History();
  assert.ok(h.put(0, [[1], [2]]));
  assert.ok(h.put(1, [[2], [3]]));
  assert.equal(h.length, 3);
  assert.equal(h.put(5, [[9]]), false);
  assert.equal(h.length, 3);
});

test("reconnect delays grow and stay bounded", () => {
  const mid = () => 0.5;
  assert.equal(backoff(0, mid), 500);
  assert.equal(backoff(1, mid), 1000);
  assert.equal(backoff(10, mid), 8000);
});

test("precision and recall per class from a confusion matrix", () => {
  const { precision, recall } = precisionRecall([8, 2, 1, 9], 2);
  assert.equal(precision[0], 8 / 9);
  assert.equal(recall[0], 8 / 10);
  assert.equal(recall[1], 9 / 10);
});
