// The engine's facts the page uses, read from the server rather than kept as copies:
// GET /api/schema (every field: live, rebuilds, choices, range), GET /api/engine (output/loss
// pairs, digits class counts, layer limits, input features with their formulas, activations,
// check_every) and GET /api/datasets (each set's task and class count). Pure functions below
// turn them into what the controls need; docs/config.md describes the JSON.

import { setFeatures } from "./forward.js";

/** The engine's global facts (GET /api/engine) once loaded, for the modules that need one. */
export const ENGINE = {};

/** Use the engine's facts: ENGINE and the input features' formulas (forward.js). */
export function useFacts({ engine }) {
  for (const k of Object.keys(ENGINE)) delete ENGINE[k];
  Object.assign(ENGINE, engine ?? {});
  setFeatures(engine?.features ?? []);
}

/** {schema, engine, datasets}: each null when the server did not give it; used at once. */
export async function loadFacts(fetchJson = defaultFetchJson) {
  const [schema, engine, datasets] = await Promise.all(
    ["/api/schema", "/api/engine", "/api/datasets"].map((url) => fetchJson(url).catch(() => null)));
  const facts = { schema, engine, datasets };
  useFacts(facts);
  return facts;
}

async function defaultFetchJson(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return r.json();
}

/** The fields that change live (the rest rebuild the run), from the schema. */
export function liveFields(schema) {
  return new Set((schema ?? []).filter((f) => f.live).map((f) => f.name));
}

/** The fields whose change rebuilds the data (and so the network), from the schema. */
export function dataFields(schema) {
  return new Set((schema ?? []).filter((f) => f.rebuilds === "data").map((f) => f.name));
}

/** The schema's entry of each field: name → {choices, min, max, integer, ...}. */
export function fieldsByName(schema) {
  return new Map((schema ?? []).map((f) => [f.name, f]));
}

/** The allowed (output, loss) pairs as "output loss" strings. */
export function outputLossPairs(engine) {
  return new Set((engine?.pairs ?? []).map(([output, loss]) => `${output} ${loss}`));
}

/**
 * A range input's span within the schema's range: a slider may cover less than is allowed (its
 * span is the page's choice), never more. A number input takes the schema's range itself.
 * Returns {min, max} as strings, or null when the schema gives no range.
 */
export function inputRange(el, field) {
  if (!field || field.min === undefined || field.max === undefined) return null;
  if (el.type !== "range") return { min: String(field.min), max: String(field.max) };
  const lo = Math.max(Number(el.min), field.min), hi = Math.min(Number(el.max), field.max);
  return { min: String(lo), max: String(hi) };
}

/**
 * The options of a menu: the schema's choices, in the page's order and with its labels
 * (`known`: [[value, label]] from the template), a choice the page has no label for at the end
 * under its own name; `except`: choices made elsewhere (an uploaded CSV file). [[value, label]].
 */
export function menuChoices(choices, known, except = []) {
  const allowed = choices.filter((c) => !except.includes(c));
  const labels = new Map(known);
  return [...known.filter(([v]) => allowed.includes(v)),
    ...allowed.filter((c) => !labels.has(c)).map((c) => [c, c])];
}
