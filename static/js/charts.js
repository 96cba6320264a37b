// Line charts on canvas: train/test loss and accuracy against steps or epochs (log scale,
// debiased-EMA smoothing with the raw points kept faint, hover values), and the per-layer
// gradient-norm chart. A chart redraws only when its data, options, size or hover change.

import { classColor, css, NEG, POS } from "./colors.js";
import {
  decimate, emaDebiased, extent, formatNumber, layoutXTicks, linearScale, logScale, nearestIndex,
  thinTicks,
} from "./scales.js";
import { t } from "./i18n.js";
import { beginDraw } from "./canvas.js";

const PAD = { l: 64, r: 14 };

export class LineChart {
  /**
   * canvas; opts: {yLabel(): string, yFixed: [lo, hi] | null, allowLog: bool, titleTop: bool}
   * (titleTop: the y label is written above the plot instead of turned along its axis).
   */
  constructor(canvas, opts) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.opts = opts;
    this.data = { xs: new Float64Array(0), series: [] };
    this.options = { log: false, smooth: 0, xLabel: "" };
    this.hoverX = null;
    this.dirty = true;
    canvas.addEventListener("mousemove", (e) => {
      const r = canvas.getBoundingClientRect();
      this.hoverX = e.clientX - r.left;
      this.dirty = true;
    });
    canvas.addEventListener("mouseleave", () => { this.hoverX = null; this.dirty = true; });
  }

  /** data: {xs, series: [{label, color, ys, dashed, joinGaps}]} (joinGaps: a NaN is no point
   * of this series, its line goes on across it). Options may add markers: [{x, color}]. */
  setData(data) {
    this.data = data;
    this.dirty = true;
  }

  setOptions(o) {
    Object.assign(this.options, o);
    this.dirty = true;
  }

  /** Draw if anything changed; returns whether it drew. */
  draw() {
    const { canvas, ctx } = this;
    const page = beginDraw(canvas, ctx, (resized) => resized || this.dirty);
    if (!page) return false;
    this.dirty = false;
    const { w, h, ink } = page;
    const font = `${page.fontPx}px system-ui, sans-serif`;
    ctx.font = font;
    const { xs, series } = this.data;
    const log = this.options.log && this.opts.allowLog;
    const smooth = this.options.smooth;
    const shown = series.map((s) => ({ ...s, sm: smooth > 0 ? emaDebiased(s.ys, smooth) : null }));
    const fpx = parseFloat(font) || 14;
    const lineH = fpx + 6;
    // the header: the title (titleTop) and the legend, wrapped onto as many rows as they need
    const title = this.opts.yLabel();
    const legend = [];
    let lx = 8, row = 0;
    if (this.opts.titleTop) lx += ctx.measureText(title).width + 16;
    for (const s of shown) {
      const label = s.label + (s.sm ? ` (${t("smoothed")})` : "");
      const width = 34 + ctx.measureText(label).width;
      if (lx + width > w - PAD.r && lx > 8) { row++; lx = 8; }
      legend.push({ s, label, x: lx, y: row * lineH + lineH / 2 });
      lx += width;
    }
    const y1 = (row + 1) * lineH + 4, y0 = h - (2 * fpx + 12);
    ctx.fillStyle = ink;
    const xe = extent(xs);
    let ye = this.opts.yFixed;
    if (!ye) {
      const all = [];
      for (const s of shown) for (const v of s.ys) all.push(v);
      ye = extent(all, log);
    }
    if (ye && ye[0] === ye[1]) ye = log ? [ye[0] / 2, ye[1] * 2] : [ye[0] - 0.5, ye[1] + 0.5];
    const sy = ye ? (log ? logScale(ye, [y0, y1]) : linearScale(ye, [y0, y1])) : null;
    // y ticks: no more than fit one above the other, with labels that all differ
    const yt = sy ? thinTicks(sy.ticks(4), (y0 - y1) / (fpx * 1.8) + 1) : [];
    let digits = 2; // enough digits that no two tick labels read the same
    while (digits < 7 && new Set(yt.map((v) => formatNumber(v, digits))).size < yt.length) digits++;
    const tickW = Math.max(0, ...yt.map((v) => ctx.measureText(formatNumber(v, digits)).width));
    // the left margin: tick labels, and the turned title beside them (never over them)
    const x0 = Math.max(this.opts.titleTop ? 40 : PAD.l, tickW + 12 + (this.opts.titleTop ? 0 : fpx + 8));
    const x1 = w - PAD.r;
    if (this.opts.titleTop) {
      ctx.textAlign = "left";
      ctx.textBaseline = "middle";
      ctx.font = `600 ${font}`;
      ctx.fillText(title, 8, lineH / 2);
      ctx.font = font;
    } else {
      ctx.save();
      ctx.translate(4 + fpx / 2, (y0 + y1) / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.fillText(title, 0, 0);
      ctx.restore();
    }
    this.layoutInfo = { x0, x1, y0, y1, ticks: yt.length, tickW };
    if (!xe || !sy) {
      ctx.strokeStyle = ink;
      ctx.strokeRect(x0, y1, x1 - x0, y0 - y1);
      return true;
    }
    const sx = linearScale(xe[0] === xe[1] ? [xe[0], xe[0] + 1] : xe, [x0, x1]);
    // grid and ticks
    ctx.strokeStyle = "rgb(0 0 0 / 0.12)";
    ctx.lineWidth = 1;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const v of yt) {
      const y = Math.round(sy(v)) + 0.5;
      ctx.beginPath(); ctx.moveTo(x0, y); ctx.lineTo(x1, y); ctx.stroke();
      ctx.fillText(formatNumber(v, digits), x0 - 6, y);
    }
    ctx.textBaseline = "top";
    const xt = sx.ticks(Math.max(2, Math.min(5, Math.floor((x1 - x0) / 70))));
    for (const v of xt) {
      const x = Math.round(sx(v)) + 0.5;
      ctx.beginPath(); ctx.moveTo(x, y0); ctx.lineTo(x, y0 + 4); ctx.stroke();
    }
    // labels inside the canvas at both ends ("1000", never "100(") and never on top of each other
    ctx.textAlign = "left";
    const xLabels = layoutXTicks(xt, sx, (s) => ctx.measureText(s).width, w);
    for (const l of xLabels) ctx.fillText(l.text, l.left, y0 + 6);
    this.xTickLabels = xLabels;
    ctx.textAlign = "right";
    ctx.fillText(this.options.xLabel, x1, y0 + 8 + fpx);
    ctx.strokeStyle = ink;
    ctx.strokeRect(x0, y1, x1 - x0, y0 - y1);
    // lines
    ctx.save();
    ctx.beginPath(); ctx.rect(x0, y1, x1 - x0, y0 - y1); ctx.clip();
    const px = (v) => sx(v);
    const line = (ys, color, width, alpha, dashed, joinGaps = false) => {
      const idx = decimate(xs, ys, px);
      ctx.strokeStyle = css(color, alpha);
      ctx.lineWidth = width;
      ctx.setLineDash(dashed ? [6, 4] : []);
      ctx.beginPath();
      let pen = false, drawn = 0, last = -1;
      for (const i of idx) {
        const v = ys[i];
        if (!Number.isFinite(v) || (log && v <= 0)) { if (!joinGaps) pen = false; continue; }
        const X = sx(xs[i]), Y = sy(v);
        if (pen) ctx.lineTo(X, Y); else ctx.moveTo(X, Y);
        pen = true;
        drawn++;
        last = i;
      }
      ctx.stroke();
      if (drawn === 1) { // a single point has no line: show it as a dot
        ctx.fillStyle = css(color, alpha);
        ctx.beginPath(); ctx.arc(sx(xs[last]), sy(ys[last]), 3, 0, 2 * Math.PI); ctx.fill();
      }
    };
    for (const s of shown) {
      if (s.sm) {
        line(s.ys, s.color, 1, 0.3, s.dashed, s.joinGaps);
        line(s.sm, s.color, 2.5, 1, s.dashed, s.joinGaps);
      } else line(s.ys, s.color, 2.5, 1, s.dashed, s.joinGaps);
    }
    // markers (the runs page: a recorded change at its x), a thin line in the series' colour
    for (const m of this.options.markers ?? []) {
      if (!(m.x >= xe[0] && m.x <= xe[1])) continue;
      ctx.strokeStyle = m.color ? css(m.color, 0.8) : ink;
      ctx.lineWidth = 1;
      ctx.setLineDash([3, 3]);
      ctx.beginPath(); ctx.moveTo(sx(m.x), y1); ctx.lineTo(sx(m.x), y0); ctx.stroke();
    }
    ctx.restore();
    ctx.setLineDash([]);
    // legend
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    for (const { s, label, x, y } of legend) {
      ctx.strokeStyle = css(s.color);
      ctx.lineWidth = 3;
      ctx.setLineDash(s.dashed ? [6, 4] : []);
      ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(x + 20, y); ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = ink;
      ctx.fillText(label, x + 24, y);
    }
    // hover
    this.tooltipBox = null;
    if (this.hoverX !== null && this.hoverX >= x0 && this.hoverX <= x1 && xs.length) {
      const i = nearestIndex(xs, sx.invert(this.hoverX));
      const X = sx(xs[i]);
      ctx.strokeStyle = "rgb(0 0 0 / 0.5)";
      ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(X, y1); ctx.lineTo(X, y0); ctx.stroke();
      const lines = [`${this.options.xLabel} ${formatNumber(xs[i], 6)}`];
      for (const s of shown) {
        let txt = `${s.label}: ${formatNumber(s.ys[i], 4)}`;
        if (s.sm) txt += ` (${t("smoothed")} ${formatNumber(s.sm[i], 4)})`;
        lines.push(txt);
      }
      const bw = Math.max(...lines.map((l) => ctx.measureText(l).width)) + 16;
      const lh = parseFloat(font) + 4;
      const bh = lines.length * lh + 8;
      // the box stays inside the canvas, beside the hover line when it fits
      let bx = X + bw + 12 > x1 ? X - bw - 8 : X + 8;
      bx = Math.max(1, Math.min(w - bw - 1, bx));
      const by = Math.max(1, Math.min(h - bh - 1, y1 + 8));
      ctx.fillStyle = "rgb(255 255 255 / 0.94)";
      ctx.strokeStyle = ink;
      ctx.fillRect(bx, by, bw, bh);
      ctx.strokeRect(bx, by, bw, bh);
      ctx.fillStyle = ink;
      lines.forEach((l, k) => ctx.fillText(l, bx + 8, by + 4 + lh * (k + 0.5)));
      this.tooltipBox = { x: bx, y: by, w: bw, h: bh };
    }
    return true;
  }
}

