// Wires the page: the session (created at /, with the configuration from a shared link), the
// socket, the views and the controls; draws only the newest frame, once per animation frame.

import { Socket, socketUrl } from "./socket.js";
import { decodeArrays, decodeHeader } from "./frame.js";
import { History } from "./history.js";
import { NetworkView } from "./network-view.js";
import { SurfaceView } from "./surface-view.js";
import { DigitsView } from "./digits-view.js";
import { GradNormLog, LineChart, historySeries } from "./charts.js";
import { ConfusionView } from "./confusion-view.js";
import { Inspector } from "./inspector.js";
import { Controls } from "./controls.js";
import { Teaching } from "./teaching.js";
import { FinetuneView } from "./finetune-view.js";
import { formatCount, formatNumber } from "./scales.js";
import { initialLanguage, onLanguageChange, setLanguage, t, getLanguage } from "./i18n.js";

const $ = (s) => document.querySelector(s);
const body = document.body;

const state = {
  sessionId: body.dataset.session || null,
  token: null,
  role: body.dataset.role || "control",
  config: null, info: null, running: false, speed: null,
  step: 0, epoch: 0, diverged: null,
  data: null, latest: null, drawnLatest: null, frame: null,
  history: new History(), gradLog: new GradNormLog(),
  framesIn: 0, framesDrawn: 0, ticks: 0, drawMs: 0,
  connected: false, lastDivergedEvent: null, lastRebuiltAt: 0,
};

// ------------------------------------------------------------------ small UI helpers
/** A short message at the lower right; a toast with the same key replaces the shown one. */
function toast(message, kind = "info", key = null) {
  let box = key ? $("#toasts").querySelector(`[data-key="${key}"]`) : null;
  if (!box) {
    box = document.createElement("div");
    if (key) box.dataset.key = key;
    $("#toasts").append(box);
  }
  box.className = `toast ${kind}`;
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  box.textContent = message;
  clearTimeout(box.timer);
  box.timer = setTimeout(() => box.remove(), kind === "error" ? 9000 : 5000);
}

function setBanner(id, text) {
  const el = $(id);
  el.hidden = !text;
  el.textContent = text || "";
  measureTopbar();
}

// ------------------------------------------------------------------ views
let socket = null;
const send = (cmd) => {
  const id = socket ? socket.send(cmd) : null;
  if (id === null) toast(t("not_connected"), "error", "offline"); // said, never dropped silently
  return id;
};

const network = new NetworkView($("#network"), $("#net-zoom"), {
  onSelect: (target) => { inspector.select(target); teaching.onSelect(target); uiDirty = true; },
});
const redraw = () => { uiDirty = true; };
const surface = new SurfaceView($("#surface"), { onPick: (p) => pickPoint(p), onCursor: redraw });
const digits = new DigitsView($("#digits"), { onPick: (p) => pickPoint(p), onCursor: redraw });
const lossChart = new LineChart($("#chart-loss"), { yLabel: () => t("loss_axis"), allowLog: true });
const accChart = new LineChart($("#chart-acc"), { yLabel: () => t("acc_axis"), yFixed: [0, 1], allowLog: false });
const gradChart = new LineChart($("#chart-grad"), { yLabel: () => t("grad_axis"), allowLog: true, titleTop: true });
gradChart.setOptions({ log: true });
const confusion = new ConfusionView($("#confusion"), {
  onSelectCell: (cell) => {
    if (state.info?.image_shape) {
      digits.setFilter(cell ? cell.indices : null);
      $("#btn-clear-filter").hidden = !cell;
    } else {
      surface.setHighlight(cell ? cell.indices : null);
      $("#toggle-test").checked = surface.showTest;
    }
    uiDirty = true;
  },
});
const inspector = new Inspector($("#inspector-body"), { send });
const controls = new Controls($("#controls"), {
  send, getState: () => ({ step: state.step, running: state.running }),
});
const teaching = new Teaching({ $, network, send, getState: () => state, onFocus: (names, scroll) => applyFocus(names, scroll) });
const finetune = new FinetuneView($("#finetune"), {
  send, session: () => ({ id: state.sessionId, token: state.token, role: state.role }),
  onDrawInput: (pixels) => { // the drawn digit shown as the network's input
    if (!state.info?.image_shape) return;
    network.setInputImage(pixels ?? state.data?.train_x.subarray(0, state.info.dims) ?? null);
    uiDirty = true;
  },
});
let uiDirty = true;
let chartVersion = -1;

