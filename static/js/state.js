// The page's state and the one function that changes it: reduce(state, event) → a new state.
// Every server event (hello, state, config, history, diverged, notice, error, ack, lesson,
// presenter, phase), every binary frame (its header), the connection's status and the drawing
// loop's ticks go through reduce; the views only read the state it returns.
//
// Besides the run's facts, a state says what its last event changed (`changed`, for the views
// to refresh), what the page should say about it (`said`: toasts, as words to look up in the
// page's language, never the server's English) and where an error goes (`error`).
// `history` is the metric log (history.js): appended to in place, never copied.

import { History } from "./history.js";
import { formatCount } from "./scales.js";
import { addSample, NO_RATE } from "./rate.js";

/** Commands that run training: refused once the run has diverged. */
const RUN_COMMANDS = ["play", "step", "epoch"];

/** Notice codes that say a rebuild, which the config event before them has said already. */
const REBUILD_CODES = { rebuilt: null, race_rebuilt: null, csv_loaded: "data", model_loaded: "network" };

/** Notice codes (or, before codes, `reason`s) of a pause the page says in its own words. */
const PAUSE_CODES = { until_reached: "until", lesson_until_reached: "until", idle_paused: "idle" };

/** The state of a page before any event: {sessionId, role} from the page's address. */
export function initialState({ sessionId = null, role = "control" } = {}) {
  return {
    sessionId, token: null, role,
    config: null, info: null, running: false, speed: null,
    step: 0, epoch: 0, diverged: null, race: null, until: null,
    lesson: null, presenter: null, phase: null,
    presenterMode: false, // this page's presenter mode (a viewer follows the teacher's; see below)
    data: null, latest: null, drawnLatest: null, frame: null,
    goodFrame: null, // the newest decoded frame whose loss is finite (what a divergence leaves)
    rate: NO_RATE, // steps and epochs per second, measured from the frames (rate.js)
    history: new History(),
    framesIn: 0, framesDrawn: 0, ticks: 0, drawMs: 0,
    connected: false, connection: null, recoveries: 0,
    rebuildSaid: false, // the last event was a rebuilt config event (its toast is out)
    // what the last event did
    changed: [], said: [], error: null, ack: null, resync: false,
  };
}

/** The words of an event with a code ({code, ev}); without one, the server's own message. */
export function eventWords(ev) {
  return ev.code ? { code: ev.code, ev } : { text: ev.message ?? "" };
}

/**
 * Whether a frame's numbers can be shown: its training loss is finite (a diverged step's metrics
 * arrive as null, NaN or infinity). A frame without metrics is shown as it is.
 */
export function isGoodFrame(frame) {
  const m = frame?.header?.metrics;
  return !m || m.train_loss === undefined || Number.isFinite(m.train_loss);
}

