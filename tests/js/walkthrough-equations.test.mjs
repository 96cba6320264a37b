// The step walkthrough's formulas add up: in every line that shows terms and a result, the terms
// as shown recompute the result as shown (within the rounding of the 4 digits shown). Run on the
// engine's own phase events (fixtures/phase_events.json, written by make_phase_events.py) for
// SGD, momentum, Nesterov with weight decay, Adam, AdamW and RMSProp, sigmoid, softmax and
// linear outputs, with and without dropout.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { DIGITS, StepEvents, aboveSum, clampChoice, phaseView } from "../../static/js/walkthrough-math.js";

const WALKS = JSON.parse(readFileSync(new URL("./fixtures/phase_events.json", import.meta.url), "utf8"));

// ------------------------------------------------------------------ shown numbers as intervals
/**
 * The values a shown number can stand for: 4 significant digits (trailing zeros dropped), so
 * "−0.2845" → [−0.28455, −0.28445], "0.5" → [0.49995, 0.50005], "4.876×10−7" likewise; "0" is
 * 0 (a tiny number shows as ×10⁻ⁿ); "?" → null.
 */
export function shownInterval(text) {
  const s = text.replace(/−/g, "-").trim();
  if (s === "?") return null;
  const m = /^(-?[\d.]+)(?:×10(-?\d+))?$/.exec(s);
  assert.ok(m, `not a number as shown: ${text}`);
  const v = Number(m[1]) * 10 ** Number(m[2] ?? 0);
  const half = v === 0 ? 0 : 0.5 * 10 ** (Math.floor(Math.log10(Math.abs(v))) - (DIGITS - 1));
  return { lo: v - half * 1.000001, hi: v + half * 1.000001 };
}

const I = {
  of: (v) => ({ lo: v, hi: v }),
  add: (a, b) => ({ lo: a.lo + b.lo, hi: a.hi + b.hi }),
  sub: (a, b) => ({ lo: a.lo - b.hi, hi: a.hi - b.lo }),
  mul: (a, b) => {
    const p = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi];
    return { lo: Math.min(...p), hi: Math.max(...p) };
  },
  div: (a, b) => {
    assert.ok(b.lo > 0 || b.hi < 0, `a divisor interval spans 0: ${JSON.stringify(b)}`);
    return I.mul(a, { lo: 1 / b.hi, hi: 1 / b.lo });
  },
  mono: (f, a) => ({ lo: f(a.lo), hi: f(a.hi) }), // a nondecreasing function
  sq: (a) => (a.lo >= 0 ? { lo: a.lo ** 2, hi: a.hi ** 2 } : a.hi <= 0 ? { lo: a.hi ** 2, hi: a.lo ** 2 }
    : { lo: 0, hi: Math.max(a.lo ** 2, a.hi ** 2) }),
};
const ACT = { tanh: Math.tanh, relu: (z) => Math.max(0, z), sigmoid: (z) => 1 / (1 + Math.exp(-z)), linear: (z) => z };

/** The numbers a line shows: key → {text, iv}, from data-k and data-d (first of each key). */
function lineNumbers(html) {
  const out = new Map();
  for (const m of html.matchAll(/<(mn|mrow|mi) data-([kd])="([^"]+)"[^>]*>(.*?)<\/\1>/g)) {
    const text = m[4].replace(/<[^>]+>/g, "");
    if (!out.has(m[3])) out.set(m[3], { text, iv: shownInterval(text) });
  }
  return out;
}

// ------------------------------------------------------------------ the equations, per line
/**
 * For a line (phase, key) the result key and the interval its shown terms give, or null when
 * the line has no equation to recompute. n(key) → the shown interval (throws if not shown).
 */
