// The teacher's side of a class (docs/classroom.md), on the teacher's control page: "Class" in
// the top bar opens a panel that starts a class (POST /api/classes), shows its join code, link
// and QR code (large, in a dialog, for the projector), reads the roster and the leaderboard
// (GET /api/classes/{code}, every 1.5 s while the panel is open and the tab visible), sends
// "everyone: try it" (fork-all), sets the challenge and ends the class. "Project" shows a
// student's run in this tab, read-only (its viewer page, marked ?teacher_class=CODE), with
// "Back to my run". What the tab keeps (sessionStorage) lets a reload keep the class.

import { t } from "./i18n.js";
import { measureTopbar } from "./page-ui.js";
import {
  PROJECTING, challengeBody, challengeText, classGone, firstDirection, formatAcc, formatLoss,
  formatSeconds, keepClass, keptClass, refusalWords, sortRoster, sparkLines, violationText,
} from "./class-teacher-logic.js";

const POLL_MS = 1500;
const SVG = "http://www.w3.org/2000/svg";
/** The fields offered as "students may change" besides the live ones. */
const STRUCTURE_FIELDS = ["layers", "activation", "features", "init", "seed"];

export class ClassTeacher {
  /**
   * getState() → the page's state (session id, token, role, config, presenterMode);
   * toast(text, kind); onPresenter(on) puts presenter mode on (the projected page keeps it).
   */
  constructor(root, { getState, toast, onPresenter, location = globalThis.location,
    store = globalThis.sessionStorage, fetchFn }) {
    Object.assign(this, { root, getState, toast, onPresenter, location, store });
    this.fetch = fetchFn ?? ((u, i) => globalThis.fetch(u, i));
    this.$ = (s) => root.querySelector(s);
    this.button = document.querySelector("#btn-class");
    this.panel = this.$("#class-panel");
    this.cls = null; // {code, class_token, session, control_url, name, join_url, qr_url}
    this.view = null; // the last GET /api/classes/{code}
    this.sort = { key: "name", dir: 1 };
    this.timer = null;
    this.projecting = null; // the code, on a student's run shown in the teacher's tab
  }

  /** After the page knows its session and role: show the class button where it belongs. */
  start() {
    const st = this.getState();
    const q = new URLSearchParams(this.location.search ?? "");
    const student = q.get("class") && q.get("student"); // a student's page: not a teacher's
    const kept = keptClass(this.store);
    if (q.get(PROJECTING) && kept?.code === q.get(PROJECTING)) {
      this.projecting = kept.code;
      this.cls = kept;
    } else if (st.role === "control" && !student) {
      this.cls = keptClass(this.store, st.sessionId);
    } else {
      return; // a viewer or a student: no class controls
    }
    this.bind();
    this.button.hidden = false;
    this.showClass();
    if (this.projecting) this.showProjected();
    else if (this.cls?.back) { // back from the projector: presenter mode as it was there
      const { back, ...rest } = this.cls;
      this.cls = rest;
      keepClass(this.store, rest);
      if (back.presenter) this.onPresenter(true);
    }
  }

