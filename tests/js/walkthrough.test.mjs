// The step walkthrough's arithmetic: phase events → the formulas shown, with the real numbers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { STRINGS } from "../../static/js/i18n.js";
import {
  PHASES, StepEvents, clampChoice, forwardView, lossView, nextPhase, num, phaseView, updateView,
} from "../../static/js/walkthrough-math.js";

/** The numbers a view shows: {key: text}. */
function shown(view) {
  const out = {};
  const html = view.lines.map((l) => l.math).join("");
  for (const m of html.matchAll(/<(mn|mrow|mi) data-k="([^"]+)"[^>]*>(.*?)<\/\1>/g)) out[m[2]] = m[3].replace(/<[^>]+>/g, "");
  return out;
}

// a 2-2-1 network, batch of 2, tanh hidden layer, sigmoid output
const W0 = [[0.5, -1.0], [0.25, 2.0]], b0 = [0.1, -0.2];
const x = [[1.0, 2.0], [-1.0, 0.5]];
const z0 = x.map((r) => W0.map((w, j) => w[0] * r[0] + w[1] * r[1] + b0[j]));
const a0 = z0.map((r) => r.map(Math.tanh));
const forward = {
  phase: "forward", step: 3, batch: 2,
  layers: [
    { index: 0, trainable: true, x, z: z0, a: a0, mask: [[2, 0], [2, 2]] },
    { index: 1, trainable: true, x: a0, z: [[0.3], [-0.4]], a: [[0.3], [-0.4]], mask: null },
  ],
};

test("numbers are shown to 4 significant digits, powers of ten as MathML, negatives bracketed", () => {
  assert.match(num(0.123456, "k"), /<mn data-k="k">0.1235<\/mn>/);
  assert.match(num(-2.5, "k", true), /<mo>\(<\/mo><mn data-k="k">−2.5<\/mn><mo>\)<\/mo>/);
  const tiny = num(4.8764e-7, "k");
  assert.match(tiny, /<mrow data-k="k"><mn>4.876<\/mn><mo>×<\/mo><msup><mn>10<\/mn><mn>−7<\/mn><\/msup><\/mrow>/);
  assert.match(num(1e-8, "e"), /<mn>1<\/mn><mo>×<\/mo><msup><mn>10<\/mn><mn>−8<\/mn>/, "trailing zeros dropped");
  assert.match(num(NaN, "k"), /class="unknown">\?</);
});

test("forward: z = W·x + b with the weights, inputs and bias, a = f(z), and the dropout mask", () => {
  const view = forwardView(forward, { sample: 0, layer: 0, unit: 1, input: 0 },
    { activation: "tanh", weights: { W: W0, b: b0 }, last: false });
  const s = shown(view);
  assert.equal(s["W.0"], "0.25");
  assert.equal(s["W.1"], "2");
  assert.equal(s["x.0"], "1");
  assert.equal(s["x.1"], "2");
  assert.equal(s.b, "−0.2");
  assert.equal(s.z, "4.05"); // 0.25 + 4 − 0.2
  assert.equal(s.a, (Math.tanh(4.05)).toPrecision(4).replace(/0+$/, ""));
  assert.equal(s.mask, "0");
  assert.equal(view.lines.find((l) => l.key === "mask").note, "dropped");
  assert.deepEqual(view.highlight, { from: 0, to: 1 });
});

test("forward without the start weights shows '?' rather than a wrong number", () => {
  const s = shown(forwardView(forward, { sample: 1, layer: 0, unit: 0, input: 0 }, { activation: "tanh", weights: null, last: false }));
  assert.equal(s["W.0"], "?");
  assert.equal(s.z, (z0[1][0]).toPrecision(4).replace(/\.?0+$/, "").replace("-", "−"));
});

test("loss: softmax cross-entropy shows p, the sample's −log p_y and the batch mean", () => {
  const ev = { phase: "loss", step: 3, batch: 2, loss: 0.9, penalty: 0, output: "softmax", loss_name: "cross_entropy",
    p: [[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]], y: [1, 0], dz: [[0.1, -0.25, 0.15], [-0.2, 0.15, 0.05]], layers: [] };
  const s = shown(lossView(ev, { sample: 0 }));
  assert.equal(s["p.1"], "0.5");
  assert.equal(s.share, (-Math.log(0.5)).toPrecision(4));
  assert.equal(s.loss, "0.9");
  assert.equal(s["dz_out.1"], "−0.25");
});

test("loss: mean squared error of a regression output", () => {
  const ev = { phase: "loss", step: 0, batch: 2, loss: 0.5, penalty: 0.01, output: "linear", loss_name: "mse",
    p: [[1.5], [0.0]], y: [0.5, 1.0], dz: [[1.0], [-1.0]], layers: [] };
  const s = shown(lossView(ev, { sample: 0 }));
  assert.equal(s.share, "1");
  assert.equal(s.penalty, "0.01");
  assert.equal(s.total, "0.51");
});