function pickPoint(p) {
  inspector.setPoint(p);
  surface.setPicked(p);
  if (state.info?.image_shape && state.data) {
    const X = p.split === "test" ? state.data.test_x : state.data.train_x;
    const d = state.info.dims;
    network.setInputImage(X.subarray(p.index * d, (p.index + 1) * d));
  }
  uiDirty = true;
}

function applyInfo() {
  const info = state.info, cfg = state.config;
  network.setInfo(info, cfg);
  surface.setInfo(info);
  digits.setInfo(info);
  confusion.setInfo(info);
  inspector.setContext(info, cfg);
  const image = Boolean(info?.image_shape);
  const planar = !image && info?.dims === 2;
  $("#surface-panel").hidden = !planar;
  $("#digits-panel").hidden = !image;
  body.dataset.task = info?.task ?? "";
  const regression = info?.task === "regression";
  $("#chart-acc").hidden = regression;
  $("#toggle-normalize").closest("label").hidden = regression;
  // the fine-tuning panel opens by itself for a pretrained model or the digits
  if (cfg?.model || image) showFinetune(true);
  state.gradLog.clear();
  uiDirty = true;
}

function setData(arrays) {
  state.data = arrays;
  surface.setData(arrays);
  digits.setData(arrays);
  confusion.setData(arrays);
  inspector.setData(arrays);
  teaching.setData(arrays);
  $("#btn-clear-filter").hidden = true;
  if (state.info?.image_shape) {
    const d = state.info.dims;
    network.setInputImage(arrays.train_x.subarray(0, d));
  }
  uiDirty = true;
}

// ------------------------------------------------------------------ race sessions
/**
 * In a race the counters, the network, the confusion matrix, the digits grid and the gradient
 * chart show runner 1's numbers (the frame's plain arrays and metrics): each says so.
 */
function showRunnerTags() {
  const r0 = state.race?.runners?.[0];
  const text = r0 ? t("race_runner_tag", { k: 1, label: r0.label }) : "";
  for (const el of document.querySelectorAll("[data-runner-tag]")) {
    el.hidden = !text;
    el.textContent = text;
    el.title = text ? t("race_runner_tag_title", { k: 1 }) : "";
  }
  measureTopbar();
}

// ------------------------------------------------------------------ lesson focus
/** A lesson's `focus` names → the views they mean (in a race the race panel's own). */
function focusTarget(name) {
  const race = body.dataset.race === "on";
  const sel = {
    surface: race ? "#race-surfaces" : "#surface-panel", digits: "#digits-panel", network: ".net-wrap",
    loss: race ? "#race-chart" : "#chart-loss", accuracy: "#chart-acc", grad_norm: "#grad-panel",
    gradients: "#grad-panel", confusion: "#eval-panel",
  }[name];
  return sel ? $(sel) : null;
}

/**
 * Bring a lesson's views forward: marked, shown even in presenter mode (where the secondary
 * panels are otherwise hidden), and the first of them scrolled into view when `scroll`. The
 * lesson's run arrives just after the lesson (a config event, which may show or hide panels),
 * so the views are chosen once it is in (or shortly after, whichever comes first).
 */
let focusNames = [], focusScroll = false, focusTimer = null;
function applyFocus(names, scroll) {
  focusNames = [...(names ?? [])];
  focusScroll = focusScroll || Boolean(scroll);
  clearTimeout(focusTimer);
  focusTimer = setTimeout(showFocus, 400);
}

