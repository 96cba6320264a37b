// The arithmetic of the step walkthrough (pure): a `phase` event of the engine (forward, loss,
// backward, update: per-layer numbers as nested lists) and a choice of sample, neuron and weight
// become the formulas to show, as MathML with the real numbers. Every number shown comes from
// the event (or, for the forward pass's W and b, from the weights the step started with) and
// carries data-k, its meaning, so a test can compare it with the engine.
//
// Layers are the engine's: layer i maps its input x (N, in) to z, a (N, out); W is (out, in).

import { ACTIVATIONS } from "./forward.js";
import { formatNumber } from "./scales.js";

export const PHASES = ["forward", "loss", "backward", "update"];
export const DIGITS = 4; // significant digits of every number shown
const MAX_TERMS = 4; // longer sums show the first terms, "⋯" and the last

// ------------------------------------------------------------------ MathML helpers
const escXml = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

/** A number as shown: 4 significant digits, "−" for minus. */
export const fmt = (v) => formatNumber(v, DIGITS);

export const mi = (s) => `<mi>${escXml(s)}</mi>`;
export const mo = (s) => `<mo>${escXml(s)}</mo>`;
export const mtext = (s) => `<mtext>${escXml(s)}</mtext>`;
export const row = (...xs) => `<mrow>${xs.join("")}</mrow>`;
export const sub = (a, b) => `<msub>${a}${b}</msub>`;
export const sup = (a, b) => `<msup>${a}${b}</msup>`;
export const subsup = (a, b, c) => `<msubsup>${a}${b}${c}</msubsup>`;
export const frac = (a, b) => `<mfrac>${a}${b}</mfrac>`;
export const sqrt = (a) => `<msqrt>${a}</msqrt>`;
export const under = (a, b) => `<munder>${a}${b}</munder>`;
/**
 * The hat of m̂, v̂: the modifier circumflex U+02C6 over the letter, centred. (With no OpenType
 * MATH font on the machine, accent="true" lays the hat onto the glyph and the ASCII caret sits
 * high and off to the side; an over-script with its normal gap reads right everywhere.)
 */
export const hat = (a) => `<mover>${a}<mo stretchy="false">\u02C6</mo></mover>`;
export const paren = (...xs) => row(mo("("), ...xs, mo(")"));
/**
 * A formula. A chain a = b = c is cut at its top-level "=" into pieces that wrap as words do,
 * so a long line breaks onto the next one instead of running out of the panel.
 */
export function math(...xs) {
  const pieces = [[]];
  for (const x of xs) {
    if (x === EQ && pieces[pieces.length - 1].length) pieces.push([x]);
    else pieces[pieces.length - 1].push(x);
  }
  return `<span class="wt-eqn">${pieces.map((p) => `<math>${p.join("")}</math>`).join("")}</span>`;
}
const EQ = "<mo>=</mo>";

/**
 * A number in MathML; negative numbers are bracketed where they multiply (wrap = true). `attr`
 * names its meaning: data-k (the default) for the engine's numbers and those computed from
 * them for display; every data-k number is checked against the engine by the tests.
 */
export function num(v, key, wrap = false, attr = "k") {
  const text = fmt(v);
  const mark = `data-${attr}="${escXml(key)}"`;
  if (typeof v !== "number" || Number.isNaN(v)) return `<mi ${mark} class="unknown">?</mi>`;
  const e = /^(−?)([\d.]+)e([+−-]?)(\d+)$/.exec(text);
  let n;
  if (e) { // 4.876e-7 → 4.876 × 10⁻⁷ (trailing zeros of the mantissa dropped: 1e-8 → 1 × 10⁻⁸)
    const mant = e[2].includes(".") ? e[2].replace(/\.?0+$/, "") : e[2];
    const ex = `${e[3] && e[3] !== "+" ? "−" : ""}${e[4]}`;
    n = `<mrow ${mark}><mn>${e[1]}${mant}</mn><mo>×</mo><msup><mn>10</mn><mn>${ex}</mn></msup></mrow>`;
  } else n = `<mn ${mark}>${escXml(text)}</mn>`;
  return wrap && text.startsWith("−") ? paren(n) : n;
}

