// Wires the page: the state (state.js) changes only through reduce(state, event); the views read
// it. Events come from the socket, frames are drawn once per animation frame (only the newest).

import { Socket, socketUrl } from "./socket.js";
import { decodeArrays, decodeHeader } from "./frame.js";
import { NetworkView } from "./network-view.js";
import { SurfaceView } from "./surface-view.js";
import { DigitsView } from "./digits-view.js";
import { GradNormLog, LineChart, historySeries } from "./charts.js";
import { ConfusionView } from "./confusion-view.js";
import { Inspector } from "./inspector.js";
import { Controls } from "./controls.js";
import { Teaching } from "./teaching.js";
import { FinetuneView } from "./finetune-view.js";
import { initialLanguage, onLanguageChange, say, setLanguage, t } from "./i18n.js";
import { initialState, reduce } from "./state.js";
import { StatusView } from "./status-view.js";
import { LessonFocus } from "./focus.js";
import { PageControls } from "./page-controls.js";
import { hasToast, setBanner, toast } from "./page-ui.js";
import { createSession, sessionExists, shareUrls, tokenFromHash } from "./session.js";
import { loadFacts } from "./facts.js";
import { finetuneOpen } from "./finetune-logic.js";
import { ClassFollow } from "./class-follow.js";
import { ClassTeacher } from "./class-teacher.js";
import { LrFinder } from "./lrfind.js";
import "./owner.js"; // this browser's owner key: the runs it starts are its own (docs/runs.md)

const $ = (s) => document.querySelector(s);
const body = document.body;

let state = initialState({ sessionId: body.dataset.session || null, role: body.dataset.role || "control" });
let socket = null;
let uiDirty = true; // the views draw again at the next animation frame
let chartVersion = -1;
const redraw = () => { uiDirty = true; };
const gradLog = new GradNormLog();
let classFollow = null; // a student's page in a class: "Try it" / "Back to the teacher"
let classTeacher = null; // a teacher's page: the class panel (start, roster, challenge, projector)
let finetuneReason = false; // the fine-tuning panel had its reason to be open (digits, a model)

const send = (cmd) => {
  const id = socket ? socket.send(cmd) : null;
  if (id === null) toast(t("not_connected"), "error", "offline"); // said, never dropped silently
  return id;
};

// ------------------------------------------------------------------ views
const network = new NetworkView($("#network"), $("#net-zoom"), {
  onSelect: (target) => { inspector.select(target); teaching.onSelect(target); redraw(); },
});
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
    redraw();
  },
});
const inspector = new Inspector($("#inspector-body"), { send });
const controls = new Controls($("#controls"), {
  send, getState: () => ({ step: state.step, running: state.running }),
});
const focus = new LessonFocus({ onShown: () => { redraw(); page.chartsDirty(); } });
const teaching = new Teaching({ $, network, send, getState: () => state, onFocus: (names, scroll) => focus.apply(names, scroll),
  presenterMode: () => state.presenterMode });
const finetune = new FinetuneView($("#finetune"), {
  send, session: () => ({ id: state.sessionId, token: state.token, role: state.role }),
  onDrawInput: (pixels) => { // the drawn digit shown as the network's input
    if (!state.info?.image_shape) return;
    network.setInputImage(pixels ?? state.data?.train_x.subarray(0, state.info.dims) ?? null);
    redraw();
  },
});
const status = new StatusView({ inspector, controls, getState: () => state });
const lrFinder = new LrFinder(document, { send, getState: () => state, toast });
const page = new PageControls({ network, surface, digits, confusion, lossChart, accChart, gradChart, teaching }, {
  send, getState: () => state, redraw, onChartOptions: () => { chartVersion = -1; },
  onPresenter: (on) => dispatch({ type: "presenterMode", on }),
});

