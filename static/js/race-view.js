// The optimizer race: two to four runners on the same data from the same initial weights, each
// with its own optimizer and learning rate, trained in lockstep by the server (a race session).
// A setup dialog builds the runners and creates the race session; the panel overlays their loss
// curves, shows their decision surfaces side by side and announces the winner to the target.

import { LineChart } from "./charts.js";
import { classColor, css } from "./colors.js";
import { SurfaceView } from "./surface-view.js";
import { formatNumber } from "./scales.js";
import { t } from "./i18n.js";

const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
export const OPTIMIZERS = ["sgd", "rmsprop", "adam", "adamw", "adagrad"];
const MOMENTUM_OPTS = ["sgd", "rmsprop"];
export const METRICS = ["train_loss", "test_loss", "train_acc", "test_acc"];

/** Runner colours: the Okabe–Ito palette from its third colour, apart from the class colours. */
export const runnerColor = (k) => classColor(k + 2);

/** A short label for a runner from its fields, e.g. "SGD + momentum 0.9, lr 0.1". */
export function runnerLabel(r) {
  const name = { sgd: "SGD", rmsprop: "RMSProp", adam: "Adam", adamw: "AdamW", adagrad: "Adagrad" }[r.optimizer] ?? r.optimizer;
  const mom = MOMENTUM_OPTS.includes(r.optimizer) && r.momentum > 0 ? ` + ${t("race_momentum_short")} ${formatNumber(r.momentum, 3)}` : "";
  return `${name}${mom}, ${t("race_lr_short")} ${formatNumber(r.lr, 3)}`;
}

/**
 * The runners as the server takes them, from the setup rows [{optimizer, lr, momentum}];
 * throws an Error naming the runner and field for a bad value.
 */
export function buildRunners(rows) {
  if (rows.length < 2 || rows.length > 4) throw new Error(t("race_count"));
  return rows.map((r, k) => {
    const lr = Number(r.lr);
    if (!(Number.isFinite(lr) && lr > 0 && lr <= 10)) throw new Error(t("race_bad_lr", { k: k + 1, v: String(r.lr) }));
    if (!OPTIMIZERS.includes(r.optimizer)) throw new Error(t("race_bad_opt", { k: k + 1, v: String(r.optimizer) }));
    const out = { optimizer: r.optimizer, lr };
    if (MOMENTUM_OPTS.includes(r.optimizer)) {
      const m = Number(r.momentum ?? 0);
      if (!(Number.isFinite(m) && m >= 0 && m < 1)) throw new Error(t("race_bad_momentum", { k: k + 1, v: String(r.momentum) }));
      out.momentum = m;
    }
    out.label = runnerLabel(out);
    return out;
  });
}

/** Per-runner curves of one metric from history rows with a leading `runner` column. */
export function raceSeries(columns, rows, metric, x = "step") {
  const ri = columns.indexOf("runner"), xi = columns.indexOf(x), mi = columns.indexOf(metric);
  if (ri < 0 || xi < 0 || mi < 0) return { xs: new Float64Array(0), perRunner: [] };
  const steps = [...new Set(rows.map((r) => r[xi]))].sort((a, b) => a - b);
  const where = new Map(steps.map((s, i) => [s, i]));
  const n = rows.reduce((m, r) => Math.max(m, r[ri] + 1), 0);
  const perRunner = Array.from({ length: n }, () => new Float64Array(steps.length).fill(NaN));
  for (const r of rows) {
    const v = r[mi];
    perRunner[r[ri]][where.get(r[xi])] = v === null || v === undefined ? NaN : v;
  }
  return { xs: Float64Array.from(steps), perRunner };
}

/** "A and B", "A, B and C" (Japanese: 「A」と「B」): labels as one phrase. */
export function joinLabels(labels) {
  const q = labels.map((l) => t("race_label_q", { l }));
  if (q.length <= 1) return q.join("");
  return `${q.slice(0, -1).join(t("list_comma"))}${t("list_and")}${q[q.length - 1]}`;
}

/** The runners tied for the win (a frame's winner.tie: two or more indices), or null. */
export function tiedRunners(winner) {
  const tie = winner?.tie;
  return Array.isArray(tie) && tie.length > 1 ? tie : null;
}

