// "Anatomy of one step": walks one mini-batch step phase by phase (forward, loss, backward,
// update) with the running network's real numbers, from the server's `phase` events. The
// network view lights up the layers in turn (forward from the inputs, backward from the output,
// edges drawn by dL/dW); the panel shows the formulas as MathML for a chosen sample, neuron and
// weight, and a "why" line in plain words. Previous/next (buttons, ← →) move between the phases
// received for the current step; "next" past the newest asks the server for the next phase.
// In a viewer page everything follows the teacher (applyShared).

import { PHASES, StepEvents, clampChoice, nextPhase, phaseView } from "./walkthrough-math.js";
import { divergedText, t } from "./i18n.js";

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
const COLUMN_MS = 450; // how long each layer stays lit while the pass travels through the network

/** The frame's W{i}, b{i} (typed arrays with .shape) as nested lists, or null. */
function frameWeights(frame, i) {
  const W = frame?.arrays?.[`W${i}`], b = frame?.arrays?.[`b${i}`];
  if (!W || !b) return null;
  const [out, inn] = W.shape;
  const rows = [];
  for (let j = 0; j < out; j++) rows.push(Array.from(W.subarray(j * inn, (j + 1) * inn)));
  return { W: rows, b: Array.from(b) };
}

export class Walkthrough {
  /**
   * root: the panel element; network: the NetworkView; send(cmd); onChange(): the shared state
   * changed (the teacher's page sends it to the viewers).
   */
  constructor(root, { network, send, onChange }) {
    this.root = root;
    this.network = network;
    this.send = send;
    this.onChange = onChange ?? (() => {});
    this.events = new StepEvents();
    this.shown = null; // the phase on screen
    this.choice = { sample: 0, layer: 0, unit: 0, input: 0 };
    this.info = null;
    this.config = null;
    this.frame = null;
    this.role = "control";
    this.isOpen = false;
    this.waiting = false;
    this.animStart = 0;
    this.animDir = 0;
    this.build();
  }

  // ------------------------------------------------------------------ DOM
  build() {
    const r = this.root;
    r.innerHTML = `
      <div class="wt-head">
        <h2 id="wt-title"></h2>
        <ol class="wt-phases" id="wt-phases">${PHASES.map((p, k) => `<li data-phase="${p}"><span class="wt-num">${k + 1}</span> <span class="wt-pname"></span></li>`).join("")}</ol>
        <div class="wt-nav">
          <button type="button" id="wt-prev"></button>
          <button type="button" id="wt-next" class="primary"></button>
          <button type="button" id="wt-close" class="small"></button>
        </div>
      </div>
      <div class="wt-choice">
        <label class="inline"><span id="wt-l-sample"></span> <input id="wt-sample" type="number" min="1" step="1" value="1"></label>
        <label class="inline"><span id="wt-l-layer"></span> <select id="wt-layer"></select></label>
        <label class="inline"><span id="wt-l-unit"></span> <input id="wt-unit" type="number" min="1" step="1" value="1"></label>
        <label class="inline"><span id="wt-l-input"></span> <input id="wt-input" type="number" min="1" step="1" value="1"></label>
      </div>
      <p class="wt-status" id="wt-status" role="status"></p>
      <div class="wt-body" id="wt-body" aria-live="polite"></div>
      <p class="wt-why" id="wt-why"></p>`;
    this.$ = (s) => r.querySelector(s);
    this.$("#wt-prev").addEventListener("click", () => this.prev());
    this.$("#wt-next").addEventListener("click", () => this.next());
    this.$("#wt-close").addEventListener("click", () => this.open(false));
    const pick = () => {
      this.setChoice({
        sample: Number(this.$("#wt-sample").value) - 1,
        layer: Number(this.$("#wt-layer").value),
        unit: Number(this.$("#wt-unit").value) - 1,
        input: Number(this.$("#wt-input").value) - 1,
      });
    };
    for (const id of ["#wt-sample", "#wt-layer", "#wt-unit", "#wt-input"]) this.$(id).addEventListener("change", pick);
    this.relabel();
    // the panel changes width with the window and with presenter mode: fit the formulas again
    if (typeof ResizeObserver === "function") {
      let width = 0;
      new ResizeObserver(([e]) => {
        const w = Math.round(e.contentRect.width);
        if (w !== width) { width = w; this.fitFormulas(); }
      }).observe(this.$("#wt-body"));
    }
  }

  relabel() {
    this.$("#wt-title").textContent = t("wt_title");
    this.$("#wt-prev").textContent = t("wt_prev");
    this.$("#wt-next").textContent = t("wt_next");
    this.$("#wt-close").textContent = t("close");
    this.$("#wt-l-sample").textContent = t("wt_sample");
    this.$("#wt-l-layer").textContent = t("wt_layer");
    this.$("#wt-l-unit").textContent = t("wt_unit");
    this.$("#wt-l-input").textContent = t("wt_input");
    for (const li of this.root.querySelectorAll(".wt-phases li")) {
      li.querySelector(".wt-pname").textContent = t(`wt_phase_${li.dataset.phase}`);
    }
    this.fillLayers();
    this.render();
  }

