// The data on the input plane [-6, 6]²: the network's output as a background (class
// probability or regression value, from grid_output), the training points over it and, when
// asked, the test points (drawn with a dark ring). "Discretize" shows the decided class only.
// Regression points are coloured by their value on the background's scale, with a dark ring.
// With the keyboard: arrows move a cursor from point to point, Enter chooses it.

import { classColor, css, diverging, paintClasses, paintDiverging } from "./colors.js";
import { linearScale } from "./scales.js";
import { beginDraw } from "./canvas.js";

const DOMAIN = 6;

export class SurfaceView {
  constructor(canvas, { onPick, onCursor }) {
    this.canvas = canvas;
    this.onCursor = onCursor;
    this.ctx = canvas.getContext("2d");
    this.onPick = onPick;
    this.showTest = false;
    this.discrete = false;
    this.data = null;
    this.frame = null;
    this.task = "classification";
    this.highlight = null; // Set of test indices
    this.picked = null; // {split, index}
    this.cursor = null; // keyboard cursor: {split, index}
    this.yHalf = 1; // regression: the colour scale's half range
    this.off = document.createElement("canvas");
    canvas.addEventListener("click", (e) => this.click(e));
    canvas.addEventListener("keydown", (e) => this.onKey(e));
    canvas.addEventListener("blur", () => { this.cursor = null; this.onCursor?.(); });
  }

  setInfo(info) {
    this.task = info?.task ?? "classification";
    // the server sends `classes` as a count and `class_names` as a list
    const k = typeof info?.classes === "number" ? info.classes : info?.class_names?.length;
    this.nClasses = info?.n_classes ?? k ?? 2;
  }

  /** data frame arrays: train_x (N, 2), train_y, test_x, test_y. */
  setData(arrays) {
    this.data = arrays;
    this.picked = null;
    this.cursor = null;
    this.highlight = null;
  }

  setOptions({ showTest, discrete }) {
    if (showTest !== undefined) this.showTest = showTest;
    if (discrete !== undefined) this.discrete = discrete;
  }

  setHighlight(indices) {
    this.highlight = indices ? new Set(indices) : null;
    if (indices) this.showTest = true;
  }

  setPicked(p) {
    this.picked = p;
  }

  update(frame) {
    this.frame = frame;
  }

  scales() {
    const s = Math.min(this.canvas.clientWidth, this.canvas.clientHeight);
    return { s, sx: linearScale([-DOMAIN, DOMAIN], [0, s]), sy: linearScale([-DOMAIN, DOMAIN], [s, 0]) };
  }

  valueColor(y) {
    if (this.task === "regression") return diverging(y / this.yHalf);
    if (this.nClasses <= 2) return diverging(y > 0.5 ? 1 : -1);
    return classColor(y);
  }

