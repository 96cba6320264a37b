// Colour maps (pure). Diverging orange (negative) / blue (positive), as TensorFlow Playground,
// readable with the common colour-vision deficiencies; class colours from the Okabe-Ito palette.

/** Negative values, class 0 of a two-class set. */
export const NEG = [245, 147, 34];
/** Positive values, class 1 of a two-class set. */
export const POS = [8, 119, 189];
/** Zero: a light grey, so white points and the page background still stand out. */
export const MID = [232, 234, 235];

/** Okabe-Ito order (orange, blue first so two classes match NEG/POS), then two greys/browns. */
export const CLASS_COLORS = [
  [230, 159, 0], [0, 114, 178], [0, 158, 115], [204, 121, 167], [86, 180, 233],
  [213, 94, 0], [240, 228, 66], [110, 110, 110], [140, 86, 75], [30, 30, 30],
];

const clamp = (v, lo, hi) => (v < lo ? lo : v > hi ? hi : v);

/** Linear blend of two rgb triples, t in [0, 1]. */
export function mix(a, b, t) {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** t in [-1, 1] → rgb: NEG at -1, MID at 0, POS at +1; NaN → grey. */
export function diverging(t) {
  if (Number.isNaN(t)) return [128, 128, 128];
  t = clamp(t, -1, 1);
  return t >= 0 ? mix(MID, POS, t) : mix(MID, NEG, -t);
}

/** t in [0, 1] → rgb from white to dark blue (confusion matrix, sequential data). */
export function sequential(t) {
  if (Number.isNaN(t)) return [128, 128, 128];
  return mix([255, 255, 255], [8, 69, 148], clamp(t, 0, 1));
}

/** Colour of class k (wraps after the palette). */
export function classColor(k) {
  return CLASS_COLORS[((k % CLASS_COLORS.length) + CLASS_COLORS.length) % CLASS_COLORS.length];
}

/** Probabilities p (length K) → rgb: classes mixed by probability, faded toward white when unsure. */
export function classMix(p) {
  let r = 0, g = 0, b = 0, best = 0;
  for (let k = 0; k < p.length; k++) {
    const c = classColor(k);
    r += p[k] * c[0]; g += p[k] * c[1]; b += p[k] * c[2];
    if (p[k] > best) best = p[k];
  }
  const k = p.length;
  const sure = k > 1 ? clamp((best - 1 / k) / (1 - 1 / k), 0, 1) : 1;
  return mix([255, 255, 255], [r, g, b], 0.25 + 0.75 * sure);
}

/** rgb triple (0..255, floats allowed) → "rgb(r g b / a)". */
export function css(c, alpha = 1) {
  const r = Math.round(c[0]), g = Math.round(c[1]), b = Math.round(c[2]);
  return alpha >= 1 ? `rgb(${r} ${g} ${b})` : `rgb(${r} ${g} ${b} / ${alpha})`;
}

/** 256-entry lookup table (Uint8ClampedArray, 4 bytes each) of diverging(-1 … +1). */
export function divergingLut() {
  const lut = new Uint8ClampedArray(256 * 4);
  for (let i = 0; i < 256; i++) {
    const c = diverging((i / 255) * 2 - 1);
    lut.set([c[0], c[1], c[2], 255], i * 4);
  }
  return lut;
}

const LUT = divergingLut();

/**
 * Paint values into RGBA pixels with the diverging map: v → t = (v - mid) / half, clamped.
 * values: length n; out: Uint8ClampedArray length 4n. `discrete` snaps to the sign.
 */
export function paintDiverging(values, out, { mid = 0, half = 1, discrete = false } = {}) {
  for (let i = 0; i < values.length; i++) {
    let t = (values[i] - mid) / half;
    if (Number.isNaN(t)) t = 0;
    if (discrete) t = t > 0 ? 1 : t < 0 ? -1 : 0;
    const q = Math.round((clamp(t, -1, 1) + 1) * 127.5) * 4;
    const o = i * 4;
    out[o] = LUT[q]; out[o + 1] = LUT[q + 1]; out[o + 2] = LUT[q + 2]; out[o + 3] = 255;
  }
  return out;
}

/**
 * Paint class probabilities (n cells × K, row-major) into RGBA. `discrete` shows the argmax
 * class at full strength.
 */
export function paintClasses(probs, K, out, { discrete = false } = {}) {
  const n = probs.length / K;
  const p = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 0; k < K; k++) {
      p[k] = probs[i * K + k];
      if (p[k] > p[best]) best = k;
    }
    let c;
    if (discrete) c = mix([255, 255, 255], classColor(best), 0.75);
    else c = classMix(p);
    const o = i * 4;
    out[o] = c[0]; out[o + 1] = c[1]; out[o + 2] = c[2]; out[o + 3] = 255;
  }
  return out;
}