function showFocus() {
  for (const el of document.querySelectorAll(".focused")) el.classList.remove("focused");
  const els = focusNames.map(focusTarget).filter((el) => el && !el.hidden && !el.closest("[hidden]"));
  for (const el of els) el.classList.add("focused");
  body.dataset.focus = focusNames.join(" ");
  uiDirty = true;
  for (const c of [lossChart, accChart, gradChart]) c.dirty = true;
  if (focusScroll && els.length) {
    focusScroll = false;
    requestAnimationFrame(() => {
      const shown = els.filter((el) => el.offsetParent !== null);
      // the last first, then the first: both in view where they fit together
      shown[shown.length - 1]?.scrollIntoView({ block: "nearest" });
      shown[0]?.scrollIntoView({ block: "nearest" });
    });
  }
}

// ------------------------------------------------------------------ run state
function showRunState() {
  const running = state.running;
  const btn = $("#btn-play");
  btn.setAttribute("aria-pressed", String(running));
  const label = $("#play-label");
  label.dataset.i18n = running ? "pause" : "play";
  label.textContent = t(label.dataset.i18n);
  inspector.setRunning(running, state.role);
  controls.setSpeed(state.speed);
}

function showCounters() {
  $("#epoch").textContent = formatCount(state.epoch, 6);
  $("#step").textContent = formatCount(state.step);
  const m = state.frame?.header?.metrics;
  $("#m-train-loss").textContent = m ? formatNumber(m.train_loss, 3) : "–";
  $("#m-test-loss").textContent = m ? formatNumber(m.test_loss, 3) : "–";
  $("#m-test-acc").textContent = m && m.test_acc !== null && Number.isFinite(m.test_acc)
    ? `${formatNumber(100 * m.test_acc, 3)} %` : "–";
}

function divergedText(d) {
  if (!d) return "";
  const q = d.quantity ?? "loss";
  const what = t(`what_${q}`) === `what_${q}` ? t("what_loss") : t(`what_${q}`);
  const nan = /nan/i.test(String(d.value ?? "")) || /\bNaN\b/.test(d.message ?? "");
  return t("diverged", { what, kind: t(nan ? "kind_nan" : "kind_inf"), step: d.step ?? "?",
    lr: formatNumber(state.config?.lr ?? NaN, 3) });
}

function showDiverged() {
  setBanner("#banner-diverged", divergedText(state.diverged));
  body.classList.toggle("diverged", Boolean(state.diverged));
}

// ------------------------------------------------------------------ socket events
function onEvent(ev) {
  teaching.onEvent(ev);
  finetune.onEvent(ev);
  switch (ev.type) {
    case "hello": {
      state.role = ev.role ?? state.role;
      state.config = ev.config;
      state.info = ev.info;
      state.running = ev.running;
      state.speed = ev.speed;
      state.step = ev.step ?? 0;
      state.epoch = ev.epoch ?? 0;
      state.diverged = ev.diverged || null;
      state.history.reset(ev.history.columns, ev.history.rows);
      state.race = ev.race ?? null;
      state.until = ev.until ?? null;
      controls.setRole(state.role);
      controls.setConfig(ev.config, ev.info);
      applyInfo();
      showRunnerTags();
      showRunState();
      showDiverged();
      showCounters();
      break;
    }
    case "state":
      if ("until" in ev) state.until = ev.until ?? null;
      state.running = ev.running;
      state.speed = ev.speed;
      state.step = ev.step;
      state.epoch = ev.epoch;
      if (ev.step === 0 && state.diverged) { state.diverged = null; showDiverged(); }
      showRunState();
      showCounters();
      break;
    case "config": {
      const sizesChanged = JSON.stringify(ev.info?.sizes) !== JSON.stringify(state.info?.sizes);
      state.config = ev.config;
      state.info = ev.info ?? state.info;
      if ("race" in ev) { state.race = ev.race ?? null; showRunnerTags(); }
      controls.setConfig(ev.config, state.info);
      if (ev.rebuilt || sizesChanged || (ev.changed ?? []).includes("features")) applyInfo();
      else inspector.setContext(state.info, state.config);
      if (focusNames.length) { clearTimeout(focusTimer); showFocus(); }
      if (ev.rebuilt) {
        state.diverged = null;
        showDiverged();
        state.lastRebuiltAt = performance.now();
        toast(t(ev.rebuilt === "data" ? "rebuilt_data" : "rebuilt_network"), "info", "rebuilt");
      }
      break;
    }
    case "history":
      if (!state.history.put(ev.from, ev.rows)) socket?.resync();
      break;
    case "diverged":
      state.diverged = ev;
      state.running = false;
      showRunState();
      showDiverged();
      break;
    case "notice":
      onNotice(ev);
      break;
    case "error":
      if (ev.command === "set_weight") inspector.showError(ev.message);
      else if (refusedAfterDivergence(ev)) toast(t("refused_diverged"), "error", "diverged");
      else if (!finetune.showError(ev) && !controls.showError(ev)) toast(t("error_prefix", { msg: ev.message }), "error");
      break;
    case "ack":
      controls.ack(ev.id);
      break;
    default:
      break;
  }
}

