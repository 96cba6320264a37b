// The neuron inspector. For a chosen input point it shows z = W·x + b with the real numbers,
// the activation, and dL/dz for that point; from the last training step, dL/dW and dL/db
// (batch means, as the optimizer used them). For an edge: the weight, its gradient, and while
// paused, a field to edit it (the set_weight command).

import { FEATURES, backwardPoint, fitStandardizer, forwardPoint, makeFeatures } from "./forward.js";
import { formatNumber as f } from "./scales.js";
import { displayClass, t } from "./i18n.js";

const MAX_TERMS = 8;
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

export class Inspector {
  constructor(root, { send }) {
    this.root = root;
    this.send = send;
    this.target = null;
    this.point = { split: "train", index: 0 };
    this.info = null;
    this.config = null;
    this.data = null;
    this.frame = null;
    this.running = false;
    this.role = "control";
    this.std = null;
    this.dirty = true;
    this.lastDraw = 0;
    root.addEventListener("submit", (e) => {
      e.preventDefault();
      const input = root.querySelector("#insp-value");
      const v = Number(input?.value);
      if (!this.target || this.target.kind !== "edge" || !Number.isFinite(v)) {
        this.showError(t("error_prefix", { msg: `value: ${input?.value}` }));
        return;
      }
      const { layer, row, col } = this.target;
      this.send({ type: "set_weight", layer, row, col, value: v });
    });
  }

  setContext(info, config) {
    this.info = info;
    this.config = config;
    this.std = null;
    this.dirty = true;
    if (this.target && this.info?.sizes && !this.valid(this.target)) this.select(null);
  }

  setData(arrays) {
    this.data = arrays;
    this.std = null;
    this.point = { split: "train", index: 0 };
    this.dirty = true;
  }

  setRunning(running, role) {
    if (running !== this.running || role !== this.role) {
      this.running = running;
      this.role = role;
      this.dirty = true;
      this.buildEdit();
    }
  }

  valid(target) {
    const s = this.info.sizes;
    if (target.kind === "neuron") return target.layer < s.length && target.unit < s[target.layer];
    return target.layer < s.length - 1 && target.row < s[target.layer + 1] && target.col < s[target.layer];
  }

  select(target) {
    this.target = target;
    this.dirty = true;
    this.root.innerHTML = target
      ? `<div class="insp-live"></div><div class="insp-edit"></div>`
      : `<p class="hint">${esc(t("inspector_hint"))}</p>`;
    this.buildEdit();
  }

  setPoint(p) {
    this.point = p;
    this.dirty = true;
  }

  update(frame) {
    this.frame = frame;
    this.dirty = true;
  }

  showError(msg) {
    const el = this.root.querySelector(".insp-error");
    if (el) { el.textContent = msg; el.hidden = false; }
  }

  /** Model input (after features and standardization) and label of the chosen point. */
  modelInput() {
    const d = this.data, info = this.info, cfg = this.config;
    if (!d?.train_x || !info) return null;
    const X = this.point.split === "test" ? d.test_x : d.train_x;
    const Y = this.point.split === "test" ? d.test_y : d.train_y;
    const dims = info.dims ?? 2;
    const i = this.point.index;
    if ((i + 1) * dims > X.length) return null;
    const raw = X.subarray(i * dims, (i + 1) * dims);
    const planar = !info.image_shape && dims === 2 && cfg?.data !== "csv";
    const feats = planar ? makeFeatures(raw, 1, cfg.features) : Float64Array.from(raw);
    if (!this.std) {
      const n = d.train_y.length;
      const D = feats.length;
      if (cfg?.standardize === false) {
        this.std = { mean: new Float64Array(D), std: new Float64Array(D).fill(1) };
      } else {
        const train = planar ? makeFeatures(d.train_x, n, cfg.features) : d.train_x;
        this.std = fitStandardizer(train, n, D, Boolean(info.image_shape));
      }
    }
    const x = Array.from(feats, (v, k) => (v - this.std.mean[k]) / this.std.std[k]);
    return { raw, x, y: Y[i], planar };
  }

  inputName(k) {
    const key = this.config?.features?.[k];
    if (!this.info?.image_shape && this.info?.dims === 2 && FEATURES[key]) return FEATURES[key].label;
    return this.info?.input_names?.[k] ?? `x${k}`;
  }

  nodeName(layer, unit) {
    const L = this.info.sizes.length - 1;
    if (layer === 0) return this.inputName(unit);
    const title = layer === L ? t("output_layer") : t("hidden_layer", { n: layer });
    return t("insp_neuron", { layer: title, j: unit + 1 }); // neurons count from 1, as layers do
  }

