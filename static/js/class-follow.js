// A student in a class (docs/classroom.md): on the teacher's run, followed read-only at
// /view/{session}?class=CODE&student=ID#student_token=…, a "Try it" button makes the student's own
// copy of the run (POST /api/classes/{code}/students/{id}/fork) and opens it; on that copy
// (/s/{fork}?class=CODE&student=ID#token=…) "Back to the teacher" returns to following. The page
// also tells the class, now and then, that the student is still there (following or trying).

import { detailText, eventText, t } from "./i18n.js";

/** How often the page says the student is there when the server does not say (seconds). */
const PRESENCE_SECONDS = 20;

/** Where the join page keeps a student's details for this tab (static/js/join.js). */
export const storageKey = (code) => `backprop-class-${code}`;

/**
 * The class this page belongs to, from its address and what the tab keeps: {code, student,
 * token, followUrl} or null when the page is not a student's. The token comes from the address's
 * fragment (`student_token`), else from the tab's storage.
 */
export function classContext(location, stores = []) {
  const q = new URLSearchParams(location.search ?? "");
  const code = q.get("class"), student = q.get("student");
  if (!code || !student) return null;
  let kept = {};
  for (const store of stores) {
    try {
      const v = JSON.parse(store?.getItem(storageKey(code)) ?? "null");
      if (v && v.student_id === student) { kept = v; break; }
    } catch { /* no storage (private mode) or not ours */ }
  }
  const hash = new URLSearchParams(String(location.hash ?? "").replace(/^#/, ""));
  const token = hash.get("student_token") ?? kept.student_token ?? null;
  return { code, student, token, followUrl: kept.follow_url ?? null };
}

/** The request that makes (or replaces) the student's own copy of the teacher's run. */
export function forkRequest(ctx) {
  const path = `/api/classes/${encodeURIComponent(ctx.code)}/students/${encodeURIComponent(ctx.student)}`;
  return { url: `${path}/fork`, init: { method: "POST", headers: { "X-Student-Token": ctx.token ?? "" } } };
}

/** A refusal's words: its code's, else its detail's, else the HTTP status. */
export function refusalText(body, status) {
  return (body?.code && eventText(body)) || detailText(body?.detail ?? `HTTP ${status}`);
}

export class ClassFollow {
  /** bar: the top bar's class element; role: "viewer" (following) or "control" (trying). */
  constructor(bar, { role, toast, location = globalThis.location, stores, fetchFn }) {
    this.bar = bar;
    this.role = role;
    this.toast = toast;
    this.location = location;
    this.stores = stores ?? [globalThis.sessionStorage, globalThis.localStorage];
    this.fetch = fetchFn ?? ((u, i) => globalThis.fetch(u, i));
    this.ctx = classContext(location, this.stores);
    if (!this.ctx || !bar) return;
    this.try = bar.querySelector("#btn-try");
    this.back = bar.querySelector("#btn-back-teacher");
    this.try.hidden = role === "control";
    this.back.hidden = role !== "control";
    bar.hidden = false;
    this.try.addEventListener("click", () => this.fork());
    this.back.addEventListener("click", () => this.goBack());
    this.presence();
    this.timer = setInterval(() => this.presence(), PRESENCE_SECONDS * 1000);
  }

  get active() {
    return Boolean(this.ctx);
  }

  /** The teacher asked everyone to try (a `class_fork` notice): the button says so. */
  onEvent(ev) {
    if (!this.ctx || this.role === "control" || ev.type !== "notice" || ev.code !== "class_fork") return;
    this.try.classList.add("invited");
    this.try.focus({ preventScroll: true });
  }

  /** Keep what the fork answered (the way back) beside what the join page kept. */
  remember(extra) {
    for (const store of this.stores) {
      try {
        const key = storageKey(this.ctx.code);
        const v = JSON.parse(store?.getItem(key) ?? "null") ?? { code: this.ctx.code, student_id: this.ctx.student };
        store?.setItem(key, JSON.stringify({ ...v, student_token: this.ctx.token, ...extra }));
        return;
      } catch { /* try the next store */ }
    }
  }

  async fork() {
    const { url, init } = forkRequest(this.ctx);
    this.try.disabled = true;
    try {
      const r = await this.fetch(url, init);
      const body = await r.json().catch(() => ({}));
      if (!r.ok) { this.toast(t("class_fork_error", { msg: refusalText(body, r.status) }), "error"); return; }
      this.remember({ follow_url: body.follow_url ?? this.location.href });
      this.location.assign(body.control_url);
    } catch (err) {
      this.toast(t("class_fork_error", { msg: String(err.message ?? err) }), "error");
    } finally {
      this.try.disabled = false;
    }
  }

  async goBack() {
    let url = this.ctx.followUrl;
    if (!url) { // a tab that did not fork here: ask the class where the teacher's run is
      try {
        const r = await this.fetch(`/api/classes/${encodeURIComponent(this.ctx.code)}/students/${encodeURIComponent(this.ctx.student)}`,
          { headers: { "X-Student-Token": this.ctx.token ?? "" } });
        url = (await r.json()).follow_url ?? null;
      } catch { url = null; }
    }
    if (url) this.location.assign(url);
    else this.toast(t("class_back_error"), "error");
  }

  /** The student is still here: following the teacher, or trying their own copy. */
  presence() {
    const path = `/api/classes/${encodeURIComponent(this.ctx.code)}/students/${encodeURIComponent(this.ctx.student)}/presence`;
    this.fetch(path, {
      method: "POST", headers: { "Content-Type": "application/json", "X-Student-Token": this.ctx.token ?? "" },
      body: JSON.stringify({ mode: this.role === "control" ? "trying" : "following" }),
    }).catch(() => {});
  }
}
