// "Compare with training from scratch": one click creates a race session on the server with two
// runners, the fine-tuned network and the same architecture from random weights, on the same
// examples; this view follows that session over its own websocket and draws both loss and
// accuracy curves overlaid, the steps and seconds each needed to reach the target accuracy and
// both test accuracies. The numbers are the server's; nothing here is computed from guesses.

import { Socket, socketUrl } from "./socket.js";
import { decodeHeader } from "./frame.js";
import { History } from "./history.js";
import { LineChart } from "./charts.js";
import { NEG, POS } from "./colors.js";
import { formatCount, formatNumber } from "./scales.js";
import { detailText, t } from "./i18n.js";
import { compareRequest, modelRefusal, reachedFirst, splitRaceHistory, verdict } from "./finetune-logic.js";
import { ENGINE } from "./facts.js";

const GREY = [120, 120, 120];
const pct = (v) => (Number.isFinite(v) ? `${formatNumber(100 * v, 3)} %` : "–");
const secs = (v) => (Number.isFinite(v) ? `${formatNumber(v, 2)} s` : "–");

export class CompareView {
  /** root: the compare card; showError(slot, message); clearError(slot). */
  constructor(root, { showError, clearError }) {
    this.root = root;
    this.showError = showError;
    this.clearError = clearError;
    this.race = null; // {id, token}
    this.socket = null;
    this.history = new History();
    this.runners = null;
    this.winner = null;
    this.target = 0.8;
    this.running = false;
    this.chartVersion = -1;
    this.loss = new LineChart(root.querySelector("#ft-chart-loss"), { yLabel: () => t("loss_axis"), allowLog: true });
    this.acc = new LineChart(root.querySelector("#ft-chart-acc"), { yLabel: () => t("acc_axis"), yFixed: [0, 1], allowLog: false });
    for (const c of [this.loss, this.acc]) c.setOptions({ xLabel: t("steps") });
    root.querySelector("#ft-target").addEventListener("change", (e) => this.setTarget(Number(e.target.value)));
    root.querySelector("#ft-compare-more").addEventListener("click", () => this.more());
    addEventListener("pagehide", () => this.stop(true));
  }

  stepsWanted() {
    const n = Math.round(Number(this.root.querySelector("#ft-steps").value));
    return Number.isFinite(n) && n >= 1 ? Math.min(n, 10000) : 300;
  }

