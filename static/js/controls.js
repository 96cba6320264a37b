// The control panel: every configuration field, bound by data-field attributes in
// the template. Live fields are sent at once with `set`; a field that rebuilds the run asks
// first (unless nothing has been trained yet). The server's validation errors appear under the
// control that caused them. Which fields are live, the menus' choices, the ranges, the input
// features and the layer limits are the engine's (facts.js), never copies.

import { formatNumber, friendlyLogValues, nearestLogIndex } from "./scales.js";
import { errorMessage, t } from "./i18n.js";
import { dataFields, fieldsByName, inputRange, liveFields, menuChoices, outputLossPairs } from "./facts.js";

export const BATCH_CHOICES = [1, 2, 4, 5, 8, 10, 16, 25, 32, 50, 64, 100, 128, 0]; // the slider's stops

/**
 * {task, classes} of the data a configuration asks for, from the catalog of data sets
 * (GET /api/datasets: [{name, task, n_classes}]) and the classes of each digits task (GET
 * /api/engine `digits_classes`); null when unknown (an uploaded CSV file).
 */
export function dataTask(config, datasets, digitsClasses) {
  const d = datasets?.find((x) => x.name === config.data);
  if (!d) return null;
  let classes = d.n_classes;
  if (config.data === "blobs") classes = config.classes;
  if (config.data === "digits") {
    classes = config.digits_task === "groups" ? (config.digit_groups ?? []).length
      : digitsClasses?.[config.digits_task] ?? d.n_classes;
  }
  return { task: d.task, classes };
}

/**
 * Whether output and loss (each may be "auto") suit a task ("classification" | "regression");
 * `pairs`: the (output, loss) pairs the engine accepts (facts.js outputLossPairs).
 */
export function outputSuits(output, loss, { task, classes }, pairs) {
  if (output !== "auto" && loss !== "auto" && !pairs.has(`${output} ${loss}`)) return false;
  if (task === "regression") return output !== "softmax" && output !== "sigmoid" && loss !== "cross_entropy";
  if (output === "linear") return false;
  return !(output === "sigmoid" && classes > 2);
}

/** Slider stops of a logarithmic slider (data-lo, data-hi: the decades at its ends). */
function logStops(el) {
  if (!el.stops) el.stops = friendlyLogValues(Number(el.dataset.lo), Number(el.dataset.hi));
  return el.stops;
}

/** Slider index for a batch size (the nearest choice; 0 = full batch is the last). */
export function batchIndex(b) {
  if (b === 0) return BATCH_CHOICES.length - 1;
  let best = 0;
  BATCH_CHOICES.forEach((c, i) => { if (c && Math.abs(c - b) < Math.abs(BATCH_CHOICES[best] - b)) best = i; });
  return best;
}

export class Controls {
  /** form root (the aside), send(cmd) → id, getState() → {step, running} */
  constructor(root, { send, getState }) {
    this.root = root;
    this.send = send;
    this.getState = getState;
    this.config = null;
    this.info = null;
    this.pending = null; // {changes} waiting for confirmation
    this.sentFields = new Map(); // command id → fields
    this.layers = [];
    this.throttle = new Map();
    this.datasets = null; // the catalog of data sets, for the task and class count of a new one
    this.live = new Set(); // the engine's facts (setFacts)
    this.dataFields = new Set();
    this.engine = {};
    this.role = "control";
    this.connected = true;
    this.fields = [...root.querySelectorAll("[data-field]")];
    for (const el of this.fields) {
      if (el.dataset.scale === "log") { el.min = "0"; el.max = String(logStops(el).length - 1); el.step = "1"; }
      if (el.matches(".features")) {
        el.addEventListener("change", () => this.change({ features: this.readFeatures() }));
      } else if (el.matches(".layers-editor")) {
        el.addEventListener("click", (e) => this.layersClick(e));
      } else {
        el.addEventListener("input", () => this.onInput(el));
        el.addEventListener("change", () => this.onChange(el));
      }
    }
    root.querySelector("#rebuild-apply").addEventListener("click", () => this.confirm(true));
    root.querySelector("#rebuild-cancel").addEventListener("click", () => this.confirm(false));
    root.querySelector("#f-speed").addEventListener("change", (e) => {
      const v = e.target.value;
      this.send({ type: "speed", steps_per_second: v === "max" ? null : Number(v) });
    });
    root.querySelector("#btn-epoch").addEventListener("click", () => this.send({ type: "epoch" }));
    root.querySelector("#btn-new-seed").addEventListener("click", () => this.command("new_seed", "rebuild_new_seed", "new_weights"));
    root.querySelector("#btn-regenerate").addEventListener("click", () => this.command("regenerate", "rebuild_regenerate", "regenerate"));
  }