export const TRAIN_COLOR = POS;
export const TEST_COLOR = NEG;

/** Series for the loss or accuracy chart from a History. kind: "loss" | "acc"; x: "step" | "epoch". */
export function historySeries(history, kind, x) {
  const xs = history.column(x);
  return {
    xs,
    series: [
      { label: t("train"), color: TRAIN_COLOR, ys: history.column(`train_${kind}`) },
      { label: t("test"), color: TEST_COLOR, ys: history.column(`test_${kind}`), dashed: true },
    ],
  };
}

/** Keeps grad_norm per layer from the frames it is given (the last `keep` of them). */
export class GradNormLog {
  constructor(keep = 2000) {
    this.keep = keep;
    this.clear();
  }

  clear() {
    this.steps = [];
    this.norms = [];
  }

  /** Add one frame's (step, grad_norm); a step lower than the last one starts afresh (reset). */
  add(step, gradNorm) {
    const last = this.steps[this.steps.length - 1];
    if (last !== undefined && step < last) this.clear();
    if (last === step) return;
    this.steps.push(step);
    this.norms.push(Array.from(gradNorm));
    if (this.steps.length > this.keep) {
      this.steps.splice(0, this.steps.length - this.keep);
      this.norms.splice(0, this.norms.length - this.keep);
    }
  }

  series() {
    const L = this.norms.length ? this.norms[this.norms.length - 1].length : 0;
    const series = [];
    for (let l = 0; l < L; l++) {
      series.push({ label: t("layer_n", { n: l + 1 }), color: classColor(l),
        ys: Float64Array.from(this.norms, (r) => (r[l] === undefined ? NaN : r[l])) });
    }
    return { xs: Float64Array.from(this.steps), series };
  }
}
