// The runs page (/runs): this browser's recorded runs in a table, sortable and filterable;
// rename, tag, note, star, delete; each run's history as CSV. Every name, tag and note is
// put in the page as text (textContent), never as HTML.

import "./owner.js";
import { applyTo, initialLanguage, onLanguageChange, setLanguage, t } from "./i18n.js";
import {
  COLUMNS, configDiff, filterRuns, markerText, overlaySeries, parseChanges, parseHistoryCsv,
  parseTags, sortRuns,
} from "./runs-logic.js";
import { LineChart } from "./charts.js";
import { classColor } from "./colors.js";

const $ = (s) => document.querySelector(s);
const state = { runs: [], sort: "updated", order: "desc", filter: "" , selected: new Set() };
const MAX_COMPARE = 8;
const details = new Map(); // run id → {config, history, events} (fetched once)
let charts = null;

async function api(path, options = {}) {
  const r = await fetch(path, { credentials: "same-origin", ...options,
    headers: { "Content-Type": "application/json", ...(options.headers ?? {}) } });
  if (!r.ok) {
    let message = `${r.status}`;
    try {
      const body = await r.json();
      message = typeof body.detail === "string" ? body.detail
        : (body.detail ?? []).map((d) => d.message).join("; ") || message;
    } catch { /* not JSON */ }
    throw new Error(message);
  }
  return r.status === 204 ? null : r.json();
}

function say(text) {
  const el = $("#runs-status");
  el.textContent = text;
  el.hidden = !text;
}

/** The run a shared link names (/runs#run=ID), or null. */
function linkedRun() {
  const m = /(?:^#|&)run=([A-Za-z0-9_-]{1,32})/.exec(location.hash);
  return m ? m[1] : null;
}

async function load() {
  try {
    const got = await api("/api/runs?limit=200");
    state.runs = got.runs;
    say(got.runs.length ? "" : t("runs_none"));
  } catch (err) {
    state.runs = [];
    say(`${t("runs_error")} ${err.message}`);
  }
  const shared = linkedRun();
  if (shared && !state.runs.some((r) => r.id === shared)) {
    try { // someone's run, by its link: shown read-only (its owner alone changes it)
      const run = await api(`/api/runs/${shared}`);
      const { config, ...rest } = run;
      state.runs.unshift({ ...rest, settings: config });
      say("");
    } catch (err) {
      say(`${t("runs_error")} ${err.message}`);
    }
  }
  render();
}

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  row.append(td);
  return td;
}

function button(label, title, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.title = title;
  b.addEventListener("click", onClick);
  return b;
}

async function change(run, fields) {
  try {
    Object.assign(run, await api(`/api/runs/${run.id}`, { method: "PATCH", body: JSON.stringify(fields) }));
    render();
  } catch (err) {
    say(`${t("runs_error")} ${err.message}`);
  }
}