function pickPoint(p) {
  inspector.setPoint(p);
  surface.setPicked(p);
  if (state.info?.image_shape && state.data) {
    const X = p.split === "test" ? state.data.test_x : state.data.train_x;
    const d = state.info.dims;
    network.setInputImage(X.subarray(p.index * d, (p.index + 1) * d));
  }
  redraw();
}

// ------------------------------------------------------------------ state → views
/** A new network or new data set: every view starts again. */
function showInfo() {
  const { info, config: cfg } = state;
  network.setInfo(info, cfg);
  surface.setInfo(info);
  digits.setInfo(info);
  confusion.setInfo(info);
  inspector.setContext(info, cfg);
  const image = Boolean(info?.image_shape);
  $("#surface-panel").hidden = !(!image && info?.dims === 2);
  $("#digits-panel").hidden = !image;
  body.dataset.task = info?.task ?? "";
  const regression = info?.task === "regression";
  $("#chart-acc").hidden = regression;
  $("#toggle-normalize").closest("label").hidden = regression;
  // the fine-tuning panel opens by itself for a pretrained model or the digits, and closes when
  // they are gone (another data set)
  const reason = Boolean(cfg?.model || image);
  page.showFinetune(finetuneOpen(!$("#finetune").hidden, finetuneReason, reason));
  finetuneReason = reason;
  gradLog.clear();
}

function showData() {
  const arrays = state.data;
  for (const v of [surface, digits, confusion, inspector, teaching]) v.setData(arrays);
  $("#btn-clear-filter").hidden = true;
  if (state.info?.image_shape) network.setInputImage(arrays.train_x.subarray(0, state.info.dims));
}

/** Refresh what the last event changed, say what it says, route its error. */
function render() {
  const c = new Set(state.changed);
  if (c.has("role")) controls.setRole(state.role);
  if (c.has("config")) controls.setConfig(state.config, state.info);
  if (c.has("info")) showInfo();
  else if (c.has("context")) inspector.setContext(state.info, state.config);
  if (c.has("config")) focus.refresh();
  if (c.has("data")) showData();
  if (c.has("presenterMode")) {
    page.setPresenter(state.presenterMode);
    teaching.share(); // a teacher's page: the viewers follow (a viewer's share does nothing)
  }
  status.render(state);
  if (c.has("info") || c.has("data")) redraw();
  for (const m of state.said) {
    if (!(m.once && hasToast(m.key))) toast(say(m.words), m.kind, m.key);
  }
  const err = state.error;
  if (err?.route === "inspector") inspector.showError(say(err.words));
  else if (err?.route === "field" && !finetune.showError(err.ev) && !controls.showError(err.ev)) {
    toast(t("error_prefix", { msg: say(err.words) }), "error");
  }
  if (state.ack !== null) controls.ack(state.ack);
  if (state.resync) socket?.resync();
  if (state.connection?.state === "closed" && c.has("connection") && state.connection.attempt >= 3) checkSessionGone();
}

function dispatch(ev) {
  state = reduce(state, ev);
  render();
}

function onEvent(ev) {
  classFollow?.onEvent(ev);
  classTeacher?.onEvent(ev);
  lrFinder.onEvent(ev);
  teaching.onEvent(ev);
  finetune.onEvent(ev);
  dispatch(ev);
}

function onFrame(buffer) {
  let head;
  try { head = decodeHeader(buffer); } catch (err) { console.warn(String(err)); return; }
  const { header, dataOffset } = head;
  if (header.kind === "data") dispatch({ type: "data", arrays: decodeArrays(buffer, header, dataOffset) });
  else dispatch({ type: "frame", buffer, header, dataOffset, at: performance.now() });
}

async function checkSessionGone() {
  if (!(await sessionExists(state.sessionId))) onGone();
}

function onGone() {
  socket?.close();
  setBanner("#banner-conn", t("conn_failed_session"));
}