/** ∂L/∂q as a fraction; q is MathML. */
export const dL = (q) => frac(row(mi("∂"), mi("L")), row(mi("∂"), q));

const times = mo("·");
const eq = EQ;

// ------------------------------------------------------------------ reading events
/** Element [r][c] of a nested list, or NaN. */
export function at(m, r, c) {
  const rowv = m?.[r];
  const v = c === undefined ? rowv : rowv?.[c];
  return v === null || v === undefined ? NaN : v;
}

/** The sizes of the event's layers: [{in, out}], from whatever arrays it carries. */
export function layerShapes(ev) {
  return (ev?.layers ?? []).map((l) => {
    const W = l.W ?? l.W_before ?? l.dW;
    if (W) return { in: W[0]?.length ?? 0, out: W.length };
    const x = l.x, z = l.z ?? l.dz;
    return { in: x?.[0]?.length ?? 0, out: z?.[0]?.length ?? 0 };
  });
}

/** Clamp a choice {sample, layer, unit, input} to what the event (and sizes) allow. */
export function clampChoice(choice, sizes, batch) {
  const L = Math.max(1, sizes.length - 1);
  const clamp = (v, hi) => Math.max(0, Math.min(hi, Math.floor(Number(v) || 0)));
  const layer = clamp(choice.layer, L - 1);
  return {
    sample: clamp(choice.sample, Math.max(0, (batch ?? 1) - 1)),
    layer,
    unit: clamp(choice.unit, sizes[layer + 1] - 1),
    input: clamp(choice.input, sizes[layer] - 1),
  };
}

/** The indices of a long sum to show: all, or the first few and the last. */
function termIndices(n) {
  if (n <= MAX_TERMS + 1) return Array.from({ length: n }, (_, k) => k);
  return [...Array.from({ length: MAX_TERMS - 1 }, (_, k) => k), -1, n - 1];
}

const ACT_SYMBOL = {
  tanh: (z) => row(mi("tanh"), paren(z)),
  relu: (z) => row(mi("max"), paren(mn0(), mo(","), z)),
  sigmoid: (z) => row(mi("σ"), paren(z)),
  linear: (z) => z,
};
function mn0() { return "<mn>0</mn>"; }
const actOf = (name, z) => (ACT_SYMBOL[name] ?? ((q) => row(mi(name), paren(q))))(z);

// ------------------------------------------------------------------ the phases
/**
 * forward: for sample n and neuron j of layer i, z = Σ_k W_jk x_k + b_j = z, then a = f(z)
 * (the output layer's a is its z; the output function comes with the loss), and dropout.
 * weights: {W: (out, in) nested list, b: (out)} the layer's weights at the start of the step.
 */
export function forwardView(ev, choice, { activation, weights, last }) {
  const { sample: n, layer: i, unit: j } = choice;
  const L = ev.layers[i];
  const x = L.x?.[n] ?? [];
  const z = at(L.z, n, j), a = at(L.a, n, j);
  const lines = [];
  const zSym = sub(mi("z"), mi(`${j + 1}`));
  const terms = [];
  for (const k of termIndices(x.length)) {
    if (k < 0) { terms.push(mo("⋯")); continue; }
    const w = weights ? at(weights.W, j, k) : NaN;
    const part = row(num(w, `W.${k}`, true), times, num(x[k], `x.${k}`, true));
    terms.push(part);
  }
  const b = weights ? at(weights.b, j) : NaN;
  const sum = [];
  terms.forEach((tm, idx) => { if (idx) sum.push(mo("+")); sum.push(tm); });
  lines.push({
    key: "z",
    math: math(zSym, eq, row(mi("W"), times, mi("x"), mo("+"), mi("b")), eq, ...sum, mo("+"),
      num(b, "b", true), eq, num(z, "z")),
  });
  if (last) {
    lines.push({ key: "a", math: math(sub(mi("a"), mi(`${j + 1}`)), eq, zSym, eq, num(a, "a")), note: "output_logit" });
  } else {
    lines.push({ key: "a", math: math(sub(mi("a"), mi(`${j + 1}`)), eq, actOf(activation, mi("z")), eq,
      actOf(activation, num(z, "z2")), eq, num(a, "a")) });
    const m = L.mask ? at(L.mask, n, j) : null;
    if (m !== null && m !== undefined) {
      lines.push({
        key: "mask",
        math: math(row(mi("a"), times, mi("m")), eq, num(a, "a2", true), times, num(m, "mask", true), eq,
          num(a * m, "a_out")),
        note: m === 0 ? "dropped" : "kept",
      });
    }
  }
  return { phase: "forward", lines, highlight: { from: 0, to: i + 1 } };
}