  draw() {
    const { canvas, ctx } = this;
    const page = beginDraw(canvas, ctx);
    if (!page) return false;
    const { w, h } = page;
    const { s, sx, sy } = this.scales();
    const go = this.frame?.arrays?.grid_output;
    if (this.task === "regression") { // points and background share one colour scale
      let m = 1;
      if (go) for (const v of go) if (Math.abs(v) > m) m = Math.abs(v);
      for (const Y of [this.data?.train_y, this.data?.test_y]) if (Y) for (const v of Y) if (Math.abs(v) > m) m = Math.abs(v);
      this.yHalf = m;
    }
    if (go) {
      const R = go.shape[0], C = go.shape[1];
      if (this.off.width !== C || this.off.height !== R) {
        this.off.width = C; this.off.height = R;
        this.img = this.off.getContext("2d").createImageData(C, R);
      }
      if (go.shape.length === 3) paintClasses(go, go.shape[2], this.img.data, { discrete: this.discrete });
      else if (this.task === "regression") {
        paintDiverging(go, this.img.data, { half: this.yHalf, discrete: this.discrete });
      } else paintDiverging(go, this.img.data, { mid: 0.5, half: 0.5, discrete: this.discrete });
      this.off.getContext("2d").putImageData(this.img, 0, 0);
      ctx.imageSmoothingEnabled = !this.discrete;
      ctx.globalAlpha = 0.85;
      ctx.drawImage(this.off, 0, 0, s, s);
      ctx.globalAlpha = 1;
    } else {
      ctx.fillStyle = "#eef0f1";
      ctx.fillRect(0, 0, s, s);
    }
    ctx.strokeStyle = "#444";
    ctx.lineWidth = 1;
    ctx.strokeRect(0.5, 0.5, s - 1, s - 1);
    // axes at 0
    ctx.strokeStyle = "rgb(0 0 0 / 0.25)";
    ctx.beginPath(); ctx.moveTo(sx(0), 0); ctx.lineTo(sx(0), s); ctx.moveTo(0, sy(0)); ctx.lineTo(s, sy(0)); ctx.stroke();
    if (!this.data?.train_x) return true;
    const r = Math.max(3, s / 110);
    const regression = this.task === "regression";
    const colours = new Set(); // the training points' colours, for tests (data-point-colours)
    const drawSet = (X, Y, test) => {
      for (let i = 0; i < Y.length; i++) {
        const px = sx(X[2 * i]), py = sy(X[2 * i + 1]);
        const hl = test && this.highlight?.has(i);
        const fill = css(this.valueColor(Y[i]));
        if (!test) colours.add(fill);
        ctx.fillStyle = fill;
        ctx.beginPath(); ctx.arc(px, py, hl ? r * 1.8 : r, 0, 2 * Math.PI); ctx.fill();
        // training: white ring (dark for regression, whose values near 0 are almost white);
        // test: a thicker dark ring
        ctx.lineWidth = test ? 2.5 : regression ? 1.25 : 1;
        ctx.strokeStyle = test ? "#000" : regression ? "#333" : "#fff";
        ctx.stroke();
      }
    };
    if (!this.highlight) drawSet(this.data.train_x, this.data.train_y, false);
    if (this.showTest && this.data.test_x) drawSet(this.data.test_x, this.data.test_y, true);
    const ring = (p, dashed) => {
      const X = p.split === "test" ? this.data.test_x : this.data.train_x;
      const i = p.index;
      if (!X || 2 * i + 1 >= X.length) return;
      ctx.strokeStyle = "#000"; ctx.lineWidth = 3;
      ctx.setLineDash(dashed ? [4, 3] : []);
      ctx.beginPath(); ctx.arc(sx(X[2 * i]), sy(X[2 * i + 1]), r * (dashed ? 3 : 2.4), 0, 2 * Math.PI); ctx.stroke();
      ctx.setLineDash([]);
    };
    if (this.picked) ring(this.picked, false);
    if (this.cursor) ring(this.cursor, true);
    this.canvas.dataset.points = String(this.data.train_y.length + (this.showTest ? this.data.test_y.length : 0));
    this.canvas.dataset.pointColours = String(colours.size);
    return true;
  }

  /** Arrows move the cursor to the next or previous point, Enter chooses it for the inspector. */
  onKey(e) {
    if (!this.data?.train_x || e.altKey || e.ctrlKey || e.metaKey) return;
    const test = this.showTest && this.highlight;
    const split = test ? "test" : "train";
    const n = (test ? this.data.test_y : this.data.train_y).length;
    if (!n) return;
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[e.key];
    if (step) {
      e.preventDefault();
      const from = this.cursor ?? this.picked ?? { split, index: step > 0 ? -1 : 0 };
      this.cursor = { split, index: (from.index + step + n) % n };
      this.onCursor?.();
    } else if (e.key === "Enter" && this.cursor) {
      e.preventDefault();
      this.picked = this.cursor;
      this.onPick?.(this.cursor);
    }
  }

  click(e) {
    if (!this.data?.train_x) return;
    const rect = this.canvas.getBoundingClientRect();
    const px = e.clientX - rect.left, py = e.clientY - rect.top;
    const { sx, sy } = this.scales();
    let best = null, bestD = 14;
    const scan = (X, split) => {
      if (!X) return;
      for (let i = 0; i < X.length / 2; i++) {
        const d = Math.hypot(sx(X[2 * i]) - px, sy(X[2 * i + 1]) - py);
        if (d < bestD) { bestD = d; best = { split, index: i }; }
      }
    };
    scan(this.data.train_x, "train");
    if (this.showTest) scan(this.data.test_x, "test");
    if (best) { this.picked = best; this.onPick?.(best); }
  }
}