  // ------------------------------------------------------------------ reading
  value(el) {
    const f = el.dataset.field;
    if (el.type === "checkbox") return el.checked;
    if (el.dataset.scale === "log") return logStops(el)[Number(el.value)];
    if (el.dataset.scale === "batch") return BATCH_CHOICES[Number(el.value)];
    if (f === "betas") {
      const b = [...(this.config?.betas ?? [0.9, 0.999])];
      b[Number(el.dataset.index)] = Number(el.value);
      return b;
    }
    if (el.tagName === "SELECT") return el.value;
    if (el.value === "") return null;
    return Number(el.value);
  }

  readFeatures() {
    return [...this.root.querySelectorAll(".features input:checked")].map((i) => i.value);
  }

  label(field) {
    const el = this.root.querySelector(`[data-field="${field}"]`);
    const id = el?.id;
    const lab = id ? this.root.querySelector(`label[for="${id}"]`) : null;
    const text = lab?.querySelector("[data-i18n]")?.textContent ?? lab?.textContent;
    if (text) return text.trim();
    if (field === "features") return t("g_features");
    if (field === "layers") return t("hidden_layers");
    if (field === "seed") return t("seed");
    if (field === "data_seed") return t("regenerate");
    return field;
  }

  // ------------------------------------------------------------------ changes
  onInput(el) {
    this.showOutput(el);
    const f = el.dataset.field;
    if (!this.live.has(f) || el.type !== "range") return;
    // live sliders: send while dragging, at most every 150 ms
    clearTimeout(this.throttle.get(f));
    this.throttle.set(f, setTimeout(() => this.change({ [f]: this.value(el) }), 150));
  }

  onChange(el) {
    const f = el.dataset.field;
    clearTimeout(this.throttle.get(f));
    this.change({ [f]: this.value(el) });
  }

  /**
   * The engine's facts (facts.js loadFacts): the live and data fields, the menus' choices, the
   * inputs' ranges, the input features, the output/loss pairs, the layer limits and the catalog
   * of data sets.
   */
  setFacts({ schema, engine, datasets }) {
    this.live = liveFields(schema);
    this.dataFields = dataFields(schema);
    this.engine = engine ?? {};
    this.pairs = outputLossPairs(engine);
    this.datasets = datasets;
    const byName = fieldsByName(schema);
    for (const el of this.fields) {
      const f = byName.get(el.dataset.field);
      if (el.tagName === "SELECT" && f?.choices) this.setChoices(el, f.choices);
      else if (el.tagName === "INPUT" && !el.dataset.scale) {
        const range = inputRange(el, f);
        if (range) Object.assign(el, range);
      }
    }
    if (engine?.features) this.setFeatures(engine.features);
  }

  /** A menu's options: the engine's choices, in the page's order and with its labels. */
  setChoices(el, choices) {
    const known = [...el.options].map((o) => [o.value, o.textContent]);
    const except = (el.dataset.except ?? "").split(" ").filter(Boolean);
    const wanted = menuChoices(choices, known, except);
    const keep = new Set(wanted.map(([v]) => v));
    for (const o of [...el.options]) if (!keep.has(o.value)) o.remove();
    for (const [v, label] of wanted) if (!known.some(([k]) => k === v)) el.append(new Option(label, v));
  }

  /** The input features' boxes, one per feature the engine computes ({name, label, expr}). */
  setFeatures(features) {
    const box = this.root.querySelector(".features");
    box.replaceChildren(...features.map(({ name, label }) => {
      const lab = document.createElement("label");
      const input = Object.assign(document.createElement("input"), { type: "checkbox", value: name });
      lab.append(input, ` ${label}`);
      return lab;
    }));
    if (this.config) this.setConfig(this.config, this.info);
  }