  fillLayers() {
    const sel = this.$("#wt-layer");
    const sizes = this.info?.sizes ?? [];
    const L = sizes.length - 1;
    sel.innerHTML = Array.from({ length: Math.max(0, L) }, (_, i) =>
      `<option value="${i}">${esc(i === L - 1 ? t("output_layer") : t("hidden_layer", { n: i + 1 }))}</option>`).join("");
    sel.value = String(this.choice.layer);
  }

  // ------------------------------------------------------------------ state in
  setContext(info, config) {
    const shape = JSON.stringify(info?.sizes);
    const changed = shape !== JSON.stringify(this.info?.sizes);
    this.info = info;
    this.config = config;
    if (changed) {
      this.events.clear();
      this.shown = null;
      // the first hidden layer's first neuron: where the pass starts to mean something
      this.choice = { sample: 0, layer: 0, unit: 0, input: 0 };
    }
    this.fillLayers();
    this.render();
  }

  setRole(role) {
    this.role = role;
    this.render();
  }

  update(frame) {
    this.frame = frame;
    // a step or a reset done outside the walk: its phases no longer describe the weights
    const step = frame?.header?.step;
    if (this.events.step !== null && step !== undefined && this.shown !== null) {
      const latest = this.events.latest;
      const expected = latest === "update" ? this.events.step + 1 : this.events.step;
      if (step !== expected && !this.stale) { this.stale = true; this.render(); }
    }
  }

  /** A `phase` event from the server (ours, or the teacher's in a viewer page). */
  onPhase(ev) {
    if (!ev || !ev.phase) {
      this.waiting = false;
      this.render();
      return;
    }
    this.events.add(ev);
    this.stale = false;
    this.waiting = false;
    if (this.role === "control" || !this.followed || this.followed === ev.phase) this.show(ev.phase);
    else this.render();
  }

  /** A neuron clicked in the network view: walk that one. */
  selectNeuron(target) {
    if (!target || target.kind !== "neuron" || target.layer < 1) return;
    this.setChoice({ ...this.choice, layer: target.layer - 1, unit: target.unit });
  }

  setChoice(c) {
    const sizes = this.info?.sizes ?? [];
    if (sizes.length < 2) return;
    const ev = this.events.byPhase[this.shown] ?? this.events.byPhase.forward;
    this.choice = clampChoice(c, sizes, ev?.batch ?? 1);
    this.render();
    this.onChange();
  }

  // ------------------------------------------------------------------ navigation
  open(on = true) {
    this.isOpen = on;
    this.root.hidden = !on;
    this.network.setTeach(on ? { overlay: (ctx, view) => this.drawOverlay(ctx, view), edgeKey: this.edgeKey() } : null);
    this.render();
    if (on) this.root.scrollIntoView?.({ block: "nearest" });
    this.onChange();
  }

  /** Teacher: the next phase (asks the server when it is the newest one). */
  next() {
    if (this.role !== "control") return;
    if (!this.isOpen) this.open(true);
    const have = this.events.phases;
    const at = have.indexOf(this.shown);
    if (at >= 0 && at < have.length - 1 && !this.stale) { this.show(have[at + 1]); return; }
    if (this.waiting) return;
    this.waiting = true;
    this.send({ type: "phase" });
    this.render();
  }

  prev() {
    if (this.role !== "control") return;
    const have = this.events.phases;
    const at = have.indexOf(this.shown);
    if (at > 0) this.show(have[at - 1]);
  }

  show(phase) {
    this.shown = phase;
    this.animStart = performance.now();
    this.animDir = phase === "forward" ? 1 : phase === "backward" ? -1 : 0;
    this.network.setTeach(this.isOpen ? { overlay: (ctx, view) => this.drawOverlay(ctx, view), edgeKey: this.edgeKey() } : null);
    this.render();
    this.onChange();
  }

  edgeKey() {
    return this.shown === "backward" ? "dW" : "W";
  }

  /** Arrow keys while the walk is open; returns whether the key was used. */
  onKey(e) {
    if (!this.isOpen) return false;
    if (e.key === "ArrowRight") { e.preventDefault(); this.next(); return true; }
    if (e.key === "ArrowLeft") { e.preventDefault(); this.prev(); return true; }
    if (e.key === "Escape") { this.open(false); return true; }
    return false;
  }

