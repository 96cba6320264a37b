// The fine-tuning panel: the model zoo (architecture, training data, test accuracy) and loading a
// model or a model file; the new task (a relabelling of the digits, new digit classes, a CSV
// file or the user's drawings) with a new output layer, showing the old head removed and the
// new one freshly initialized; a lock per layer with the count of parameters being trained;
// the drawing pad (live prediction and activations); export; and the comparison with training
// from scratch (finetune-compare.js). Errors appear at the control that caused them.

import { displayClass, t } from "./i18n.js";
import { css, diverging } from "./colors.js";
import { formatCount, formatNumber } from "./scales.js";
import { DrawPad, checkSamples, labelCounts, paintInput, samplesToCsv, strokesToInput } from "./drawpad.js";
import { CompareView, errorText, postFile } from "./finetune-compare.js";
import {
  GROUP_NAMES, architectureText, checkGroups, classProbs, csvInputWidth, hiddenLayers, inferHead, layerTable, loadConfig,
  modelRefusal, nextGroup, taskConfig, toggleFrozen,
} from "./finetune-logic.js";

const STORE = "drawings";
const FIELD_SLOT = { model: "model", freeze: "freeze", digits_task: "task", digit_groups: "task",
  train_per_class: "task", replace_head: "task" };
const LOCK = '<svg class="ico" viewBox="0 0 24 24" aria-hidden="true"><path d="M7 10V7a5 5 0 0 1 10 0v3h1a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1V11a1 1 0 0 1 1-1zm2 0h6V7a3 3 0 0 0-6 0z"/></svg>';
const UNLOCK = '<svg class="ico" viewBox="0 0 24 24" aria-hidden="true"><path d="M9 10h9a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1V11a1 1 0 0 1 1-1h1V7a5 5 0 0 1 9.9-1h-2.1A3 3 0 0 0 9 7z"/></svg>';
const pct = (v) => (Number.isFinite(v) ? `${formatNumber(100 * v, 3)} %` : "–");
/** A probability as a percentage; beyond 0.1 % of 0 or 1 it says so rather than print 1e-10. */
const prob = (v) => (!Number.isFinite(v) ? "–" : v < 0.001 ? "< 0.1 %" : v > 0.999 ? "> 99.9 %" : pct(v));
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