  /**
   * New data whose task or class count the current output or loss does not suit (sigmoid for
   * 3+ classes, softmax for regression…): output and loss go back to "auto" with it. Returns
   * whether it added them.
   */
  withAutoOutput(changes) {
    if (!this.config || !("data" in changes || "classes" in changes || "digits_task" in changes)) return false;
    const next = { ...this.config, ...changes };
    const task = dataTask(next, this.datasets, this.engine.digits_classes);
    if (!task || outputSuits(next.output, next.loss, task, this.pairs)) return false;
    changes.output = "auto";
    changes.loss = "auto";
    return true;
  }

  /** Send the changes, or ask first when they rebuild a run that has trained. */
  change(changes) {
    for (const f of Object.keys(changes)) this.clearError(f);
    const rebuilds = Object.keys(changes).filter((f) => !this.live.has(f));
    const auto = this.withAutoOutput(changes);
    if (auto) { this.clearError("output"); this.clearError("loss"); }
    const { step } = this.getState();
    if (rebuilds.length && step > 0) {
      this.ask(changes, rebuilds, () => this.sendSet(changes), auto ? t("rebuild_auto") : "");
      return;
    }
    this.sendSet(changes);
  }

  /** A button that rebuilds the run (new_seed, regenerate); textKey says what it does. */
  command(type, textKey, buttonKey) {
    const { step } = this.getState();
    const apply = () => this.send({ type });
    if (step > 0) this.confirmText(t(textKey, { button: t(buttonKey) }), {}, apply);
    else apply();
  }

  ask(changes, fields, apply, note = "") {
    const data = fields.some((f) => this.dataFields.has(f));
    const names = fields.map((f) => `“${this.label(f)}”`).join(", ");
    const text = t(data ? "rebuild_data" : "rebuild_network", { fields: names });
    this.confirmText(note ? `${text} ${note}` : text, changes, apply);
  }

  confirmText(text, changes, apply) {
    this.root.querySelector("#rebuild-text").textContent = text;
    this.pending = { changes, apply };
    const box = this.root.querySelector("#rebuild-confirm");
    box.hidden = false;
    box.querySelector("#rebuild-apply").focus();
  }

  confirm(ok) {
    const p = this.pending;
    this.pending = null;
    this.root.querySelector("#rebuild-confirm").hidden = true;
    if (ok && p) p.apply();
    else if (this.config) this.setConfig(this.config, this.info); // put the controls back
  }

  sendSet(changes) {
    const id = this.send({ type: "set", config: changes });
    if (id !== null) this.sentFields.set(id, Object.keys(changes));
  }

  // ------------------------------------------------------------------ layers
  layersClick(e) {
    const b = e.target.closest("button[data-layers]");
    if (!b) return;
    const layers = [...(this.config?.layers ?? [])];
    const what = b.dataset.layers;
    const i = Number(b.dataset.index);
    const { max_layers: maxLayers = Infinity, max_units: maxUnits = Infinity } = this.engine;
    if (what === "add-layer" && layers.length < maxLayers) layers.push(layers.at(-1) ?? 4);
    else if (what === "remove-layer" && layers.length) layers.pop();
    else if (what === "add-unit" && layers[i] < maxUnits) layers[i]++;
    else if (what === "remove-unit" && layers[i] > 1) layers[i]--;
    else return;
    this.renderLayers(layers);
    this.change({ layers });
  }

  renderLayers(layers) {
    this.layers = layers;
    this.root.querySelector("#layers-count").textContent = t("layers_count", { n: layers.length });
    const ol = this.root.querySelector("#layers-list");
    ol.innerHTML = layers.map((u, i) => `<li><span>${t("layer_units", { n: i + 1, units: u })}</span>
      <button type="button" class="small" data-layers="remove-unit" data-index="${i}" aria-label="${t("remove_neuron", { n: i + 1 })}">−</button>
      <button type="button" class="small" data-layers="add-unit" data-index="${i}" aria-label="${t("add_neuron", { n: i + 1 })}">+</button></li>`).join("");
    if (this.role === "viewer") for (const b of ol.querySelectorAll("button")) b.disabled = true;
  }