/**
 * The winner sentence, or the state of the race. Runners are judged on the same check steps,
 * so runners that reached the target on the same one tie: a tie is said as a tie, by its step,
 * never decided by seconds of training (they measure the machine, not the method).
 */
export function raceStatus(target, winner, runners) {
  const what = target ? `${t(`race_metric_${target.metric}`)} ${target.metric?.endsWith("acc") ? "≥" : "≤"} ${formatNumber(target.value, 3)}` : "";
  const tie = tiedRunners(winner);
  if (tie) {
    const labels = tie.map((k) => runners?.[k]?.label ?? (k === winner.runner ? winner.label : `${k + 1}`));
    return t("race_tie", { labels: joinLabels(labels), step: winner.step, target: what });
  }
  if (winner) {
    return t("race_winner", { label: winner.label, step: winner.step, s: formatNumber(winner.seconds ?? NaN, 2), target: what });
  }
  if (runners?.length && runners.every((r) => r.diverged)) return t("race_all_diverged");
  return t("race_running", { target: what });
}

export class RaceView {
  /** panel: the race panel (shown in a race session); dialog: the setup <dialog>. */
  constructor(panel, dialog, { getState, createSession, send }) {
    this.panel = panel;
    this.dialog = dialog;
    this.getState = getState;
    this.createSession = createSession;
    this.send = send;
    this.race = null;
    this.header = null;
    this.frame = null;
    this.history = null;
    this.historyVersion = -1;
    this.rows = [
      { optimizer: "sgd", lr: 0.1, momentum: 0 },
      { optimizer: "adam", lr: 0.01 },
    ];
    this.surfaces = [];
    this.role = "control";
    this.buildPanel();
    dialog.addEventListener("click", (e) => this.onDialogClick(e));
    dialog.addEventListener("change", (e) => this.onDialogChange(e));
  }

  setRole(role) {
    this.role = role;
  }

  // ------------------------------------------------------------------ setup dialog
  openSetup() {
    const race = this.race;
    if (race?.runners?.length) {
      this.rows = race.runners.map((r) => ({
        optimizer: r.fields?.optimizer ?? "sgd", lr: r.fields?.lr ?? 0.01, momentum: r.fields?.momentum ?? 0,
      }));
    }
    this.target = race?.target ?? this.target ?? { metric: "train_loss", value: 0.1 };
    this.renderSetup();
    if (!this.dialog.open) this.dialog.showModal();
  }

  renderSetup(error = "") {
    const rows = this.rows.map((r, k) => `
      <tr data-row="${k}">
        <th scope="row"><span class="swatch" style="background:${css(runnerColor(k))}"></span> ${k + 1}</th>
        <td><select data-f="optimizer" aria-label="${esc(t("optimizer"))} ${k + 1}">${OPTIMIZERS.map((o) =>
          `<option value="${o}" ${o === r.optimizer ? "selected" : ""}>${o === "sgd" ? "SGD" : o === "rmsprop" ? "RMSProp" : o === "adam" ? "Adam" : o === "adamw" ? "AdamW" : "Adagrad"}</option>`).join("")}</select></td>
        <td><input data-f="lr" type="number" step="any" min="0" max="10" value="${r.lr}" aria-label="${esc(t("lr"))} ${k + 1}"></td>
        <td><input data-f="momentum" type="number" step="0.05" min="0" max="0.99" value="${r.momentum ?? 0}" aria-label="${esc(t("momentum"))} ${k + 1}"
          ${MOMENTUM_OPTS.includes(r.optimizer) ? "" : "disabled"}></td>
        <td><button type="button" class="small" data-remove="${k}" ${this.rows.length <= 2 ? "disabled" : ""} aria-label="${esc(t("race_remove"))} ${k + 1}">−</button></td>
      </tr>`).join("");
    const tg = this.target ?? { metric: "train_loss", value: 0.1 };
    this.dialog.innerHTML = `<h2>${esc(t("race_title"))}</h2>
      <p class="hint">${esc(t("race_setup_hint"))}</p>
      <table class="race-setup"><thead><tr><th>${esc(t("race_runner"))}</th><th>${esc(t("optimizer"))}</th>
        <th>${esc(t("lr"))}</th><th>${esc(t("momentum"))}</th><th></th></tr></thead><tbody>${rows}</tbody></table>
      <p><button type="button" data-add ${this.rows.length >= 4 ? "disabled" : ""}>${esc(t("race_add"))}</button></p>
      <p class="race-target"><label class="inline">${esc(t("race_target"))}
        <select id="race-metric">${METRICS.map((m) => `<option value="${m}" ${m === tg.metric ? "selected" : ""}>${esc(t(`race_metric_${m}`))}</option>`).join("")}</select></label>
        <label class="inline"><span id="race-cmp">${tg.metric.endsWith("acc") ? "≥" : "≤"}</span>
        <input id="race-value" type="number" step="any" min="0" value="${tg.value}" aria-label="${esc(t("race_target_value"))}"></label></p>
      <p class="field-error" role="alert" ${error ? "" : "hidden"}>${esc(error)}</p>
      <div class="buttons"><button type="button" class="primary" data-start>${esc(t("race_start"))}</button>
        <button type="button" data-cancel>${esc(t("cancel"))}</button></div>`;
  }