  animating(now = performance.now()) {
    if (this.netDirty) { this.netDirty = false; return true; }
    if (!this.isOpen || !this.animDir) return false;
    const L = (this.info?.sizes?.length ?? 1) - 1;
    return now - this.animStart < (L + 2) * COLUMN_MS;
  }

  // ------------------------------------------------------------------ shared state (presenter)
  /** What the viewers need to follow: open, phase on screen, step, choice. */
  sharedState() {
    return { open: this.isOpen, phase: this.shown, step: this.events.step, choice: this.choice };
  }

  /** Follow the teacher (viewer pages). */
  applyShared(s) {
    if (!s) return;
    if (Boolean(s.open) !== this.isOpen) {
      this.isOpen = Boolean(s.open);
      this.root.hidden = !this.isOpen;
    }
    if (s.choice) this.choice = { ...this.choice, ...s.choice };
    this.followed = s.phase ?? null;
    if (s.phase && this.events.byPhase[s.phase] && s.step === this.events.step) this.show(s.phase);
    else {
      this.network.setTeach(this.isOpen ? { overlay: (ctx, view) => this.drawOverlay(ctx, view), edgeKey: this.edgeKey() } : null);
      this.render();
    }
  }

  // ------------------------------------------------------------------ drawing
  context() {
    const i = this.choice.layer;
    const start = (l) => this.events.startWeights(l) ?? (this.frame?.header?.step === this.events.step ? frameWeights(this.frame, l) : null);
    const reg = this.config?.regularization;
    const L = (this.info?.sizes?.length ?? 1) - 1;
    return {
      activation: this.info?.activation ?? this.config?.activation ?? "tanh",
      weights: start(i),
      above: i + 1 < L ? start(i + 1) : null,
      dropout: this.config?.dropout ?? 0,
      forward: this.events.byPhase.forward ?? null,
      prev: this.events.prevUpdate,
      l1: reg === "l1" ? this.config.reg_rate : 0,
      l2: reg === "l2" ? this.config.reg_rate : 0,
    };
  }

  render() {
    if (!this.$) return;
    this.netDirty = true;
    const control = this.role === "control";
    const have = this.events.phases;
    const at = have.indexOf(this.shown);
    this.$("#wt-prev").disabled = !control || at <= 0;
    this.$("#wt-next").disabled = !control || this.waiting || Boolean(this.info?.race);
    this.$("#wt-next").textContent = t(this.shown === null || (this.shown === "update" && at === have.length - 1) ? "wt_start" : "wt_next");
    for (const id of ["#wt-sample", "#wt-layer", "#wt-unit", "#wt-input"]) this.$(id).disabled = !control;
    for (const li of this.root.querySelectorAll(".wt-phases li")) {
      const p = li.dataset.phase;
      li.classList.toggle("done", have.includes(p));
      if (p === this.shown) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
    }
    this.root.dataset.phase = this.shown ?? "";
    this.root.dataset.step = this.events.step ?? "";
    this.root.dataset.phases = have.join(",");
    const c = this.choice;
    this.$("#wt-sample").value = String(c.sample + 1);
    this.$("#wt-layer").value = String(c.layer);
    this.$("#wt-unit").value = String(c.unit + 1);
    this.$("#wt-input").value = String(c.input + 1);
    const sizes = this.info?.sizes ?? [];
    if (sizes.length > 1) {
      this.$("#wt-unit").max = String(sizes[c.layer + 1]);
      this.$("#wt-input").max = String(sizes[c.layer]);
    }
    const ev = this.shown ? this.events.byPhase[this.shown] : null;
    this.$("#wt-sample").max = String(ev?.batch ?? this.events.byPhase.forward?.batch ?? 1);
    const status = this.$("#wt-status");
    const body = this.$("#wt-body"), why = this.$("#wt-why");
    if (!ev) {
      status.textContent = this.waiting ? t("waiting") : t(control ? "wt_intro" : "wt_intro_viewer");
      body.innerHTML = "";
      why.textContent = "";
      return;
    }
    const dir = ev.phase === "forward" ? ` — ${t("wt_arrow_forward")}` : ev.phase === "backward" ? ` — ${t("wt_arrow_backward")}` : "";
    status.textContent = (this.stale ? `${t("wt_stale")} ` : "") + t("wt_status", {
      step: ev.phase === "update" ? ev.step : ev.step + 1, phase: t(`wt_phase_${ev.phase}`), n: ev.batch,
    }) + dir;
    if (ev.diverged) { body.innerHTML = `<p class="field-error">${esc(divergedText(ev.diverged, this.config?.lr))}</p>`; return; }
    const choice = clampChoice(c, sizes, ev.batch);
    const view = phaseView(ev, choice, this.context());
    const L = sizes.length - 1;
    const who = t("wt_who", {
      layer: choice.layer === L - 1 ? t("output_layer") : t("hidden_layer", { n: choice.layer + 1 }),
      j: choice.unit + 1, n: choice.sample + 1, k: choice.input + 1,
    });
    const head = ev.phase === "loss" ? t("wt_who_sample", { n: choice.sample + 1 })
      : ev.phase === "update" ? t("wt_who_weight", { k: choice.input + 1, j: choice.unit + 1, layer: choice.layer === L - 1 ? t("output_layer") : t("hidden_layer", { n: choice.layer + 1 }) })
        : who;
    body.innerHTML = `<h3 class="wt-who">${esc(head)}</h3>` + view.lines.map((ln) => {
      const note = ln.note ? `<span class="wt-note">${esc(t(`wt_note_${ln.note}`, ln.params ?? {}))}</span>` : "";
      return `<div class="wt-line" data-line="${esc(ln.key)}">${ln.math}${note}</div>`;
    }).join("");
    this.fitFormulas();
    why.textContent = t(`wt_why_${ev.phase}`) + (ev.phase === "update" ? ` ${t(`wt_why_opt_${["sgd", "adam", "adamw"].includes(ev.optimizer) ? (ev.optimizer === "sgd" && ev.hyper?.momentum ? "momentum" : ev.optimizer === "adamw" ? "adam" : ev.optimizer) : "other"}`)}` : "");
  }