test("update: Adam shows m, v, the bias-corrected m̂ and v̂, and the weight before and after", () => {
  const layer = {
    index: 0, trainable: true, W_before: [[1.0]], b_before: [0], W: [[0.99]], b: [0], dW: [[0.5]], db: [0],
    dW_update: [[-0.01]], db_update: [0], state: { exp_avg: { W: [[0.05]], b: [0] }, exp_avg_sq: { W: [[0.00025]], b: [0] } },
  };
  const ev = { phase: "update", step: 1, batch: 2, layers: [layer], optimizer: "adam", t: 1,
    hyper: { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0 } };
  const s = shown(updateView(ev, { sample: 0, layer: 0, unit: 0, input: 0 }));
  assert.equal(s.w_before, "1");
  assert.equal(s.m, "0.05");
  assert.equal(s.mhat, "0.5"); // 0.05 / (1 − 0.9)
  assert.equal(s.vhat, "0.25"); // 0.00025 / (1 − 0.999)
  assert.equal(s.w_after, "0.99");
  assert.equal(s.delta, "−0.01");
});

test("update: SGD with momentum shows the velocity, with the previous one from the last step", () => {
  const mk = (t, buf, before, after) => ({
    phase: "update", step: t, batch: 2, optimizer: "sgd", t, hyper: { lr: 0.1, momentum: 0.9, nesterov: false, weight_decay: 0 },
    layers: [{ index: 0, trainable: true, W_before: [[before]], b_before: [0], W: [[after]], b: [0], dW: [[0.5]], db: [0],
      dW_update: [[after - before]], db_update: [0], state: { momentum_buffer: { W: [[buf]], b: [0] } } }],
  });
  const first = shown(updateView(mk(1, 0.5, 1, 0.95), { layer: 0, unit: 0, input: 0 }));
  assert.equal(first.buf, "0.5");
  const second = shown(updateView(mk(2, 0.95, 0.95, 0.855), { layer: 0, unit: 0, input: 0 }, mk(1, 0.5, 1, 0.95)));
  assert.equal(second.buf_prev, "0.5");
  assert.equal(second.momentum, "0.9");
  assert.equal(second.w_after, "0.855");
});

test("a frozen layer says so instead of showing an update", () => {
  const ev = { phase: "update", step: 1, batch: 2, optimizer: "sgd", t: 1, hyper: { lr: 0.1 },
    layers: [{ index: 0, trainable: false, W_before: [[1]], W: [[1]], dW: [[0]], dW_update: [[0]], state: {} }] };
  const v = updateView(ev, { layer: 0, unit: 0, input: 0 });
  assert.ok(v.lines.some((l) => l.note === "frozen_layer"));
});

test("StepEvents keeps the phases of one step and the weights it started with", () => {
  const ev = new StepEvents();
  const upd = { phase: "update", step: 4, layers: [{ W: [[7]], b: [1], W_before: [[6]], b_before: [0] }] };
  ev.add({ phase: "forward", step: 3, layers: [{}] });
  assert.equal(ev.startWeights(0), null);
  ev.add({ phase: "loss", step: 3 });
  ev.add({ phase: "backward", step: 3, layers: [{}] });
  ev.add(upd);
  assert.deepEqual(ev.phases, PHASES);
  assert.deepEqual(ev.startWeights(0), { W: [[6]], b: [0] });
  ev.add({ phase: "forward", step: 4, layers: [{}] });
  assert.deepEqual(ev.phases, ["forward"]);
  assert.equal(ev.prevUpdate, upd);
  assert.deepEqual(ev.startWeights(0), { W: [[7]], b: [1] }, "the previous step's weights after its update");
});

test("choices are clamped to the network and the batch; phases cycle", () => {
  assert.deepEqual(clampChoice({ sample: 99, layer: 5, unit: 40, input: -3 }, [2, 8, 1], 10),
    { sample: 9, layer: 1, unit: 0, input: 0 });
  assert.equal(nextPhase(null), "forward");
  assert.equal(nextPhase("backward"), "update");
  assert.equal(nextPhase("update"), "forward");
  assert.equal(phaseView({ phase: "loss", layers: [], p: [[0.5]], y: [1], dz: [[0]], loss: 1, output: "sigmoid", loss_name: "cross_entropy", batch: 1 },
    { sample: 0, layer: 0 }).phase, "loss");
});

test("every text the walkthrough builds from a name exists in English and Japanese", () => {
  const keys = [...PHASES.flatMap((p) => [`wt_phase_${p}`, `wt_why_${p}`]),
    ...["sgd", "momentum", "adam", "other"].map((o) => `wt_why_opt_${o}`),
    ...["output_logit", "dropped", "kept", "target_class", "target_value", "from_loss", "from_above", "sample_share",
      "batch_sum", "frozen_layer", "velocity", "velocity_first", "bias_correction", "adagrad_state", "rmsprop_state"].map((n) => `wt_note_${n}`)];
  for (const k of keys) for (const lang of ["en", "ja"]) assert.ok(STRINGS[lang][k], `${lang}.${k}`);
});
