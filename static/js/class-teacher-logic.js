// The teacher's class view, the parts without a page: the roster's order and numbers, the
// sparkline's points, the challenge form read into the server's body, refusals said by their
// code, and what this tab keeps of its class (sessionStorage) so a reload keeps it.

import { eventText, t } from "./i18n.js";

/** Where this tab keeps the class it runs: {code, class_token, session, control_url, ...}. */
export const TEACHER_KEY = "backprop-teacher-class";

/** The query parameter that marks a student's run shown on the teacher's tab (the projector). */
export const PROJECTING = "teacher_class";

/** The class this tab runs, if it belongs to the session `sessionId` (null: none, or another). */
export function keptClass(store, sessionId = null) {
  let v = null;
  try { v = JSON.parse(store?.getItem(TEACHER_KEY) ?? "null"); } catch { return null; }
  if (!v || typeof v.code !== "string" || typeof v.class_token !== "string") return null;
  return sessionId === null || v.session === sessionId ? v : null;
}

export function keepClass(store, value) {
  try {
    if (value) store?.setItem(TEACHER_KEY, JSON.stringify(value));
    else store?.removeItem(TEACHER_KEY);
  } catch { /* private mode: the class lasts as long as the page */ }
}

/** What the roster can be sorted by, and how each is read from a student. */
const SORT_KEYS = {
  name: (s) => s.name ?? "",
  acc: (s) => s.test_acc,
  loss: (s) => s.test_loss,
};

/** Whether a number is there to compare (null, undefined and NaN are not). */
const known = (x) => typeof x === "number" && Number.isFinite(x);

/**
 * The roster in order: by name (ignoring case), accuracy or loss; `dir` 1 ascending, -1
 * descending. Students without a number (no run yet, diverged) come last either way; ties go
 * by name, then id, so the order does not jump between two polls.
 */
export function sortRoster(students, key = "name", dir = 1) {
  const read = SORT_KEYS[key] ?? SORT_KEYS.name;
  const byName = (a, b) => String(a.name ?? "").localeCompare(String(b.name ?? ""), undefined, { sensitivity: "base" })
    || String(a.id ?? "").localeCompare(String(b.id ?? ""));
  return [...(students ?? [])].sort((a, b) => {
    if (key === "name") return dir * byName(a, b);
    const x = read(a), y = read(b);
    if (!known(x) || !known(y)) return (known(x) ? -1 : known(y) ? 1 : 0) || byName(a, b);
    return dir * (x - y) || byName(a, b);
  });
}

/** The direction a column starts in when first chosen: names A→Z, accuracy best first, loss lowest first. */
export function firstDirection(key) {
  return key === "acc" ? -1 : 1;
}

/** An accuracy as a percentage with one decimal ("93.6 %"), "–" when there is none. */
export function formatAcc(v) {
  return known(v) ? `${(v * 100).toFixed(1)} %` : "–";
}

/** A loss with three significant digits ("0.214", "1.23e-4"), "–" when there is none. */
export function formatLoss(v) {
  if (!known(v)) return "–";
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) return v.toExponential(2);
  return String(Number(v.toPrecision(3)));
}