/**
 * loss: for sample n, the prediction p, the target y, that sample's share of the loss, the
 * batch mean L the engine computed, and dL/dz of the output for the sample.
 */
export function lossView(ev, choice) {
  const n = choice.sample;
  const N = ev.batch || ev.p?.length || 1;
  const p = ev.p?.[n] ?? [];
  const K = p.length;
  const yRaw = ev.y?.[n];
  const lines = [];
  const pv = (k) => num(p[k], `p.${k}`);
  const vec = (vals, key) => {
    const parts = [];
    termIndices(vals.length).forEach((k, idx) => {
      if (idx) parts.push(mo(","));
      parts.push(k < 0 ? mo("⋯") : num(vals[k], `${key}.${k}`));
    });
    return row(mo("("), ...parts, mo(")"));
  };
  let share = NaN;
  if (ev.loss_name === "cross_entropy" && ev.output === "softmax") {
    const c = Math.round(Number(yRaw));
    share = -Math.log(p[c]);
    lines.push({ key: "p", math: math(mi("p"), eq, row(mi("softmax"), paren(mi("z"))), eq, K <= MAX_TERMS + 1 ? vec(p, "p") : row(sub(mi("p"), num(c, "y")), eq, pv(c))) });
    lines.push({
      key: "share",
      math: math(sub(mi("ℓ"), mi("n")), eq, mo("−"), row(mi("log"), sub(mi("p"), mi("y"))), eq, mo("−"),
        row(mi("log"), paren(num(p[c], `p.${c}`))), eq, num(share, "share")),
      note: "target_class", params: { y: String(c) },
    });
    lines.push({
      key: "L",
      math: math(mi("L"), eq, frac(mn1(), mi("N")), row(mo("∑"), sub(mi("ℓ"), mi("n"))), eq, num(ev.loss, "loss")),
      params: { N: String(N) },
    });
  } else if (ev.loss_name === "cross_entropy") { // sigmoid
    const y = Number(yRaw);
    share = -(y * Math.log(p[0]) + (1 - y) * Math.log(1 - p[0]));
    lines.push({ key: "p", math: math(mi("p"), eq, row(mi("σ"), paren(mi("z"))), eq, pv(0)) });
    lines.push({
      key: "share",
      math: math(sub(mi("ℓ"), mi("n")), eq, mo("−"), paren(mi("y"), row(mi("log"), mi("p")), mo("+"),
        paren(mn1(), mo("−"), mi("y")), row(mi("log"), paren(mn1(), mo("−"), mi("p")))),
      eq, num(share, "share")),
      note: "target_value", params: { y: fmt(y) },
    });
    lines.push({
      key: "L",
      math: math(mi("L"), eq, frac(mn1(), mi("N")), row(mo("∑"), sub(mi("ℓ"), mi("n"))), eq, num(ev.loss, "loss")),
      params: { N: String(N) },
    });
  } else { // mean squared error
    let t;
    if (ev.output === "softmax") { t = new Array(K).fill(0); t[Math.round(Number(yRaw))] = 1; }
    else t = Array.isArray(yRaw) ? yRaw.map(Number) : [Number(yRaw)];
    let s = 0;
    for (let k = 0; k < K; k++) s += (p[k] - t[k]) ** 2;
    share = s / K;
    const diff = K === 1
      ? row(sup(paren(num(p[0], "p.0"), mo("−"), num(t[0], "y.0", true)), "<mn>2</mn>"))
      : row(frac(mn1(), mi("K")), mo("∑"), sup(paren(sub(mi("p"), mi("k")), mo("−"), sub(mi("y"), mi("k"))), "<mn>2</mn>"));
    lines.push({ key: "p", math: math(mi("p"), eq, K <= MAX_TERMS + 1 ? vec(p, "p") : pv(0)) });
    lines.push({
      key: "share",
      math: math(sub(mi("ℓ"), mi("n")), eq, diff, eq, num(share, "share")),
      note: "target_value", params: { y: t.length === 1 ? fmt(t[0]) : `(${t.map(fmt).join(", ")})` },
    });
    lines.push({
      key: "L",
      math: math(mi("L"), eq, frac(mn1(), row(mi("N"), mi("K"))), row(mo("∑"), sup(paren(mi("p"), mo("−"), mi("y")), "<mn>2</mn>")), eq, num(ev.loss, "loss")),
      params: { N: String(N) },
    });
  }
  if (ev.penalty) {
    lines.push({ key: "penalty", math: math(mi("L"), mo("+"), mi("penalty"), eq, num(ev.loss, "loss2"), mo("+"),
      num(ev.penalty, "penalty"), eq, num(ev.loss + ev.penalty, "total")) });
  }
  const dz = ev.dz?.[n] ?? [];
  lines.push({ key: "dz_out", math: math(dL(mi("z")), eq, vec(dz, "dz_out")) });
  return { phase: "loss", lines, share };
}
function mn1() { return "<mn>1</mn>"; }

