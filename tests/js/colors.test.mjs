import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CLASS_COLORS, MID, NEG, POS, classColor, classMix, diverging, paintClasses, paintDiverging, sequential,
} from "../../static/js/colors.js";

const close = (a, b) => a.every((v, i) => Math.abs(v - b[i]) < 1e-9);

test("the diverging map is orange below zero, blue above, grey at zero", () => {
  assert.ok(close(diverging(-1), NEG));
  assert.ok(close(diverging(1), POS));
  assert.ok(close(diverging(0), MID));
  assert.ok(close(diverging(5), POS), "clamped");
  const half = diverging(0.5);
  assert.ok(half[2] > half[0], "positive values are bluer than red");
});

test("orange and blue differ in lightness, so they stay apart without colour vision", () => {
  const lum = ([r, g, b]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;
  assert.ok(lum(NEG) - lum(POS) > 40);
});

test("the sequential map runs from white to dark", () => {
  assert.ok(close(sequential(0), [255, 255, 255]));
  const d = sequential(1);
  assert.ok(d[0] < 60 && d[1] < 100);
});

test("class colours are distinct and wrap", () => {
  const keys = new Set(CLASS_COLORS.map((c) => c.join(",")));
  assert.equal(keys.size, CLASS_COLORS.length);
  assert.deepEqual(classColor(CLASS_COLORS.length), classColor(0));
});

test("a sure prediction shows its class colour; an unsure one fades to white", () => {
  assert.ok(close(classMix([0, 1, 0]), classColor(1)));
  const unsure = classMix([1 / 3, 1 / 3, 1 / 3]);
  assert.ok(unsure.every((v) => v > 150));
});

test("painting fills RGBA pixels from values", () => {
  const out = new Uint8ClampedArray(8);
  paintDiverging(Float32Array.from([0, 1]), out, { mid: 0.5, half: 0.5 });
  assert.deepEqual(Array.from(out.slice(0, 3)), NEG);
  assert.deepEqual(Array.from(out.slice(4, 7)), POS);
  assert.equal(out[3], 255);
  const discrete = new Uint8ClampedArray(4);
  paintDiverging(Float32Array.from([0.51]), discrete, { mid: 0.5, half: 0.5, discrete: true });
  assert.deepEqual(Array.from(discrete.slice(0, 3)), POS);
  const cls = new Uint8ClampedArray(4);
  paintClasses(Float32Array.from([0, 0, 1]), 3, cls);
  assert.deepEqual(Array.from(cls.slice(0, 3)), classColor(2));
});