// ------------------------------------------------------------------ drawing
function tick() {
  requestAnimationFrame(tick);
  const t0 = performance.now();
  let fresh = false;
  if (state.latest && state.latest !== state.drawnLatest) {
    const latest = state.latest;
    const { buffer, header, dataOffset } = latest;
    let frame;
    try {
      frame = { header, arrays: decodeArrays(buffer, header, dataOffset) };
    } catch (err) {
      console.warn(String(err));
      state = reduce(state, { type: "tick" });
      return;
    }
    state = reduce(state, { type: "decoded", latest, frame });
    // a diverged step's frame is not drawn: the views keep the last good step (the banner says so)
    const shown = state.goodFrame ?? frame;
    for (const v of [network, surface, digits, confusion, inspector]) v.update(shown);
    for (const v of [teaching, finetune]) v.update(frame);
    if (frame.arrays.grad_norm) gradLog.add(header.step, frame.arrays.grad_norm);
    fresh = true;
    status.counters(state);
  }
  const teachAnim = teaching.draw(state.history, fresh);
  if (fresh || uiDirty || teachAnim) {
    network.draw();
    $("#net-legend").textContent = network.legendText();
    if (!$("#surface-panel").hidden) surface.draw();
    if (!$("#digits-panel").hidden) digits.draw();
    confusion.draw();
    gradChart.setData(gradLog.series());
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
  state = reduce(state, fresh ? { type: "tick", ms: performance.now() - t0 } : { type: "tick" });
}

// ------------------------------------------------------------------ start
function onLanguage() {
  page.relabel();
  status.render(state, true);
  controls.relabel();
  teaching.relabel();
  finetune.relabel();
  classTeacher?.relabel();
  lrFinder.relabel();
  inspector.dirty = true;
  if (inspector.target) inspector.select(inspector.target);
  redraw();
}

async function main() {
  page.bind(); // first: the views hear the initial language as they hear a switch
  onLanguageChange(onLanguage);
  setLanguage(initialLanguage());
  requestAnimationFrame(tick);
  const facts = loadFacts(); // the engine's facts, read while the session is made
  if (!state.sessionId) {
    try { dispatch({ type: "session", ...(await createSession()), role: "control" }); } catch (err) {
      setBanner("#banner-conn", t("session_error", { msg: err.message }));
      return;
    }
  } else if (state.role === "control") {
    const token = tokenFromHash(location.hash);
    dispatch({ type: "session", id: state.sessionId, token, role: token ? "control" : "viewer" });
    if (!token) toast(t("no_token"));
  }
  body.dataset.role = state.role;
  classFollow = new ClassFollow($("#class-bar"), { role: state.role, toast });
  classTeacher = new ClassTeacher(document, { getState: () => state, toast,
    onPresenter: (on) => dispatch({ type: "presenterMode", on }) });
  classTeacher.start();
  controls.setRole(state.role);
  $("#banner-viewer").hidden = state.role !== "viewer";
  teaching.setRole(state.role);
  status.enable(state);
  controls.setFacts(await facts);
  socket = new Socket(socketUrl(location, state.sessionId, state.role === "control" ? state.token : null), {
    onEvent, onFrame, onStatus: (s) => dispatch({ type: "connection", ...s }), onGone,
  });
}

// for tests and the benchmark: read-only state and a way to drop the connection
window.__lab = {
  get state() { return state; },
  get socket() { return socket; },
  dropConnection: () => socket?.drop(),
  shareUrls: () => shareUrls(state),
  nodeCentre: (l, u) => { const n = network.nodes[l]?.[u]; return n ? [n.x, n.y] : null; },
  gradChart: () => ({ xLabel: gradChart.options.xLabel, layout: gradChart.layoutInfo ?? null,
    tooltip: gradChart.tooltipBox ?? null }),
  pickedPoint: () => inspector.point,
  chartTicks: () => ({ loss: lossChart.xTickLabels ?? null, acc: accChart.xTickLabels ?? null }),
  facts: () => ({ live: [...controls.live].sort(), data: [...controls.dataFields].sort() }),
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