function equation(phase, line, n, has, ctx) {
  const k = line.key;
  if (phase === "forward") {
    if (k === "z") {
      if (line.math.includes("⋯")) return null; // a long sum shows only some terms
      let s = n("b");
      for (let i = 0; has(`W.${i}`); i++) s = I.add(s, I.mul(n(`W.${i}`), n(`x.${i}`)));
      return ["z", s];
    }
    if (k === "a" && has("z2")) return ["a", I.mono(ACT[ctx.activation], n("z2"))];
    if (k === "mask") return ["a_out", I.mul(n("a2"), n("mask"))];
  } else if (phase === "loss") {
    if (k === "share" && has("share")) {
      if (has("p.0") && has("y.0")) return ["share", I.sq(I.sub(n("p.0"), n("y.0")))]; // (p − y)²
      const p = [...line.nums.keys()].find((x) => x.startsWith("p."));
      if (p) return ["share", I.mono((v) => -Math.log(v), { lo: n(p).hi, hi: n(p).lo })]; // −log p_y
      return null; // −(y log p + (1 − y) log(1 − p)): p is on the line above
    }
    if (k === "penalty") return ["total", I.add(n("loss2"), n("penalty"))];
  } else if (phase === "backward") {
    if (k === "da" && has("da_sum")) return ["da", I.mul(n("da_sum"), n("mask"))];
    if (k === "dz") return ["dz", I.mul(n("da2"), n("fprime"))];
    if (k === "dW_share") return ["dW_share", I.mul(n("dz2"), n("x"))];
  } else if (phase === "update") {
    if (k === "wd") return ["g_wd", I.add(n("g2"), I.mul(n("wd"), n("w_before2")))];
    if (k === "velocity" && has("momentum")) return ["buf", I.add(I.mul(n("momentum"), n("buf_prev")), n("g3"))];
    if (k === "m") return ["m", I.add(has("m_prev") ? I.mul(n("beta1"), n("m_prev")) : I.of(0), I.mul(n("one_minus_beta1"), n("g3")))];
    if (k === "v") return ["v", I.add(has("v_prev") ? I.mul(n("beta2"), n("v_prev")) : I.of(0), I.mul(n("one_minus_beta2"), I.sq(n("g4"))))];
    if (k === "mhat") return ["mhat", I.div(n("m2"), I.sub(I.of(1), I.mono((b) => b ** ctx.t, n("beta1b"))))];
    if (k === "vhat") return ["vhat", I.div(n("v2"), I.sub(I.of(1), I.mono((b) => b ** ctx.t, n("beta2b"))))];
    if (k === "rule" && has("w_before3")) {
      let step;
      if (has("mhat2")) step = I.div(n("mhat2"), I.add(I.mono(Math.sqrt, n("vhat2")), n("eps")));
      else if (has("momentum2")) step = I.add(n("g4"), I.mul(n("momentum2"), n("buf2")));
      else if (has("buf2")) step = n("buf2");
      else step = n("g3");
      let w = I.sub(n("w_before3"), I.mul(n("lr"), step));
      if (has("w_before4")) w = I.sub(w, I.mul(I.mul(n("lr3"), n("wd")), n("w_before4")));
      return ["w_after", w];
    }
  }
  return null;
}

/** Lines whose numbers are a list, not terms and a result. */
const LISTS = new Set(["loss.p", "loss.dz_out"]);

function* views(walk) {
  const events = new StepEvents();
  const sizes = walk.sizes, L = sizes.length - 1;
  const cfg = walk.config;
  for (const ev of walk.events) {
    events.add(ev);
    for (let layer = 0; layer < L; layer++) {
      for (let unit = 0; unit < Math.min(3, sizes[layer + 1]); unit++) {
        for (let sample = 0; sample < ev.batch; sample++) {
          const choice = clampChoice({ sample, layer, unit, input: (sample + unit) % sizes[layer] }, sizes, ev.batch);
          const ctx = {
            activation: walk.activation, weights: events.startWeights(layer), forward: events.byPhase.forward ?? null,
            prev: events.prevUpdate, dropout: cfg.dropout, l1: 0, l2: cfg.regularization === "l2" ? cfg.reg_rate : 0,
          };
          yield { ev, choice, ctx, view: phaseView(ev, choice, ctx), events };
        }
      }
    }
  }
}

test("every formula's terms, as shown, recompute the result it shows", () => {
  const checked = new Set();
  let lines = 0;
  for (const [name, walk] of Object.entries(WALKS)) {
    for (const { ev, view } of views(walk)) {
      for (const line of view.lines) {
        const nums = lineNumbers(line.math);
        if (nums.size < 2 || LISTS.has(`${ev.phase}.${line.key}`)) continue;
        if ([...nums.values()].some((x) => x.iv === null)) continue; // "?": nothing to check
        const n = (key) => {
          assert.ok(nums.has(key), `${name} ${ev.phase}.${line.key}: ${key} is not shown`);
          return nums.get(key).iv;
        };
        const eqn = equation(ev.phase, { ...line, nums }, n, (key) => nums.has(key), { activation: walk.activation, t: ev.t });
        assert.ok(eqn, `${name} ${ev.phase}.${line.key} shows ${[...nums.keys()].join(", ")} but no equation checks them`);
        const [result, iv] = eqn;
        const shown = n(result);
        const slack = 1e-9 * Math.max(1, Math.abs(shown.lo));
        assert.ok(iv.lo - slack <= shown.hi && shown.lo <= iv.hi + slack,
          `${name} step ${ev.step} ${ev.phase}.${line.key}: the terms give [${iv.lo}, ${iv.hi}], the line shows ${nums.get(result).text}`);
        checked.add(`${ev.phase}.${line.key}${result === "da" ? ".mask" : ""}`);
        lines++;
      }
    }
  }
  for (const k of ["forward.z", "forward.a", "forward.mask", "loss.share", "loss.penalty", "backward.da.mask", "backward.dz",
    "backward.dW_share", "update.wd", "update.velocity", "update.m", "update.v", "update.mhat", "update.vhat", "update.rule"]) {
    assert.ok(checked.has(k), `no line ${k} was checked`);
  }
  assert.ok(lines > 5000, `${lines} lines checked`);
});

