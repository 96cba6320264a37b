// The learning-rate finder in the page: "Find learning rate" sends `lr_find` (the server runs
// the range test on the session's worker thread and puts the run back), the answer is drawn as
// loss against learning rate (log x axis: raw points faint, the smoothed curve as a line), with
// both suggestions marked; "Use it" is one `set` of lr.

import { beginDraw } from "./canvas.js";
import { NEG, POS, css } from "./colors.js";
import { extent, formatNumber, logScale, linearScale, logTicks, niceTicks, roundSig } from "./scales.js";
import { t } from "./i18n.js";

export const FINDER_STEPS = 200;

/** The y range worth drawing: from the lowest smoothed loss to a little over its start (the
 *  explosion at the end would flatten the curve that matters). */
export function lossRange(found) {
  const sm = extent(found.smoothed) ?? [0, 1];
  const first = found.smoothed.find((v) => Number.isFinite(v)) ?? sm[1];
  const hi = Math.max(first * 1.25, sm[0] + 1e-9);
  return [Math.max(0, sm[0] - 0.05 * (hi - sm[0])), hi];
}

/** A suggestion as the page shows it (two significant digits, the engine's number rounded
 *  for the button only; the set sends the same rounded value it shows). */
export function shown(lr) {
  return Number.isFinite(lr) && lr > 0 ? roundSig(lr, 2) : null;
}

export class LrFinder {
  constructor(doc, { send, getState, toast }) {
    this.doc = doc;
    this.send = send;
    this.getState = getState;
    this.toast = toast;
    this.found = null;
    this.pending = null;
    const $ = (s) => doc.querySelector(s);
    this.dialog = $("#lrfind");
    this.canvas = $("#lrfind-chart");
    this.ctx = this.canvas?.getContext("2d");
    this.note = $("#lrfind-note");
    this.useBtn = $("#lrfind-use");
    this.steepBtn = $("#lrfind-use-steep");
    this.runBtn = $("#lrfind-run");
    $("#btn-lrfind")?.addEventListener("click", () => this.open());
    wireSweepsLink(doc, getState);
    this.runBtn?.addEventListener("click", () => this.run());
    $("#lrfind-close")?.addEventListener("click", () => this.dialog.close());
    this.useBtn?.addEventListener("click", () => this.use(this.found?.lr_min_div10));
    this.steepBtn?.addEventListener("click", () => this.use(this.found?.lr_steep));
    if (!doc.querySelector('link[href="/static/css/tuning.css"]')) {
      const link = doc.createElement("link");
      link.rel = "stylesheet";
      link.href = "/static/css/tuning.css";
      doc.head.append(link);
    }
  }

  open() {
    if (!this.dialog) return;
    this.doc.querySelector("#lrfind-hint").textContent = t("lrf_hint", { n: FINDER_STEPS });
    if (!this.dialog.open) this.dialog.showModal();
    this.draw();
    if (!this.found) this.run();
  }

  run() {
    const id = this.send({ type: "lr_find", steps: FINDER_STEPS });
    if (id === null) return;
    this.pending = id;
    this.runBtn.disabled = true;
    this.runBtn.textContent = t("lrf_running");
  }

  use(lr) {
    const v = shown(lr);
    if (v === null) return;
    if (this.send({ type: "set", config: { lr: v } }) !== null) {
      this.toast?.(t("lrf_used", { lr: v }), "info", "lrfind");
      this.dialog.close();
    }
  }

  /** Socket events: the finder's answer (or its refusal). */
  onEvent(ev) {
    if (ev.type === "lr_found") {
      this.found = ev;
      this.done();
      this.draw();
    } else if (ev.type === "error" && ev.command === "lr_find") {
      this.done();
      this.note.textContent = ev.message ?? "";
    }
  }

  done() {
    this.pending = null;
    this.runBtn.disabled = false;
    this.runBtn.textContent = t("lrf_run");
  }

  relabel() {
    if (this.found) this.draw();
  }

