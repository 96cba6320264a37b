// The sweeps page: start a sweep (from the session's settings when opened from a session),
// follow it (progress, ETA, cancel), the live table (sortable, a trial's run one click away),
// the metric against one swept field (log axis where the field is logarithmic, one line per
// optimizer, the spread over seeds as a band), which fields mattered, and "use the best".

import { beginDraw } from "./canvas.js";
import { CLASS_COLORS, css, sequential } from "./colors.js";
import { applyTo, errorMessage, getLanguage, initialLanguage, setLanguage, t } from "./i18n.js";
import { extent, formatNumber, linearScale, logScale, logTicks, niceTicks } from "./scales.js";
import { socketUrl } from "./socket.js";
import { EXAMPLE, numericFields, seriesFor, sortRows, trialsFor } from "./sweep-logic.js";

const $ = (s) => document.querySelector(s);
const query = new URLSearchParams(location.search);
const session = query.get("session");
const token = new URLSearchParams(location.hash.slice(1)).get("token");
let view = null;
let sortKey = "trial", sortDown = false;
let timer = null;

setLanguage(initialLanguage());
applyTo(document);
$("#sw-spec").value = JSON.stringify(EXAMPLE, null, 2);
$("#sw-session-note").hidden = !session;
$("#sw-by-val").textContent = t("sw_by_val", { metric: EXAMPLE.metric });

function refusal(body, status) {
  const d = body?.detail;
  if (Array.isArray(d) && d.length) {
    if (d[0].code === "tuning_unavailable") {
      $("#sw-unavailable").hidden = false;
      $("#sw-unavailable").textContent = t("sw_unavailable", { install: d[0].install });
    }
    return d.map((e) => (getLanguage() === "en" ? e.message : errorMessage(e))).join(" ");
  }
  return typeof d === "string" ? d : `HTTP ${status}`;
}

$("#sw-start").addEventListener("click", async () => {
  $("#sw-error").textContent = "";
  let spec;
  try { spec = JSON.parse($("#sw-spec").value); } catch (err) {
    $("#sw-error").textContent = String(err.message);
    return;
  }
  const headers = { "content-type": "application/json" };
  if (token) headers["X-Control-Token"] = token;
  const url = session && token ? `/api/sweeps?session=${encodeURIComponent(session)}` : "/api/sweeps";
  const r = await fetch(url, { method: "POST", headers, body: JSON.stringify(spec) });
  const body = await r.json().catch(() => null);
  if (!r.ok) { $("#sw-error").textContent = refusal(body, r.status); return; }
  show(body);
  clearInterval(timer);
  timer = setInterval(poll, 1000);
});

$("#sw-cancel").addEventListener("click", async () => {
  if (view) await fetch(`/api/sweeps/${view.id}`, { method: "DELETE" });
  poll();
});

$("#sw-param").addEventListener("change", () => draw());
$("#sw-map-x").addEventListener("change", () => drawMap());
$("#sw-map-y").addEventListener("change", () => drawMap());
$("#sw-use-best").addEventListener("click", () => useBest());

async function poll() {
  if (!view) return;
  const r = await fetch(`/api/sweeps/${view.id}`);
  if (!r.ok) { clearInterval(timer); return; }
  show(await r.json());
  if (view.state !== "running") clearInterval(timer);
}

function show(v) {
  const first = !view || view.id !== v.id;
  view = v;
  $("#sw-live").hidden = false;
  $("#sw-bar").value = v.total ? v.done / v.total : 0;
  $("#sw-count").textContent = t("sw_progress", { done: v.done, total: v.total });
  $("#sw-eta").textContent = v.state === "running" && v.eta_seconds !== null
    ? t("sw_eta", { s: Math.round(v.eta_seconds) }) : "";
  $("#sw-state").textContent = t("sw_state", { state: v.state }) +
    (v.error ? ` — ${errorMessage(v.error)}` : "");
  $("#sw-cancel").disabled = v.state !== "running";
  $("#sw-csv").href = `/api/sweeps/${v.id}/results.csv`;
  $("#sw-by-val").textContent = t("sw_by_val", { metric: v.metric });
  $("#sw-best").textContent = v.best ? t("sw_best", { trial: v.best.trial }) +
    ` (${v.metric} ${formatNumber(v.best[v.metric])})` : "";
  $("#sw-use-best").disabled = !(v.best && session && token);
  if (!session || !token) $("#sw-use-note").textContent = t("sw_no_session");
  if (first) {
    const sel = $("#sw-param");
    const fields = numericFields(v.params);
    sel.replaceChildren(...fields.map((n) => new Option(n, n)));
    $("#sw-map-x").replaceChildren(...fields.map((n) => new Option(n, n)));
    $("#sw-map-y").replaceChildren(...fields.map((n, i) => new Option(n, n, i === 1, i === 1)));
  }
  $("#sw-importance").replaceChildren(...Object.entries(v.importance ?? {}).map(([k, w]) => {
    const li = document.createElement("li");
    li.textContent = `${k}: ${(w * 100).toFixed(0)} %`;
    return li;
  }));
  table();
  draw();
  drawMap();
}