/** The server's notices that repeat what a rebuild toast already says (in the page's words). */
const REBUILD_NOTICE = /^(changing .* rebuilt the (run|race)|now training on the uploaded|now starting from the uploaded)/;

/**
 * A notice: one toast per kind, so repeated rebuilds (variants clicked in a row) replace each
 * other instead of stacking; the pauses the page knows (until, idle) in its own words.
 */
function onNotice(ev) {
  const msg = ev.message ?? "";
  const step = formatCount(ev.step ?? state.step);
  if (ev.reason === "until") toast(t("until_paused", { n: step }), "info", "until");
  else if (ev.reason === "idle") toast(t("idle_paused", { n: step }), "info", "idle");
  else if (REBUILD_NOTICE.test(msg)) {
    // the config event just before has said it in the page's language: one toast, not two
    if (!$("#toasts").querySelector('[data-key="rebuilt"]')) {
      toast(t(/new data|uploaded CSV/.test(msg) ? "rebuilt_data" : "rebuilt_network"), "info", "rebuilt");
    }
  } else toast(msg);
}

/** A command the server refused because the run diverged (the page says so in its language). */
function refusedAfterDivergence(ev) {
  const runCommand = ["play", "step", "epoch"].includes(ev.command);
  return !ev.field && ((runCommand && state.diverged) || /^the run diverged and stopped/.test(ev.message ?? ""));
}

function onFrame(buffer) {
  let head;
  try { head = decodeHeader(buffer); } catch (err) { console.warn(String(err)); return; }
  const { header, dataOffset } = head;
  if (header.kind === "data") {
    setData(decodeArrays(buffer, header, dataOffset));
    return;
  }
  state.framesIn++;
  if (header.points && header.history_from !== undefined) {
    if (!state.history.put(header.history_from, header.points)) socket?.resync();
  }
  state.step = header.step;
  state.epoch = header.epoch;
  if (header.running !== undefined) state.running = header.running;
  state.latest = { buffer, header, dataOffset }; // newest wins; older ones are never drawn
}

/** Controls that send commands are usable only by the presenter, and only while connected. */
function enableControls() {
  const off = state.role === "viewer" || !state.connected;
  for (const id of ["#btn-play", "#btn-step", "#btn-reset"]) $(id).disabled = off;
  controls.setConnected(state.connected);
}

