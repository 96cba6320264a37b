// The page's words: lookup, placeholders, the language switch. The strings themselves are one
// file per language (strings/en.js, strings/ja.js). Elements carry data-i18n (text),
// data-i18n-title, data-i18n-aria-label; code calls t(key, params). The default language comes
// from the browser; the choice is remembered.

import * as en from "./strings/en.js";
import * as ja from "./strings/ja.js";
import { formatNumber } from "./scales.js";

/** key → string, per language. */
export const STRINGS = { en: en.STRINGS, ja: ja.STRINGS };
/** event code → string, per language (the codes of app/codes.py). */
export const EVENT_STRINGS = { en: en.EVENTS, ja: ja.EVENTS };
/** The engine's class names as each language shows them. */
export const CLASS_NAMES = { en: en.CLASS_NAMES, ja: ja.CLASS_NAMES };

export const LANGUAGES = Object.keys(STRINGS);
let lang = "en";
const listeners = [];

/** "ja" for a Japanese browser (ja, ja-JP, …), English otherwise. */
export function detectLanguage(navLang) {
  return typeof navLang === "string" && navLang.toLowerCase().startsWith("ja") ? "ja" : "en";
}

/** The string for key in the current language, {name} placeholders filled from params. */
export function t(key, params = {}, language = lang) {
  const table = STRINGS[language] ?? STRINGS.en;
  const s = table[key] ?? STRINGS.en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/**
 * A field error in the current language. The server's errors carry their rule as data
 * ({kind: "number", min, max, min_open, integer, nullable}, {kind: "choice", choices},
 * {kind: "bool"}); English keeps the server's words for those. An error without a rule is said
 * from its code, or (no code yet) in the server's own message. `label`, when given, names the
 * field as its control does (in the current language) instead of its key.
 */
export function errorMessage(err, language = lang, label = null) {
  if (language === "en" && err?.message && (err.rule || !err.code)) return err.message;
  const rule = err?.rule;
  const p = { field: label || (err?.field ?? ""), value: JSON.stringify(err?.value) };
  if (rule?.kind === "number") {
    const fmt = (x) => String(Number.isInteger(x) ? x : +x.toPrecision(6));
    return t("rule_number", {
      ...p, kind: t(rule.integer ? "rule_whole" : "rule_real", {}, language),
      low: t(rule.min_open ? "rule_gt" : "rule_ge", { min: fmt(rule.min) }, language),
      max: fmt(rule.max), nullable: rule.nullable ? t("rule_nullable", {}, language) : "",
    }, language);
  }
  if (rule?.kind === "choice") return t("rule_choice", { ...p, choices: rule.choices.join(", ") }, language);
  if (rule?.kind === "bool") return t("rule_bool", p, language);
  return eventText(err, language) ?? err?.message ?? "";
}

/** A field of an event as its words show it: lists joined, a value as JSON, numbers as they are. */
function fieldText(name, v) {
  if (Array.isArray(v)) return v.map((x) => (typeof x === "object" && x !== null ? JSON.stringify(x) : String(x))).join(", ");
  if (name === "value") return JSON.stringify(v);
  if (v !== null && typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/**
 * Codes whose reason only the message carries (the engine's check that failed: "use at most
 * 40", "the model takes 2 inputs…"): said by the message when there is one, by the code's
 * words otherwise. A rule (errorMessage) says a range or a choice in any language.
 */
const REASON_IN_MESSAGE = new Set(["invalid_config", "invalid_data"]);

/**
 * The words for a server event in a language, chosen by its `code` (strings/<lang>.js EVENTS)
 * and filled from its own fields; null when the event has no code the page knows (or its
 * reason is in its message).
 */
export function eventText(ev, language = lang) {
  if (REASON_IN_MESSAGE.has(ev?.code) && ev.message) return null;
  const s = ev?.code ? (EVENT_STRINGS[language]?.[ev.code] ?? EVENT_STRINGS.en[ev.code]) : undefined;
  if (s === undefined) return null;
  return s.replace(/\{(\w+)\}/g, (m, name) => (ev[name] !== undefined && ev[name] !== null ? fieldText(name, ev[name]) : m));
}

/**
 * A refused HTTP request's `detail` in a language: a string as it is, or each entry (each with
 * its code, field and numbers) said as errorMessage says it, joined by "; ".
 */
export function detailText(detail, language = lang) {
  if (Array.isArray(detail)) return detail.map((d) => errorMessage(d, language) || JSON.stringify(d)).join("; ");
  return String(detail ?? "");
}

/**
 * Words the page's state carries (state.js), in a language: {key, params} (a string of the
 * page), {code, ev} (an event's code; its English message when the page has no words for it) or
 * {text} (the server's message, for events without a code).
 */
export function say(words, language = lang) {
  if (!words) return "";
  if (words.key) return t(words.key, words.params ?? {}, language);
  if (words.code) return eventText(words.ev, language) ?? words.ev?.message ?? words.code;
  return words.text ?? "";
}

/**
 * The divergence banner's words: what became NaN or infinite, at which step, with the learning
 * rate. NaN or infinite comes from the event's `kind` or the engine's `value` ("nan", "inf");
 * without either the page says both.
 */
export function divergedText(d, lr, language = undefined) {
  if (!d) return "";
  const q = d.quantity ?? "loss";
  const what = t(`what_${q}`, {}, language) === `what_${q}` ? t("what_loss", {}, language) : t(`what_${q}`, {}, language);
  const value = String(d.kind ?? d.value ?? ""); // kind: "nan" | "inf"; value: the engine's repr
  const kind = !value ? "kind_unknown" : /nan/i.test(value) ? "kind_nan" : "kind_inf";
  return t("diverged", { what, kind: t(kind, {}, language), step: d.step ?? "?",
    lr: formatNumber(lr ?? NaN, 3) }, language);
}

export function displayClass(name, language = lang) {
  const s = String(name);
  return CLASS_NAMES[language]?.[s] ?? s;
}

export function getLanguage() {
  return lang;
}

/** Fill text, titles and aria-labels of every data-i18n element under root. */
export function applyTo(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll("[data-i18n-aria-label]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nAriaLabel));
  }
}

/** Switch language: update the document and tell the views (they redraw their own text). */
export function setLanguage(next, doc = globalThis.document) {
  lang = STRINGS[next] ? next : "en";
  if (doc) {
    doc.documentElement.lang = lang;
    applyTo(doc);
  }
  try { globalThis.localStorage?.setItem("lang", lang); } catch { /* private mode */ }
  for (const f of listeners) f(lang);
}

export function onLanguageChange(f) {
  listeners.push(f);
}

/** The saved choice, else the browser's language. */
export function initialLanguage() {
  let saved = null;
  try { saved = globalThis.localStorage?.getItem("lang"); } catch { /* private mode */ }
  return STRINGS[saved] ? saved : detectLanguage(globalThis.navigator?.language);
}
