// Binary frame decoding (pure). Layout (docs/protocol.md):
//   uint32 LE H | H bytes of UTF-8 JSON header | zero padding to a multiple of 8 | data
// Each array sits at header.arrays[i].offset from the start of data, little-endian.
// An array with a `range` [lo, hi] is uint8-quantized: value = lo + (hi − lo) · q / 255.

export const DTYPES = {
  float32: Float32Array, float64: Float64Array,
  uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array,
  uint32: Uint32Array, int32: Int32Array,
};

const decoder = new TextDecoder();

/** Start of the data block for a header of h bytes: 4 + h rounded up to a multiple of 8. */
export function dataStart(h) {
  return Math.ceil((4 + h) / 8) * 8;
}

/**
 * Read just the header of a frame: {header, dataOffset}. Cheap; the page reads every frame's
 * header (for its history points) but decodes only the arrays of the frame it draws.
 */
export function decodeHeader(buffer) {
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength < 4) {
    throw new Error(`frame: expected an ArrayBuffer of at least 4 bytes, got ${buffer?.byteLength}`);
  }
  const h = new DataView(buffer).getUint32(0, true);
  if (4 + h > buffer.byteLength) {
    throw new Error(`frame: header length ${h} exceeds the frame (${buffer.byteLength} bytes)`);
  }
  const header = JSON.parse(decoder.decode(new Uint8Array(buffer, 4, h)));
  return { header, dataOffset: dataStart(h) };
}

/** Multiply out a quantized uint8 array: Float32Array of lo + (hi − lo) · q / 255. */
export function dequantize(q, [lo, hi]) {
  const out = new Float32Array(q.length);
  const k = (hi - lo) / 255;
  for (let i = 0; i < q.length; i++) out[i] = lo + k * q[i];
  return out;
}

/**
 * The arrays of a frame: name → typed array, each with a `.shape` (list of ints). Views share
 * the buffer when aligned; otherwise they are copied. Quantized arrays come back as Float32Array.
 */
export function decodeArrays(buffer, header, dataOffset) {
  const arrays = {};
  for (const spec of header.arrays ?? []) {
    const Ctor = DTYPES[spec.dtype];
    if (!Ctor) throw new Error(`frame: array ${spec.name} has unknown dtype ${spec.dtype}`);
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const start = dataOffset + spec.offset;
    const bytes = count * Ctor.BYTES_PER_ELEMENT;
    if (start + bytes > buffer.byteLength) {
      throw new Error(`frame: array ${spec.name} (${bytes} bytes at ${start}) runs past the end`);
    }
    let arr = start % Ctor.BYTES_PER_ELEMENT === 0
      ? new Ctor(buffer, start, count)
      : new Ctor(buffer.slice(start, start + bytes));
    if (spec.range) arr = dequantize(arr, spec.range);
    arr.shape = spec.shape.slice();
    arrays[spec.name] = arr;
  }
  return arrays;
}

/** Header and arrays in one call: {header, arrays}. */
export function decodeFrame(buffer) {
  const { header, dataOffset } = decodeHeader(buffer);
  return { header, arrays: decodeArrays(buffer, header, dataOffset) };
}

/** Number of layers in a frame's arrays (W0, W1, …). */
export function layerCount(arrays) {
  let n = 0;
  while (arrays[`W${n}`]) n++;
  return n;
}

/** Element (i, j) of a 2-D array with a shape. */
export function at2(a, i, j) {
  return a[i * a.shape[1] + j];
}