  readSetup() {
    for (const tr of this.dialog.querySelectorAll("tr[data-row]")) {
      const k = Number(tr.dataset.row);
      const get = (f) => tr.querySelector(`[data-f="${f}"]`)?.value;
      this.rows[k] = { optimizer: get("optimizer"), lr: get("lr"), momentum: get("momentum") };
    }
    const metric = this.dialog.querySelector("#race-metric")?.value ?? "train_loss";
    this.target = { metric, value: Number(this.dialog.querySelector("#race-value")?.value) };
  }

  onDialogChange() {
    this.readSetup();
    this.renderSetup();
  }

  async onDialogClick(e) {
    const b = e.target.closest("button");
    if (!b) return;
    this.readSetup();
    if (b.hasAttribute("data-add") && this.rows.length < 4) {
      this.rows.push({ optimizer: "sgd", lr: 0.1, momentum: 0.9 });
      this.renderSetup();
    } else if (b.dataset.remove !== undefined && this.rows.length > 2) {
      this.rows.splice(Number(b.dataset.remove), 1);
      this.renderSetup();
    } else if (b.hasAttribute("data-cancel")) {
      this.dialog.close();
    } else if (b.hasAttribute("data-start")) {
      let runners;
      try {
        runners = buildRunners(this.rows);
        if (!(Number.isFinite(this.target.value) && this.target.value > 0)) {
          throw new Error(t("race_bad_target", { v: String(this.target.value) }));
        }
      } catch (err) {
        this.renderSetup(err.message);
        return;
      }
      b.disabled = true;
      try {
        await this.createSession(runners, this.target);
      } catch (err) {
        this.renderSetup(err.message);
      }
    }
  }

  // ------------------------------------------------------------------ the race panel
  buildPanel() {
    this.panel.innerHTML = `
      <div class="panel-head"><h2 id="race-h"></h2>
        <button type="button" id="race-edit" class="small"></button></div>
      <p class="race-status" id="race-status" role="status"></p>
      <canvas id="race-chart" class="chart race-chart" aria-label=""></canvas>
      <div class="race-surfaces" id="race-surfaces"></div>`;
    this.chart = new LineChart(this.panel.querySelector("#race-chart"), { yLabel: () => t(`race_metric_${this.target?.metric ?? "train_loss"}`), allowLog: true });
    this.panel.querySelector("#race-edit").addEventListener("click", () => this.openSetup());
    this.relabel();
  }

  relabel() {
    this.panel.querySelector("#race-h").textContent = t("race_title");
    this.panel.querySelector("#race-edit").textContent = t("race_edit");
    this.panel.querySelector("#race-chart").setAttribute("aria-label", t("race_chart"));
    this.chart.setOptions({ xLabel: t("steps"), log: true });
    this.historyVersion = -1;
    this.buildSurfaces();
    this.renderStatus();
  }

