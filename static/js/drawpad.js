// A drawing pad that turns strokes into an 8×8 digits input, preprocessed as the digits data
// were: the UCI set normalized each handwritten digit into a 32×32 bitmap (the larger side
// filling the box, aspect kept, centred), then counted the inked pixels of each 4×4 block, so
// every input is a whole number 0..16. The pure functions below do exactly that to a stroke;
// DrawPad is the canvas that collects strokes with a mouse, pen or finger.
import { fitCanvas } from "./canvas.js";

export const BITMAP = 32; // side of the normalized bitmap
export const BLOCK = 4; // side of a block counted into one input (32 / 4 = 8)
export const PEN = 5; // stroke width in bitmap pixels (the digits' strokes are about 4-6 wide)

/**
 * Bounding box of the points of strokes ([[{x, y}, ...], ...]): {x0, y0, x1, y1}, or null when
 * there is no point.
 */
export function strokeBox(strokes) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const s of strokes) {
    for (const p of s) {
      if (p.x < x0) x0 = p.x;
      if (p.x > x1) x1 = p.x;
      if (p.y < y0) y0 = p.y;
      if (p.y > y1) y1 = p.y;
    }
  }
  return x0 === Infinity ? null : { x0, y0, x1, y1 };
}

/**
 * Strokes moved and scaled into a size × size box: the larger side of their bounding box spans
 * the box less half a pen at each end (so the ink touches the edges, as in the digits data),
 * the aspect ratio is kept and the other side is centred. A single dot lands in the middle.
 */
export function normalizeStrokes(strokes, size = BITMAP, pen = PEN) {
  const box = strokeBox(strokes);
  if (!box) return [];
  const w = box.x1 - box.x0, h = box.y1 - box.y0;
  const span = size - pen;
  const k = Math.max(w, h) > 0 ? span / Math.max(w, h) : 0;
  const ox = (size - w * k) / 2, oy = (size - h * k) / 2;
  return strokes.map((s) => s.map((p) => ({ x: ox + (p.x - box.x0) * k, y: oy + (p.y - box.y0) * k })));
}

function segmentDistance2(px, py, a, b) {
  const dx = b.x - a.x, dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  let t = len2 > 0 ? ((px - a.x) * dx + (py - a.y) * dy) / len2 : 0;
  t = Math.max(0, Math.min(1, t));
  const ex = a.x + t * dx - px, ey = a.y + t * dy - py;
  return ex * ex + ey * ey;
}

/**
 * A binary bitmap (Uint8Array, size × size, row-major, 1 = ink) of strokes already in bitmap
 * coordinates: a pixel is inked when its centre lies within pen / 2 of a stroke.
 */
export function rasterize(strokes, size = BITMAP, pen = PEN) {
  const out = new Uint8Array(size * size);
  const r = pen / 2, r2 = r * r;
  for (const s of strokes) {
    if (!s.length) continue;
    const segs = s.length === 1 ? [[s[0], s[0]]] : s.slice(1).map((p, i) => [s[i], p]);
    for (const [a, b] of segs) {
      const i0 = Math.max(0, Math.floor(Math.min(a.y, b.y) - r)), i1 = Math.min(size - 1, Math.ceil(Math.max(a.y, b.y) + r));
      const j0 = Math.max(0, Math.floor(Math.min(a.x, b.x) - r)), j1 = Math.min(size - 1, Math.ceil(Math.max(a.x, b.x) + r));
      for (let i = i0; i <= i1; i++) {
        for (let j = j0; j <= j1; j++) {
          if (!out[i * size + j] && segmentDistance2(j + 0.5, i + 0.5, a, b) <= r2) out[i * size + j] = 1;
        }
      }
    }
  }
  return out;
}

/**
 * Count the inked pixels of each block × block block of a size × size bitmap: an array of
 * (size / block)² whole numbers 0..block², row-major (the digits' 8 × 8 input, 0..16).
 */
export function downsample(bitmap, size = BITMAP, block = BLOCK) {
  const n = size / block;
  const out = new Array(n * n).fill(0);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      if (bitmap[i * size + j]) out[Math.floor(i / block) * n + Math.floor(j / block)]++;
    }
  }
  return out;
}

/** Strokes in any coordinates → the 64 inputs 0..16 of the digits data (all zero when empty). */
export function strokesToInput(strokes, pen = PEN) {
  return downsample(rasterize(normalizeStrokes(strokes, BITMAP, pen), BITMAP, pen));
}

/** Drawn samples [{label, pixels (64)}] → CSV text: header p0..p63,label, one row each. */
export function samplesToCsv(samples) {
  const n = samples[0]?.pixels.length ?? 64;
  const head = [...Array.from({ length: n }, (_, i) => `p${i}`), "label"].join(",");
  const quote = (s) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [head, ...samples.map((s) => [...s.pixels, quote(String(s.label))].join(","))].join("\n") + "\n";
}

