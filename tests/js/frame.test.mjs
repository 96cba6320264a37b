// Frame decoding against a frame built by hand, byte by byte, as docs/protocol.md describes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { dataStart, decodeFrame, decodeHeader, dequantize, layerCount } from "../../static/js/frame.js";

/** uint32 LE header length | header | zero pad to 8 | arrays at their offsets. */
function buildFrame(header, chunks) {
  const head = new TextEncoder().encode(JSON.stringify(header));
  const start = Math.ceil((4 + head.length) / 8) * 8;
  const dataLen = Math.max(0, ...header.arrays.map((a, i) => a.offset + chunks[i].byteLength));
  const buf = new ArrayBuffer(start + dataLen);
  new DataView(buf).setUint32(0, head.length, true);
  new Uint8Array(buf, 4, head.length).set(head);
  header.arrays.forEach((a, i) => new Uint8Array(buf, start + a.offset, chunks[i].byteLength).set(new Uint8Array(chunks[i])));
  return buf;
}

test("a hand-built frame decodes to its header and typed arrays", () => {
  const W = new ArrayBuffer(8 * 4);
  const dv = new DataView(W);
  [0.5, -1.25, 2, 3, -4, 5.5, 6, -7].forEach((v, i) => dv.setFloat32(i * 4, v, true));
  const grid = Uint8Array.from([0, 255, 51, 102]).buffer;
  const cm = new ArrayBuffer(16);
  [7, 1, 2, 9].forEach((v, i) => new DataView(cm).setInt32(i * 4, v, true));
  const header = {
    kind: "frame", seq: 3, step: 120, epoch: 4.8, metrics: { train_loss: 0.2 },
    history_from: 2, points: [[120, 4.8, 0.2, 0.3, 0.9, 0.85]],
    arrays: [
      { name: "W0", dtype: "float32", shape: [4, 2], offset: 0 },
      { name: "grid_output", dtype: "uint8", shape: [2, 2], offset: 32, range: [0, 1] },
      { name: "confusion", dtype: "int32", shape: [2, 2], offset: 40 },
    ],
  };
  const { header: h, arrays } = decodeFrame(buildFrame(header, [W, grid, cm]));
  assert.equal(h.step, 120);
  assert.deepEqual(h.points, [[120, 4.8, 0.2, 0.3, 0.9, 0.85]]);
  assert.ok(arrays.W0 instanceof Float32Array);
  assert.deepEqual(Array.from(arrays.W0), [0.5, -1.25, 2, 3, -4, 5.5, 6, -7]);
  assert.deepEqual(arrays.W0.shape, [4, 2]);
  assert.ok(arrays.grid_output instanceof Float32Array, "quantized arrays come back as floats");
  const g = Array.from(arrays.grid_output);
  [0, 1, 0.2, 0.4].forEach((v, i) => assert.ok(Math.abs(g[i] - v) < 1e-6, `grid ${i}: ${g[i]}`));
  assert.ok(arrays.confusion instanceof Int32Array);
  assert.deepEqual(Array.from(arrays.confusion), [7, 1, 2, 9]);
  assert.equal(layerCount(arrays), 1);
});

test("the data block starts at the next multiple of 8 after the header", () => {
  assert.equal(dataStart(4), 8);
  assert.equal(dataStart(5), 16);
  assert.equal(dataStart(12), 16);
  assert.equal(dataStart(13), 24);
});

test("dequantize maps 0 and 255 to the ends of the range", () => {
  const out = dequantize(Uint8Array.from([0, 255, 128]), [-2, 3]);
  assert.ok(Math.abs(out[0] + 2) < 1e-6);
  assert.ok(Math.abs(out[1] - 3) < 1e-6);
  assert.ok(Math.abs(out[2] - (-2 + (5 * 128) / 255)) < 1e-5);
});

test("a truncated frame is refused with a message naming the array", () => {
  const header = { kind: "frame", arrays: [{ name: "b0", dtype: "float32", shape: [4], offset: 0 }] };
  const buf = buildFrame(header, [new ArrayBuffer(16)]);
  assert.throws(() => decodeFrame(buf.slice(0, buf.byteLength - 4)), /b0/);
  assert.throws(() => decodeHeader(new ArrayBuffer(2)), /at least 4 bytes/);
});

test("an unknown dtype is refused", () => {
  const header = { kind: "frame", arrays: [{ name: "x", dtype: "complex64", shape: [1], offset: 0 }] };
  assert.throws(() => decodeFrame(buildFrame(header, [new ArrayBuffer(8)])), /complex64/);
});
