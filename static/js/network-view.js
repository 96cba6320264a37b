// The network drawn on a canvas: input features, hidden neurons, outputs; edges coloured by
// the sign of the weight (blue +, orange −) and as wide as its size, or the gradient dL/dW with
// its own scale; a bias square at each neuron; dropped neurons dimmed; frozen layers marked;
// a picture of each neuron's output over the input plane, enlarged on hover. Large layers are
// drawn as a grid of small cells, and only their strongest edges are drawn; the digits'
// first-layer weights are shown as 8×8 images.

import { diverging, css, paintDiverging } from "./colors.js";
import { FEATURES } from "./forward.js";
import { formatNumber, maxFiniteAbs } from "./scales.js";
import { t } from "./i18n.js";
import { beginDraw } from "./canvas.js";

const MAX_EDGES = 600; // per pair of layers; beyond it only the largest |value| are drawn
const THUMB = 16; // input-feature pictures are computed at this resolution

export class NetworkView {
  /** canvas: the drawing; zoom: a small canvas shown enlarged on hover; onSelect(target). */
  constructor(canvas, zoom, { onSelect }) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.zoom = zoom;
    this.onSelect = onSelect;
    this.sizes = [];
    this.info = null;
    this.features = [];
    this.gradients = false;
    this.frame = null;
    this.nodes = []; // per node layer: [{x, y, s, unit}]
    this.edgesDrawn = []; // [{l, j, i, x1, y1, x2, y2}] for hit tests
    this.thumbs = new Map(); // "layer:unit" → offscreen canvas
    this.selected = null;
    this.hover = null;
    this.inputImage = null;
    this.layoutKey = "";
    this.teach = null; // teaching mode: {overlay(ctx, view), edgeKey: "W" | "dW"} or null
    canvas.addEventListener("mousemove", (e) => this.onMove(e));
    canvas.addEventListener("mouseleave", () => { this.hover = null; this.zoom.hidden = true; });
    canvas.addEventListener("click", (e) => this.onClick(e));
    canvas.addEventListener("keydown", (e) => this.onKey(e));
  }

  /** info from hello/config events: sizes [in, hidden…, out], input_names, image_shape, task. */
  setInfo(info, config) {
    this.info = info;
    this.sizes = info?.sizes ?? [];
    this.features = config?.features ?? [];
    this.planar = !info?.image_shape && this.sizes[0] !== undefined && (config?.data !== "csv");
    this.thumbs.clear();
    this.inputThumbs = this.planar ? this.makeInputThumbs() : null;
    this.selected = null;
    this.layoutKey = "";
    this.frame = null;
  }

  setGradients(on) {
    this.gradients = on;
    this.canvas.dataset.mode = on ? "gradients" : "weights";
  }

  /** Pixels (length 64) of the digit shown in the input grid, or null. */
  setInputImage(pixels) {
    this.inputImage = pixels;
  }

  /** Teaching mode: an overlay drawn after the network, and which edges to draw (W or dW). */
  setTeach(teach) {
    this.teach = teach;
  }

  setSelected(target) {
    this.selected = target;
  }

  update(frame) {
    this.frame = frame;
  }

  // ------------------------------------------------------------------ layout
  /** margins: {top, bottom, left} in px (room for the label rows, frozen marks, input names). */
  layout(w, h, margins) {
    const key = `${w}x${h}:${this.sizes.join(",")}:${Object.values(margins).join(",")}`;
    if (key === this.layoutKey) return;
    this.layoutKey = key;
    const n = this.sizes.length;
    const { top, left } = margins, bottom = h - margins.bottom;
    const right = w - 30;
    const colW = n > 1 ? (right - left) / (n - 1) : 0;
    this.nodes = this.sizes.map((units, l) => {
      const cx = left + colW * l;
      const avail = bottom - top;
      const img = l === 0 && this.info?.image_shape;
      if (img) {
        const [rows, cols] = this.info.image_shape;
        const cell = Math.min(avail / rows, Math.min(colW * 0.45, 120) / cols, 18);
        const x0 = cx - (cell * cols) / 2, y0 = top + (avail - cell * rows) / 2;
        return Array.from({ length: units }, (_, u) => ({
          unit: u, s: cell - 1, x: x0 + (u % cols) * cell + cell / 2,
          y: y0 + Math.floor(u / cols) * cell + cell / 2, pixel: true,
        }));
      }
      const big = this.planar || (l === 1 && this.info?.image_shape) ? 40 : 26;
      let s = Math.min(big, avail / units - 6);
      let per = units, cols = 1;
      if (s < 12) { // grid of small cells
        s = 12;
        per = Math.max(1, Math.floor(avail / (s + 3)));
        cols = Math.ceil(units / per);
        // wide layers: make the cells bigger if the column has room
        const fit = Math.min(24, Math.floor(Math.min(colW * 0.6, 200) / cols) - 3);
        if (fit > s) { s = fit; per = Math.max(1, Math.floor(avail / (s + 3))); cols = Math.ceil(units / per); }
      }
      const rows = Math.min(per, units);
      const pitch = s + (cols > 1 ? 3 : Math.min(14, avail / units - s));
      const y0 = top + (avail - pitch * rows) / 2 + pitch / 2;
      const x0 = cx - ((cols - 1) * (s + 3)) / 2;
      return Array.from({ length: units }, (_, u) => ({
        unit: u, s, x: x0 + Math.floor(u / per) * (s + 3), y: y0 + (u % per) * pitch, grid: cols > 1,
      }));
    });
  }

  // ------------------------------------------------------------------ pictures
  makeInputThumbs() {
    return this.features.map((key) => {
      const f = FEATURES[key]?.f;
      const vals = new Float32Array(THUMB * THUMB);
      let m = 1e-9;
      for (let r = 0; r < THUMB; r++) {
        for (let c = 0; c < THUMB; c++) {
          const x1 = -6 + (c + 0.5) * (12 / THUMB), x2 = 6 - (r + 0.5) * (12 / THUMB);
          const v = f ? f(x1, x2) : 0;
          vals[r * THUMB + c] = v;
          m = Math.max(m, Math.abs(v));
        }
      }
      return this.paint(`in:${key}`, vals, THUMB, THUMB, { half: m });
    });
  }

  /** Paint values into a cached small canvas (diverging colours) and return it. */
  paint(key, values, w, h, opts) {
    let c = this.thumbs.get(key);
    if (!c || c.width !== w || c.height !== h) {
      c = document.createElement("canvas");
      c.width = w; c.height = h;
      c.img = c.getContext("2d").createImageData(w, h);
      this.thumbs.set(key, c);
    }
    paintDiverging(values, c.img.data, opts);
    c.getContext("2d").putImageData(c.img, 0, 0);
    c.pixelated = w <= 8;
    return c;
  }

  /** The picture of node (layer l, unit u) for this frame, or null. */
  thumbOf(l, u) {
    const A = this.frame?.arrays;
    if (!A) return null;
    if (l === 0) return this.inputThumbs ? this.inputThumbs[u] : null;
    const L = this.sizes.length - 1;
    if (this.info?.image_shape && l === 1) { // first-layer weights as images
      const W = this.gradients ? A.dW0 : A.W0;
      if (!W) return null;
      const nIn = W.shape[1];
      const row = W.subarray(u * nIn, (u + 1) * nIn);
      let m = 1e-12;
      for (const v of row) m = Math.max(m, Math.abs(v));
      const [rows, cols] = this.info.image_shape;
      return this.paint(`w0:${u}`, row, cols, rows, { half: m });
    }
    if (l < L) {
      const g = A[`grid_hidden${l - 1}`];
      if (!g) return null;
      const r = g.shape[1], n = r * g.shape[2];
      const vals = g.subarray(u * n, (u + 1) * n);
      let m = 1;
      for (const v of vals) if (Math.abs(v) > m) m = Math.abs(v);
      return this.paint(`h:${l}:${u}`, vals, g.shape[2], r, { half: m });
    }
    const go = A.grid_output;
    if (!go) return null;
    const R = go.shape[0], C = go.shape[1];
    if (go.shape.length === 3) {
      const K = go.shape[2];
      const vals = new Float32Array(R * C);
      for (let i = 0; i < R * C; i++) vals[i] = go[i * K + u];
      return this.paint(`o:${u}`, vals, C, R, { mid: 0.5, half: 0.5 });
    }
    const regression = this.info?.task === "regression";
    let m = 1;
    if (regression) for (const v of go) if (Math.abs(v) > m) m = Math.abs(v);
    return this.paint("o:0", go, C, R, regression ? { half: m } : { mid: 0.5, half: 0.5 });
  }

  // ------------------------------------------------------------------ drawing
  draw() {
    const { canvas, ctx } = this;
    const page = beginDraw(canvas, ctx);
    if (!page) return false;
    const { w, h, ink, fontPx } = page;
    const A = this.frame?.arrays;
    if (!A || !this.sizes.length) return false;
    const L = this.sizes.length - 1;
    const frozen = A.frozen ?? new Uint8Array(L);
    // label rows at the top: layer titles, layer sizes, then ‖ΔW‖/‖W‖ on a row of its own
    const ratio = this.teach ? null : A.update_ratio;
    const rowH = Math.round(fontPx * 1.15);
    const rows = { title: fontPx + 2, size: fontPx + 2 + rowH, ratio: fontPx + 2 + 2 * rowH };
    ctx.font = `${fontPx}px system-ui, sans-serif`;
    const inputNames = this.planar ? this.nodes0Names() : [];
    const nameW = Math.max(0, ...inputNames.map((s) => ctx.measureText(s).width));
    this.layout(w, h, {
      top: (this.teach ? rows.size : rows.ratio) + Math.round(fontPx * 0.6),
      bottom: 12 + (Array.from(frozen).some(Boolean) ? Math.round(fontPx * 1.7) : 0),
      left: this.planar ? Math.max(70, Math.ceil(nameW) + 20 + 12) : 30, // input names stay inside
    });
    const key = this.teach?.edgeKey ?? (this.gradients ? "dW" : "W");
    const bkey = key === "dW" ? "db" : "b";

    // frozen layers: a tinted band behind the neurons whose incoming weights are frozen
    ctx.font = `${fontPx}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "alphabetic";
    const frozenList = [];
    this.frozenLabels = [];
    for (let l = 0; l < L; l++) {
      if (!frozen[l]) continue;
      frozenList.push(l);
      const col = this.nodes[l + 1];
      const xs = col.map((n) => n.x), ys = col.map((n) => n.y);
      const s = col[0].s;
      const x0 = Math.min(...xs) - s / 2 - 8, x1 = Math.max(...xs) + s / 2 + 8;
      const y0 = Math.min(...ys) - s / 2 - 8, y1 = Math.max(...ys) + s / 2 + 8;
      ctx.fillStyle = "rgb(120 140 170 / 0.18)";
      ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
      ctx.strokeStyle = "rgb(80 100 140 / 0.9)";
      ctx.setLineDash([4, 3]);
      ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
      ctx.setLineDash([]);
      ctx.fillStyle = "rgb(60 80 120)";
      const label = t("frozen"), lw = ctx.measureText(label).width;
      drawLock(ctx, (x0 + x1) / 2 - lw / 2 - 9, y1 + fontPx * 0.12, fontPx); // beside the word
      ctx.fillText(label, (x0 + x1) / 2 + 6, y1 + fontPx);
      this.frozenLabels.push({ l, bottom: y1 + fontPx * 1.2 });
    }
    this.canvas.dataset.frozen = frozenList.join(",");

    // edge scale: the largest |value| over all layers
    let maxAbs = 1e-12;
    for (let l = 0; l < L; l++) {
      const W = A[`${key}${l}`];
      if (W) maxAbs = Math.max(maxAbs, maxFiniteAbs(W)); // NaN and ±∞ have no width to scale to
    }
    this.scale = maxAbs;

    // dropout masks → dimmed nodes
    const dropped = new Set();
    for (let l = 1; l < L + 1; l++) {
      const m = A[`mask${l - 1}`];
      if (m) for (let u = 0; u < m.length; u++) if (!m[u]) dropped.add(`${l}:${u}`);
    }
    this.canvas.dataset.dropped = String(dropped.size);

    // edges
    this.edgesDrawn = [];
    ctx.lineCap = "round";
    for (let l = 0; l < L; l++) {
      const W = A[`${key}${l}`];
      if (!W) continue;
      const [nOut, nIn] = W.shape;
      let threshold = 0;
      if (W.length > MAX_EDGES) {
        const abs = Float32Array.from(W, Math.abs).sort();
        threshold = abs[abs.length - MAX_EDGES];
      }
      const from = this.nodes[l], to = this.nodes[l + 1];
      for (let j = 0; j < nOut; j++) {
        for (let i = 0; i < nIn; i++) {
          const v = W[j * nIn + i];
          const a = Math.abs(v);
          if (a < threshold || !from[i] || !to[j]) continue;
          const r = a / maxAbs;
          const dim = dropped.has(`${l}:${i}`) || dropped.has(`${l + 1}:${j}`);
          const sel = this.selected?.kind === "edge" && this.selected.layer === l
            && this.selected.row === j && this.selected.col === i;
          ctx.strokeStyle = frozen[l] && !sel // a frozen layer's edges are grey: they do not change
            ? `rgb(128 128 128 / ${dim ? 0.12 : 0.2 + 0.6 * r})`
            : css(diverging(v >= 0 ? 1 : -1), sel ? 1 : (dim ? 0.12 : 0.25 + 0.75 * r));
          ctx.lineWidth = sel ? 6 : 0.6 + 5.4 * r;
          const x1 = from[i].x + from[i].s / 2, y1 = from[i].y;
          const x2 = to[j].x - to[j].s / 2, y2 = to[j].y;
          ctx.beginPath(); ctx.moveTo(x1, y1); ctx.lineTo(x2, y2); ctx.stroke();
          this.edgesDrawn.push({ l, j, i, x1, y1, x2, y2 });
        }
      }
    }

    // bias scale
    let bMax = 1e-12;
    for (let l = 0; l < L; l++) {
      const b = A[`${bkey}${l}`];
      if (b) bMax = Math.max(bMax, maxFiniteAbs(b));
    }

    // nodes
    ctx.textBaseline = "middle";
    for (let l = 0; l <= L; l++) {
      const b = l > 0 ? A[`${bkey}${l - 1}`] : null;
      for (const node of this.nodes[l]) {
        const { x, y, s, unit } = node;
        const isDropped = dropped.has(`${l}:${unit}`);
        ctx.globalAlpha = isDropped ? 0.22 : 1;
        if (node.pixel) {
          const p = this.inputImage ? this.inputImage[unit] / 16 : 0.5;
          const g = Math.round(255 - 255 * Math.min(1, Math.max(0, p)));
          ctx.fillStyle = `rgb(${g} ${g} ${g})`;
          ctx.fillRect(x - s / 2, y - s / 2, s, s);
          continue;
        }
        const thumb = s >= 20 ? this.thumbOf(l, unit) : null;
        if (thumb) {
          ctx.imageSmoothingEnabled = !thumb.pixelated;
          ctx.drawImage(thumb, x - s / 2, y - s / 2, s, s);
        } else {
          ctx.fillStyle = b ? css(diverging(b[unit] / bMax)) : "#fff";
          ctx.fillRect(x - s / 2, y - s / 2, s, s);
        }
        const sel = this.selected?.kind === "neuron" && this.selected.layer === l && this.selected.unit === unit;
        ctx.strokeStyle = sel ? "#000" : ink;
        ctx.lineWidth = sel ? 3 : 1;
        ctx.strokeRect(x - s / 2, y - s / 2, s, s);
        if (b && s >= 14 && !node.grid) { // bias: a small square at the lower left, coloured by sign and size
          const bs = Math.max(5, s * 0.28);
          ctx.fillStyle = css(diverging(b[unit] / bMax));
          ctx.fillRect(x - s / 2 - bs / 2, y + s / 2 - bs / 2, bs, bs);
          ctx.strokeStyle = ink; ctx.lineWidth = 0.8;
          ctx.strokeRect(x - s / 2 - bs / 2, y + s / 2 - bs / 2, bs, bs);
        }
        if (isDropped) {
          ctx.globalAlpha = 0.8;
          ctx.strokeStyle = "#555"; ctx.lineWidth = 1.5;
          ctx.beginPath();
          ctx.moveTo(x - s / 2, y - s / 2); ctx.lineTo(x + s / 2, y + s / 2);
          ctx.moveTo(x + s / 2, y - s / 2); ctx.lineTo(x - s / 2, y + s / 2);
          ctx.stroke();
        }
      }
    }
    ctx.globalAlpha = 1;

    // labels: layer titles and sizes, each squeezed into its column's width (never overlapping)
    ctx.fillStyle = ink;
    ctx.textAlign = "center";
    ctx.textBaseline = "alphabetic";
    const centres = this.nodes.map((col) => (col.length
      ? (Math.min(...col.map((n) => n.x)) + Math.max(...col.map((n) => n.x))) / 2 : null));
    const room = L > 0 ? Math.max(20, (centres[L] - centres[0]) / L - 8) : w;
    const fitFont = (text, weight, px) => { // the largest size ≤ px (≥ 60 %) at which text fits
      ctx.font = `${weight} ${px}px system-ui, sans-serif`;
      const tw = ctx.measureText(text).width;
      const size = tw > room ? Math.max(Math.round(px * 0.6), Math.floor((px * room) / tw)) : px;
      ctx.font = `${weight} ${size}px system-ui, sans-serif`;
      return ctx.measureText(text).width;
    };
    this.titleBoxes = [];
    for (let l = 0; l <= L; l++) {
      if (centres[l] === null) continue;
      let title = l === 0 ? t("input_layer") : l === L ? t("output_layer") : t("hidden_layer", { n: l });
      let tw = fitFont(title, 600, fontPx);
      if (tw > room && l > 0 && l < L) { // too narrow even in small type: the short form ("H3")
        title = t("hidden_layer_short", { n: l });
        tw = fitFont(title, 600, fontPx);
      }
      const half = tw / 2 + 2;
      const tx = Math.max(half, Math.min(w - half, centres[l])); // keep the title inside the canvas
      ctx.fillText(title, tx, rows.title);
      this.titleBoxes.push({ l, x0: tx - tw / 2, x1: tx + tw / 2 });
      ctx.font = `${Math.round(fontPx * 0.85)}px system-ui, sans-serif`;
      ctx.fillText(String(this.sizes[l]), tx, rows.size);
    }
    // the size of the last update of each layer of weights, ‖ΔW‖ / ‖W‖ (0 for a frozen layer),
    // between its two columns; shortened to the number, or left out, where it does not fit
    this.updateLabels = [];
    if (ratio) {
      ctx.font = `${Math.round(fontPx * 0.8)}px system-ui, sans-serif`;
      ctx.textAlign = "center";
      const items = [];
      for (let l = 0; l < L && l + 1 < this.nodes.length; l++) {
        if (centres[l] === null || centres[l + 1] === null) continue;
        const zero = frozen[l] && ratio[l] === 0;
        const v = formatNumber(ratio[l], 2);
        const choices = zero ? [t("nv_update_zero"), "ΔW = 0", "0"] : [t("nv_update", { v }), v, formatNumber(ratio[l], 1)];
        items.push({ l, zero, choices, x: (centres[l] + centres[l + 1]) / 2, gap: centres[l + 1] - centres[l] - 8 });
      }
      // one form for all (the shortest any of them needs), so the row reads evenly
      const fits = (it, k) => ctx.measureText(it.choices[Math.min(k, it.choices.length - 1)]).width <= it.gap;
      const need = items.map((it) => [0, 1, 2].find((k) => fits(it, k))).filter((k) => k !== undefined);
      const level = Math.max(0, ...need);
      for (const it of items) {
        const k = [Math.min(level, it.choices.length - 1), it.choices.length - 1].find((j) => fits(it, j));
        if (k === undefined) continue; // no room even for the number
        const text = it.choices[k];
        const half = ctx.measureText(text).width / 2;
        ctx.fillStyle = it.zero ? "rgb(60 80 120)" : ink;
        ctx.fillText(text, Math.max(half + 2, Math.min(w - half - 2, it.x)), rows.ratio);
        this.updateLabels.push({ l: it.l, text, x0: it.x - half, x1: it.x + half });
      }
      this.canvas.dataset.updates = Array.from(ratio).join(",");
    }
    if (this.planar) {
      ctx.fillStyle = ink;
      ctx.textAlign = "right";
      ctx.textBaseline = "middle";
      ctx.font = `${fontPx}px system-ui, sans-serif`;
      this.inputLabelLeft = Infinity;
      this.nodes[0].forEach((n, u) => {
        const right = n.x - n.s / 2 - 6;
        ctx.fillText(inputNames[u] ?? "", right, n.y);
        this.inputLabelLeft = Math.min(this.inputLabelLeft, right - ctx.measureText(inputNames[u] ?? "").width);
      });
    }
    this.teach?.overlay?.(ctx, this);
    return true;
  }

  /** The names written left of the input nodes (2-D data). */
  nodes0Names() {
    return Array.from({ length: this.sizes[0] ?? 0 },
      (_, u) => FEATURES[this.features[u]]?.label ?? this.info?.input_names?.[u] ?? "");
  }

  legendText() {
    const v = formatNumber(this.scale ?? 0, 2);
    const grads = (this.teach?.edgeKey ?? (this.gradients ? "dW" : "W")) === "dW";
    return grads ? t("scale_grads", { v }) : t("scale_weights", { v });
  }

  // ------------------------------------------------------------------ interaction
  nodeAt(px, py) {
    for (let l = 0; l < this.nodes.length; l++) {
      for (const n of this.nodes[l]) {
        const r = n.s / 2 + 2;
        if (Math.abs(px - n.x) <= r && Math.abs(py - n.y) <= r) return { layer: l, unit: n.unit, node: n };
      }
    }
    return null;
  }

  edgeAt(px, py) {
    let best = null, bestD = 6;
    for (const e of this.edgesDrawn) {
      const dx = e.x2 - e.x1, dy = e.y2 - e.y1;
      const len2 = dx * dx + dy * dy || 1;
      const tt = Math.max(0, Math.min(1, ((px - e.x1) * dx + (py - e.y1) * dy) / len2));
      const d = Math.hypot(px - (e.x1 + tt * dx), py - (e.y1 + tt * dy));
      if (d < bestD) { bestD = d; best = e; }
    }
    return best;
  }

  onMove(e) {
    const r = this.canvas.getBoundingClientRect();
    const px = e.clientX - r.left, py = e.clientY - r.top;
    const hit = this.nodeAt(px, py);
    const thumb = hit && !hit.node.pixel ? this.thumbOf(hit.layer, hit.unit) : null;
    this.canvas.style.cursor = hit || this.edgeAt(px, py) ? "pointer" : "default";
    if (!thumb) { this.zoom.hidden = true; return; }
    const z = this.zoom, zc = z.getContext("2d");
    zc.imageSmoothingEnabled = !thumb.pixelated;
    zc.clearRect(0, 0, z.width, z.height);
    zc.drawImage(thumb, 0, 0, z.width, z.height);
    z.hidden = false;
    const left = hit.node.x + hit.node.s / 2 + 8;
    z.style.left = `${left + z.width > this.canvas.clientWidth ? hit.node.x - hit.node.s / 2 - 8 - z.width : left}px`;
    z.style.top = `${Math.max(0, Math.min(this.canvas.clientHeight - z.height, hit.node.y - z.height / 2))}px`;
  }

  onClick(e) {
    const r = this.canvas.getBoundingClientRect();
    const px = e.clientX - r.left, py = e.clientY - r.top;
    const hit = this.nodeAt(px, py);
    if (hit && hit.layer > 0) {
      this.selected = { kind: "neuron", layer: hit.layer, unit: hit.unit };
      this.onSelect?.(this.selected);
      return;
    }
    const edge = this.edgeAt(px, py);
    if (edge) {
      this.selected = { kind: "edge", layer: edge.l, row: edge.j, col: edge.i };
      this.onSelect?.(this.selected);
    }
  }

  /** Keyboard: arrows move the selection between neurons, so the inspector works without a mouse. */
  onKey(e) {
    if (!["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"].includes(e.key) || !e.altKey) return;
    e.preventDefault();
    const L = this.sizes.length - 1;
    let { layer = 1, unit = 0 } = this.selected?.kind === "neuron" ? this.selected : {};
    if (e.key === "ArrowUp") unit--;
    if (e.key === "ArrowDown") unit++;
    if (e.key === "ArrowLeft") layer--;
    if (e.key === "ArrowRight") layer++;
    layer = Math.max(1, Math.min(L, layer));
    unit = Math.max(0, Math.min(this.sizes[layer] - 1, unit));
    this.selected = { kind: "neuron", layer, unit };
    this.onSelect?.(this.selected);
  }
}

/** A small padlock (the frozen mark) with its top-left corner at (x, y), size px tall. */
function drawLock(ctx, x, y, size) {
  const w = size * 0.7, h = size * 0.55;
  ctx.save();
  ctx.lineWidth = Math.max(1.5, size / 9);
  ctx.strokeStyle = ctx.fillStyle;
  ctx.beginPath();
  ctx.arc(x + w / 2, y + h * 0.55, w * 0.3, Math.PI, 0);
  ctx.stroke();
  ctx.fillRect(x, y + h * 0.55, w, h);
  ctx.restore();
}
