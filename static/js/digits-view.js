// Test samples of an image data set (the 8×8 digits) as a grid: each image with its predicted
// label (large) and true label (small); a red frame marks a wrong prediction. With the
// keyboard: arrows move a focus frame over the grid, Enter chooses the sample.
import { beginDraw } from "./canvas.js";
import { displayClass } from "./i18n.js";

const IMG = 36; // an image and its frame, px
const MAX_CELL = 120; // a cell grows for long class names up to this width, then they shorten

/** text, shortened with "…" until measure(text) ≤ maxW (at least one character and "…"). */
export function fitText(measure, text, maxW) {
  if (measure(text) <= maxW) return text;
  let n = text.length - 1;
  while (n > 1 && measure(`${text.slice(0, n)}…`) > maxW) n--;
  return `${text.slice(0, n)}…`;
}

/**
 * The layout of a grid cell for class names (as shown): the cell width and the fonts of the
 * predicted (large) and true (small) label, so the longest name fits beside the image, or,
 * past MAX_CELL, is shortened by fitText. measure(text, font) → width in px.
 */
export function labelLayout(names, measure) {
  const big = (px) => `700 ${px}px system-ui, sans-serif`;
  let size = 18;
  const widest = (font) => Math.max(0, ...names.map((n) => measure(n, font)));
  const LEFT = IMG + 2; // labels start right of the image; 2 px spare on the right
  while (size > 12 && LEFT + widest(big(size)) + 2 > MAX_CELL) size -= 2;
  const cell = Math.max(54, Math.min(MAX_CELL, Math.ceil(LEFT + widest(big(size)) + 2)));
  return { cell, room: cell - LEFT - 2, big: big(size), small: "12px system-ui, sans-serif", bigPx: size };
}

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
    const page = beginDraw(canvas, ctx);
    if (!page) return false;
    const { w, h, ink } = page;
    const X = this.data?.test_x, Y = this.data?.test_y;
    if (!X || !Y) return false;
    const pred = this.frame?.arrays?.test_pred;
    const [rows, cols] = this.shape;
    const d = rows * cols;
    let idx = this.filter ?? Array.from({ length: Y.length }, (_, i) => i);
    if (this.errorsOnly && pred) idx = idx.filter((i) => pred[i] !== Y[i]);
    const names = this.classNames.map((c) => displayClass(c));
    const measure = (text, font) => { ctx.font = font; return ctx.measureText(text).width; };
    const lay = labelLayout(names, measure);
    const cell = lay.cell;
    const perRow = Math.max(1, Math.floor(w / cell));
    this.perRow = perRow;
    const ROW = 54; // cell height: the image and its two labels
    const maxRows = Math.max(1, Math.floor(h / ROW));
    idx = idx.slice(0, perRow * maxRows);
    const px = Math.floor((IMG - 4) / Math.max(rows, cols));
    this.cells = [];
    let errors = 0;
    idx.forEach((i, k) => {
      const x = (k % perRow) * cell, y = Math.floor(k / perRow) * ROW;
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
      const name = (k2, font) => fitText((s2) => measure(s2, font), names[k2] ?? String(k2), lay.room);
      if (pred) { const s2 = name(pred[i], lay.big); ctx.font = lay.big; ctx.fillText(s2, x + px * cols + 6, y + 2); }
      const s3 = name(Y[i], lay.small);
      ctx.font = lay.small;
      ctx.fillStyle = ink;
      ctx.fillText(s3, x + px * cols + 6, y + 6 + lay.bigPx);
      this.cells.push({ i, x, y, s: cell, h: ROW });
    });
    if (this.cursor !== null && this.cells[this.cursor]) {
      const c = this.cells[this.cursor];
      ctx.strokeStyle = "#1a56db"; ctx.lineWidth = 3;
      ctx.setLineDash([5, 3]);
      ctx.strokeRect(c.x + 0.5, c.y + 0.5, c.s - 3, c.h - 3);
      ctx.setLineDash([]);
    }
    canvas.dataset.shown = String(idx.length);
    canvas.dataset.cell = String(cell);
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
    const hit = this.cells.find((c) => px >= c.x && px < c.x + c.s && py >= c.y && py < c.y + c.h);
    if (hit) this.onPick?.({ split: "test", index: hit.i });
  }
}
