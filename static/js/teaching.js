// Teaching mode wired to the page: the step walkthrough, the lessons and the optimizer race, and
// the presenter link between them: the teacher's page sends its view state (`presenter`
// command) whenever it changes, and a viewer page follows it, so a class sees the teacher's
// walk, phase by phase, on its own screens.

import { Walkthrough } from "./walkthrough.js";
import { detailText } from "./i18n.js";
import { LessonsView } from "./lessons-view.js";
import { RaceView } from "./race-view.js";

const SHARE_DELAY_MS = 80; // coalesce bursts of changes into one presenter message

export class Teaching {
  /**
   * $: querySelector; network: NetworkView; send(cmd); getState(): the page state;
   * onFocus(names, scroll): a lesson's views to bring forward (empty: none);
   * presenterMode() → whether this page is in presenter mode (shared with the viewers).
   */
  constructor({ $, network, send, getState, onFocus, presenterMode }) {
    this.send = send;
    this.presenterMode = presenterMode ?? (() => false); // the teacher's page: presenter mode on
    this.getState = getState;
    this.role = "control";
    this.timer = null;
    const share = () => this.share();
    this.walk = new Walkthrough($("#walkthrough"), { network, send, onChange: share });
    this.lessons = new LessonsView($("#lessons-menu"), $("#lesson-card"), { send, onChange: share, onFocus });
    this.race = new RaceView($("#race-panel"), $("#race-setup"), {
      getState, send, createSession: (runners, target) => this.createRace(runners, target),
    });
    $("#btn-walk").addEventListener("click", () => this.walk.open(!this.walk.isOpen));
    $("#btn-lessons").addEventListener("click", () => this.lessons.openMenu());
    $("#btn-race").addEventListener("click", () => this.race.openSetup());
    this.buttons = { walk: $("#btn-walk"), race: $("#btn-race") };
  }

  setRole(role) {
    this.role = role;
    this.walk.setRole(role);
    this.lessons.setRole(role);
    this.race.setRole(role);
    this.buttons.race.disabled = role !== "control";
  }

  /** Socket events that concern teaching mode. */
  onEvent(ev) {
    switch (ev.type) {
      case "hello":
        this.setRole(ev.role ?? this.role);
        this.relabel(); // the page's language is known by now
        this.race.setRace(ev.race ?? ev.config?.race ?? null, ev.info);
        this.walk.setContext(ev.info ? { ...ev.info, race: ev.race ?? null } : ev.info, ev.config);
        this.lessons.setUntil(ev.until ?? null);
        this.lessons.setCurrent(ev.lesson ?? null);
        // a late joiner gets every phase of the last walked step (`phases`), else the last one
        if (Array.isArray(ev.phases) && ev.phases.length) for (const p of ev.phases) this.walk.onPhase(p);
        else if (ev.phase) this.walk.onPhase(ev.phase);
        if (ev.presenter && this.role !== "control") this.applyShared(ev.presenter);
        break;
      case "config":
        if ("race" in ev) this.race.setRace(ev.race, ev.info);
        if (ev.info) this.walk.setContext({ ...ev.info, race: ev.race ?? null }, ev.config);
        break;
      case "phase":
        this.walk.onPhase(ev);
        break;
      case "state":
        if ("until" in ev) this.lessons.setUntil(ev.until ?? null);
        break;
      case "lesson":
        this.lessons.setCurrent(ev);
        break;
      case "presenter":
        if (this.role !== "control") this.applyShared(ev.state);
        break;
      default:
        break;
    }
  }

  setData(arrays) {
    this.race.setData(arrays);
  }

  update(frame) {
    this.walk.update(frame);
    if (this.race.race) this.race.update(frame);
  }

  /** Called every animation frame; returns whether the network must be redrawn (animation). */
  draw(history, fresh) {
    this.race.draw(history, fresh);
    return this.walk.animating();
  }

  /** Keys for teaching mode (→ ← walk the phases while the walk is open). */
  onKey(e) {
    return this.walk.onKey(e);
  }

  onSelect(target) {
    if (this.walk.isOpen && this.role === "control") this.walk.selectNeuron(target);
  }

  relabel() {
    this.walk.relabel();
    this.lessons.relabel();
    this.race.relabel();
  }

  // ------------------------------------------------------------------ presenter
  sharedState() {
    return { walk: this.walk.sharedState(), lesson: this.lessons.sharedState(), presenter: this.presenterMode() };
  }

  share() {
    if (this.role !== "control") return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.send({ type: "presenter", state: this.sharedState() }), SHARE_DELAY_MS);
  }

  applyShared(s) {
    if (!s || typeof s !== "object") return;
    this.walk.applyShared(s.walk);
    this.lessons.applyShared(s.lesson);
  }

  // ------------------------------------------------------------------ race sessions
  /** Create a race session with the current configuration and go to it. */
  async createRace(runners, target) {
    const config = { ...(this.getState().config ?? {}) };
    const r = await fetch("/api/sessions", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ config, race: { runners, target } }),
    });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) {
      const d = body.detail;
      throw new Error(detailText(d ?? r.status));
    }
    location.assign(`/s/${encodeURIComponent(body.id)}#token=${encodeURIComponent(body.token)}`);
  }
}