  /** Start a race for this fine-tuning configuration; csv: the uploaded file's text, if any. */
  async start(config, csv) {
    this.clearError("compare");
    const target = Number(this.root.querySelector("#ft-target").value);
    if (!(target > 0 && target <= 1)) {
      this.showError("compare", t("ft_target_bad", { v: this.root.querySelector("#ft-target").value }));
      return false;
    }
    this.target = target;
    if (!config?.model) {
      this.showError("compare", t("ft_compare_no_model"));
      return false;
    }
    if (config.model === "upload") {
      this.showError("compare", t("ft_compare_upload"));
      return false;
    }
    const body = compareRequest(config.data === "csv" ? { ...config, data: "digits" } : config, target);
    let r;
    try {
      r = await fetch("/api/sessions", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    } catch (err) {
      this.showError("compare", t("ft_net_error", { msg: String(err) }));
      return false;
    }
    if (!r.ok) {
      this.showError("compare", refusalText(await errorText(r)));
      return false;
    }
    const s = await r.json();
    this.stop(false);
    this.race = { id: s.id, token: s.token };
    if (config.data === "csv" && csv) { // the same examples: the same file
      const up = await postFile(`/api/sessions/${encodeURIComponent(s.id)}/csv`, s.token, csv.text, csv.name, "text/csv");
      if (!up.ok) {
        this.showError("compare", await errorText(up));
        return false;
      }
    }
    this.history.reset(["runner", "step"], []);
    this.runners = null;
    this.winner = null;
    this.firstSteps = this.stepsWanted();
    this.socket = new Socket(socketUrl(location, s.id, s.token), {
      onEvent: (ev) => this.onEvent(ev), onFrame: (b) => this.onFrame(b), onStatus: () => {},
      onGone: () => { this.running = false; this.render(); },
    });
    this.root.dataset.race = s.id;
    this.render();
    return true;
  }

  /** Close the race session (on a new comparison, or when the page goes away). */
  stop(leaving) {
    if (!this.race) return;
    const { id, token } = this.race;
    this.socket?.close();
    this.socket = null;
    this.race = null;
    try {
      fetch(`/api/sessions/${encodeURIComponent(id)}`, { method: "DELETE", headers: { "X-Control-Token": token }, keepalive: leaving });
    } catch { /* the server is gone: so is the session */ }
  }

  more() {
    if (!this.socket) return;
    this.socket.send({ type: "step", n: this.stepsWanted() });
    this.running = true;
    this.render();
  }

  setTarget(v) {
    if (!(v > 0 && v <= 1)) {
      this.showError("compare", t("ft_target_bad", { v }));
      return;
    }
    this.clearError("compare");
    this.target = v;
    this.socket?.send({ type: "race_target", target: { metric: "test_acc", value: v } });
    this.chartVersion = -1;
    this.render();
  }

  onEvent(ev) {
    if (ev.type === "hello") {
      this.history.reset(ev.history.columns, ev.history.rows);
      if (ev.race?.target?.value) this.target = ev.race.target.value;
      if (ev.race?.check_every) this.every = ev.race.check_every;
      if (this.firstSteps) { // the first hello: train both
        this.socket.send({ type: "step", n: this.firstSteps });
        this.firstSteps = 0;
        this.running = true;
      }
    } else if (ev.type === "history") {
      if (!this.history.put(ev.from, ev.rows)) this.socket?.resync();
    } else if (ev.type === "ack" && ev.command === "step") {
      this.running = false;
    } else if (ev.type === "state") {
      this.running = Boolean(ev.running) || this.running;
    } else if (ev.type === "error") {
      this.showError("compare", ev.message);
      this.running = false;
    } else if (ev.type === "config" && ev.race?.target?.value) {
      this.target = ev.race.target.value;
    }
    this.render();
  }

  onFrame(buffer) {
    let head;
    try { head = decodeHeader(buffer); } catch { return; }
    const h = head.header;
    if (h.kind === "data") return;
    if (h.points && h.history_from !== undefined && !this.history.put(h.history_from, h.points)) this.socket?.resync();
    if (h.runners) this.runners = h.runners;
    this.winner = h.winner ?? null;
    this.render();
  }

  // ------------------------------------------------------------------ showing
  render() {
    const root = this.root;
    root.querySelector("#ft-compare-more").disabled = !this.socket || this.running;
    const results = root.querySelector("#ft-results");
    const v = root.querySelector("#ft-verdict");
    if (!this.race) { results.innerHTML = ""; v.textContent = ""; return; }
    const rs = this.runners ?? [];
    const name = (k) => t(`ft_runner_${k}`);
    const rows = [0, 1].map((k) => {
      const r = rs[k];
      const m = r?.metrics ?? {};
      const hit = r?.reached;
      return `<tr data-runner="${k}" data-test-acc="${Number.isFinite(m.test_acc) ? m.test_acc : ""}" data-step="${r?.step ?? 0}">
        <th scope="row"><span class="swatch r${k}"></span>${name(k)}</th>
        <td>${formatCount(r?.step ?? 0)}</td><td>${secs(r?.seconds)}</td>
        <td>${hit ? formatCount(hit.step) : "–"}</td><td>${hit ? secs(hit.seconds) : "–"}</td>
        <td class="acc">${pct(m.test_acc)}</td></tr>`;
    }).join("");
    results.innerHTML = `<table class="ft-results"><thead><tr><th></th><th>${t("ft_col_steps")}</th><th>${t("ft_col_seconds")}</th>
      <th>${t("ft_col_reach_steps", { v: pct(this.target) })}</th><th>${t("ft_col_reach_seconds")}</th><th>${t("ft_col_test_acc")}</th></tr></thead>
      <tbody>${rows}</tbody></table>
      <p class="hint ft-checked">${t("ft_checked_every", { n: this.every ?? ENGINE.check_every })}</p>`;
    const verdictKey = verdict(rs);
    let text = this.running ? t("ft_racing") + " " : "";
    const first = reachedFirst(this.winner, this.every ?? ENGINE.check_every);
    if (first) {
      const p = first.params;
      text += t(first.key, { v: pct(this.target), step: formatCount(p.step), s: secs(p.seconds), every: p.every }) + " ";
    } else if (rs.length) text += t("ft_none_reached", { v: pct(this.target) }) + " ";
    v.dataset.tie = first?.key === "ft_first_tie" ? "true" : "";
    if (verdictKey === "finetuned") text += t("ft_verdict_finetuned");
    else if (verdictKey === "scratch") text += t("ft_verdict_scratch");
    else if (verdictKey === "tie") text += t("ft_verdict_tie");
    v.textContent = text.trim();
    v.dataset.verdict = verdictKey ?? "";
  }

  draw() {
    if (this.history.version !== this.chartVersion) {
      this.chartVersion = this.history.version;
      const [a, b] = splitRaceHistory(this.history.columns, this.history.rows, 2);
      const name = (k) => t(`ft_runner_${k}`);
      // the runners step in lockstep, so their points share the steps
      const xs = a.xs.length <= b.xs.length ? a.xs : b.xs;
      const cut = (ys) => ys.subarray(0, xs.length);
      this.loss.setData({ xs, series: [
        { label: `${name(0)} ${t("train")}`, color: POS, ys: cut(a.train_loss) },
        { label: `${name(0)} ${t("test")}`, color: POS, ys: cut(a.test_loss), dashed: true },
        { label: `${name(1)} ${t("train")}`, color: NEG, ys: cut(b.train_loss) },
        { label: `${name(1)} ${t("test")}`, color: NEG, ys: cut(b.test_loss), dashed: true },
      ] });
      this.acc.setData({ xs, series: [
        { label: `${name(0)} ${t("test")}`, color: POS, ys: cut(a.test_acc) },
        { label: `${name(1)} ${t("test")}`, color: NEG, ys: cut(b.test_acc) },
        { label: t("ft_target_line", { v: pct(this.target) }), color: GREY, ys: new Float64Array(xs.length).fill(this.target), dashed: true },
      ] });
    }
    this.loss.draw();
    this.acc.draw();
  }

  relabel() {
    for (const c of [this.loss, this.acc]) c.setOptions({ xLabel: t("steps") });
    this.chartVersion = -1;
    this.render();
  }
}

/** The message of a failed HTTP answer: FastAPI's detail (a string or [{code, field, message}]). */
export async function errorText(r) {
  let detail = null;
  try { detail = (await r.json()).detail; } catch { /* not JSON */ }
  if (Array.isArray(detail) || typeof detail === "string") return detailText(detail);
  return `HTTP ${r.status}`;
}

/** A refusal in the page's words when it is about the model (modelRefusal), else as it is. */
export function refusalText(message) {
  if (!/^(?:runners\[\d+\]\.)?model:/.test(message)) return message;
  const r = modelRefusal(message.replace(/^runners\[\d+\]\./, ""));
  return t(r.key, r.params);
}

/** POST a file (multipart field `file`) with the control token. */
export function postFile(url, token, content, name, type) {
  const form = new FormData();
  form.append("file", content instanceof Blob ? content : new Blob([content], { type }), name);
  return fetch(url, { method: "POST", headers: { "X-Control-Token": token }, body: form });
}