  bind() {
    this.button.addEventListener("click", () => this.open(this.panel.hidden));
    this.$("#class-close").addEventListener("click", () => this.open(false));
    this.$("#class-start").addEventListener("submit", (e) => { e.preventDefault(); this.startClass(); });
    this.$("#class-show-code").addEventListener("click", () => this.showCode());
    this.$("#class-forkall").addEventListener("submit", (e) => { e.preventDefault(); this.forkAll(); });
    this.$("#class-challenge").addEventListener("submit", (e) => { e.preventDefault(); this.setChallenge(); });
    this.$("#ch-clear").addEventListener("click", () => this.clearChallenge());
    this.$("#ch-any").addEventListener("change", (e) => { this.$("#ch-fields").hidden = e.target.checked; });
    this.$("#ch-metric").addEventListener("change", (e) => {
      this.$("#ch-target").value = e.target.value === "test_acc" ? "0.9" : "0.3";
    });
    this.$("#class-end").addEventListener("click", () => { this.$("#class-end-confirm").hidden = false; });
    this.$("#class-end-no").addEventListener("click", () => { this.$("#class-end-confirm").hidden = true; });
    this.$("#class-end-yes").addEventListener("click", () => this.endClass());
    for (const b of this.root.querySelectorAll("th button[data-sort]")) {
      b.addEventListener("click", () => this.sortBy(b.dataset.sort));
    }
    this.$("#class-roster tbody").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-student]");
      if (b) this.project(b.dataset.student);
    });
    document.querySelector("#class-back").addEventListener("click", () => this.backToMine());
    document.addEventListener("visibilitychange", () => this.schedule());
    this.panel.addEventListener("keydown", (e) => {
      if (e.key === "Escape") { this.open(false); this.button.focus(); }
    });
  }

  /** Open or close the panel; it reads the class only while open. */
  open(on) {
    this.panel.hidden = !on;
    this.button.setAttribute("aria-expanded", String(on));
    if (on) {
      this.loadFields();
      (this.cls ? this.$("#class-show-code") : this.$("#class-name")).focus({ preventScroll: true });
    }
    this.schedule();
  }

  /** Poll while the panel is open and the tab visible; stop otherwise. */
  schedule() {
    clearTimeout(this.timer);
    this.timer = null;
    if (!this.cls || this.panel.hidden || document.hidden) return;
    const tick = async () => {
      await this.refresh();
      if (this.timer !== null) this.timer = setTimeout(tick, POLL_MS);
    };
    this.timer = setTimeout(tick, 0);
  }

  async request(method, path, body) {
    const headers = { "X-Class-Token": this.cls?.class_token ?? "" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const r = await this.fetch(`/api/classes/${encodeURIComponent(this.cls.code)}${path}`,
      { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const data = r.status === 204 ? {} : await r.json().catch(() => ({}));
    if (!r.ok && classGone(data, r.status)) { // the student-facing words would say "ask the teacher"
      const ended = Array.isArray(data?.detail) && data.detail[0]?.code === "class_ended";
      this.forget(ended ? t("class_ended_here") : refusalWords(data, r.status));
    }
    return { ok: r.ok, status: r.status, data };
  }

  /** Say a refusal in the panel (its code's words) and as a toast. */
  refused(res) {
    this.error(refusalWords(res.data, res.status));
  }

  error(text) {
    const box = this.$("#class-error");
    box.textContent = text ?? "";
    box.hidden = !text;
    if (text) this.toast(text, "error", "class");
  }

  async startClass() {
    const st = this.getState();
    const name = this.$("#class-name").value.trim();
    this.error("");
    let r, data;
    try {
      r = await this.fetch("/api/classes", {
        method: "POST", headers: { "Content-Type": "application/json", "X-Control-Token": st.token ?? "" },
        body: JSON.stringify(name ? { session: st.sessionId, name } : { session: st.sessionId }),
      });
      data = await r.json().catch(() => ({}));
    } catch (err) { this.error(t("class_offline")); return; }
    if (!r.ok) { this.refused({ data, status: r.status }); return; }
    this.cls = {
      code: data.code, class_token: data.class_token, session: st.sessionId, name: data.name,
      join_url: data.join_url, qr_url: `/api/classes/${encodeURIComponent(data.code)}/qr.svg`,
      control_url: `/s/${encodeURIComponent(st.sessionId)}#token=${encodeURIComponent(st.token ?? "")}`,
    };
    keepClass(this.store, this.cls);
    this.showClass();
    this.showCode();
    this.schedule();
  }

  /** The class is over for this tab (ended, gone, or refused): back to "Start a class". */
  forget(reason) {
    this.cls = null;
    this.view = null;
    keepClass(this.store, null);
    clearTimeout(this.timer);
    this.timer = null;
    this.showClass();
    if (reason) this.error(reason);
  }

  /** The teacher's own socket events: an ended class (the server ended it) is forgotten. */
  onEvent(ev) {
    if (this.cls && ev?.type === "notice" && ev.code === "class_ended" && ev.value === this.cls.code) {
      this.forget(t("class_ended_here"));
    }
  }

  showClass() {
    const on = Boolean(this.cls);
    this.$("#class-start").hidden = on;
    this.$("#class-live").hidden = !on;
    document.querySelector("#class-btn-code").textContent = on ? this.cls.code : "";
    if (!on) return;
    this.$("#class-code").textContent = this.cls.code;
    const link = this.cls.join_url ?? `${this.location.origin}/j/${this.cls.code}`;
    const a = this.$("#class-link");
    a.href = link;
    a.textContent = link.replace(/^https?:\/\//, "");
    this.$("#class-big-code").textContent = this.cls.code;
    this.$("#class-big-link").textContent = a.textContent;
    this.render();
  }

  /** The join code, link and QR code, large enough for the back of the room. */
  showCode() {
    if (!this.cls) return;
    this.$("#class-qr").src = this.cls.qr_url;
    this.$("#class-qr").alt = t("class_qr_alt", { code: this.cls.code });
    const d = document.querySelector("#class-code-dialog");
    if (!d.open) d.showModal();
  }

  async refresh() {
    if (!this.cls) return;
    try {
      const res = await this.request("GET", "");
      if (res.ok) { this.view = res.data; this.render(); }
      else if (this.cls) this.refused(res);
    } catch { this.error(t("class_offline")); }
  }

  sortBy(key) {
    this.sort = this.sort.key === key ? { key, dir: -this.sort.dir } : { key, dir: firstDirection(key) };
    this.render();
  }

  /** Roster, leaderboard and challenge from the last class view (and on a language switch). */
  render() {
    if (!this.cls) return;
    const v = this.view;
    const students = v?.students ?? [];
    this.$("#class-count").textContent = v ? t("class_count", { n: students.length }) : "";
    this.$("#class-empty").hidden = students.length > 0;
    for (const th of this.root.querySelectorAll("th[data-sort]")) {
      th.setAttribute("aria-sort", th.dataset.sort === this.sort.key ? (this.sort.dir > 0 ? "ascending" : "descending") : "none");
    }
    const body = this.$("#class-roster tbody");
    const focused = document.activeElement?.closest?.("#class-roster button[data-student]")?.dataset.student;
    body.replaceChildren(...sortRoster(students, this.sort.key, this.sort.dir).map((s) => this.row(s, v.projected)));
    if (focused) body.querySelector(`button[data-student="${CSS.escape(focused)}"]`)?.focus({ preventScroll: true });
    this.$("#class-challenge-now").textContent = challengeText(v?.challenge ?? null);
    this.$("#class-board").replaceChildren(...(v?.challenge ? (v.leaderboard ?? []).map((e) => this.boardEntry(e)) : []));
  }

  row(s, projected) {
    const tr = document.createElement("tr");
    tr.dataset.student = s.id;
    const cell = (text, cls) => {
      const td = document.createElement("td");
      td.textContent = text; // names as typed, never as markup
      if (cls) td.className = cls;
      tr.append(td);
      return td;
    };
    cell(s.name, "class-name");
    cell(t(`class_state_${s.state}`) === `class_state_${s.state}` ? s.state : t(`class_state_${s.state}`), `class-state ${s.state}`);
    cell(s.diverged ? t("class_diverged") : formatAcc(s.test_acc), "num");
    cell(s.diverged ? "–" : formatLoss(s.test_loss), "num");
    cell("", "spark").append(sparkline(s.sparkline));
    const act = cell("", "act");
    if (s.fork) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "small";
      b.dataset.student = s.id;
      const on = projected?.student === s.id;
      b.textContent = t(on ? "class_projected" : "class_project");
      b.setAttribute("aria-pressed", String(on));
      act.append(b);
    }
    return tr;
  }

  boardEntry(e) {
    const li = document.createElement("li");
    li.className = e.rank ? "met" : "not-met";
    const rank = document.createElement("span");
    rank.className = "rank";
    rank.textContent = e.rank ? String(e.rank) : "–";
    const name = document.createElement("span");
    name.className = "who";
    name.textContent = e.name;
    const what = document.createElement("span");
    what.className = "what";
    const value = typeof e.value === "number" ? String(Number(e.value.toPrecision(3))) : "–";
    what.textContent = e.reached
      ? t("class_reached", { time: formatSeconds(e.reached.seconds), step: e.reached.step, value })
      : [t("class_not_yet", { value }), ...(e.violations ?? []).map((x) => violationText(x))].join(" · ");
    li.append(rank, name, what);
    return li;
  }

  async forkAll() {
    const message = this.$("#class-message").value.trim();
    const res = await this.request("POST", "/fork-all", { message });
    if (!res.ok) { this.refused(res); return; }
    this.error("");
    this.toast(t("class_forkall_sent", { n: res.data.sent_to ?? 0 }), "info", "class");
  }

  /** The live fields and a few structural ones, as checkboxes for "students may change". */
  async loadFields() {
    const box = this.$("#ch-fields");
    if (box.childElementCount) return;
    let schema = [];
    try { schema = await (await this.fetch("/api/schema")).json(); } catch { return; }
    const names = schema.filter((f) => f.live || STRUCTURE_FIELDS.includes(f.name)).map((f) => f.name);
    box.replaceChildren(...names.map((n) => {
      const label = document.createElement("label");
      label.className = "inline";
      const input = document.createElement("input");
      input.type = "checkbox";
      input.value = n;
      input.checked = n === "lr";
      const code = document.createElement("code");
      code.textContent = n;
      label.append(input, code);
      return label;
    }));
  }

  async setChallenge() {
    const $ = this.$;
    const allowed = $("#ch-any").checked ? null
      : [...this.root.querySelectorAll("#ch-fields input:checked")].map((i) => i.value);
    const read = challengeBody({
      metric: $("#ch-metric").value, target: $("#ch-target").value, maxUnits: $("#ch-units").value,
      maxEpochs: $("#ch-epochs").value, allowed,
      data: $("#ch-data").checked ? (this.getState().config?.data ?? null) : null,
    });
    if (read.error) { this.error(t(read.error.key, read.error.params)); return; }
    const res = await this.request("PUT", "/challenge", read.body);
    if (!res.ok) { this.refused(res); return; }
    this.error("");
    if (this.view) this.view = { ...this.view, challenge: res.data.challenge, leaderboard: [] };
    this.render();
    this.toast(t("class_challenge_set"), "info", "class");
  }

  async clearChallenge() {
    const res = await this.request("DELETE", "/challenge");
    if (!res.ok) { this.refused(res); return; }
    if (this.view) this.view = { ...this.view, challenge: null, leaderboard: [] };
    this.render();
  }

  async endClass() {
    this.$("#class-end-confirm").hidden = true;
    const res = await this.request("DELETE", "");
    if (!res.ok && this.cls) { this.refused(res); return; }
    this.forget(null);
    this.toast(t("class_ended_here"), "info", "class");
  }

  /** Show a student's run in this tab, read-only with the name; the class stays kept. */
  async project(student) {
    const res = await this.request("POST", "/project", { student });
    if (!res.ok) { this.refused(res); return; }
    const p = res.data.projected;
    if (!p) return;
    keepClass(this.store, { ...this.cls, projected: { student: p.student, name: p.name },
      presenter: Boolean(this.getState().presenterMode) });
    this.location.assign(`/view/${encodeURIComponent(p.session)}?${PROJECTING}=${encodeURIComponent(this.cls.code)}`);
  }

  showProjected() {
    const bar = document.querySelector("#class-projected");
    document.querySelector("#banners")?.prepend(bar);
    bar.hidden = false;
    this.relabel();
    if (this.cls.presenter) this.onPresenter(true);
    measureTopbar(); // presenter mode sizes the views to what the banners leave
  }

  /** The words drawn by code (the rest is data-i18n), in the page's language. */
  relabel() {
    if (this.projecting) {
      document.querySelector("#class-projected-text").textContent =
        t("class_projecting", { name: this.cls.projected?.name ?? "?" });
    }
    this.render();
  }

  async backToMine() {
    try { await this.request("POST", "/project", { student: null }); } catch { /* go back anyway */ }
    const kept = keptClass(this.store);
    if (kept) keepClass(this.store, { ...kept, projected: null, back: { presenter: Boolean(this.getState().presenterMode) } });
    this.location.assign(kept?.control_url ?? this.cls?.control_url ?? "/");
  }
}

/** A small line of the last test accuracies (0 to 1), as SVG. */
function sparkline(values) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 80 20");
  svg.setAttribute("class", "class-spark");
  svg.setAttribute("aria-hidden", "true");
  for (const pts of sparkLines(values, 80, 20)) {
    const line = document.createElementNS(SVG, pts.length === 1 ? "circle" : "polyline");
    if (pts.length === 1) {
      const [x, y] = pts[0].split(",");
      line.setAttribute("cx", x); line.setAttribute("cy", y); line.setAttribute("r", "1.5");
    } else line.setAttribute("points", pts.join(" "));
    svg.append(line);
  }
  return svg;
}