function onStatus(s) {
  if (s.state === "closed") {
    state.connected = false;
    enableControls();
    body.classList.add("offline");
    setBanner("#banner-conn", t("conn_lost", { s: (s.retryIn / 1000).toFixed(1) }));
    if (s.attempt >= 3) checkSessionGone();
  } else if (s.state === "open") {
    state.connected = true;
    enableControls();
    body.classList.remove("offline");
    $("#toasts").querySelector('[data-key="offline"]')?.remove();
    if (s.recovered) {
      setBanner("#banner-conn", t("conn_back"));
      state.recoveries = (state.recoveries ?? 0) + 1;
      setTimeout(() => { if (state.connected) setBanner("#banner-conn", ""); }, 4000);
    } else setBanner("#banner-conn", "");
  }
}

async function checkSessionGone() {
  try {
    const r = await fetch(`/api/sessions/${encodeURIComponent(state.sessionId)}`);
    if (r.status === 404) onGone();
  } catch { /* the server is down: keep retrying */ }
}

function onGone() {
  socket?.close();
  setBanner("#banner-conn", t("conn_failed_session"));
}

// ------------------------------------------------------------------ drawing
function tick() {
  requestAnimationFrame(tick);
  state.ticks++;
  const t0 = performance.now();
  let fresh = false;
  if (state.latest && state.latest !== state.drawnLatest) {
    const { buffer, header, dataOffset } = state.latest;
    state.drawnLatest = state.latest;
    try {
      state.frame = { header, arrays: decodeArrays(buffer, header, dataOffset) };
    } catch (err) {
      console.warn(String(err));
      return;
    }
    for (const v of [network, surface, digits, confusion, inspector, teaching, finetune]) v.update(state.frame);
    const gn = state.frame.arrays.grad_norm;
    if (gn) state.gradLog.add(header.step, gn);
    fresh = true;
    showCounters();
  }
  const teachAnim = teaching.draw(state.history, fresh);
  if (fresh || uiDirty || teachAnim) {
    network.draw();
    $("#net-legend").textContent = network.legendText();
    if (!$("#surface-panel").hidden) surface.draw();
    if (!$("#digits-panel").hidden) digits.draw();
    confusion.draw();
    gradChart.setData(state.gradLog.series());
    uiDirty = false;
  }
  inspector.draw();
  if (state.history.version !== chartVersion) {
    chartVersion = state.history.version;
    const x = $("#chart-x").value;
    lossChart.setData(historySeries(state.history, "loss", x));
    accChart.setData(historySeries(state.history, "acc", x));
  }
  lossChart.draw();
  if (state.info?.task !== "regression") accChart.draw();
  gradChart.draw();
  finetune.draw();
  if (fresh) {
    state.framesDrawn++;
    state.drawMs += performance.now() - t0;
  }
}