  /** From hello/config: the race of this session, or null (an ordinary session). */
  setRace(race, info) {
    const was = JSON.stringify(this.race);
    this.race = race ?? null;
    this.info = info;
    if (race?.target) this.target = race.target;
    this.panel.hidden = !this.race;
    document.body.dataset.race = this.race ? "on" : "";
    if (JSON.stringify(this.race) !== was) this.buildSurfaces();
    this.historyVersion = -1;
    this.renderStatus();
  }

  setData(arrays) {
    this.data = arrays;
    for (const s of this.surfaces) s.view.setData(arrays);
  }

  buildSurfaces() {
    const box = this.panel.querySelector("#race-surfaces");
    const runners = this.race?.runners ?? [];
    const planar = this.info && !this.info.image_shape && this.info.dims === 2;
    box.innerHTML = runners.map((r, k) => `
      <figure class="race-runner" data-runner="${k}">
        <figcaption><span class="swatch" style="background:${css(runnerColor(k))}"></span> <strong>${esc(r.label)}</strong>
          <span class="race-metric" data-k="metric"></span> <span class="race-badge" data-k="badge"></span></figcaption>
        ${planar ? `<canvas class="surface race-surface" aria-label="${esc(t("output_surface"))}: ${esc(r.label)}"></canvas>` : ""}
      </figure>`).join("");
    this.surfaces = [...box.querySelectorAll("figure")].map((fig) => {
      const canvas = fig.querySelector("canvas");
      const view = canvas ? new SurfaceView(canvas, { onPick: () => {} }) : null;
      if (view) { view.setInfo(this.info); if (this.data) view.setData(this.data); }
      return { fig, view };
    }).map((s) => ({ ...s, view: s.view ?? { setData() {}, update() {}, draw() {} } }));
  }

  update(frame) {
    this.frame = frame;
    this.header = frame?.header ?? null;
    this.surfaces.forEach((s, k) => {
      const go = frame?.arrays?.[`r${k}.grid_output`];
      s.view.update(go ? { arrays: { grid_output: go } } : { arrays: {} });
    });
    this.renderStatus();
  }

  renderStatus() {
    const el = this.panel.querySelector("#race-status");
    if (!el) return;
    const h = this.header;
    const runners = h?.runners ?? [];
    el.textContent = this.race ? raceStatus(this.target, h?.winner ?? null, runners) : "";
    el.classList.toggle("won", Boolean(h?.winner));
    const tie = tiedRunners(h?.winner);
    this.panel.dataset.winner = h?.winner ? String(h.winner.runner) : "";
    this.panel.dataset.tie = tie ? tie.join(",") : "";
    this.surfaces.forEach((s, k) => {
      const r = runners[k];
      const metric = s.fig.querySelector('[data-k="metric"]'), badge = s.fig.querySelector('[data-k="badge"]');
      const m = this.target?.metric ?? "train_loss";
      metric.textContent = r?.metrics && r.metrics[m] !== undefined ? `${t(`race_metric_${m}`)} ${formatNumber(r.metrics[m], 3)}` : "";
      badge.textContent = r?.diverged ? t("race_diverged") : r?.reached ? t("race_reached", { step: r.reached.step }) : "";
      badge.className = `race-badge ${r?.diverged ? "bad" : r?.reached ? "good" : ""}`;
      s.fig.classList.toggle("winner", tie ? tie.includes(k) : h?.winner?.runner === k);
    });
  }

  /** Redraw what changed: the curves (from the session history) and the surfaces. */
  draw(history, fresh = true) {
    if (!this.race) return;
    if (history && history.version !== this.historyVersion) {
      this.historyVersion = history.version;
      const metric = this.target?.metric ?? "train_loss";
      const { xs, perRunner } = raceSeries(history.columns, history.rows, metric);
      this.chart.setOptions({ log: metric.endsWith("loss") });
      this.chart.setData({
        xs,
        series: perRunner.map((ys, k) => ({ label: this.race.runners[k]?.label ?? `${k + 1}`, color: runnerColor(k), ys })),
      });
      this.panel.dataset.curves = String(perRunner.filter((ys) => ys.some(Number.isFinite)).length);
    }
    this.chart.draw();
    if (fresh) for (const s of this.surfaces) s.view.draw();
  }
}
