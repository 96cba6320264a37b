// The run's status as the page shows it, read from the state (state.js): the play button, the
// counters and metrics, the divergence banner, the runner tags of a race and the connection.

import { formatCount, formatNumber } from "./scales.js";
import { divergedText, t } from "./i18n.js";
import { measureTopbar, removeToast, setBanner } from "./page-ui.js";
import { formatRate } from "./rate.js";

const RATE_SHOW_MS = 250; // the speed readout changes at most four times a second (readable)

const $ = (s) => document.querySelector(s);

export class StatusView {
  /**
   * inspector and controls take the run state too (editing weights, the speed menu);
   * getState() → the current state.
   */
  constructor({ inspector, controls, getState }) {
    this.inspector = inspector;
    this.controls = controls;
    this.getState = getState;
  }

  /** Refresh what the last event changed (`state.changed`), or everything with all = true. */
  render(state, all = false) {
    const c = new Set(state.changed);
    if (all || c.has("runState")) this.runState(state);
    if (all || c.has("counters")) this.counters(state);
    if (all || c.has("rate") || c.has("runState") || c.has("diverged")) this.rate(state, all || !c.has("rate"));
    if (all || c.has("diverged")) this.diverged(state);
    if (all || c.has("runnerTags")) this.runnerTags(state);
    if (c.has("connection")) this.connection(state);
  }

  runState(state) {
    const running = state.running;
    $("#btn-play").setAttribute("aria-pressed", String(running));
    const label = $("#play-label");
    label.dataset.i18n = running ? "pause" : "play";
    label.textContent = t(label.dataset.i18n);
    this.inspector.setRunning(running, state.role);
    this.controls.setSpeed(state.speed);
  }

  counters(state) {
    $("#epoch").textContent = formatCount(state.epoch, 6);
    $("#step").textContent = formatCount(state.step);
    // after a divergence: the last good step's numbers (the banner says so), never "–": the
    // history's last finite row, or the last good frame's when the history has none later
    const shown = state.goodFrame ?? state.frame;
    let m = shown?.header?.metrics;
    let at = shown?.header?.step;
    const stale = Boolean(state.frame && shown !== state.frame);
    if (stale) {
      const row = state.history.lastFinite("train_loss");
      if (row && !(row.step < at)) { m = row; at = row.step; }
    }
    for (const id of ["#m-train-loss", "#m-test-loss", "#m-test-acc"]) {
      $(id).classList.toggle("stale", stale);
      $(id).title = stale ? t("metrics_last_good", { n: formatCount(at) }) : "";
    }
    $("#m-train-loss").textContent = m ? formatNumber(m.train_loss, 3) : "–";
    $("#m-test-loss").textContent = m ? formatNumber(m.test_loss, 3) : "–";
    $("#m-test-acc").textContent = m && m.test_acc !== null && Number.isFinite(m.test_acc)
      ? `${formatNumber(100 * m.test_acc, 3)} %` : "–";
    const hasVal = Boolean(m && Number.isFinite(m.val_loss)); // runs with a validation split
    $("#m-val").hidden = !hasVal;
    if (hasVal) $("#m-val-value").textContent = `${formatNumber(m.val_loss, 3)} · ` +
      (Number.isFinite(m.val_acc) ? `${formatNumber(100 * m.val_acc, 3)} %` : "–");
  }

  /** Steps and epochs per second, measured from the frames (rate.js); "–" while stopped. */
  rate(state, now = false) {
    const t0 = performance.now();
    if (!now && t0 - (this.rateShownAt ?? -Infinity) < RATE_SHOW_MS) return;
    this.rateShownAt = t0;
    const { epochsPerSecond: e, stepsPerSecond: s } = state.rate;
    $("#rate-epochs").textContent = t("rate_epochs", { n: formatRate(e) });
    $("#rate-steps").textContent = t("rate_steps", { n: formatRate(s) });
  }

  diverged(state) {
    setBanner("#banner-diverged", divergedText(state.diverged, state.config?.lr));
    document.body.classList.toggle("diverged", Boolean(state.diverged));
  }

  /**
   * In a race the counters, the network, the confusion matrix, the digits grid and the gradient
   * chart show runner 1's numbers (the frame's plain arrays and metrics): each says so.
   */
  runnerTags(state) {
    const r0 = state.race?.runners?.[0];
    const text = r0 ? t("race_runner_tag", { k: 1, label: r0.label }) : "";
    for (const el of document.querySelectorAll("[data-runner-tag]")) {
      el.hidden = !text;
      el.textContent = text;
      el.title = text ? t("race_runner_tag_title", { k: 1 }) : "";
    }
    measureTopbar();
  }

  /** Controls that send commands are usable only by the presenter, and only while connected. */
  enable(state) {
    const off = state.role === "viewer" || !state.connected;
    for (const id of ["#btn-play", "#btn-step", "#btn-reset"]) $(id).disabled = off;
    this.controls.setConnected(state.connected);
  }

  connection(state) {
    const s = state.connection;
    if (s.state === "closed") {
      this.enable(state);
      document.body.classList.add("offline");
      setBanner("#banner-conn", t("conn_lost", { s: (s.retryIn / 1000).toFixed(1) }));
    } else if (s.state === "open") {
      this.enable(state);
      document.body.classList.remove("offline");
      removeToast("offline");
      if (s.recovered) {
        setBanner("#banner-conn", t("conn_back"));
        clearTimeout(this.backTimer);
        this.backTimer = setTimeout(() => { if (this.getState().connected) setBanner("#banner-conn", ""); }, 4000);
      } else setBanner("#banner-conn", "");
    }
  }
}
