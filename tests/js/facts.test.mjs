// The page takes the engine's facts from the server (facts.js) and computes with its own
// implementations of the features and activations (forward.js): these agree with the engine's
// numbers (fixtures/engine_facts.json, made by fixtures/make_engine_facts.py from the engine).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ENGINE, dataFields, inputRange, liveFields, menuChoices, outputLossPairs, useFacts } from "../../static/js/facts.js";
import { ACTIVATIONS, FEATURES, FEATURE_OPS, compileFeature, makeFeatures } from "../../static/js/forward.js";

const FIXTURE = new URL("./fixtures/engine_facts.json", import.meta.url);
const FACTS = JSON.parse(readFileSync(FIXTURE, "utf8"));
const root = fileURLToPath(new URL("../../", import.meta.url));
const python = existsSync(`${root}.venv/bin/python`) ? `${root}.venv/bin/python` : "python3";
const close = (a, b, what) => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test("the fixture is the engine's facts as they are now (rerun make_engine_facts.py when not)", () => {
  const now = JSON.parse(execFileSync(python, [fileURLToPath(new URL("./fixtures/make_engine_facts.py", import.meta.url)), "--print"],
    { cwd: root, encoding: "utf8", env: { ...process.env, PYTHONPATH: root } }));
  assert.deepEqual(now, FACTS);
});

test("the page's features are the engine's list, computed from its formulas to the engine's numbers", () => {
  useFacts(FACTS);
  assert.deepEqual(Object.keys(FEATURES), FACTS.engine.features.map((f) => f.name));
  const { points, values } = FACTS.features_at;
  for (const { name, label } of FACTS.engine.features) {
    assert.equal(FEATURES[name].label, label);
    points.forEach(([x1, x2], i) => close(FEATURES[name].f(x1, x2), values[name][i], `${name}(${x1}, ${x2})`));
  }
  const raw = Float64Array.from(points.flat());
  const keys = FACTS.engine.features.map((f) => f.name);
  const X = makeFeatures(raw, points.length, keys);
  points.forEach((_, i) => keys.forEach((k, j) => close(X[i * keys.length + j], values[k][i], `makeFeatures ${k}`)));
});

test("every operator of a feature formula is implemented with the engine's argument count", () => {
  for (const [op, n] of Object.entries(FACTS.engine.feature_ops)) {
    assert.equal(typeof FEATURE_OPS[op], "function", op);
    assert.equal(FEATURE_OPS[op].length, n, op);
  }
  assert.throws(() => compileFeature(["cube", "x1"]), /cube.*mul, sin/);
});

test("every activation the engine lists is implemented, and agrees with the engine's f and f'", () => {
  const { z, values } = FACTS.activations_at;
  for (const { name } of FACTS.engine.activations) {
    assert.ok(ACTIVATIONS[name], `no implementation of ${name}`);
    const [f, df] = ACTIVATIONS[name];
    z.forEach((zi, i) => {
      const a = f(zi);
      close(a, values[name].f[i], `${name}(${zi})`);
      close(df(zi, values[name].f[i]), values[name].df[i], `${name}'(${zi})`);
    });
  }
});

test("the live and data fields come from the schema and match the engine's lists", () => {
  assert.deepEqual([...liveFields(FACTS.schema)].sort(), FACTS.engine.live_fields);
  assert.deepEqual([...dataFields(FACTS.schema)].sort(), FACTS.engine.data_fields);
  assert.ok(liveFields(FACTS.schema).has("lr") && !liveFields(FACTS.schema).has("layers"));
  assert.deepEqual(liveFields(null), new Set(), "no schema: nothing is live (every change asks)");
});

test("the output/loss pairs and the engine's global facts are there for the page", () => {
  const pairs = outputLossPairs(FACTS.engine);
  assert.ok(pairs.has("softmax cross_entropy") && pairs.has("linear mse"));
  assert.ok(!pairs.has("linear cross_entropy"));
  useFacts(FACTS);
  assert.equal(ENGINE.check_every, FACTS.engine.check_every);
  assert.equal(ENGINE.max_layers, FACTS.engine.max_layers);
});

test("a slider spans at most the schema's range; a number input takes it", () => {
  const lr = { min: 0, max: 10 };
  assert.deepEqual(inputRange({ type: "range", min: "0", max: "0.99" }, { min: 0, max: 0.999 }), { min: "0", max: "0.99" });
  assert.deepEqual(inputRange({ type: "range", min: "-1", max: "20" }, lr), { min: "0", max: "10" });
  assert.deepEqual(inputRange({ type: "number", min: "", max: "" }, { min: 10, max: 5000 }), { min: "10", max: "5000" });
  assert.equal(inputRange({ type: "number" }, { choices: ["a"] }), null);
});

test("a menu offers the engine's choices in the page's order and labels, new ones at the end", () => {
  const known = [["tanh", "tanh"], ["relu", "ReLU"], ["swish", "Swish"]];
  assert.deepEqual(menuChoices(["relu", "tanh", "gelu"], known), [["tanh", "tanh"], ["relu", "ReLU"], ["gelu", "gelu"]]);
  assert.deepEqual(menuChoices(["spiral", "csv"], [["spiral", "Spiral"]], ["csv"]), [["spiral", "Spiral"]],
    "a choice made elsewhere (an uploaded file) stays out of the menu");
});