function render() {
  const body = $("#runs-body");
  body.replaceChildren();
  const shown = sortRuns(filterRuns(state.runs, state.filter), state.sort, state.order);
  for (const run of shown) {
    const s = run.settings ?? {};
    const tr = document.createElement("tr");
    tr.dataset.run = run.id;
    const pick = document.createElement("td");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.className = "run-pick";
    box.checked = state.selected.has(run.id);
    box.disabled = !box.checked && state.selected.size >= MAX_COMPARE;
    box.title = t("runs_compare_pick");
    box.addEventListener("change", () => {
      if (box.checked) state.selected.add(run.id); else state.selected.delete(run.id);
      render();
      compare();
    });
    pick.append(box);
    tr.append(pick);
    const star = document.createElement("td");
    const starButton = button(run.starred ? "★" : "☆", t("runs_star"), () => change(run, { starred: !run.starred }));
    starButton.disabled = run.yours === false;
    star.append(starButton);
    tr.append(star);
    cell(tr, run.name, "run-name");
    cell(tr, run.updated_at ? new Date(run.updated_at).toLocaleString() : "");
    cell(tr, s.data ?? "");
    cell(tr, (s.layers ?? []).join("-"));
    cell(tr, s.optimizer ?? "");
    cell(tr, s.lr ?? "", "num");
    cell(tr, s.dropout ?? "", "num");
    cell(tr, (run.last_step ?? 0).toLocaleString(), "num");
    const pct = (v) => (v === null || v === undefined ? "–" : `${(100 * v).toFixed(1)} %`);
    cell(tr, pct(run.best_test_acc), "num");
    cell(tr, pct(run.last_test_acc), "num");
    cell(tr, [...(run.kinds ?? []), ...(run.tags ?? [])].join(" "), "run-tags");
    cell(tr, run.note ?? "", "run-note");
    const actions = document.createElement("td");
    actions.className = "run-actions";
    if (run.yours !== false) actions.append(
      button(t("runs_rename"), t("runs_rename"), () => {
        const name = prompt(t("runs_rename"), run.name);
        if (name !== null && name.trim()) change(run, { name: name.trim() });
      }),
      button(t("runs_tag"), t("runs_tag"), () => {
        const text = prompt(t("runs_tag"), (run.tags ?? []).join(", "));
        if (text !== null) change(run, { tags: parseTags(text) });
      }),
      button(t("runs_note"), t("runs_note"), () => {
        const note = prompt(t("runs_note"), run.note ?? "");
        if (note !== null) change(run, { note });
      }),
      button(t("runs_delete"), t("runs_delete"), async () => {
        if (!confirm(t("runs_delete_confirm"))) return;
        try {
          await api(`/api/runs/${run.id}`, { method: "DELETE" });
          state.runs = state.runs.filter((r) => r.id !== run.id);
          render();
        } catch (err) {
          say(`${t("runs_error")} ${err.message}`);
        }
      }),
    );
    actions.append(button(t("runs_continue"), t("runs_continue_title"), async () => {
      try {
        const made = await api(`/api/runs/${run.id}/sessions`, { method: "POST", body: "{}" });
        location.href = made.control_url;
      } catch (err) {
        say(`${t("runs_error")} ${err.message}`);
      }
    }));
    actions.append(button(t("runs_fork"), t("runs_fork_title"), () => fork(run)));
    const csv = document.createElement("a");
    csv.href = `/api/runs/${run.id}/history.csv`;
    csv.textContent = t("runs_csv");
    const zip = document.createElement("a");
    zip.href = `/api/runs/${run.id}/export`;
    zip.textContent = t("runs_export");
    zip.title = t("runs_export_title");
    const share = document.createElement("a");
    share.href = `/runs#run=${run.id}`;
    share.textContent = t("runs_link_share");
    share.title = t("runs_link_share_title");
    actions.append(csv, zip, share);
    if (run.yours === false) tr.classList.add("read-only");
    tr.append(actions);
    body.append(tr);
  }
  for (const th of document.querySelectorAll("th[data-sort]")) {
    const on = th.dataset.sort === state.sort;
    th.setAttribute("aria-sort", on ? (state.order === "asc" ? "ascending" : "descending") : "none");
  }
}

/** Fork here: a new session from a chosen checkpoint of the run, with changed settings. */
async function fork(run) {
  try {
    const { checkpoints } = await api(`/api/runs/${run.id}/checkpoints`);
    const steps = checkpoints.map((c) => c.step);
    const answer = prompt(t("runs_fork_step", { steps: steps.join(", ") }), String(steps.at(-1) ?? 0));
    if (answer === null) return;
    const cp = [...checkpoints].reverse().find((c) => c.step === Number(answer));
    if (!cp) { say(t("runs_fork_no_step", { steps: steps.join(", ") })); return; }
    const text = prompt(t("runs_fork_changes"), "");
    if (text === null) return;
    const config = parseChanges(text);
    if (config === null) { say(t("runs_fork_bad_changes")); return; }
    const made = await api(`/api/runs/${run.id}/sessions`, { method: "POST",
      body: JSON.stringify({ checkpoint: cp.id, config }) });
    location.href = made.control_url;
  } catch (err) {
    say(`${t("runs_error")} ${err.message}`);
  }
}

