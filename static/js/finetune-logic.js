// The fine-tuning workflow's arithmetic and configuration (pure, unit-tested): what loading a
// zoo model sets, what a new task sets, groups of digits, parameter counts of the layers, the
// request that starts the comparison with training from scratch, and the race's results.

import { ENGINE } from "./facts.js";

/** The new tasks the page offers for a digits model (`digits_task` values, "draw" and "csv"). */
export const TASKS = ["even_odd", "ge5", "groups", "5-9", "0-4", "all"];
export const PER_CLASS = { min: 1, max: 100, initial: 10 };
export const GROUP_NAMES = ["A", "B", "C", "D"];

/** "64-64-32-10 ReLU" from a zoo entry (sizes, activation). */
export function architectureText(model) {
  const act = { relu: "ReLU", tanh: "tanh", sigmoid: "sigmoid", leaky_relu: "Leaky ReLU",
    elu: "ELU", gelu: "GELU", silu: "SiLU", sin: "sin", linear: "linear" }[model.activation] ?? model.activation;
  return `${(model.sizes ?? []).join("-")} ${act ?? ""}`.trim();
}

/** Parameters of the layer from `n_in` to `n_out` units: weights and biases. */
export function layerParams(nIn, nOut) {
  return nIn * nOut + nOut;
}

/**
 * Per layer of weights (sizes = [in, hidden…, out]): {index, nIn, nOut, params, frozen}, and the
 * totals {layers, params, trainable}. frozen: indices of frozen layers.
 */
export function layerTable(sizes, frozen = []) {
  const set = new Set(frozen);
  const layers = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push({ index: i, nIn: sizes[i], nOut: sizes[i + 1], params: layerParams(sizes[i], sizes[i + 1]), frozen: set.has(i) });
  }
  const params = layers.reduce((a, l) => a + l.params, 0);
  const trainable = layers.reduce((a, l) => a + (l.frozen ? 0 : l.params), 0);
  return { layers, params, trainable };
}

/** The frozen list after toggling layer i: sorted, no duplicates. */
export function toggleFrozen(frozen, i, on) {
  const set = new Set(frozen);
  if (on) set.add(i); else set.delete(i);
  return [...set].sort((a, b) => a - b);
}

/** Every layer but the output layer: what "freeze the hidden layers" means. */
export function hiddenLayers(sizes) {
  return Array.from({ length: Math.max(0, sizes.length - 2) }, (_, i) => i);
}

/**
 * The configuration change that loads zoo model `model` (a /api/models entry): its own data and
 * task, so it shows its accuracy on what it learned. A digits model is shown on half b of the
 * digits, the half it never saw; its head is kept (same task) and nothing is frozen.
 */
export function loadConfig(model) {
  const cfg = { model: model.name, replace_head: "auto", freeze: [] };
  if (model.data === "digits") {
    Object.assign(cfg, { data: "digits", digits_task: model.digits_task ?? "all", digits_half: "b",
      digit_groups: null, train_per_class: null });
  } else if (model.data) {
    cfg.data = model.data;
  }
  return cfg;
}

/**
 * Groups of digits from an assignment (digit → group index, or -1 / undefined for none):
 * the non-empty groups in order, each sorted, e.g. [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]].
 */
export function groupsFromAssignment(assign) {
  const groups = GROUP_NAMES.map(() => []);
  for (let d = 0; d < 10; d++) {
    const g = assign[d];
    if (g !== undefined && g !== null && g >= 0 && g < groups.length) groups[g].push(d);
  }
  return groups.filter((g) => g.length);
}

/** The next group of a digit when its button is pressed: none → A → B → … → none. */
export function nextGroup(g) {
  const n = g === undefined || g === null || g < 0 ? 0 : g + 1;
  return n >= GROUP_NAMES.length ? -1 : n;
}

/**
 * Problems with an assignment of digits to groups, as {key, params} (an i18n key) or null:
 * a named group with no digit (a class with no examples), or fewer than two groups.
 */