/**
 * backward: for sample n and neuron j of layer i: dL/da, f'(z), dL/dz = dL/da · f'(z); for the
 * chosen input k the sample's share dL/dz · x_k and the batch's dL/dW_jk; dL/db_j. With dropout
 * dL/da is (Σ_k W_kj · dL/dz_k) · m_j, as the engine computes it (engine/network.py backward).
 * forward: the same step's forward event (for z, a, x and the mask), or null; above: the weights
 * {W} of layer i + 1 at the start of the step when the forward event lacks them; dropout: the
 * run's rate (a mask not received yet shows as "?").
 */
export function backwardView(ev, choice, { activation, forward, above = null, dropout = 0, last, l2 = 0, l1 = 0 }) {
  const { sample: n, layer: i, unit: j, input: k } = choice;
  const B = ev.layers[i];
  const F = forward?.layers?.[i];
  const lines = [];
  if (!B.trainable && !B.dz) {
    return { phase: "backward", lines: [{ key: "frozen", math: "", note: "frozen_layer" }], highlight: { from: ev.layers.length, to: i } };
  }
  const da = at(B.da, n, j), dz = at(B.dz, n, j);
  const aSym = sub(mi("a"), mi(`${j + 1}`)), zSym = sub(mi("z"), mi(`${j + 1}`));
  if (last) {
    lines.push({ key: "da", math: math(dL(aSym), eq, dL(zSym), eq, num(dz, "dz")), note: "from_loss" });
  } else {
    const sum = row(mo("∑"), sub(mi("W"), mi("kj")), times, dL(sub(mi("z"), mi("k"))));
    const m = F?.mask ? at(F.mask, n, j) : (dropout > 0 ? NaN : null);
    if (m === null) {
      lines.push({ key: "da", math: math(dL(aSym), eq, sum, eq, num(da, "da")), note: "from_above" });
    } else { // dropout: the gradient reaches a only through a·m, so it is scaled by the mask
      const S = aboveSum(ev, forward, above, n, i, j);
      lines.push({
        key: "da",
        math: math(dL(aSym), eq, paren(sum), times, sub(mi("m"), mi(`${j + 1}`)), eq, num(S, "da_sum", true),
          times, num(m, "mask", true), eq, num(da, "da")),
        note: m === 0 ? "from_above_dropped" : "from_above_mask",
      });
    }
    const z = F ? at(F.z, n, j) : NaN, a = F ? at(F.a, n, j) : NaN;
    const d = ACTIVATIONS[activation]?.[1];
    const fp = d && Number.isFinite(z) ? d(z, a) : NaN;
    lines.push({
      key: "dz",
      math: math(dL(zSym), eq, dL(aSym), times, row(sup(mi("f"), mo("′")), paren(mi("z"))), eq, num(da, "da2", true),
        times, num(fp, "fprime", true), eq, num(dz, "dz")),
    });
  }
  const x = F ? at(F.x, n, k) : NaN;
  const share = dz * x;
  const wSym = sub(mi("W"), mi(`${j + 1},${k + 1}`));
  lines.push({
    key: "dW_share",
    math: math(row(dL(zSym), times, sub(mi("x"), mi(`${k + 1}`))), eq, num(dz, "dz2", true), times, num(x, "x", true), eq, num(share, "dW_share")),
    note: "sample_share",
  });
  const reg = l2 ? row(mo("+"), mi("λ"), sub(mi("W"), mi("jk"))) : (l1 ? row(mo("+"), mi("λ"), row(mi("sign"), paren(sub(mi("W"), mi("jk"))))) : "");
  lines.push({
    key: "dW",
    math: math(dL(wSym), eq, row(under(mo("∑"), mi("n")), dL(sub(mi("z"), mi("n"))), times, sub(mi("x"), mi("n,k"))), reg, eq, num(at(B.dW, j, k), "dW")),
    note: "batch_sum", params: { N: String(ev.batch) },
  });
  lines.push({
    key: "db",
    math: math(dL(sub(mi("b"), mi(`${j + 1}`))), eq, row(mo("∑"), dL(sub(mi("z"), mi("n")))), eq, num(at(B.db, j), "db")),
  });
  return { phase: "backward", lines, highlight: { from: ev.layers.length, to: i } };
}

