// The lessons: a menu of ready classroom scenarios (GET /api/lessons?lang=…) and, once one is
// loaded into the session (the `lesson` command), a card with its explanation, the question to
// ask the class and what to look at, in the page's language, with its variants (before / after,
// three settings, …) as buttons. The server says which lesson and variant are loaded (`lesson`
// events and `hello`), so a viewer page shows the same card.

import { getLanguage, t } from "./i18n.js";
import { formatCount, roundSig } from "./scales.js";

/**
 * How long a lesson's run lasts on the screen, in seconds: long enough for a class to watch the
 * curves move, short enough to keep the lesson going. A lesson's pace (steps per second, the
 * `speed` command the page sends when it loads a lesson) is its `steps` over this; see
 * docs/teaching.md.
 */
export const LESSON_SECONDS = 10;

/** A lesson's pace in steps per second (two significant digits, 1 to 1,000), or null without steps. */
export function lessonPace(lesson) {
  const steps = Number(lesson?.steps);
  if (!(steps > 0)) return null;
  return Math.min(1000, Math.max(1, roundSig(steps / LESSON_SECONDS, 2)));
}

const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

/** The lesson named `name` in a catalogue, or null. */
export function findLesson(catalogue, name) {
  return (catalogue ?? []).find((l) => l.name === name) ?? null;
}

/** The variants of a lesson as buttons: [{name, label}], empty for a single run or a race. */
export function variantsOf(lesson) {
  if (!lesson || lesson.race) return [];
  return (lesson.runs ?? []).filter((r) => r.label).map((r) => ({ name: r.name, label: r.label }));
}

/** The variant in force: the one named, else the lesson's first. */
export function currentVariant(lesson, variant) {
  const vs = variantsOf(lesson);
  if (!vs.length) return null;
  return vs.some((v) => v.name === variant) ? variant : vs[0].name;
}

export class LessonsView {
  /**
   * menu: a <dialog> for the list; card: the element showing the loaded lesson;
   * send(cmd); fetchJson(url) → Promise of the parsed answer (injectable for tests).
   */
  constructor(menu, card, { send, fetchJson, onChange, onFocus }) {
    this.menu = menu;
    this.card = card;
    this.send = send;
    this.fetchJson = fetchJson ?? (async (url) => {
      const r = await fetch(url);
      if (!r.ok) throw new Error(`${url}: ${r.status}`);
      return r.json();
    });
    this.onChange = onChange ?? (() => {});
    this.onFocus = onFocus ?? (() => {});
    this.focusKey = ""; // the lesson (and variant) whose views were last brought forward
    this.until = null; // the step where play stops (the server's `until`), or null
    this.catalogue = null;
    this.lang = null;
    this.current = null; // {name, variant}
    this.role = "control";
    this.error = null;
    this.cardClosed = false;
    menu.addEventListener("click", (e) => {
      const b = e.target.closest("button[data-lesson]");
      if (b) this.load(b.dataset.lesson, null);
      if (e.target.closest("[data-close]")) menu.close();
    });
    card.addEventListener("click", (e) => {
      const v = e.target.closest("button[data-variant]");
      if (v && this.current) this.load(this.current.name, v.dataset.variant);
      if (e.target.closest("[data-open-menu]")) this.openMenu();
      if (e.target.closest("[data-close-card]")) { this.cardClosed = true; this.render(); this.onChange(); }
    });
  }

  setRole(role) {
    this.role = role;
    this.render();
  }

  /** The catalogue in the page's language (fetched once per language). */
  async ensure() {
    const lang = getLanguage();
    if (this.catalogue && this.lang === lang) return this.catalogue;
    try {
      const list = await this.fetchJson(`/api/lessons?lang=${encodeURIComponent(lang)}`);
      this.catalogue = list;
      this.lang = lang;
      this.error = null;
    } catch (err) {
      this.error = String(err.message ?? err);
    }
    this.render();
    return this.catalogue;
  }

  async openMenu() {
    this.renderMenu();
    if (!this.menu.open) this.menu.showModal();
    await this.ensure();
    this.renderMenu();
  }

  /** Teacher: load a lesson (and variant) into the session. */
  load(name, variant) {
    if (this.role !== "control") return;
    const lesson = findLesson(this.catalogue, name);
    const v = variant ?? (lesson ? currentVariant(lesson, null) : null);
    const fresh = this.current?.name !== name; // a new lesson, not another variant of this one
    this.send({ type: "lesson", name, variant: v });
    // a new lesson runs at its pace (a variant keeps the speed the teacher has chosen since)
    const pace = fresh ? lessonPace(lesson) : null;
    if (pace !== null) this.send({ type: "speed", steps_per_second: pace });
    this.pending = { name, variant: v };
    if (this.menu.open) this.menu.close();
    this.cardClosed = false;
    this.render();
  }