function table() {
  const fields = Object.keys(view.params);
  const cols = ["trial", "seed", ...fields, "val_loss", "val_accuracy", "test_accuracy", "state"];
  const head = document.createElement("tr");
  for (const c of cols) {
    const th = document.createElement("th");
    th.textContent = c + (c === sortKey ? (sortDown ? " ▼" : " ▲") : "");
    th.addEventListener("click", () => { sortDown = c === sortKey ? !sortDown : false; sortKey = c; table(); });
    head.append(th);
  }
  head.append(Object.assign(document.createElement("th"), { textContent: t("sw_run") }));
  $("#sw-table thead").replaceChildren(head);
  const best = view.best?.trial;
  $("#sw-table tbody").replaceChildren(...sortRows(view.trials, sortKey, sortDown).map((r) => {
    const tr = document.createElement("tr");
    if (r.trial === best) tr.className = "best";
    for (const c of cols) {
      const v = c in (r.params ?? {}) ? r.params[c] : r[c];
      const td = document.createElement("td");
      td.textContent = typeof v === "number" ? formatNumber(v) : v === null || v === undefined ? "–" : String(Array.isArray(v) ? JSON.stringify(v) : v);
      if (c === "state" && r.reason) td.title = r.reason;
      tr.append(td);
    }
    const td = document.createElement("td");
    if (r.run_id) {
      const a = Object.assign(document.createElement("a"), { href: `/runs#run=${encodeURIComponent(r.run_id)}`, textContent: t("sw_open_run"), target: "_blank" });
      a.className = "sw-run";
      td.append(a);
    }
    tr.append(td);
    return tr;
  }));
}

function draw() {
  const canvas = $("#sw-plot");
  const ctx = canvas.getContext("2d");
  const field = $("#sw-param").value;
  const g = beginDraw(canvas, ctx);
  if (!g || !view || !field) return;
  const { w, h, ink, fontPx } = g;
  const series = seriesFor(view.trials, field, view.metric);
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.flatMap((p) => [p.lo, p.hi]));
  const ex = extent(xs, view.params[field]?.log), ey = extent(ys);
  if (!ex || !ey) return;
  const m = { l: 60, r: 12, t: 12, b: 40 };
  const log = Boolean(view.params[field]?.log) && ex[0] > 0;
  const pad = (a, b) => (a === b ? [a * 0.9 || -1, b * 1.1 || 1] : [a, b]);
  const x = (log ? logScale : linearScale)(pad(...ex), [m.l, w - m.r]);
  const y = linearScale(pad(...ey), [h - m.b, m.t]);
  ctx.font = `${fontPx * 0.8}px sans-serif`;
  ctx.fillStyle = ink;
  ctx.textAlign = "center";
  for (const v of log ? logTicks(...x.domain) : niceTicks(...x.domain, 6)) ctx.fillText(formatNumber(v, 2), x(v), h - m.b + fontPx);
  ctx.fillText(field + (log ? " (log)" : ""), (m.l + w - m.r) / 2, h - 6);
  ctx.textAlign = "right";
  for (const v of niceTicks(...y.domain, 4)) ctx.fillText(formatNumber(v), m.l - 4, y(v) + 4);
  ctx.save(); ctx.translate(12, h / 2); ctx.rotate(-Math.PI / 2); ctx.textAlign = "center";
  ctx.fillText(view.metric, 0, 0); ctx.restore();
  series.forEach((s, k) => {
    const color = CLASS_COLORS[k % CLASS_COLORS.length];
    ctx.fillStyle = css(color, 0.18); // the spread over seeds
    ctx.beginPath();
    s.points.forEach((p, i) => (i ? ctx.lineTo(x(p.x), y(p.hi)) : ctx.moveTo(x(p.x), y(p.hi))));
    [...s.points].reverse().forEach((p) => ctx.lineTo(x(p.x), y(p.lo)));
    ctx.closePath(); ctx.fill();
    ctx.strokeStyle = css(color); ctx.lineWidth = 2;
    ctx.beginPath();
    s.points.forEach((p, i) => (i ? ctx.lineTo(x(p.x), y(p.mean)) : ctx.moveTo(x(p.x), y(p.mean))));
    ctx.stroke();
    ctx.fillStyle = css(color);
    for (const p of s.points) ctx.fillRect(x(p.x) - 2.5, y(p.mean) - 2.5, 5, 5);
    ctx.textAlign = "left";
    if (s.group) ctx.fillText(s.group, m.l + 8, m.t + fontPx * (k + 1));
  });
}