/** How many samples each label has: Map label → count, in the order labels first appear. */
export function labelCounts(samples) {
  const m = new Map();
  for (const s of samples) m.set(s.label, (m.get(s.label) ?? 0) + 1);
  return m;
}

/**
 * Whether drawn samples can make a data set to train on: null when they can, else
 * {key, params} naming the problem (an i18n key): fewer than two labels, or a label with
 * fewer than minPerClass drawings (the test split needs some of each, and so does training).
 */
export function checkSamples(samples, minPerClass = 3) {
  const counts = labelCounts(samples);
  if (counts.size < 2) return { key: "dp_need_two", params: { n: counts.size } };
  for (const [label, n] of counts) {
    if (n < minPerClass) return { key: "dp_need_more", params: { label, n, min: minPerClass } };
  }
  return null;
}

/** The canvas the user draws on: collects strokes in canvas pixels and paints them. */
export class DrawPad {
  /** canvas; onChange(strokes) while drawing (at most once per animation frame) and at the end. */
  constructor(canvas, { onChange }) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.onChange = onChange;
    this.strokes = [];
    this.drawing = false;
    this.pending = false;
    this.disabled = false;
    canvas.style.touchAction = "none";
    canvas.addEventListener("pointerdown", (e) => this.down(e));
    canvas.addEventListener("pointermove", (e) => this.move(e));
    for (const ev of ["pointerup", "pointercancel", "pointerleave"]) canvas.addEventListener(ev, () => this.up());
    this.draw();
  }

  point(e) {
    const r = this.canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  down(e) {
    if (this.disabled || e.button > 0) return;
    this.canvas.setPointerCapture?.(e.pointerId);
    this.drawing = true;
    this.strokes.push([this.point(e)]);
    this.changed();
  }

  move(e) {
    if (!this.drawing) return;
    const s = this.strokes[this.strokes.length - 1];
    const p = this.point(e), q = s[s.length - 1];
    if (Math.hypot(p.x - q.x, p.y - q.y) < 1.5) return;
    s.push(p);
    this.changed();
  }

  up() {
    if (!this.drawing) return;
    this.drawing = false;
    this.changed(true);
  }

  /** Redraw, and tell the listener (throttled to animation frames unless final). */
  changed(final = false) {
    this.draw();
    if (final) { this.pending = false; this.onChange?.(this.strokes, true); return; }
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      if (!this.pending) return;
      this.pending = false;
      this.onChange?.(this.strokes, false);
    });
  }

  clear() {
    this.strokes = [];
    this.draw();
    this.onChange?.(this.strokes, true);
  }

  get empty() {
    return !this.strokes.some((s) => s.length);
  }

  draw() {
    const { canvas, ctx } = this;
    const fit = fitCanvas(canvas, ctx, true);
    if (!fit) return;
    const { w, h } = fit;
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, w, h);
    ctx.strokeStyle = "rgb(0 0 0 / 0.12)";
    ctx.lineWidth = 1;
    for (let k = 1; k < 8; k++) { // the 8 × 8 blocks of the input, as a faint guide
      ctx.beginPath();
      ctx.moveTo((k * w) / 8, 0); ctx.lineTo((k * w) / 8, h);
      ctx.moveTo(0, (k * h) / 8); ctx.lineTo(w, (k * h) / 8);
      ctx.stroke();
    }
    ctx.strokeStyle = "#111";
    ctx.fillStyle = "#111";
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.lineWidth = Math.max(8, w / 14);
    for (const s of this.strokes) {
      if (s.length === 1) {
        ctx.beginPath(); ctx.arc(s[0].x, s[0].y, ctx.lineWidth / 2, 0, 2 * Math.PI); ctx.fill();
        continue;
      }
      ctx.beginPath();
      s.forEach((p, i) => (i ? ctx.lineTo(p.x, p.y) : ctx.moveTo(p.x, p.y)));
      ctx.stroke();
    }
  }
}

/** Paint 64 values 0..16 as an 8 × 8 grey image (0 white, 16 black) into a canvas. */
export function paintInput(canvas, pixels, side = 8) {
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height;
  const cw = w / side, ch = h / side;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, w, h);
  for (let i = 0; i < side * side; i++) {
    const g = Math.round(255 - (255 * Math.min(16, Math.max(0, pixels[i] ?? 0))) / 16);
    ctx.fillStyle = `rgb(${g} ${g} ${g})`;
    ctx.fillRect((i % side) * cw, Math.floor(i / side) * ch, Math.ceil(cw), Math.ceil(ch));
  }
  ctx.strokeStyle = "#888";
  ctx.strokeRect(0.5, 0.5, w - 1, h - 1);
}