// ------------------------------------------------------------------ page controls
function bindPage() {
  $("#btn-play").addEventListener("click", () => send({ type: state.running ? "pause" : "play" }));
  $("#btn-step").addEventListener("click", () => send({ type: "step", n: 1 }));
  $("#btn-reset").addEventListener("click", () => send({ type: "reset" }));
  $("#toggle-grad").addEventListener("change", (e) => { network.setGradients(e.target.checked); uiDirty = true; });
  $("#toggle-test").addEventListener("change", (e) => { surface.setOptions({ showTest: e.target.checked }); if (!e.target.checked) surface.setHighlight(null); uiDirty = true; });
  $("#toggle-discrete").addEventListener("change", (e) => { surface.setOptions({ discrete: e.target.checked }); uiDirty = true; });
  $("#toggle-errors").addEventListener("change", (e) => { digits.setErrorsOnly(e.target.checked); uiDirty = true; });
  $("#btn-clear-filter").addEventListener("click", () => { digits.setFilter(null); $("#btn-clear-filter").hidden = true; uiDirty = true; });
  $("#toggle-normalize").addEventListener("change", (e) => { confusion.setNormalize(e.target.checked); uiDirty = true; });
  const chartOpts = () => {
    const x = $("#chart-x").value;
    const smooth = Number($("#chart-smooth").value);
    $("#o-smooth").textContent = formatNumber(smooth, 2);
    for (const c of [lossChart, accChart]) c.setOptions({ log: $("#chart-log").checked, smooth, xLabel: t(x === "step" ? "steps" : "epochs") });
    gradChart.setOptions({ xLabel: t("steps") }); // here, so it follows the language from the start
    chartVersion = -1;
  };
  for (const id of ["#chart-x", "#chart-log", "#chart-smooth"]) $(id).addEventListener("input", chartOpts);
  chartOpts();
  $("#lang").addEventListener("change", (e) => setLanguage(e.target.value));
  $("#btn-presenter").addEventListener("click", togglePresenter);
  $("#btn-finetune").addEventListener("click", () => {
    const on = $("#finetune").hidden;
    showFinetune(on);
    if (on) $("#finetune").scrollIntoView({ behavior: "smooth", block: "start" });
  });
  $("#btn-help").addEventListener("click", () => $("#help").showModal());
  $("#btn-share").addEventListener("click", showShare);
  $("#btn-share-close").addEventListener("click", () => { $("#share-box").hidden = true; });
  document.addEventListener("keydown", onKey);
  if (typeof ResizeObserver === "function") {
    const ro = new ResizeObserver(() => measureTopbar());
    ro.observe($(".topbar")); // it wraps differently with the runner tag or the language
  }
  window.addEventListener("resize", () => { measureTopbar(); uiDirty = true; for (const c of [lossChart, accChart, gradChart]) c.dirty = true; });
  onLanguageChange(() => {
    $("#lang").value = getLanguage();
    showRunState();
    showDiverged();
    controls.relabel();
    teaching.relabel();
    finetune.relabel();
    chartOpts();
    showRunnerTags();
    inspector.dirty = true;
    if (inspector.target) inspector.select(inspector.target);
    uiDirty = true;
  });
}

/** The top bar's height as --topbar-h: presenter mode sizes its panels to the rest of the window. */
function measureTopbar() {
  body.style.setProperty("--topbar-h", `${$(".topbar").offsetHeight + $("#banners").offsetHeight}px`);
}

function showFinetune(on) {
  $("#finetune").hidden = !on;
  $("#btn-finetune").setAttribute("aria-pressed", String(on));
}

function togglePresenter() {
  const on = body.classList.toggle("presenter");
  $("#btn-presenter").setAttribute("aria-pressed", String(on));
  // one projected screen: the curves go under the output plot, beside the network
  const charts = $(".charts");
  if (on) $(".panel.right").insertBefore(charts, $("#eval-panel"));
  else $(".panel.center").append(charts);
  measureTopbar();
  uiDirty = true;
  for (const c of [lossChart, accChart, gradChart]) c.dirty = true;
}

function onKey(e) {
  if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return; // a view used the key

  const tag = e.target.tagName;
  const typing = tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA";
  if (typing) return;
  if (e.key === " " && tag === "BUTTON") return; // the button itself acts on space
  if ($("#help").open && e.key !== "?") return;
  if (teaching.onKey(e)) return;
  const control = state.role === "control";
  if (e.key === " ") { e.preventDefault(); if (control) send({ type: state.running ? "pause" : "play" }); }
  else if (e.key === "ArrowRight") { e.preventDefault(); if (control) send({ type: "step", n: 1 }); }
  else if (e.key === "r") { if (control) send({ type: "reset" }); }
  else if (e.key === "p") togglePresenter();
  else if (e.key === "g") { const b = $("#toggle-grad"); b.checked = !b.checked; b.dispatchEvent(new Event("change")); }
  else if (e.key === "?") { const d = $("#help"); if (d.open) d.close(); else d.showModal(); }
}

function shareUrls() {
  const origin = location.origin;
  const cfg = encodeURIComponent(JSON.stringify(state.config ?? {}));
  return { share: `${origin}/#config=${cfg}`, viewer: `${origin}/view/${encodeURIComponent(state.sessionId)}` };
}