/** Seconds as the leaderboard shows them: "41.2 s", "3 min 05 s". */
export function formatSeconds(s) {
  if (!known(s)) return "–";
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(Math.floor(s - 60 * m)).padStart(2, "0")} s`;
}

/**
 * A sparkline of accuracies (0 to 1) in a w × h box: the polylines' points, "x,y" strings, one
 * line per run of defined values (a null breaks the line; nothing is drawn across it).
 */
export function sparkLines(values, w = 80, h = 20) {
  const v = values ?? [];
  const n = v.length;
  const lines = [];
  let line = [];
  for (let i = 0; i < n; i++) {
    if (!known(v[i])) { if (line.length) lines.push(line); line = []; continue; }
    const x = n === 1 ? w / 2 : (i / (n - 1)) * w;
    const y = h - Math.min(1, Math.max(0, v[i])) * h;
    line.push(`${+x.toFixed(1)},${+y.toFixed(1)}`);
  }
  if (line.length) lines.push(line);
  return lines;
}

/** The form's fields, as the server names them (for refusals that name a field). */
const FIELD_LABELS = {
  name: "class_name", message: "class_message", "goal.metric": "class_goal",
  "goal.target": "class_target", "constraints.max_hidden_units": "class_max_units",
  "constraints.max_epochs": "class_max_epochs", "constraints.allowed_fields": "class_allowed",
  "constraints.data": "class_same_data",
};

/** A field's name as the page's form labels it, in the page's language. */
export function fieldLabel(field, language = undefined) {
  const key = FIELD_LABELS[field];
  return key ? t(key, {}, language) : String(field ?? "");
}

/**
 * The challenge form's values ({metric, target, maxUnits, maxEpochs, data, allowed}) as the body
 * of PUT /challenge, or {error: {key, params}} naming the field, the value and what is allowed.
 * Empty optional fields are left out; `allowed` null means any field may change.
 */
export function challengeBody({ metric, target, maxUnits = "", maxEpochs = "", data = null, allowed = null }) {
  const bad = (field, value, allowedText) => ({ error: { key: "class_bad_value",
    params: { field: fieldLabel(field), value: String(value), allowed: allowedText } } });
  if (metric !== "test_acc" && metric !== "test_loss") return bad("goal.metric", metric, "test_acc, test_loss");
  const tv = Number(String(target).trim());
  const okTarget = String(target).trim() !== "" && Number.isFinite(tv) && tv >= 0 && (metric === "test_loss" || tv <= 1);
  if (!okTarget) return bad("goal.target", target, t(metric === "test_acc" ? "class_allowed_acc" : "class_allowed_loss"));
  const constraints = {};
  if (String(maxUnits).trim() !== "") {
    const u = Number(maxUnits);
    if (!Number.isInteger(u) || u < 1) return bad("constraints.max_hidden_units", maxUnits, t("class_allowed_units"));
    constraints.max_hidden_units = u;
  }
  if (String(maxEpochs).trim() !== "") {
    const e = Number(maxEpochs);
    if (!Number.isFinite(e) || e <= 0) return bad("constraints.max_epochs", maxEpochs, t("class_allowed_epochs"));
    constraints.max_epochs = e;
  }
  if (data) constraints.data = data;
  if (allowed) constraints.allowed_fields = [...allowed];
  return { body: { goal: { metric, target: tv }, constraints } };
}

/**
 * A refused request's words in the page's language: each detail entry said from its code;
 * an entry without a code (a malformed body) named by its field and value in the page's words;
 * no detail at all: the HTTP status.
 */
export function refusalWords(body, status, language = undefined) {
  const d = body?.detail;
  if (!Array.isArray(d) || !d.length) return t("class_http", { status }, language);
  return d.map((e) => (e?.code && eventText(e, language))
    || t("class_refused_field", { field: fieldLabel(e?.field, language), value: JSON.stringify(e?.value ?? null) }, language))
    .join("; ");
}

/** Whether a refusal means the class is over for this page (ended, unknown, or not ours). */
export function classGone(body, status) {
  const code = Array.isArray(body?.detail) ? body.detail[0]?.code : null;
  return status === 410 || status === 404 || code === "wrong_class_token";
}

/** A broken rule of the challenge in words: the data set, the hidden units, a changed field. */
export function violationText(v, language = undefined) {
  const p = { field: String(v?.field ?? ""), value: JSON.stringify(v?.value ?? null), limit: JSON.stringify(v?.limit ?? null) };
  const key = { data: "class_rule_data", max_hidden_units: "class_rule_units", allowed_fields: "class_rule_field" }[v?.rule];
  return key ? t(key, p, language) : `${p.field}: ${p.value}`;
}

/** The challenge in one line: "Test accuracy ≥ 0.9 · at most 16 hidden units · within 500 epochs". */
export function challengeText(ch, language = undefined) {
  if (!ch) return t("class_no_challenge", {}, language);
  const g = ch.goal ?? {};
  const parts = [t(g.metric === "test_loss" ? "class_goal_loss" : "class_goal_acc", { target: g.target }, language)];
  const c = ch.constraints ?? {};
  if (c.data) parts.push(t("class_c_data", { data: c.data }, language));
  if (c.max_hidden_units) parts.push(t("class_c_units", { n: c.max_hidden_units }, language));
  if (c.max_epochs) parts.push(t("class_c_epochs", { n: c.max_epochs }, language));
  if (c.allowed_fields) parts.push(t("class_c_fields", { fields: c.allowed_fields.join(", ") || "–" }, language));
  return parts.join(" · ");
}