  // ------------------------------------------------------------------ showing
  /** Put the server's configuration into the controls. */
  setConfig(config, info) {
    this.config = config;
    if (info) this.info = info;
    for (const el of this.fields) {
      const f = el.dataset.field;
      if (!(f in config)) continue;
      const v = config[f];
      if (el.matches(".features")) {
        for (const box of el.querySelectorAll("input")) box.checked = v.includes(box.value);
      } else if (el.matches(".layers-editor")) {
        this.renderLayers(v);
      } else if (el.type === "checkbox") el.checked = Boolean(v);
      else if (el.dataset.scale === "log") el.value = String(nearestLogIndex(logStops(el), v));
      else if (el.dataset.scale === "batch") el.value = String(batchIndex(v));
      else if (f === "betas") el.value = String(v[Number(el.dataset.index)]);
      else el.value = v === null ? "" : String(v);
      // a log slider stops at friendly values; its readout is the configuration's own value
      this.showOutput(el, el.dataset.scale === "log" ? v : undefined);
    }
    this.updateVisibility();
  }

  showOutput(el, shown = undefined) {
    const out = this.root.querySelector(`output[for="${el.id}"]`);
    if (!out) return;
    const v = shown ?? this.value(el);
    if (el.dataset.scale === "batch") {
      const n = this.info?.train_size;
      out.textContent = v === 0 ? t("full_batch", { n: n ?? "" }) : v === 1 ? t("sgd_batch") : String(v);
    } else if (Array.isArray(v)) out.textContent = formatNumber(v[Number(el.dataset.index)], 4);
    else out.textContent = formatNumber(v, 3);
  }

  setSpeed(speed) {
    const sel = this.root.querySelector("#f-speed");
    let value = speed === null || speed === undefined ? "max" : String(speed);
    // a pace the menu has no entry for (a lesson's): shown as one more entry, so it can be read
    let extra = sel.querySelector("option[data-pace]");
    if (value !== "max" && ![...sel.options].some((o) => o.value === value)) {
      if (!extra) { extra = document.createElement("option"); extra.dataset.pace = ""; sel.append(extra); }
      extra.value = value;
      extra.textContent = t("speed_n", { n: formatNumber(Number(value), 4) });
    }
    sel.value = value;
    if (!sel.value) sel.value = "max";
  }

  updateVisibility() {
    const c = this.config ?? {};
    const planar = !this.info?.image_shape && c.data !== "csv" && c.data !== "digits";
    for (const el of this.root.querySelectorAll("[data-when]")) {
      const w = el.dataset.when;
      el.hidden = w === "planar" ? !planar : w === "blobs" ? c.data !== "blobs" : false;
    }
    for (const el of this.root.querySelectorAll("[data-when-opt]")) {
      el.hidden = !el.dataset.whenOpt.split(" ").includes(c.optimizer);
    }
  }

  setRole(role) {
    this.role = role;
    this.enable();
  }

  /** While the connection is down nothing can be sent: the controls are disabled. */
  setConnected(on) {
    this.connected = on;
    this.enable();
  }

  enable() {
    this.root.querySelector("#controls-fieldset").disabled = this.role === "viewer" || !this.connected;
  }

  /** Language changed: texts built in code. */
  relabel() {
    if (this.config) this.setConfig(this.config, this.info);
    const extra = this.root.querySelector("#f-speed option[data-pace]");
    if (extra) extra.textContent = t("speed_n", { n: formatNumber(Number(extra.value), 4) });
  }

  // ------------------------------------------------------------------ errors
  /** An error event: shown under its field's control; returns whether a control took it. */
  showError(ev) {
    let field = ev.field;
    if (!field && ev.id !== undefined && this.sentFields.has(ev.id)) field = this.sentFields.get(ev.id)[0];
    const slot = field ? this.root.querySelector(`[data-error-for="${field}"]`) : null;
    if (!slot) return false;
    const err = ev.errors?.find((e) => e.field === field) ?? (ev.field === field ? ev : null);
    slot.textContent = err ? errorMessage(err, undefined, this.label(field)) : ev.message;
    slot.hidden = false;
    slot.closest(".field, .group")?.classList.add("has-error");
    if (this.config) {
      const keep = { ...this.config };
      this.setConfig(keep, this.info); // the value on screen goes back to the one in force
    }
    return true;
  }

  clearError(field) {
    const slot = this.root.querySelector(`[data-error-for="${field}"]`);
    if (slot) { slot.hidden = true; slot.textContent = ""; slot.closest(".has-error")?.classList.remove("has-error"); }
  }

  ack(id) {
    const fields = this.sentFields.get(id);
    if (fields) for (const f of fields) this.clearError(f);
    this.sentFields.delete(id);
  }
}