async function detail(id) {
  if (!details.has(id)) {
    const [run, csv, events] = await Promise.all([
      api(`/api/runs/${id}`),
      fetch(`/api/runs/${id}/history.csv`).then((r) => r.text()),
      api(`/api/runs/${id}/events?limit=10000`),
    ]);
    details.set(id, { config: run.config, name: run.name, history: parseHistoryCsv(csv),
      events: events.events });
  }
  return details.get(id);
}

/** Overlay the selected runs' curves (2 to 8), their change markers and the config diff. */
async function compare() {
  const box = $("#compare");
  const ids = [...state.selected];
  box.hidden = ids.length < 2;
  if (ids.length < 2) return;
  let runs;
  try {
    runs = await Promise.all(ids.map(detail));
  } catch (err) {
    say(`${t("runs_error")} ${err.message}`);
    return;
  }
  const x = $("#compare-x").value;
  const log = $("#compare-log").checked;
  // the id's first characters tell apart runs of the same name
  const shown = runs.map((r, i) => ({ ...r, label: `${r.name} #${ids[i].slice(0, 4)}`, color: classColor(i) }));
  charts ??= {
    loss: new LineChart($("#compare-loss"), { yLabel: () => t("runs_test_loss"), yFixed: null, allowLog: true, titleTop: true }),
    acc: new LineChart($("#compare-acc"), { yLabel: () => t("runs_test_acc"), yFixed: [0, 1], allowLog: false, titleTop: true }),
  };
  const markers = [];
  const list = $("#compare-markers");
  list.replaceChildren();
  shown.forEach((r) => {
    for (const ev of r.events) {
      const at = x === "step" ? ev.step : (() => {
        const i = r.history.step.findIndex((s) => s >= ev.step);
        return i < 0 ? NaN : r.history[x][i];
      })();
      markers.push({ x: at, color: r.color });
      const li = document.createElement("li");
      li.textContent = `${r.label}: ${markerText(ev, document.documentElement.lang, t("runs_marker"))}`;
      list.append(li);
    }
  });
  for (const [key, metric] of [["loss", "test_loss"], ["acc", "test_acc"]]) {
    charts[key].setData(overlaySeries(shown, x, metric));
    charts[key].setOptions({ log: key === "loss" && log, smooth: 0.9, xLabel: t(`runs_x_${x}`), markers });
    charts[key].draw();
  }
  const diff = configDiff(shown.map((r) => r.config));
  const table = $("#compare-diff");
  table.replaceChildren();
  const head = document.createElement("tr");
  for (const text of [t("runs_field"), ...shown.map((r) => r.label)]) {
    const th = document.createElement("th");
    th.textContent = text;
    head.append(th);
  }
  table.append(head);
  for (const [field, values] of diff) {
    const tr = document.createElement("tr");
    cell(tr, field);
    for (const v of values) cell(tr, v === undefined ? "–" : JSON.stringify(v));
    table.append(tr);
  }
}

function start() {
  setLanguage(initialLanguage());
  $("#lang").value = document.documentElement.lang;
  $("#lang").addEventListener("change", (e) => setLanguage(e.target.value));
  onLanguageChange(() => render());
  applyTo(document);
  $("#runs-filter").addEventListener("input", (e) => { state.filter = e.target.value; render(); });
  for (const th of document.querySelectorAll("th[data-sort]")) {
    if (!COLUMNS.some((c) => c.key === th.dataset.sort)) continue;
    th.addEventListener("click", () => {
      state.order = state.sort === th.dataset.sort && state.order === "desc" ? "asc" : "desc";
      state.sort = th.dataset.sort;
      render();
    });
  }
  $("#compare-x").addEventListener("change", compare);
  $("#compare-log").addEventListener("change", compare);
  onLanguageChange(() => compare());
  window.addEventListener("resize", () => compare());
  load();
}

start();