export function checkGroups(assign) {
  const used = new Set();
  for (let d = 0; d < 10; d++) if (assign[d] >= 0) used.add(assign[d]);
  const highest = Math.max(-1, ...used);
  for (let g = 0; g <= highest; g++) {
    if (!used.has(g)) return { key: "ft_group_empty", params: { group: GROUP_NAMES[g] } };
  }
  if (used.size < 2) return { key: "ft_groups_two", params: {} };
  return null;
}

/**
 * The configuration change for a new digits task: the relabelling (or new classes), the number
 * of examples per class, on half b of the digits (the zoo models learned from half a), with a
 * new head sized for the task. choice: {task, perClass, assign (for "groups")}.
 */
export function taskConfig({ task, perClass, assign }) {
  if (!TASKS.includes(task)) throw new Error(`task ${task} is not one of ${TASKS.join(", ")}`);
  const n = Math.round(Number(perClass));
  if (!(n >= PER_CLASS.min && n <= PER_CLASS.max)) {
    throw new Error(`examples per class: ${perClass} is not allowed; it must be ${PER_CLASS.min} to ${PER_CLASS.max}`);
  }
  return {
    data: "digits", digits_half: "b", digits_task: task,
    digit_groups: task === "groups" ? groupsFromAssignment(assign ?? []) : null,
    train_per_class: n, replace_head: "auto",
  };
}

/** The width (input columns) of a CSV text: its first non-empty line's cells less the label. */
export function csvInputWidth(text) {
  const line = text.split(/\r?\n/).find((l) => l.trim());
  if (!line) return 0;
  let cells = 1, quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === "," && !quoted) cells++;
  }
  return cells - 1;
}

/** "Fine-tuned" (runner 0) and "from scratch" (runner 1) colours, as in the page's charts. */
export const RUNNER_LABELS = ["fine-tuned", "from scratch"];

/**
 * The POST /api/sessions body that races the current fine-tuning run against the same
 * architecture from scratch on the same examples: config (the session's configuration, whose
 * `layers` the server already set to the model's hidden layers), target accuracy in 0..1.
 */
export function compareRequest(config, target) {
  const base = { ...config };
  delete base.model;
  delete base.freeze;
  delete base.replace_head;
  return {
    config: base,
    race: {
      runners: [
        { model: config.model, freeze: [...(config.freeze ?? [])], replace_head: config.replace_head ?? "auto", label: RUNNER_LABELS[0] },
        { model: null, freeze: [], label: RUNNER_LABELS[1] },
      ],
      target: { metric: "test_acc", value: target },
    },
  };
}

/**
 * Per-runner series from a race history ({columns, rows} with a leading `runner` column):
 * [{xs, train_loss, test_loss, train_acc, test_acc, seconds}] as Float64Arrays, x = steps.
 */
export function splitRaceHistory(columns, rows, nRunners = 2) {
  const col = (name) => columns.indexOf(name);
  const ir = col("runner");
  const keys = ["step", "train_loss", "test_loss", "train_acc", "test_acc", "seconds"];
  const idx = Object.fromEntries(keys.map((k) => [k, col(k)]));
  const out = Array.from({ length: nRunners }, () => Object.fromEntries(keys.map((k) => [k, []])));
  for (const r of rows) {
    const k = ir < 0 ? 0 : r[ir];
    if (!out[k]) continue;
    for (const key of keys) {
      const v = idx[key] < 0 ? null : r[idx[key]];
      out[k][key].push(v === null || v === undefined ? NaN : v);
    }
  }
  return out.map((o) => Object.fromEntries(keys.map((k) => [k === "step" ? "xs" : k, Float64Array.from(o[k])])));
}

/**
 * First (step, seconds) at which a runner's series reached value (≥ for accuracies, ≤ for
 * losses), or null: what "steps and seconds to reach a target" reads from any history.
 */
export function firstReached(series, metric, value) {
  const ys = series[metric];
  const up = metric.endsWith("acc");
  for (let i = 0; i < ys.length; i++) {
    const v = ys[i];
    if (Number.isFinite(v) && (up ? v >= value : v <= value)) {
      return { step: series.xs[i], seconds: series.seconds?.[i] };
    }
  }
  return null;
}