  /** The edit form (rebuilt only when the selection or the run state changes). */
  buildEdit() {
    const box = this.root.querySelector(".insp-edit");
    if (!box) return;
    if (!this.target || this.target.kind !== "edge") { box.innerHTML = ""; return; }
    const canEdit = this.role === "control" && !this.running;
    const note = this.role !== "control" ? t("insp_viewer") : this.running ? t("insp_edit_paused") : "";
    const W = this.frame?.arrays?.[`W${this.target.layer}`];
    const cur = W ? W[this.target.row * W.shape[1] + this.target.col] : 0;
    box.innerHTML = `<form class="insp-form"><label for="insp-value">${esc(t("insp_value"))}</label>
      <input id="insp-value" type="number" step="any" value="${+cur.toPrecision(6)}" ${canEdit ? "" : "disabled"}>
      <button type="submit" ${canEdit ? "" : "disabled"}>${esc(t("insp_set"))}</button>
      ${note ? `<p class="hint">${esc(note)}</p>` : ""}<p class="field-error insp-error" role="alert" hidden></p></form>`;
  }

  draw(now = performance.now()) {
    if (!this.dirty || !this.target) return false;
    if (this.running && now - this.lastDraw < 250) return false; // readable while it trains
    const live = this.root.querySelector(".insp-live");
    const A = this.frame?.arrays;
    if (!live) return false;
    if (!A || !this.info?.sizes) { live.innerHTML = `<p class="hint">${esc(t("insp_no_frame"))}</p>`; return true; }
    this.dirty = false;
    this.lastDraw = now;
    live.innerHTML = this.target.kind === "edge" ? this.edgeHtml(A) : this.neuronHtml(A);
    return true;
  }

  edgeHtml(A) {
    const { layer, row, col } = this.target;
    const W = A[`W${layer}`], dW = A[`dW${layer}`];
    if (!W) return "";
    const nIn = W.shape[1];
    return `<h3>${esc(t("insp_edge", { from: this.nodeName(layer, col), to: this.nodeName(layer + 1, row) }))}</h3>
      <table class="insp"><tr><th>w</th><td class="mono">${f(W[row * nIn + col], 6)}</td></tr>
      <tr><th>dL/dw</th><td class="mono">${dW ? f(dW[row * nIn + col], 4) : "–"}</td></tr></table>
      <p class="hint">${esc(t("insp_last_step"))}</p>`;
  }

  neuronHtml(A) {
    const { layer, unit } = this.target;
    const L = this.info.sizes.length - 1;
    const wl = layer - 1;
    const layers = [];
    for (let l = 0; l < L; l++) layers.push({ W: A[`W${l}`], b: A[`b${l}`] });
    if (layers.some((x) => !x.W)) return "";
    let h = `<h3>${esc(this.nodeName(layer, unit))}</h3>`;
    const inp = this.modelInput();
    const act = this.info.activation ?? this.config?.activation ?? "tanh";
    const out = this.info.output ?? "sigmoid";
    if (inp) {
      const steps = forwardPoint(layers, inp.x, act, out);
      const dz = backwardPoint(layers, steps, inp.y, act, out, this.info.loss ?? "cross_entropy");
      const s = steps[wl];
      const W = layers[wl].W, nIn = W.shape[1];
      const w = Array.from(W.subarray(unit * nIn, (unit + 1) * nIn));
      const b = layers[wl].b[unit];
      const rawTxt = inp.planar ? `(${f(inp.raw[0], 3)}, ${f(inp.raw[1], 3)})` : `${this.point.split} #${this.point.index + 1}`;
      const label = this.info.class_names?.[inp.y] !== undefined ? displayClass(this.info.class_names[inp.y]) : f(inp.y, 3);
      h += `<p>${esc(t("insp_point", { point: rawTxt, label }))}</p>`;
      h += `<h4>${esc(t("insp_forward"))}</h4>`;
      const terms = w.slice(0, MAX_TERMS).map((wi, k) => `(${f(wi, 3)})(${f(s.x[k], 3)})`);
      if (w.length > MAX_TERMS) terms.push(t("insp_terms_more", { n: w.length - MAX_TERMS }));
      h += `<p class="mono formula">z = W·x + b<br>&nbsp;&nbsp;= ${terms.join(" + ")} + (${f(b, 3)})<br>&nbsp;&nbsp;= <strong>${f(s.z[unit], 4)}</strong></p>`;
      const fname = layer === L ? out : act;
      h += `<p class="mono formula">a = ${esc(fname)}(z) = <strong>${f(s.a[unit], 4)}</strong></p>`;
      h += `<p class="mono formula">${esc(t("insp_dz_point"))}: dL/dz = <strong>${f(dz[wl][unit], 4)}</strong></p>`;
      const dwp = s.x.slice(0, MAX_TERMS).map((xk) => f(dz[wl][unit] * xk, 3));
      h += `<p class="mono small">${esc(t("insp_per_point_dw"))}: [${dwp.join(", ")}${s.x.length > MAX_TERMS ? ", …" : ""}]</p>`;
    }
    const dW = A[`dW${wl}`], db = A[`db${wl}`];
    if (dW && db) {
      const nIn = dW.shape[1];
      const g = Array.from(dW.subarray(unit * nIn, (unit + 1) * nIn)).slice(0, MAX_TERMS).map((v) => f(v, 3));
      h += `<h4>${esc(t("insp_last_step"))}</h4>`;
      h += `<p class="mono formula">dL/db = <strong>${f(db[unit], 4)}</strong><br>dL/dW = [${g.join(", ")}${nIn > MAX_TERMS ? ", …" : ""}]</p>`;
    }
    return h;
  }
}