  /** The server's word on the loaded lesson (`lesson` event, hello.lesson); null for none. */
  setCurrent(lesson) {
    this.current = lesson?.name ? { name: lesson.name, variant: lesson.variant ?? null } : null;
    this.pending = null;
    if (this.current) { this.cardClosed = false; this.ensure(); }
    this.render();
  }

  /** The server's `until` (hello, state): where play stops by itself; null for no limit. */
  setUntil(until) {
    const v = Number.isFinite(until) ? until : null;
    if (v === this.until) return;
    this.until = v;
    this.render();
  }

  /** Language switched: fetch the texts again. */
  relabel() {
    this.ensure().then(() => { this.render(); if (this.menu.open) this.renderMenu(); });
    this.render();
  }

  sharedState() {
    return { closed: this.cardClosed, menu: this.menu.open };
  }

  applyShared(s) {
    if (!s) return;
    this.cardClosed = Boolean(s.closed);
    this.render();
  }

  renderMenu() {
    const control = this.role === "control";
    const items = (this.catalogue ?? []).map((l) => `
      <li><button type="button" data-lesson="${esc(l.name)}" ${control ? "" : "disabled"}
        ${this.current?.name === l.name ? 'aria-current="true"' : ""}>
        <strong>${esc(l.title)}</strong><span>${esc(l.explanation)}</span></button></li>`).join("");
    const body = this.error ? `<p class="field-error">${esc(t("lessons_error", { msg: this.error }))}</p>`
      : this.catalogue ? `<ol class="lessons-list">${items}</ol>` : `<p>${esc(t("waiting"))}</p>`;
    this.menu.innerHTML = `<h2>${esc(t("lessons_title"))}</h2>
      <p class="hint">${esc(t(control ? "lessons_hint" : "lessons_hint_viewer"))}</p>${body}
      <form method="dialog"><button data-close>${esc(t("close"))}</button></form>`;
  }

  render() {
    const cur = this.current;
    const lesson = cur ? findLesson(this.catalogue, cur.name) : null;
    this.card.hidden = !cur || this.cardClosed;
    this.card.dataset.lesson = cur?.name ?? "";
    this.card.dataset.variant = cur?.variant ?? "";
    this.card.dataset.until = this.until ?? "";
    this.focus(cur && lesson && !this.cardClosed ? lesson : null);
    if (!cur) { this.card.innerHTML = ""; return; }
    if (!lesson) {
      this.card.innerHTML = `<p>${esc(this.error ? t("lessons_error", { msg: this.error }) : t("waiting"))}</p>`;
      return;
    }
    const control = this.role === "control";
    const variant = currentVariant(lesson, cur.variant);
    const vs = variantsOf(lesson).map((v) => `<button type="button" data-variant="${esc(v.name)}"
      aria-pressed="${v.name === variant}" ${control ? "" : "disabled"}>${esc(v.label)}</button>`).join("");
    this.card.innerHTML = `
      <div class="lesson-head">
        <h2><span class="lesson-kicker">${esc(t("lesson_kicker"))}</span> ${esc(lesson.title)}</h2>
        ${vs ? `<div class="lesson-variants" role="group" aria-label="${esc(t("lesson_variants"))}"><span>${esc(t("lesson_variants"))}</span> ${vs}</div>` : ""}
        ${lesson.race ? `<span class="lesson-race">${esc(t("lesson_is_race"))}</span>` : ""}
        <span class="lesson-tools"><button type="button" class="small" data-open-menu>${esc(t("lessons_all"))}</button>
        <button type="button" class="small" data-close-card aria-label="${esc(t("close"))}">×</button></span>
      </div>
      <p class="lesson-text">${esc(lesson.explanation)}</p>
      <div class="lesson-qa">
        <p><strong>${esc(t("lesson_question"))}</strong> ${esc(lesson.question)}</p>
        <p><strong>${esc(t("lesson_look_at"))}</strong> ${esc(lesson.look_at)}</p>
        ${lessonPace(lesson) !== null ? `<p class="lesson-pace">${esc(t("lesson_pace", { n: formatCount(lessonPace(lesson)), s: formatCount(lesson.steps / lessonPace(lesson)) }))}</p>` : ""}
        ${this.until !== null ? `<p class="lesson-until">${esc(t("lesson_until", { n: formatCount(this.until) }))}</p>` : ""}
      </div>`;
  }

  /**
   * Bring the loaded lesson's `focus` views forward, once per lesson and variant loaded (not
   * on every redraw), and let them go when the card is closed or no lesson is loaded.
   */
  focus(lesson) {
    const key = lesson ? `${this.current?.name}/${this.current?.variant ?? ""}` : "";
    if (key === this.focusKey) return;
    this.focusKey = key;
    this.onFocus(lesson ? [...(lesson.focus ?? [])] : [], Boolean(lesson));
  }
}
