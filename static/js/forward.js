// The network's arithmetic for one input point, mirroring engine/ (pure): input features,
// standardization, z = W·x + b, a = f(z), and the chain rule back to dL/dz for that point.

/**
 * The operators of a feature formula (GET /api/engine `feature_ops`): a formula is a variable
 * ("x1", "x2") or [op, argument, ...], as the engine computes it (engine/data).
 */
export const FEATURE_OPS = {
  mul: (a, b) => a * b,
  sin: Math.sin,
};

/** A feature formula → f(x1, x2). An operator the page does not have is an error naming it. */
export function compileFeature(expr) {
  if (expr === "x1") return (x1) => x1;
  if (expr === "x2") return (x1, x2) => x2;
  if (!Array.isArray(expr) || !FEATURE_OPS[expr[0]]) {
    throw new Error(`feature formula ${JSON.stringify(expr)}: the page knows x1, x2 and ${Object.keys(FEATURE_OPS).join(", ")}`);
  }
  const op = FEATURE_OPS[expr[0]];
  const args = expr.slice(1).map(compileFeature);
  return (x1, x2) => op(...args.map((g) => g(x1, x2)));
}

/** Input features of a 2-D point: name → {label, f(x1, x2)}, the engine's list (setFeatures). */
export const FEATURES = {};

/** Take the engine's features ([{name, label, expr}], GET /api/engine `features`). */
export function setFeatures(list) {
  for (const k of Object.keys(FEATURES)) delete FEATURES[k];
  for (const { name, label, expr } of list ?? []) FEATURES[name] = { label, f: compileFeature(expr) };
}

const sig = (z) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
const C = Math.sqrt(2 / Math.PI);

/**
 * The activations' implementations, by the engine's names (GET /api/engine `activations` lists
 * them): name → [f(z), f'(z) given z and a]; as engine/activations.py (gelu: tanh approximation).
 */
export const ACTIVATIONS = {
  linear: [(z) => z, () => 1],
  sigmoid: [sig, (z, a) => a * (1 - a)],
  tanh: [Math.tanh, (z, a) => 1 - a * a],
  relu: [(z) => Math.max(z, 0), (z) => (z > 0 ? 1 : 0)],
  leaky_relu: [(z) => (z > 0 ? z : 0.01 * z), (z) => (z > 0 ? 1 : 0.01)],
  elu: [(z) => (z > 0 ? z : Math.expm1(z)), (z, a) => (z > 0 ? 1 : a + 1)],
  gelu: [
    (z) => 0.5 * z * (1 + Math.tanh(C * (z + 0.044715 * z ** 3))),
    (z) => {
      const t = Math.tanh(C * (z + 0.044715 * z ** 3));
      return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * C * (1 + 3 * 0.044715 * z * z);
    },
  ],
  silu: [(z) => z * sig(z), (z) => { const s = sig(z); return s * (1 + z * (1 - s)); }],
  sin: [Math.sin, Math.cos],
};

/** Raw rows (n × d, row-major) → feature rows (n × F) for the keys; d must be 2. */
export function makeFeatures(raw, n, keys) {
  const out = new Float64Array(n * keys.length);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < keys.length; k++) out[i * keys.length + k] = FEATURES[keys[k]].f(raw[2 * i], raw[2 * i + 1]);
  }
  return out;
}

/**
 * Per-column mean and population std of X (n × d); a constant column gets std 1. `shared`
 * uses one mean and std over all columns (the digits' pixels), as engine Standardizer.fit.
 */
export function fitStandardizer(X, n, d, shared = false) {
  const mean = new Float64Array(d), std = new Float64Array(d);
  if (shared) {
    let s = 0, s2 = 0;
    for (let i = 0; i < n * d; i++) s += X[i];
    const m = s / (n * d);
    for (let i = 0; i < n * d; i++) s2 += (X[i] - m) ** 2;
    mean.fill(m); std.fill(Math.sqrt(s2 / (n * d)));
  } else {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += X[i * d + j];
      mean[j] = s / n;
      let s2 = 0;
      for (let i = 0; i < n; i++) s2 += (X[i * d + j] - mean[j]) ** 2;
      std[j] = Math.sqrt(s2 / n);
    }
  }
  for (let j = 0; j < d; j++) if (std[j] <= 1e-12 * (1 + Math.abs(mean[j]))) std[j] = 1;
  return { mean, std };
}

/**
 * Forward pass of one model input x (length D) through layers [{W (out×in, .shape), b}].
 * Hidden layers use `activation`; the last uses `output` (sigmoid, softmax, linear).
 * Returns per layer {x, z, a} (plain arrays), dropout off (as when evaluating).
 */
export function forwardPoint(layers, x, activation, output) {
  const steps = [];
  let cur = Array.from(x);
  layers.forEach(({ W, b }, l) => {
    const [nOut, nIn] = W.shape;
    const z = new Array(nOut);
    for (let j = 0; j < nOut; j++) {
      let s = b[j];
      for (let i = 0; i < nIn; i++) s += W[j * nIn + i] * cur[i];
      z[j] = s;
    }
    let a;
    if (l < layers.length - 1) a = z.map((v) => ACTIVATIONS[activation][0](v));
    else if (output === "sigmoid") a = z.map(sig);
    else if (output === "softmax") {
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const s = e.reduce((p, q) => p + q, 0);
      a = e.map((v) => v / s);
    } else a = z.slice();
    steps.push({ x: cur, z, a });
    cur = a;
  });
  return steps;
}

/**
 * dL/dz of every layer for this one point (a batch of 1), with target y (class index, or the
 * regression value), using the same loss as the engine. Returns per layer an array dz.
 */
export function backwardPoint(layers, steps, y, activation, output, loss) {
  const L = layers.length;
  const last = steps[L - 1];
  const k = last.a.length;
  let dz;
  if (loss === "cross_entropy") {
    if (output === "softmax") dz = last.a.map((p, j) => p - (j === y ? 1 : 0));
    else dz = last.a.map((p) => (p - y) / k);
  } else {
    const t = output === "linear" ? [y] : output === "sigmoid" ? [y] : last.a.map((_, j) => (j === y ? 1 : 0));
    const dp = last.a.map((p, j) => (2 * (p - t[j])) / k);
    if (output === "linear") dz = dp;
    else if (output === "sigmoid") dz = dp.map((d, j) => d * last.a[j] * (1 - last.a[j]));
    else {
      const s = dp.reduce((acc, d, j) => acc + d * last.a[j], 0);
      dz = last.a.map((p, j) => p * (dp[j] - s));
    }
  }
  const out = new Array(L);
  out[L - 1] = dz;
  for (let l = L - 1; l > 0; l--) {
    const { W } = layers[l];
    const [nOut, nIn] = W.shape;
    const prev = steps[l - 1];
    const da = new Array(nIn).fill(0);
    for (let j = 0; j < nOut; j++) for (let i = 0; i < nIn; i++) da[i] += W[j * nIn + i] * out[l][j];
    const d = ACTIVATIONS[activation][1];
    out[l - 1] = da.map((v, i) => v * d(prev.z[i], prev.a[i]));
  }
  return out;
}