export class FinetuneView {
  /**
   * root: the #finetune section. send(cmd) → id; session() → {id, token, role};
   * onDrawInput(pixels | null): the drawn 8 × 8 input (to show it in the network view).
   */
  constructor(root, { send, session, onDrawInput }) {
    this.root = root;
    this.send = send;
    this.session = session;
    this.onDrawInput = onDrawInput;
    this.models = [];
    this.config = null;
    this.info = null;
    this.metrics = null;
    this.pending = new Map(); // command id → error slot
    this.assign = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]; // digit → group (-1 none): starts as even/odd
    this.samples = this.loadSamples();
    this.lastCsv = null; // {text, name} of the last CSV sent, for the comparison
    this.predictId = null;
    this.predictQueued = false;
    this.drawn = null; // the pad's current 64 inputs, or null
    const $ = (s) => root.querySelector(s);
    this.$ = $;
    this.compare = new CompareView($("#ft-compare-card"), {
      showError: (slot, msg) => this.showAt(slot, msg), clearError: (slot) => this.clearAt(slot),
    });
    $("#ft-models").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-load]");
      if (b) this.load(b.dataset.load);
    });
    $("#ft-model-file").addEventListener("change", (e) => this.uploadModel(e.target.files?.[0]));
    for (const r of root.querySelectorAll('input[name="ft-task"]')) r.addEventListener("change", () => this.showTaskFields());
    $("#ft-group-buttons").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-digit]");
      if (!b) return;
      const d = Number(b.dataset.digit);
      this.assign[d] = nextGroup(this.assign[d]);
      this.clearAt("task");
      this.renderGroups();
    });
    $("#ft-per-class").addEventListener("input", (e) => { $("#ft-o-per-class").textContent = e.target.value; });
    $("#ft-apply-task").addEventListener("click", () => this.applyTask());
    $("#ft-layers").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-layer]");
      if (b) this.setFrozen(toggleFrozen(this.frozen(), Number(b.dataset.layer), b.getAttribute("aria-pressed") !== "true"));
    });
    $("#ft-freeze-hidden").addEventListener("click", () => this.setFrozen(hiddenLayers(this.info?.sizes ?? [])));
    $("#ft-compare-start").addEventListener("click", () => this.startCompare());
    this.pad = new DrawPad($("#dp-pad"), { onChange: (strokes, final) => this.drawnChanged(strokes, final) });
    $("#dp-clear").addEventListener("click", () => this.pad.clear());
    $("#dp-add").addEventListener("click", () => this.addSample());
    $("#dp-label").addEventListener("keydown", (e) => { if (e.key === "Enter") this.addSample(); });
    $("#dp-undo").addEventListener("click", () => { this.samples.pop(); this.samplesChanged(); });
    $("#dp-forget").addEventListener("click", () => { this.samples = []; this.samplesChanged(); });
    this.actsCanvas = $("#dp-acts");
    this.prediction = null;
    paintInput($("#dp-input"), []);
    this.renderGroups();
    this.showTaskFields();
    this.samplesChanged(false);
    this.fetchModels();
  }

  // ------------------------------------------------------------------ errors
  showAt(slot, message) {
    const el = this.root.querySelector(`[data-ft-error="${slot}"]`);
    if (!el) return false;
    el.textContent = message;
    el.hidden = false;
    return true;
  }

  clearAt(slot) {
    const el = this.root.querySelector(`[data-ft-error="${slot}"]`);
    if (el) { el.hidden = true; el.textContent = ""; }
  }

  /** An error event: shown at the fine-tuning control that caused it; returns whether it was. */
  showError(ev) {
    let slot = ev.id !== undefined ? this.pending.get(ev.id) : undefined;
    if (ev.id !== undefined && ev.id === this.predictId) {
      this.predictId = null;
      slot = "draw";
    }
    if (!slot && ev.field) slot = FIELD_SLOT[ev.field];
    if (!slot) return false;
    this.pending.delete(ev.id);
    const said = ev.field === "model" ? modelRefusal(ev.message) : null;
    this.showAt(slot, said ? t(said.key, said.params) : ev.message);
    this.renderLayers(); // the locks show the layers frozen in force
    return true;
  }

  sendSet(changes, slot) {
    this.clearAt(slot);
    const id = this.send({ type: "set", config: changes });
    if (id === null || id === undefined) { this.showAt(slot, t("ft_offline")); return; }
    this.pending.set(id, slot);
  }

  // ------------------------------------------------------------------ events from app.js
  /** Every JSON event of the main session. */
  onEvent(ev) {
    if (ev.type === "hello" || ev.type === "config") {
      this.config = ev.config ?? this.config;
      this.info = ev.info ?? this.info;
      if (ev.rebuilt || ev.type === "hello") this.metrics = null;
      this.render();
    } else if (ev.type === "ack") {
      const slot = this.pending.get(ev.id);
      if (slot) this.clearAt(slot);
      this.pending.delete(ev.id);
    } else if (ev.type === "prediction" && ev.id === this.predictId) {
      this.predictId = null;
      this.prediction = ev;
      this.clearAt("draw");
      this.renderPrediction();
      if (this.predictQueued) { this.predictQueued = false; this.predict(); }
    }
  }

  update(frame) {
    const m = frame?.header?.metrics;
    if (m) { this.metrics = m; this.renderLoaded(); }
  }

  draw() {
    this.compare.draw();
  }

  relabel() {
    this.render();
    this.renderGroups();
    this.showTaskFields();
    this.samplesChanged(false);
    this.renderPrediction();
    this.compare.relabel();
  }

  // ------------------------------------------------------------------ the zoo
  async fetchModels() {
    try {
      const r = await fetch("/api/models");
      this.models = r.ok ? await r.json() : [];
    } catch { this.models = []; }
    this.render();
  }

  modelData(m) {
    if (m.data === "digits") {
      const task = { all: t("ft_digits_all"), "0-4": t("ft_digits_0_4"), "5-9": t("ft_digits_5_9") }[m.digits_task] ?? m.digits_task;
      return m.digits_half && m.digits_half !== "all" ? t("ft_digits_half", { task, half: m.digits_half }) : task;
    }
    const key = `ds_${m.data}`;
    return t(key) === key ? String(m.data ?? "?") : t(key);
  }

  /** A zoo model's title in the page's language (the server's own title otherwise). */
  modelTitle(m) {
    const key = `zoo_${String(m.name).replace(/\W/g, "_")}`;
    return t(key) === key ? (m.title ?? m.name) : t(key);
  }

  renderModels() {
    const ul = this.$("#ft-models");
    if (!this.models.length) { ul.innerHTML = `<li class="hint">${t("ft_no_models")}</li>`; return; }
    const current = this.config?.model;
    const viewer = this.session().role === "viewer";
    ul.innerHTML = this.models.filter((m) => m.sizes).map((m) => `<li class="ft-model${m.name === current ? " loaded" : ""}" data-model="${esc(m.name)}">
      <div class="ft-model-head"><strong>${esc(this.modelTitle(m))}</strong>
        <button type="button" class="small" data-load="${esc(m.name)}"${viewer ? " disabled" : ""}>${m.name === current ? t("ft_reload") : t("ft_load")}</button></div>
      <dl class="ft-facts">
        <dt>${t("ft_arch")}</dt><dd class="mono">${esc(architectureText(m))}</dd>
        <dt>${t("ft_data")}</dt><dd>${esc(this.modelData(m))}</dd>
        <dt>${t("ft_test_acc")}</dt><dd data-acc="${m.metrics?.test_acc ?? ""}">${pct(m.metrics?.test_acc)}</dd>
        <dt>${t("ft_params")}</dt><dd>${formatCount(m.parameters ?? 0)}</dd>
      </dl></li>`).join("");
  }

  load(name) {
    const m = this.models.find((x) => x.name === name);
    if (!m) return;
    this.sendSet(loadConfig(m), "model");
  }

  async uploadModel(file) {
    this.clearAt("model_file");
    if (!file) return;
    const s = this.session();
    if (!s.id || !s.token) { this.showAt("model_file", t("ft_offline")); return; }
    let r;
    try {
      r = await postFile(`/api/sessions/${encodeURIComponent(s.id)}/model`, s.token, file, file.name, "application/octet-stream");
    } catch (err) {
      this.showAt("model_file", t("ft_net_error", { msg: String(err) }));
      return;
    }
    if (!r.ok) {
      const said = modelRefusal(await errorText(r));
      this.showAt("model_file", t(said.key, said.params));
    }
    this.$("#ft-model-file").value = "";
  }

  // ------------------------------------------------------------------ the new task
  taskChoice() {
    return this.root.querySelector('input[name="ft-task"]:checked')?.value ?? "even_odd";
  }

  showTaskFields() {
    const task = this.taskChoice();
    this.$("#ft-groups").hidden = task !== "groups";
    this.$("#ft-csv-field").hidden = task !== "csv";
    this.$("#ft-per-class-field").hidden = task === "csv" || task === "draw";
    const note = { "5-9": "ft_note_5_9", draw: "ft_note_draw", even_odd: "ft_note_even_odd", ge5: "ft_note_ge5" }[task];
    this.$("#ft-task-note").textContent = note ? t(note) : "";
    this.clearAt("task");
  }

  renderGroups() {
    const box = this.$("#ft-group-buttons");
    box.innerHTML = Array.from({ length: 10 }, (_, d) => {
      const g = this.assign[d];
      const name = g >= 0 ? GROUP_NAMES[g] : "–";
      return `<button type="button" class="ft-digit g${g}" data-digit="${d}" aria-label="${esc(t("ft_digit_group", { d, g: name }))}">
        <span class="d">${d}</span><span class="g">${name}</span></button>`;
    }).join("");
  }

  modelInputs() {
    return this.info?.sizes?.[0];
  }

  async applyTask() {
    this.clearAt("task");
    if (!this.config?.model) { this.showAt("task", t("ft_need_model")); return; }
    const task = this.taskChoice();
    if (task === "csv") { await this.uploadCsvFile(); return; }
    if (task === "draw") { await this.uploadDrawings(); return; }
    if (this.modelInputs() !== 64) { this.showAt("task", t("ft_need_digits_model", { n: this.modelInputs() ?? "?" })); return; }
    if (task === "groups") {
      const bad = checkGroups(this.assign);
      if (bad) { this.showAt("task", t(bad.key, bad.params)); return; }
    }
    let changes;
    try {
      changes = taskConfig({ task, perClass: this.$("#ft-per-class").value, assign: this.assign });
    } catch (err) { this.showAt("task", err.message); return; }
    this.lastCsv = null;
    this.sendSet(changes, "task");
  }

  async uploadCsvFile() {
    const file = this.$("#ft-csv-file").files?.[0];
    if (!file) { this.showAt("task", t("ft_choose_csv")); return; }
    const text = await file.text();
    await this.uploadCsv(text, file.name);
  }

  async uploadDrawings() {
    const bad = checkSamples(this.samples);
    if (bad) { this.showAt("task", t(bad.key, bad.params)); return; }
    await this.uploadCsv(samplesToCsv(this.samples), "drawings.csv");
  }

  async uploadCsv(text, name) {
    const width = csvInputWidth(text), inputs = this.modelInputs();
    if (inputs && width !== inputs) {
      this.showAt("task", t("ft_csv_width", { name, w: width, n: inputs }));
      return;
    }
    const s = this.session();
    let r;
    try {
      r = await postFile(`/api/sessions/${encodeURIComponent(s.id)}/csv`, s.token, text, name, "text/csv");
    } catch (err) {
      this.showAt("task", t("ft_net_error", { msg: String(err) }));
      return;
    }
    if (!r.ok) { this.showAt("task", await errorText(r)); return; }
    this.lastCsv = { text, name };
  }

  // ------------------------------------------------------------------ layers
  frozen() {
    return this.info?.frozen ?? this.config?.freeze ?? [];
  }

  setFrozen(list) {
    this.sendSet({ freeze: list }, "freeze");
  }

  // ------------------------------------------------------------------ showing the run
  render() {
    this.renderModels();
    this.renderLoaded();
    this.renderHead();
    this.renderLayers();
    const s = this.session();
    const base = s.id ? `/api/sessions/${encodeURIComponent(s.id)}` : null;
    this.$("#ft-export-model").href = base ? `${base}/model.safetensors` : "#";
    this.$("#ft-export-config").href = base ? `${base}/config.json` : "#";
    const viewer = s.role === "viewer";
    for (const el of this.root.querySelectorAll("#ft-apply-task, #ft-freeze-hidden, #ft-compare-start, #ft-model-file, #dp-add")) el.disabled = viewer;
    const digits = this.info?.dims === 64;
    const note = this.$("#dp-note");
    note.dataset.i18n = digits ? "dp_hint" : "dp_needs_digits";
    note.textContent = t(note.dataset.i18n);
    this.root.dataset.model = this.config?.model ?? "";
  }

  renderLoaded() {
    const el = this.$("#ft-loaded");
    const name = this.config?.model;
    if (!name) { el.textContent = t("ft_none_loaded"); el.dataset.acc = ""; return; }
    const m = this.models.find((x) => x.name === name);
    const title = name === "upload" ? t("ft_uploaded") : (m ? this.modelTitle(m) : name);
    const acc = this.metrics?.test_acc;
    el.textContent = t("ft_loaded", { title, data: this.taskText(), acc: pct(acc) });
    el.dataset.acc = Number.isFinite(acc) ? String(acc) : "";
  }

  taskText() {
    const c = this.config ?? {};
    if (c.data === "csv") return t("ft_data_csv");
    if (c.data !== "digits") {
      const key = `ds_${c.data}`;
      return t(key) === key ? String(c.data) : t(key);
    }
    const task = { all: t("ft_digits_all"), "0-4": t("ft_digits_0_4"), "5-9": t("ft_digits_5_9"),
      even_odd: t("ft_task_even_odd"), ge5: t("ft_task_ge5"), groups: t("ft_task_groups") }[c.digits_task] ?? c.digits_task;
    const per = c.train_per_class ? t("ft_per_class_n", { n: c.train_per_class }) : "";
    return [task, c.digits_half === "b" ? t("ft_half_b") : "", per].filter(Boolean).join(", ");
  }

  /** What replacing the output layer did: the server's info.head, else worked out. */
  head() {
    return this.info?.head ?? inferHead(this.models.find((m) => m.name === this.config?.model), this.config, this.info);
  }

  renderHead() {
    const el = this.$("#ft-head");
    const head = this.head();
    if (!head || !this.config?.model) { el.innerHTML = ""; el.dataset.replaced = ""; return; }
    const names = (h) => (h.classes ?? []).map((c) => displayClass(c)).join(", ");
    const desc = (h) => t(h.units === 1 ? "ft_head_unit_one" : "ft_head_units", { n: h.units, out: h.output, classes: names(h) });
    el.dataset.replaced = String(Boolean(head.replaced));
    if (!head.replaced) {
      el.innerHTML = `<p class="ft-head-kept">${esc(t("ft_head_kept", { what: desc(head.old ?? head.new) }))}</p>`;
      return;
    }
    el.innerHTML = `<div class="ft-head-old"><span class="tag">${t("ft_head_old")}</span> ${esc(desc(head.old))} <span class="removed">${t("ft_head_removed")}</span></div>
      <div class="ft-head-new"><span class="tag">${t("ft_head_new")}</span> ${esc(desc(head.new))} <span class="fresh">${t("ft_head_fresh")}</span></div>`;
  }

  renderLayers() {
    const ol = this.$("#ft-layers");
    const sizes = this.info?.sizes ?? [];
    const frozen = this.frozen();
    const tab = layerTable(sizes, frozen);
    const viewer = this.session().role === "viewer";
    const L = tab.layers.length;
    ol.innerHTML = tab.layers.map((l) => {
      const name = l.index === L - 1 ? t("ft_layer_out", { n: l.index + 1 }) : t("ft_layer_n", { n: l.index + 1 });
      const newHead = l.index === L - 1 && this.head()?.replaced ? ` <span class="fresh">${t("ft_head_new_short")}</span>` : "";
      return `<li class="${l.frozen ? "frozen" : ""}"><span>${name}: ${l.nIn} → ${l.nOut}${newHead}<br><span class="small">${t("ft_layer_params", { n: formatCount(l.params) })}</span></span>
        <button type="button" class="ft-lock" data-layer="${l.index}" aria-pressed="${l.frozen}"${viewer ? " disabled" : ""}
          aria-label="${esc(t(l.frozen ? "ft_unfreeze_n" : "ft_freeze_n", { n: l.index + 1 }))}">${l.frozen ? LOCK : UNLOCK}<span>${t(l.frozen ? "ft_frozen" : "ft_live")}</span></button></li>`;
    }).join("");
    const trainable = this.info?.trainable ?? tab.trainable, total = this.info?.params ?? tab.params;
    const p = this.$("#ft-trainable");
    p.textContent = L ? t("ft_trainable", { n: formatCount(trainable), total: formatCount(total), share: formatNumber((100 * trainable) / Math.max(1, total), 2) }) : "";
    p.dataset.trainable = String(trainable);
  }

  // ------------------------------------------------------------------ the drawing pad
  drawnChanged(strokes) {
    const empty = !strokes.some((s) => s.length);
    const pixels = empty ? null : strokesToInput(strokes);
    this.drawn = pixels;
    paintInput(this.$("#dp-input"), pixels ?? []);
    this.onDrawInput?.(pixels);
    if (!pixels) {
      this.prediction = null;
      this.renderPrediction();
      return;
    }
    this.predict();
  }

  /** Ask the server for the prediction of the drawn input: one request in flight at a time. */
  predict() {
    if (!this.drawn) return;
    if (this.info?.dims !== 64) { this.showAt("draw", t("dp_needs_digits")); return; }
    if (this.predictId !== null) { this.predictQueued = true; return; }
    const id = this.send({ type: "predict", raw: [this.drawn] });
    this.predictId = id ?? null;
    if (this.predictId !== null) setTimeout(() => { // an answer lost to a reconnect: ask again
      if (this.predictId === id) { this.predictId = null; if (this.predictQueued) { this.predictQueued = false; this.predict(); } }
    }, 2000);
  }

  renderPrediction() {
    const out = this.$("#dp-pred");
    const ev = this.prediction;
    if (!ev || !this.drawn) {
      out.textContent = "–";
      out.dataset.cls = "";
      this.drawActs(null);
      return;
    }
    const k = ev.class?.[0];
    const names = ev.class_names ?? [];
    const p = classProbs(ev.p?.[0] ?? [], names.length);
    const label = displayClass(names[k] ?? String(k));
    out.textContent = Number.isFinite(p[k]) ? t("dp_pred", { label, p: prob(p[k]) }) : label;
    out.dataset.cls = names[k] ?? String(k); // the server's class name
    this.drawActs(ev);
  }

  /** Every layer's activations for the drawn input: a row of cells per layer, output as bars. */
  drawActs(ev) {
    const c = this.actsCanvas;
    const dpr = globalThis.devicePixelRatio || 1;
    const w = c.clientWidth, layers = ev?.layers ?? [];
    const cell = 9, per = Math.max(8, Math.floor((w - 8) / (cell + 1)));
    const names = ev?.class_names ?? [];
    const rowsOf = (n) => Math.ceil(n / per);
    let h = 6;
    layers.forEach((l, i) => { h += 18 + (i === layers.length - 1 ? Math.max(names.length, l.a[0].length) * 16 : rowsOf(l.a[0].length) * (cell + 1)) + 6; });
    if (!layers.length) h = 30;
    c.style.height = `${h}px`;
    c.width = Math.round(w * dpr);
    c.height = Math.round(h * dpr);
    const ctx = c.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const ink = getComputedStyle(c).color || "#222";
    ctx.font = "13px system-ui, sans-serif";
    ctx.fillStyle = ink;
    ctx.textBaseline = "top";
    if (!layers.length) { ctx.fillText(t("dp_acts_empty"), 4, 8); return; }
    let y = 4;
    layers.forEach((l, i) => {
      const a = l.a[0];
      const last = i === layers.length - 1;
      ctx.fillStyle = ink;
      ctx.fillText(last ? t("dp_acts_out") : t("dp_acts_layer", { n: i + 1, units: a.length }), 4, y);
      y += 18;
      if (last) {
        const lw = 40, bw = w - lw - 76;
        classProbs(a, names.length).forEach((p, k) => {
          ctx.fillStyle = ink;
          ctx.fillText(displayClass(String(names[k] ?? k)), 4, y + 1);
          ctx.fillStyle = css(diverging(1), 0.85);
          ctx.fillRect(lw, y + 2, Math.max(1, bw * p), 11);
          ctx.strokeStyle = "rgb(0 0 0 / 0.25)";
          ctx.strokeRect(lw + 0.5, y + 2.5, bw, 11);
          ctx.fillStyle = ink;
          ctx.fillText(prob(p), lw + bw + 6, y + 1);
          y += 16;
        });
      } else {
        let m = 1e-9;
        for (const v of a) m = Math.max(m, Math.abs(v));
        a.forEach((v, u) => {
          ctx.fillStyle = css(diverging(v / m));
          ctx.fillRect(4 + (u % per) * (cell + 1), y + Math.floor(u / per) * (cell + 1), cell, cell);
        });
        y += rowsOf(a.length) * (cell + 1);
      }
      y += 6;
    });
  }

  addSample() {
    this.clearAt("draw");
    const label = this.$("#dp-label").value.trim();
    if (!this.drawn) { this.showAt("draw", t("dp_empty")); return; }
    if (!label) { this.showAt("draw", t("dp_no_label")); this.$("#dp-label").focus(); return; }
    if (/[,"\n]/.test(label)) { this.showAt("draw", t("dp_bad_label", { label })); return; }
    this.samples.push({ label, pixels: this.drawn.slice() });
    this.samplesChanged();
    this.pad.clear();
  }

  loadSamples() {
    try {
      const s = JSON.parse(globalThis.localStorage?.getItem(STORE) ?? "[]");
      return Array.isArray(s) ? s.filter((x) => x && typeof x.label === "string" && Array.isArray(x.pixels) && x.pixels.length === 64) : [];
    } catch { return []; }
  }

  samplesChanged(save = true) {
    if (save) { try { globalThis.localStorage?.setItem(STORE, JSON.stringify(this.samples)); } catch { /* private mode */ } }
    const counts = [...labelCounts(this.samples)].map(([l, n]) => `${l}: ${n}`).join(" · ");
    const el = this.$("#dp-counts");
    el.textContent = this.samples.length ? t("dp_counts", { n: this.samples.length, counts }) : t("dp_no_samples");
    el.dataset.count = String(this.samples.length);
    const a = this.$("#dp-download");
    a.href = this.samples.length ? `data:text/csv;charset=utf-8,${encodeURIComponent(samplesToCsv(this.samples))}` : "#";
  }

  // ------------------------------------------------------------------ compare
  startCompare() {
    this.compare.start(this.config, this.config?.data === "csv" ? this.lastCsv : null);
  }
}