/** The state after one event. The state passed in is not changed (the history log aside). */
export function reduce(state, ev) {
  const s = { ...state, changed: [], said: [], error: null, ack: null, resync: false,
    rebuildSaid: false };
  const change = (...names) => s.changed.push(...names);
  const say = (key, kind, words, once = false) => s.said.push({ key, kind, words, once });
  switch (ev.type) {
    case "hello":
      s.role = ev.role ?? s.role;
      s.config = ev.config;
      s.info = ev.info;
      s.running = ev.running;
      s.speed = ev.speed;
      s.step = ev.step ?? 0;
      s.epoch = ev.epoch ?? 0;
      s.diverged = ev.diverged || null;
      s.history.reset(ev.history.columns, ev.history.rows);
      s.race = ev.race ?? null;
      s.until = ev.until ?? null;
      s.lesson = ev.lesson ?? null;
      s.presenter = ev.presenter ?? null;
      followPresenter(state, s, change);
      s.goodFrame = null;
      s.rate = NO_RATE;
      change("role", "config", "info", "runnerTags", "runState", "diverged", "counters");
      break;
    case "state":
      if ("until" in ev) s.until = ev.until ?? null;
      s.running = ev.running;
      s.speed = ev.speed;
      s.step = ev.step;
      s.epoch = ev.epoch;
      if (!ev.running) s.rate = NO_RATE;
      if (ev.step === 0 && s.diverged) { s.diverged = null; change("diverged"); }
      change("runState", "counters");
      break;
    case "config": {
      const sizesChanged = JSON.stringify(ev.info?.sizes) !== JSON.stringify(state.info?.sizes);
      s.config = ev.config;
      s.info = ev.info ?? s.info;
      change("config");
      if ("race" in ev) { s.race = ev.race ?? null; change("runnerTags"); }
      // a new network or new inputs: every view starts again; otherwise only the inspector's
      // arithmetic follows the new configuration
      if (ev.rebuilt || sizesChanged || (ev.changed ?? []).includes("features")) change("info");
      else change("context");
      if (ev.rebuilt) {
        s.diverged = null;
        s.goodFrame = null; // a new network: the old weights no longer fit it
        s.rebuildSaid = true;
        change("diverged");
        say("rebuilt", "info", { key: ev.rebuilt === "data" ? "rebuilt_data" : "rebuilt_network" });
      }
      break;
    }
    case "history":
      if (!s.history.put(ev.from, ev.rows)) s.resync = true;
      break;
    case "diverged":
      s.diverged = ev;
      s.running = false;
      s.rate = NO_RATE;
      change("runState", "diverged");
      break;
    case "notice":
      notice(state, s, ev, say);
      break;
    case "error":
      s.error = errorRoute(state, ev);
      if (s.error.route === "diverged") say("diverged", "error", { key: "refused_diverged" });
      break;
    case "ack":
      s.ack = ev.id;
      break;
    case "lesson":
      s.lesson = { name: ev.name, variant: ev.variant ?? null };
      change("lesson");
      break;
    case "presenter":
      s.presenter = ev.state ?? null;
      change("presenter");
      followPresenter(state, s, change);
      break;
    case "presenterMode": // presenter mode switched on this page (button, key)
      s.presenterMode = Boolean(ev.on);
      change("presenterMode");
      break;
    case "phase":
      s.phase = ev;
      change("phase");
      break;
    case "frame": { // a binary frame's header (the arrays are decoded when drawn)
      const { header } = ev;
      s.framesIn = state.framesIn + 1;
      if (header.points && header.history_from !== undefined) {
        if (!s.history.put(header.history_from, header.points)) s.resync = true;
      }
      s.step = header.step;
      s.epoch = header.epoch;
      if (header.running !== undefined) s.running = header.running;
      if (ev.at !== undefined && s.running) {
        s.rate = addSample(state.rate, { at: ev.at, step: header.step, epoch: header.epoch });
        change("rate");
      }
      s.latest = ev; // newest wins; older ones are never drawn
      break;
    }
    case "data": // the data frame: the training and test sets' arrays
      s.data = ev.arrays;
      change("data");
      break;
    case "decoded": // the drawing loop decoded the newest frame
      s.drawnLatest = ev.latest;
      s.frame = ev.frame;
      if (isGoodFrame(ev.frame)) s.goodFrame = ev.frame;
      change("frame", "counters");
      break;
    case "tick": // one animation frame; `ms` when it drew a new frame
      s.ticks = state.ticks + 1;
      if (ev.ms !== undefined) { s.framesDrawn = state.framesDrawn + 1; s.drawMs = state.drawMs + ev.ms; }
      break;
    case "connection": // the socket's status: {state: "open" | "closed", recovered, attempt, retryIn}
      s.connection = { ...ev };
      if (ev.state === "closed") s.rate = NO_RATE;
      if (ev.state !== "connecting") s.connected = ev.state === "open";
      if (ev.state === "open" && ev.recovered) s.recoveries = state.recoveries + 1;
      change("connection");
      break;
    case "session": // the session this page steers or watches: {id, token, role}
      s.sessionId = ev.id ?? s.sessionId;
      s.token = ev.token ?? null;
      s.role = ev.role ?? s.role;
      change("role");
      break;
    default:
      break;
  }
  return s;
}

/**
 * A viewer follows the teacher's presenter mode (the shared state's `presenter`) whenever the
 * teacher switches it; between two switches it keeps what the viewer chose on its own page.
 */
function followPresenter(state, s, change) {
  if (s.role === "control") return;
  const shared = s.presenter?.presenter;
  if (typeof shared !== "boolean" || shared === state.presenter?.presenter) return;
  if (shared !== s.presenterMode) { s.presenterMode = shared; change("presenterMode"); }
}

/**
 * A notice: a pause the page knows (its own words with the step), a rebuild the config event
 * before it has said already (one toast, not two), or the words of its code. Before codes, a
 * notice right after a rebuilt config event is that rebuild's, and any other shows its message.
 */
function notice(state, s, ev, say) {
  const pause = PAUSE_CODES[ev.code] ?? (!ev.code ? ev.reason : null);
  const step = formatCount(ev.step ?? state.step);
  if (pause === "until") say("until", "info", { key: "until_paused", params: { n: step } });
  else if (pause === "idle") say("idle", "info", { key: "idle_paused", params: { n: step } });
  else if (ev.code in REBUILD_CODES) {
    const data = (REBUILD_CODES[ev.code] ?? ev.rebuilt) === "data";
    say("rebuilt", "info", { key: data ? "rebuilt_data" : "rebuilt_network" }, true);
  } else if (!ev.code && state.rebuildSaid) {
    // said by the config event just before
  } else say(null, "info", eventWords(ev));
}

/**
 * Where an error goes: "inspector" (a weight edit), "diverged" (a run command refused because
 * the run diverged: the page says so in its words) or "field" (the control that caused it, or a
 * toast). Returns {route, ev, words}.
 */
function errorRoute(state, ev) {
  const words = eventWords(ev);
  if (ev.command === "set_weight") return { route: "inspector", ev, words };
  const refused = ev.code ? ev.code === "refused_diverged"
    : !ev.field && RUN_COMMANDS.includes(ev.command) && Boolean(state.diverged);
  return { route: refused ? "diverged" : "field", ev, words };
}