async function showShare() {
  const { share, viewer } = shareUrls();
  $("#share-url").value = share;
  $("#viewer-url").value = viewer;
  $("#share-box").hidden = false;
  $("#share-url").select();
  try { await navigator.clipboard?.writeText(share); toast(t("copied")); } catch { /* no clipboard: the link is selected */ }
}

// ------------------------------------------------------------------ session
/** The configuration carried by a shared link (#config=<JSON>), or null. */
function configFromHash() {
  const m = /(?:^#|&)config=([^&]*)/.exec(location.hash);
  if (!m) return null;
  try { return JSON.parse(decodeURIComponent(m[1])); } catch { return null; }
}

async function createSession() {
  const config = configFromHash();
  const post = (cfg) => fetch("/api/sessions", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ config: cfg ?? {} }),
  });
  let r = await post(config);
  if (r.status === 422 && config) {
    const detail = (await r.json()).detail;
    const msg = Array.isArray(detail) ? detail.map((d) => d.message).join("; ") : String(detail);
    toast(t("shared_config_invalid", { msg }), "error");
    r = await post({});
  }
  if (!r.ok) {
    let msg = `${r.status}`;
    try { msg = (await r.json()).detail ?? msg; } catch { /* not JSON */ }
    throw new Error(typeof msg === "string" ? msg : JSON.stringify(msg));
  }
  const s = await r.json();
  state.sessionId = s.id;
  state.token = s.token;
  history.replaceState(null, "", `/s/${encodeURIComponent(s.id)}#token=${encodeURIComponent(s.token)}`);
}

async function loadDatasets() {
  try {
    const r = await fetch("/api/datasets");
    if (r.ok) controls.setDatasets(await r.json());
  } catch { /* without the catalog the server checks the output against new data itself */ }
}

async function main() {
  bindPage(); // first: the views hear the initial language as they hear a switch
  setLanguage(initialLanguage());
  $("#lang").value = getLanguage();
  requestAnimationFrame(tick);
  if (!state.sessionId) {
    try { await createSession(); } catch (err) {
      setBanner("#banner-conn", t("session_error", { msg: err.message }));
      return;
    }
  } else if (state.role === "control") {
    const m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
    state.token = m ? decodeURIComponent(m[1]) : null;
    if (!state.token) { state.role = "viewer"; toast(t("no_token")); }
  }
  body.dataset.role = state.role;
  $("#banner-viewer").hidden = state.role !== "viewer";
  controls.setRole(state.role);
  teaching.setRole(state.role);
  enableControls();
  loadDatasets();
  socket = new Socket(socketUrl(location, state.sessionId, state.role === "control" ? state.token : null), {
    onEvent, onFrame, onStatus, onGone,
  });
}

// for tests and the benchmark: read-only state and a way to drop the connection
window.__lab = {
  state,
  get socket() { return socket; },
  dropConnection: () => socket?.drop(),
  shareUrls,
  nodeCentre: (l, u) => { const n = network.nodes[l]?.[u]; return n ? [n.x, n.y] : null; },
  gradChart: () => ({ xLabel: gradChart.options.xLabel, layout: gradChart.layoutInfo ?? null,
    tooltip: gradChart.tooltipBox ?? null }),
  pickedPoint: () => inspector.point,
  focused: () => [...document.querySelectorAll(".focused")].map((el) => el.id || el.className),
  compareAxis: () => finetune.compare.loss.options.xLabel,
  networkLabels: () => ({
    titles: network.titleBoxes, updates: network.updateLabels, inputLeft: network.inputLabelLeft,
    frozen: network.frozenLabels, height: $("#network").clientHeight, width: $("#network").clientWidth,
  }),
  edgeMidpoint: (l, j, i) => {
    const e = network.edgesDrawn.find((d) => d.l === l && d.j === j && d.i === i);
    return e ? [(e.x1 + e.x2) / 2, (e.y1 + e.y2) / 2] : null;
  },
};

main();