/**
 * Σ_k W_kj · dL/dz_k over the units k of layer i + 1 for sample n: the gradient that reaches a_j
 * of layer i before the dropout mask. W from the forward event (or `above`), dz from `ev`.
 */
export function aboveSum(ev, forward, above, n, i, j) {
  const W = forward?.layers?.[i + 1]?.W ?? above?.W;
  const dz = ev.layers?.[i + 1]?.dz?.[n];
  if (!W || !dz) return NaN;
  let s = 0;
  for (let k = 0; k < dz.length; k++) s += at(W, k, j) * at(dz, k);
  return s;
}

/**
 * update: for weight W_jk of layer i, the value before, the optimizer's rule with its state, and
 * the value after. prev: the previous update event (for the state before this step), or null.
 */
export function updateView(ev, choice, prev = null) {
  const { layer: i, unit: j, input: k } = choice;
  const U = ev.layers[i];
  const lines = [];
  const before = at(U.W_before, j, k), after = at(U.W, j, k), g = at(U.dW, j, k);
  const delta = at(U.dW_update, j, k);
  lines.push({ key: "w_before", math: math(mi("w"), eq, sub(mi("W"), mi(`${j + 1},${k + 1}`)), eq, num(before, "w_before")) });
  if (!U.trainable) {
    lines.push({ key: "frozen", math: "", note: "frozen_layer" });
    return { phase: "update", lines, highlight: null };
  }
  lines.push({ key: "g", math: math(mi("g"), eq, dL(mi("w")), eq, num(g, "g")) });
  const h = ev.hyper ?? {};
  const lr = h.lr, t = ev.t;
  const st = (name) => at(U.state?.[name]?.W, j, k);
  const pst = (name) => (prev && prev.t === t - 1 ? at(prev.layers?.[i]?.state?.[name]?.W, j, k) : NaN);
  const lrN = num(lr, "lr");
  let gEff = g;
  const wd = h.weight_decay ?? 0;
  const opt = ev.optimizer;
  if (wd && opt !== "adamw") {
    gEff = g + wd * before;
    lines.push({ key: "wd", math: math(mi("g"), mo("←"), mi("g"), mo("+"), mi("λ"), mi("w"), eq, num(g, "g2", true), mo("+"),
      num(wd, "wd"), times, num(before, "w_before2", true), eq, num(gEff, "g_wd")) });
  }
  if (opt === "sgd") {
    const mu = h.momentum ?? 0;
    if (mu) {
      const v = st("momentum_buffer"), vPrev = pst("momentum_buffer");
      const rhs = t === 1
        ? [mi("g"), eq, num(v, "buf")]
        : [row(mi("μ"), times, sub(mi("v"), mi("prev")), mo("+"), mi("g")), eq, num(mu, "momentum"), times,
          Number.isFinite(vPrev) ? num(vPrev, "buf_prev", true) : sub(mi("v"), mi("prev")), mo("+"), num(gEff, "g3", true), eq, num(v, "buf")];
      lines.push({ key: "velocity", math: math(mi("v"), eq, ...rhs), note: t === 1 ? "velocity_first" : "velocity" });
      if (h.nesterov) {
        lines.push({ key: "rule", math: math(sub(mi("w"), mi("new")), eq, mi("w"), mo("−"), mi("lr"), times, paren(mi("g"), mo("+"), mi("μ"), mi("v")), eq,
          num(before, "w_before3"), mo("−"), lrN, times, paren(num(gEff, "g4"), mo("+"), num(mu, "momentum2"), times, num(v, "buf2", true)), eq, num(after, "w_after")) });
      } else {
        lines.push({ key: "rule", math: math(sub(mi("w"), mi("new")), eq, mi("w"), mo("−"), mi("lr"), times, mi("v"), eq,
          num(before, "w_before3"), mo("−"), lrN, times, num(v, "buf2", true), eq, num(after, "w_after")) });
      }
    } else {
      lines.push({ key: "rule", math: math(sub(mi("w"), mi("new")), eq, mi("w"), mo("−"), mi("lr"), times, mi("g"), eq,
        num(before, "w_before3"), mo("−"), lrN, times, num(gEff, "g3", true), eq, num(after, "w_after")) });
    }
  } else if (opt === "adam" || opt === "adamw") {
    const [b1, b2] = h.betas ?? [0.9, 0.999];
    const m = st("exp_avg"), v = st("exp_avg_sq");
    const mPrev = pst("exp_avg"), vPrev = pst("exp_avg_sq");
    const known = (x, key) => (Number.isFinite(x) ? num(x, key, true) : sub(mi(key.startsWith("m") ? "m" : "v"), mi("prev")));
    const mhat = m / (1 - b1 ** t), vhat = v / (1 - b2 ** t);
    lines.push({ key: "m", math: math(mi("m"), eq, row(sub(mi("β"), "<mn>1</mn>"), sub(mi("m"), mi("prev")), mo("+"), paren(mn1(), mo("−"), sub(mi("β"), "<mn>1</mn>")), mi("g")), eq,
      num(b1, "beta1"), times, t === 1 ? "<mn>0</mn>" : known(mPrev, "m_prev"), mo("+"), num(1 - b1, "one_minus_beta1"), times, num(gEff, "g3", true), eq, num(m, "m")) });
    lines.push({ key: "v", math: math(mi("v"), eq, row(sub(mi("β"), "<mn>2</mn>"), sub(mi("v"), mi("prev")), mo("+"), paren(mn1(), mo("−"), sub(mi("β"), "<mn>2</mn>")), sup(mi("g"), "<mn>2</mn>")), eq,
      num(b2, "beta2"), times, t === 1 ? "<mn>0</mn>" : known(vPrev, "v_prev"), mo("+"), num(1 - b2, "one_minus_beta2"), times, sup(num(gEff, "g4", true), "<mn>2</mn>"), eq, num(v, "v")) });
    lines.push({ key: "mhat", math: math(hat(mi("m")), eq, frac(mi("m"), row(mn1(), mo("−"), subsup(mi("β"), "<mn>1</mn>", mi("t")))), eq,
      frac(num(m, "m2"), row(mn1(), mo("−"), sup(num(b1, "beta1b"), num(t, "t")))), eq, num(mhat, "mhat")), note: "bias_correction", params: { t: String(t) } });
    lines.push({ key: "vhat", math: math(hat(mi("v")), eq, frac(mi("v"), row(mn1(), mo("−"), subsup(mi("β"), "<mn>2</mn>", mi("t")))), eq,
      frac(num(v, "v2"), row(mn1(), mo("−"), sup(num(b2, "beta2b"), num(t, "t2")))), eq, num(vhat, "vhat")) });
    const decay = opt === "adamw" && wd ? [mo("−"), mi("lr"), times, mi("λ"), mi("w")] : [];
    const decayN = opt === "adamw" && wd ? [mo("−"), num(lr, "lr3"), times, num(wd, "wd"), times, num(before, "w_before4", true)] : [];
    lines.push({ key: "rule", math: math(sub(mi("w"), mi("new")), eq, mi("w"), mo("−"), mi("lr"), times, frac(hat(mi("m")), row(sqrt(hat(mi("v"))), mo("+"), mi("ε"))), ...decay, eq,
      num(before, "w_before3"), mo("−"), lrN, times, frac(num(mhat, "mhat2"), row(sqrt(num(vhat, "vhat2")), mo("+"), num(h.eps, "eps"))), ...decayN, eq, num(after, "w_after")) });
  } else { // rmsprop, adagrad: the state and the rule
    const name = opt === "adagrad" ? "sum" : "square_avg";
    const s = st(name);
    lines.push({ key: "state", math: math(mi("s"), eq, num(s, "s")), note: opt === "adagrad" ? "adagrad_state" : "rmsprop_state" });
    lines.push({ key: "rule", math: math(sub(mi("w"), mi("new")), eq, mi("w"), mo("−"), mi("lr"), times, frac(mi("g"), row(sqrt(mi("s")), mo("+"), mi("ε"))), eq, num(after, "w_after")) });
  }
  lines.push({ key: "delta", math: math(mi("Δ"), mi("w"), eq, sub(mi("w"), mi("new")), mo("−"), mi("w"), eq, num(delta, "delta")) });
  return { phase: "update", lines, highlight: null };
}