  draw() {
    const f = this.found;
    const use = shown(f?.lr_min_div10), steep = shown(f?.lr_steep);
    this.useBtn.disabled = use === null;
    this.steepBtn.disabled = steep === null;
    this.useBtn.textContent = t("lrf_use", { lr: use ?? "–" });
    this.steepBtn.textContent = t("lrf_steep", { lr: steep ?? "–" });
    const notes = [];
    if (f?.flat) notes.push(t("lrf_flat"));
    if (f?.stopped === "exploded") notes.push(t("lrf_stopped_exploded"));
    if (f?.stopped === "diverged") notes.push(t("lrf_stopped_diverged"));
    if (f) notes.push(t("lrf_current", { lr: formatNumber(f.lr) }));
    this.note.textContent = notes.join(" ");
    if (!this.ctx || !f || !f.lrs.length) return;
    const g = beginDraw(this.canvas, this.ctx);
    if (!g) return;
    const { w, h, ink, fontPx } = g;
    const ctx = this.ctx;
    const m = { l: 56, r: 12, t: 12, b: 40 };
    const x = logScale([f.lrs[0], f.lrs[f.lrs.length - 1]], [m.l, w - m.r]);
    const y = linearScale(lossRange(f), [h - m.b, m.t]);
    const clampY = (v) => Math.max(m.t, Math.min(h - m.b, y(v)));
    ctx.font = `${fontPx * 0.8}px sans-serif`;
    ctx.fillStyle = ink;
    ctx.strokeStyle = css([128, 128, 128], 0.4);
    ctx.textAlign = "center";
    for (const v of logTicks(x.domain[0], x.domain[1])) {
      ctx.beginPath(); ctx.moveTo(x(v), m.t); ctx.lineTo(x(v), h - m.b); ctx.stroke();
      ctx.fillText(formatNumber(v, 1), x(v), h - m.b + fontPx);
    }
    ctx.textAlign = "right";
    for (const v of niceTicks(...y.domain, 4)) ctx.fillText(formatNumber(v), m.l - 4, y(v) + 4);
    ctx.textAlign = "center";
    ctx.fillText(t("lrf_axis_x"), (m.l + w - m.r) / 2, h - 6);
    // raw mini-batch losses, faint
    ctx.fillStyle = css(POS, 0.25);
    f.lrs.forEach((lr, i) => {
      if (Number.isFinite(f.losses[i])) ctx.fillRect(x(lr) - 1.5, clampY(f.losses[i]) - 1.5, 3, 3);
    });
    // the smoothed curve
    ctx.strokeStyle = css(POS);
    ctx.lineWidth = 2;
    ctx.beginPath();
    let on = false;
    f.lrs.forEach((lr, i) => {
      const v = f.smoothed[i];
      if (!Number.isFinite(v)) { on = false; return; }
      if (on) ctx.lineTo(x(lr), clampY(v)); else ctx.moveTo(x(lr), clampY(v));
      on = true;
    });
    ctx.stroke();
    ctx.lineWidth = 1;
    // both suggestions
    const mark = (lr, color, label, dy) => {
      if (!(lr > 0)) return;
      ctx.strokeStyle = color; ctx.fillStyle = color;
      ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(x(lr), m.t); ctx.lineTo(x(lr), h - m.b); ctx.stroke();
      ctx.setLineDash([]);
      ctx.textAlign = x(lr) > w / 2 ? "right" : "left";
      ctx.fillText(label, x(lr) + (x(lr) > w / 2 ? -4 : 4), m.t + fontPx * dy);
    };
    mark(f.lr_min_div10, css(NEG), t("lrf_min10", { lr: use }), 1);
    mark(f.lr_steep, css([90, 90, 90]), t("lrf_steep", { lr: steep }), 2.2);
  }
}

/** The "Sweeps" link opens the sweeps page for this session (its token stays in the fragment,
 *  never sent to the server in a URL). */
export function wireSweepsLink(doc, getState) {
  const link = doc.querySelector("#link-sweeps");
  link?.addEventListener("click", () => {
    const s = getState();
    link.href = s.sessionId ? `/sweeps?session=${encodeURIComponent(s.sessionId)}` +
      (s.role === "control" && s.token ? `#token=${encodeURIComponent(s.token)}` : "") : "/sweeps";
  });
}