  /**
   * A formula piece wider than its line (the pieces of a chain already wrap at "=") is scaled
   * down to fit, to no less than 55 % of its size, so nothing is cut off on a projector.
   */
  fitFormulas() {
    for (const m of this.root.querySelectorAll(".wt-eqn math")) {
      m.style.fontSize = "";
      const room = m.parentElement.clientWidth;
      const w = m.getBoundingClientRect().width;
      if (room > 0 && w > room) {
        const size = parseFloat(getComputedStyle(m).fontSize);
        m.style.fontSize = `${(size * Math.max(0.55, (room - 2) / w)).toFixed(1)}px`;
      }
    }
  }

  /** Drawn over the network: the lit layer (moving during a pass) and the chosen neuron and edge. */
  drawOverlay(ctx, view) {
    if (!this.isOpen || !this.shown || !view.nodes.length) return;
    const L = view.nodes.length - 1;
    const now = performance.now();
    const steps = Math.floor((now - this.animStart) / COLUMN_MS);
    const i = this.choice.layer;
    let lit;
    if (this.shown === "forward") lit = Math.min(i + 1, steps);
    else if (this.shown === "backward") lit = Math.max(i + 1, L - steps);
    else if (this.shown === "loss") lit = L;
    else lit = i + 1;
    const band = (col, strong) => {
      const nodes = view.nodes[col];
      if (!nodes?.length) return;
      const xs = nodes.map((n) => n.x), ys = nodes.map((n) => n.y), s = nodes[0].s;
      const x0 = Math.min(...xs) - s / 2 - 10, x1 = Math.max(...xs) + s / 2 + 10;
      const y0 = Math.min(...ys) - s / 2 - 10, y1 = Math.max(...ys) + s / 2 + 10;
      ctx.save();
      ctx.lineWidth = strong ? 4 : 2;
      ctx.strokeStyle = strong ? "rgb(214 39 40)" : "rgb(214 39 40 / 0.45)";
      ctx.fillStyle = strong ? "rgb(255 221 87 / 0.28)" : "rgb(255 221 87 / 0.12)";
      ctx.beginPath();
      ctx.roundRect(x0, y0, x1 - x0, y1 - y0, 10);
      ctx.fill(); ctx.stroke();
      ctx.restore();
    };
    if (this.shown === "forward") for (let c = 0; c <= lit; c++) band(c, c === lit);
    else if (this.shown === "backward") for (let c = L; c >= lit; c--) band(c, c === lit);
    else band(lit, true);
    // the chosen neuron and, for backward and update, the chosen weight's edge
    const to = view.nodes[i + 1]?.[this.choice.unit], from = view.nodes[i]?.[this.choice.input];
    ctx.save();
    if (from && to && (this.shown === "update" || this.shown === "backward" || this.shown === "forward")) {
      ctx.strokeStyle = "rgb(214 39 40)";
      ctx.lineWidth = this.shown === "update" ? 5 : 3;
      ctx.setLineDash(this.shown === "update" ? [] : [8, 5]);
      ctx.beginPath(); ctx.moveTo(from.x + from.s / 2, from.y); ctx.lineTo(to.x - to.s / 2, to.y); ctx.stroke();
      ctx.setLineDash([]);
    }
    if (to) {
      ctx.strokeStyle = "rgb(214 39 40)";
      ctx.lineWidth = 4;
      ctx.strokeRect(to.x - to.s / 2 - 5, to.y - to.s / 2 - 5, to.s + 10, to.s + 10);
    }
    ctx.restore();
  }
}

export { nextPhase };