/** The view of any phase event for a choice; ctx: {activation, weights, forward, prev, l1, l2}. */
export function phaseView(ev, choice, ctx = {}) {
  const last = choice.layer === ev.layers.length - 1;
  switch (ev.phase) {
    case "forward": return forwardView(ev, choice, { ...ctx, last });
    case "loss": return lossView(ev, choice);
    case "backward": return backwardView(ev, choice, { ...ctx, last });
    case "update": return updateView(ev, choice, ctx.prev ?? null);
    default: return { phase: ev.phase, lines: [] };
  }
}

/**
 * The steps of a walk kept for previous/next: events of the current step by phase. Adding a
 * forward event of a new step starts afresh (keeping the last update as `prevUpdate`, for the
 * optimizer state before the step).
 */
export class StepEvents {
  constructor() {
    this.clear();
  }

  clear() {
    this.byPhase = {};
    this.step = null;
    this.prevUpdate = null;
  }

  add(ev) {
    if (!ev?.phase) return;
    if (ev.phase === "forward") {
      const upd = this.byPhase.update;
      if (upd) this.prevUpdate = upd;
      this.byPhase = {};
      this.step = ev.step;
    }
    this.byPhase[ev.phase] = ev;
  }

  /** The phases received for this step, in order. */
  get phases() {
    return PHASES.filter((p) => this.byPhase[p]);
  }

  get latest() {
    const ps = this.phases;
    return ps.length ? ps[ps.length - 1] : null;
  }

  /** The weights of layer i at the start of this step: from the event, or the last update's W. */
  startWeights(i) {
    const f = this.byPhase.forward?.layers?.[i];
    if (f?.W) return { W: f.W, b: f.b };
    const u = this.byPhase.update?.layers?.[i];
    if (u?.W_before) return { W: u.W_before, b: u.b_before };
    const p = this.prevUpdate;
    if (p && p.step === this.step && p.layers?.[i]?.W) return { W: p.layers[i].W, b: p.layers[i].b };
    return null;
  }
}

/** The phase after `phase` (null → forward; update → forward of the next step). */
export function nextPhase(phase) {
  if (!phase) return "forward";
  return PHASES[(PHASES.indexOf(phase) + 1) % PHASES.length];
}