test("with dropout, dL/da shows the mask: (Σ W·dL/dz) · m, and a dropped neuron's sum times 0", () => {
  let kept = 0, dropped = 0;
  for (const [name, walk] of Object.entries(WALKS)) {
    const L = walk.sizes.length - 1;
    for (const { ev, choice, view, events } of views(walk)) {
      if (ev.phase !== "backward" || choice.layer >= L - 1) continue;
      const line = view.lines.find((l) => l.key === "da");
      const nums = lineNumbers(line.math);
      const mask = events.byPhase.forward.layers[choice.layer].mask;
      if (!walk.config.dropout) {
        assert.ok(!nums.has("mask") && !nums.has("da_sum"), `${name}: no mask without dropout`);
        continue;
      }
      const m = mask[choice.sample][choice.unit];
      // the sum, worked out here from the layer above's weights and gradients
      const W = events.byPhase.forward.layers[choice.layer + 1].W, dz = ev.layers[choice.layer + 1].dz[choice.sample];
      const S = dz.reduce((s, g, k) => s + W[k][choice.unit] * g, 0);
      const iv = nums.get("da_sum").iv;
      assert.ok(Math.abs(S - (iv.lo + iv.hi) / 2) <= (iv.hi - iv.lo) / 2 * 1.000001 + 1e-12, `${name}: Σ shown ${nums.get("da_sum").text}, is ${S}`);
      assert.equal(aboveSum(ev, events.byPhase.forward, null, choice.sample, choice.layer, choice.unit), S);
      assert.equal(nums.get("mask").iv.lo <= m && m <= nums.get("mask").iv.hi, true);
      if (m === 0) {
        dropped++;
        assert.equal(nums.get("mask").text, "0");
        assert.equal(nums.get("da").text, "0");
        assert.equal(line.note, "from_above_dropped");
      } else {
        kept++;
        assert.equal(line.note, "from_above_mask");
      }
    }
  }
  assert.ok(kept > 20 && dropped > 20, `kept ${kept}, dropped ${dropped}`);
});

test("the mask not received yet (a viewer without the forward phase) shows '?', never no mask", () => {
  const walk = WALKS["sigmoid-sgd-dropout0.5"];
  const bw = walk.events.find((e) => e.phase === "backward");
  const view = phaseView(bw, { sample: 0, layer: 0, unit: 0, input: 0 }, { activation: "tanh", forward: null, dropout: 0.5 });
  const nums = lineNumbers(view.lines.find((l) => l.key === "da").math);
  assert.equal(nums.get("mask").text, "?");
  assert.equal(nums.get("da_sum").text, "?");
});

test("a long formula is cut at its top-level '=' into pieces that can wrap", () => {
  const walk = WALKS["sigmoid-adam-dropout0.0"];
  const upd = walk.events.find((e) => e.phase === "update");
  const view = phaseView(upd, { sample: 0, layer: 0, unit: 0, input: 0 }, {});
  const rule = view.lines.find((l) => l.key === "rule").math;
  const pieces = [...rule.matchAll(/<math>(.*?)<\/math>/g)].map((m) => m[1]);
  assert.equal(pieces.length, 4, "w_new = w − lr·m̂/(√v̂ + ε) = the numbers = w_after");
  assert.ok(pieces.slice(1).every((p) => p.startsWith("<mo>=</mo>")));
  assert.ok(rule.startsWith('<span class="wt-eqn">'));
  assert.match(rule, /<mover><mi>m<\/mi><mo stretchy="false">ˆ<\/mo><\/mover>/, "the hat: U+02C6 centred over m");
});
