// The drawing pad's preprocessing: a stroke becomes an 8×8 input as the digits data were made
// (normalized 32×32 bitmap, inked pixels counted in 4×4 blocks, 0..16).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BITMAP, checkSamples, downsample, labelCounts, normalizeStrokes, rasterize, samplesToCsv,
  strokeBox, strokesToInput,
} from "../../static/js/drawpad.js";

const line = (x0, y0, x1, y1, n = 20) => Array.from({ length: n + 1 }, (_, i) => ({ x: x0 + ((x1 - x0) * i) / n, y: y0 + ((y1 - y0) * i) / n }));
const grid = (a) => Array.from({ length: 8 }, (_, r) => a.slice(8 * r, 8 * r + 8));

test("a full 32×32 bitmap counts 16 in every block; an empty one 0", () => {
  assert.deepEqual(downsample(new Uint8Array(BITMAP * BITMAP).fill(1)), new Array(64).fill(16));
  assert.deepEqual(downsample(new Uint8Array(BITMAP * BITMAP)), new Array(64).fill(0));
});

test("each 4×4 block counts only its own inked pixels", () => {
  const bm = new Uint8Array(32 * 32);
  bm[0] = 1; bm[1] = 1; bm[32 * 3 + 3] = 1; // three pixels in block (0, 0)
  bm[32 * 31 + 31] = 1; // one in block (7, 7)
  bm[32 * 4 + 0] = 1; // one in block (1, 0)
  const out = downsample(bm);
  assert.equal(out[0], 3);
  assert.equal(out[63], 1);
  assert.equal(out[8], 1);
  assert.equal(out.reduce((a, b) => a + b, 0), 5);
});

test("normalizing keeps the aspect ratio, fills the longer side and centres the other", () => {
  const s = normalizeStrokes([line(100, 50, 100, 250)], 32, 4); // a vertical bar, 200 px tall
  const box = strokeBox(s);
  assert.ok(Math.abs(box.y0 - 2) < 1e-9 && Math.abs(box.y1 - 30) < 1e-9, "spans the height less half a pen");
  assert.ok(Math.abs(box.x0 - 16) < 1e-9 && Math.abs(box.x1 - 16) < 1e-9, "centred across");
  const wide = strokeBox(normalizeStrokes([line(0, 0, 300, 100)], 32, 4));
  assert.ok(Math.abs(wide.x1 - wide.x0 - 28) < 1e-9, "the longer side (width) fills the box");
  assert.ok(Math.abs((wide.y0 + wide.y1) / 2 - 16) < 1e-9);
});

test("the same drawing at any size and place gives the same input", () => {
  const a = strokesToInput([line(10, 10, 10, 110), line(10, 110, 60, 110)]);
  const b = strokesToInput([line(300, 200, 300, 600), line(300, 600, 500, 600)]);
  assert.deepEqual(a, b);
});

test("a vertical stroke inks the middle columns of every row, values 0..16", () => {
  const input = strokesToInput([line(50, 0, 50, 200)]);
  const g = grid(input);
  for (const row of g) {
    assert.ok(row[3] + row[4] > 0, "ink in the middle");
    assert.equal(row[0], 0);
    assert.equal(row[7], 0);
  }
  for (const v of input) assert.ok(Number.isInteger(v) && v >= 0 && v <= 16);
});

test("a rasterized pixel is inked exactly when its centre lies within half a pen of the stroke", () => {
  const bm = rasterize([[{ x: 0, y: 16 }, { x: 32, y: 16 }]], 32, 4); // horizontal line at y = 16
  for (let i = 0; i < 32; i++) {
    const inked = bm[i * 32 + 10] === 1;
    assert.equal(inked, Math.abs(i + 0.5 - 16) <= 2, `row ${i}`);
  }
});

test("a single dot lands in the middle; nothing drawn gives zeros", () => {
  const dot = strokesToInput([[{ x: 5, y: 5 }]]);
  assert.ok(dot[27] + dot[28] + dot[35] + dot[36] > 0);
  assert.equal(dot.reduce((a, b) => a + b, 0), dot[27] + dot[28] + dot[35] + dot[36]);
  assert.deepEqual(strokesToInput([]), new Array(64).fill(0));
});

test("drawn samples become a CSV of 64 pixel columns and the label", () => {
  const px = Array.from({ length: 64 }, (_, i) => i % 17);
  const csv = samplesToCsv([{ label: "A", pixels: px }, { label: "B", pixels: px }]);
  const lines = csv.trim().split("\n");
  assert.equal(lines.length, 3);
  assert.equal(lines[0].split(",").length, 65);
  assert.equal(lines[0].split(",")[64], "label");
  assert.equal(lines[1].split(",")[64], "A");
  assert.deepEqual(lines[2].split(",").slice(0, 64).map(Number), px);
});

test("a data set of drawings needs two labels and a few of each", () => {
  const s = (label) => ({ label, pixels: new Array(64).fill(0) });
  assert.deepEqual(checkSamples([]), { key: "dp_need_two", params: { n: 0 } });
  assert.equal(checkSamples([s("A"), s("A"), s("A")]).key, "dp_need_two");
  const short = checkSamples([s("A"), s("A"), s("A"), s("B")]);
  assert.deepEqual(short, { key: "dp_need_more", params: { label: "B", n: 1, min: 3 } });
  assert.equal(checkSamples([s("A"), s("A"), s("A"), s("B"), s("B"), s("B")]), null);
  assert.deepEqual([...labelCounts([s("B"), s("A"), s("B")])], [["B", 2], ["A", 1]]);
});

test("the digits grid fits long class names: a wider cell, then a smaller font, then '…'", async () => {
  const { fitText, labelLayout } = await import("../../static/js/digits-view.js");
  const measure = (text, font = "700 18px") => text.length * Number(/(\d+)px/.exec(font)[1]) * 0.6;
  const one = labelLayout(["0", "1"], measure);
  assert.equal(one.cell, 54, "one character: the usual cell");
  const eo = labelLayout(["even", "odd"], measure);
  assert.ok(eo.cell > 54 && measure("even", eo.big) <= eo.room, JSON.stringify(eo));
  const long = labelLayout(["0,1,2,3,4", "5,6,7,8,9"], measure);
  assert.ok(long.cell <= 120 && long.bigPx < 18, JSON.stringify(long));
  const shown = fitText((s) => measure(s, long.big), "0,1,2,3,4", long.room);
  assert.ok(measure(shown, long.big) <= long.room, shown);
  assert.equal(fitText((s) => s.length, "abc", 10), "abc");
  assert.equal(fitText((s) => s.length, "abcdefgh", 4), "abc…");
});