/**
 * Who reached the target first, from a race frame's `winner` ({runner, step, seconds, tie}),
 * as an i18n key and its parameters: both on the same check step is a tie (said by its step;
 * seconds of training never break it), else the runner that got there first. null before any
 * runner has. `every`: steps between two checks (the engine's check_every unless the race says).
 */
export function reachedFirst(winner, every = ENGINE.check_every) {
  if (!winner) return null;
  if (Array.isArray(winner.tie) && winner.tie.length > 1) {
    return { key: "ft_first_tie", params: { step: winner.step, every } };
  }
  return { key: `ft_first_${winner.runner === 1 ? 1 : 0}`, params: { step: winner.step, seconds: winner.seconds } };
}

/**
 * The page's own sentence for a refused model (an upload, or loading one that does not fit):
 * {key, params} for i18n. The server says "model: 'upload' is not allowed; the model takes 2
 * inputs; this data set gives 64: choose data of the model's width"; the reasons the page knows
 * get a sentence of its own (in its language), any other keeps the server's reason, without
 * the field-and-value preamble.
 */
export function modelRefusal(message) {
  const reason = String(message ?? "")
    .replace(/^model:\s*(?:'[^']*'|"[^"]*"|\S+)\s+is not allowed;\s*/, "")
    .replace(/^model:\s*/, "").trim();
  const width = /^the model takes (\d+) inputs; this data set gives (\d+)/.exec(reason);
  if (width) return { key: "ft_model_width", params: { n: width[1], m: width[2] } };
  if (/^the file is empty/.test(reason)) return { key: "ft_model_empty", params: {} };
  if (/^no model file was uploaded/.test(reason)) return { key: "ft_model_none", params: {} };
  if (/standardizer does not fit/.test(reason)) return { key: "ft_model_scaling", params: {} };
  const text = reason ? reason[0].toUpperCase() + reason.slice(1) : "";
  return { key: "ft_model_refused", params: { msg: /[.!?]$/.test(text) ? text : `${text}.` } };
}

/**
 * Which network does better on held-out data so far, from a race frame's `runners` (fine-tuned
 * first): "finetuned" or "scratch" when its test accuracy is higher by at least `margin`,
 * "tie" otherwise, null before both have metrics. (Who reached the target first is the
 * frame's `winner`: a separate question.)
 */
export function verdict(runners, margin = 0.02) {
  const [a, b] = runners ?? [];
  const x = a?.metrics?.test_acc, y = b?.metrics?.test_acc;
  if (!Number.isFinite(x) || !Number.isFinite(y)) return null;
  const d = x - y;
  return d >= margin ? "finetuned" : d <= -margin ? "scratch" : "tie";
}

/**
 * What replacing the output layer did, when the server's info has no `head`: worked out from
 * the zoo entry of the loaded model and the run's info, as the engine decides it (a new head
 * when asked, or on "auto" when the task is not the one the model learned).
 * {replaced, old: {units, output, classes}, new: {...}} or null without a zoo model.
 */
export function inferHead(model, config, info) {
  if (!model?.sizes || !info?.sizes || !config?.model) return null;
  const same = model.data === config.data && JSON.stringify(model.class_names ?? []) === JSON.stringify(info.class_names ?? []);
  const replaced = config.replace_head === "replace" || (config.replace_head !== "keep" && !same);
  return {
    replaced,
    old: { units: model.sizes[model.sizes.length - 1], output: model.output, classes: model.class_names ?? [] },
    new: { units: info.sizes[info.sizes.length - 1], output: info.output, classes: info.class_names ?? [] },
  };
}

/** Probabilities of every class: a single sigmoid output p is P(class 1), so [1 − p, p]. */
export function classProbs(p, nClasses) {
  return p.length === 1 && nClasses === 2 ? [1 - p[0], p[0]] : Array.from(p);
}

/**
 * Whether the fine-tuning panel is open after a new network or data set. It opens by itself when
 * its reason appears (the digits, or a loaded model: `reason`), closes when the reason it opened
 * for is gone (`hadReason`: there was one before), and otherwise stays as the user left it.
 */
export function finetuneOpen(open, hadReason, reason) {
  if (reason && !hadReason) return true;
  if (!reason && hadReason) return false;
  return open;
}