/** Two swept fields against each other: each trial a square at its two values, darker where
 *  its mean validation metric is better (log axes where the fields are logarithmic). */
function drawMap() {
  const canvas = $("#sw-map");
  const ctx = canvas.getContext("2d");
  const fx = $("#sw-map-x").value, fy = $("#sw-map-y").value;
  const g = beginDraw(canvas, ctx);
  if (!g || !view || !fx || !fy || fx === fy) return;
  const pts = trialsFor(view.trials, fx, fy, view.metric);
  const ex = extent(pts.map((p) => p.x)), ey = extent(pts.map((p) => p.y));
  const ev = extent(pts.map((p) => p.value));
  if (!ex || !ey || !ev) return;
  const { w, h, ink, fontPx } = g;
  const m = { l: 60, r: 12, t: 12, b: 40 };
  const pad = (a, b) => (a === b ? [a * 0.9 || -1, b * 1.1 || 1] : [a, b]);
  const axis = (f, e, r) => ((view.params[f]?.log && e[0] > 0) ? logScale : linearScale)(pad(...e), r);
  const x = axis(fx, ex, [m.l + 8, w - m.r - 8]), y = axis(fy, ey, [h - m.b - 8, m.t + 8]);
  const better = (v) => (ev[1] === ev[0] ? 1 : view.direction === "minimize"
    ? (ev[1] - v) / (ev[1] - ev[0]) : (v - ev[0]) / (ev[1] - ev[0]));
  for (const p of pts) {
    ctx.fillStyle = css(sequential(0.15 + 0.85 * better(p.value)));
    ctx.fillRect(x(p.x) - 7, y(p.y) - 7, 14, 14);
    ctx.strokeStyle = css([128, 128, 128], 0.6);
    ctx.strokeRect(x(p.x) - 7, y(p.y) - 7, 14, 14);
  }
  ctx.fillStyle = ink;
  ctx.font = `${fontPx * 0.8}px sans-serif`;
  ctx.textAlign = "center";
  ctx.fillText(fx, (m.l + w - m.r) / 2, h - 6);
  ctx.fillText(`${formatNumber(x.domain[0], 2)} … ${formatNumber(x.domain[1], 2)}`, (m.l + w - m.r) / 2, h - m.b + fontPx);
  ctx.save(); ctx.translate(12, h / 2); ctx.rotate(-Math.PI / 2);
  ctx.fillText(`${fy}: ${formatNumber(y.domain[0], 2)} … ${formatNumber(y.domain[1], 2)}`, 0, 0);
  ctx.restore();
}

/** The best setting as configuration fields (l1/l2 are a penalty and its rate). */
export function bestConfig(params, runConfig) {
  const out = {};
  for (const [k, v] of Object.entries(params)) {
    if (k === "l1" || k === "l2") Object.assign(out, { regularization: k, reg_rate: v });
    else if (k.startsWith("layers.")) { if (runConfig?.layers) out.layers = runConfig.layers; }
    else out[k] = v;
  }
  return out;
}

async function useBest() {
  const row = view?.trials.find((r) => r.trial === view.best?.trial);
  if (!row) return;
  let runConfig = null;
  if (row.run_id) runConfig = (await (await fetch(`/api/runs/${encodeURIComponent(row.run_id)}`)).json()).config;
  const ws = new WebSocket(socketUrl(location, session, token));
  ws.addEventListener("open", () => ws.send(JSON.stringify({ type: "set", config: bestConfig(row.params, runConfig), id: 1 })));
  ws.addEventListener("message", (m) => {
    if (typeof m.data !== "string") return;
    const ev = JSON.parse(m.data);
    if (ev.type === "ack" && ev.id === 1) { $("#sw-use-note").textContent = t("sw_used"); ws.close(); }
    if (ev.type === "error" && ev.id === 1) { $("#sw-use-note").textContent = errorMessage(ev); ws.close(); }
  });
}
