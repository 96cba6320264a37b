// Test samples of an image data set (the 8×8 digits) as a grid: each image with its predicted
// label (large) and true label (small); a red frame marks a wrong prediction. With the
// keyboard: arrows move a focus frame over the grid, Enter chooses the sample.
import { fitCanvas } from "./canvas.js";

export class DigitsView {
  constructor(canvas, { onPick, onCursor }) {
    this.canvas = canvas;
    this.onCursor = onCursor;
    this.cursor = null; // position in the shown grid (keyboard), or null
    this.perRow = 1;
    this.ctx = canvas.getContext("2d");
    this.onPick = onPick;
    this.data = null;
    this.shape = [8, 8];
    this.frame = null;
    this.errorsOnly = false;
    this.filter = null; // list of test indices (a confusion-matrix cell), or null
    this.cells = [];
    this.classNames = [];
    canvas.addEventListener("click", (e) => this.click(e));
    canvas.addEventListener("keydown", (e) => this.onKey(e));
    canvas.addEventListener("blur", () => { this.cursor = null; this.onCursor?.(); });
  }

  setInfo(info) {
    this.shape = info?.image_shape ?? [8, 8];
    this.classNames = info?.class_names ?? [];
  }

  setData(arrays) {
    this.data = arrays;
    this.filter = null;
    this.cursor = null;
  }

  setErrorsOnly(on) {
    this.errorsOnly = on;
    this.cursor = null;
  }

  setFilter(indices) {
    this.filter = indices;
    this.cursor = null;
  }

  update(frame) {
    this.frame = frame;
  }

  draw() {
    const { canvas, ctx } = this;
    const fit = fitCanvas(canvas, ctx);
    if (!fit) return false;
    const { w, h } = fit;
    ctx.clearRect(0, 0, w, h);
    const X = this.data?.test_x, Y = this.data?.test_y;
    if (!X || !Y) return false;
    const pred = this.frame?.arrays?.test_pred;
    const [rows, cols] = this.shape;
    const d = rows * cols;
    let idx = this.filter ?? Array.from({ length: Y.length }, (_, i) => i);
    if (this.errorsOnly && pred) idx = idx.filter((i) => pred[i] !== Y[i]);
    const cell = 54;
    const perRow = Math.max(1, Math.floor(w / cell));
    this.perRow = perRow;
    const maxRows = Math.max(1, Math.floor(h / cell));
    idx = idx.slice(0, perRow * maxRows);
    const style = getComputedStyle(canvas);
    const ink = style.color || "#222";
    const px = Math.floor((cell - 20) / Math.max(rows, cols));
    this.cells = [];
    let errors = 0;
    idx.forEach((i, k) => {
      const x = (k % perRow) * cell, y = Math.floor(k / perRow) * cell;
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const v = X[i * d + r * cols + c] / 16;
          const g = Math.round(255 - 255 * Math.min(1, Math.max(0, v)));
          ctx.fillStyle = `rgb(${g} ${g} ${g})`;
          ctx.fillRect(x + 2 + c * px, y + 2 + r * px, px, px);
        }
      }
      const wrong = pred && pred[i] !== Y[i];
      if (wrong) errors++;
      ctx.lineWidth = wrong ? 3 : 1;
      ctx.strokeStyle = wrong ? "#c0001a" : "#999";
      ctx.strokeRect(x + 1, y + 1, px * cols + 2, px * rows + 2);
      ctx.fillStyle = wrong ? "#c0001a" : ink;
      ctx.textAlign = "left";
      ctx.textBaseline = "top";
      ctx.font = "700 18px system-ui, sans-serif";
      const name = (k2) => this.classNames[k2] ?? String(k2);
      if (pred) ctx.fillText(name(pred[i]), x + px * cols + 6, y + 2);
      ctx.font = "12px system-ui, sans-serif";
      ctx.fillStyle = ink;
      ctx.fillText(name(Y[i]), x + px * cols + 6, y + 24);
      this.cells.push({ i, x, y, s: cell });
    });
    if (this.cursor !== null && this.cells[this.cursor]) {
      const c = this.cells[this.cursor];
      ctx.strokeStyle = "#1a56db"; ctx.lineWidth = 3;
      ctx.setLineDash([5, 3]);
      ctx.strokeRect(c.x + 0.5, c.y + 0.5, c.s - 3, c.s - 3);
      ctx.setLineDash([]);
    }
    canvas.dataset.shown = String(idx.length);
    canvas.dataset.errors = String(errors);
    return true;
  }

  /** Arrows move the focus frame over the grid; Enter chooses its sample. */
  onKey(e) {
    if (!this.cells.length || e.altKey || e.ctrlKey || e.metaKey) return;
    const move = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: this.perRow, ArrowUp: -this.perRow }[e.key];
    if (move) {
      e.preventDefault();
      const at = this.cursor ?? (move > 0 ? -move : 0);
      this.cursor = Math.max(0, Math.min(this.cells.length - 1, at + move));
      this.onCursor?.();
    } else if (e.key === "Enter" && this.cursor !== null && this.cells[this.cursor]) {
      e.preventDefault();
      this.onPick?.({ split: "test", index: this.cells[this.cursor].i });
    }
  }

  click(e) {
    const r = this.canvas.getBoundingClientRect();
    const px = e.clientX - r.left, py = e.clientY - r.top;
    const hit = this.cells.find((c) => px >= c.x && px < c.x + c.s && py >= c.y && py < c.y + c.s);
    if (hit) this.onPick?.({ split: "test", index: hit.i });
  }
}
