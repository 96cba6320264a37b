// The runs page's pure parts (node tests cover them): sorting and filtering the table,
// the fields of two configurations that differ, change markers' words.

/** Columns of the table: key, how a run gives its value (for sorting), numeric or text. */
export const COLUMNS = [
  { key: "name", value: (r) => r.name ?? "", numeric: false },
  { key: "updated", value: (r) => r.updated_at ?? "", numeric: false },
  { key: "data", value: (r) => (r.settings ?? r.config)?.data ?? "", numeric: false },
  { key: "layers", value: (r) => ((r.settings ?? r.config)?.layers ?? []).join("-"), numeric: false },
  { key: "optimizer", value: (r) => (r.settings ?? r.config)?.optimizer ?? "", numeric: false },
  { key: "lr", value: (r) => (r.settings ?? r.config)?.lr ?? null, numeric: true },
  { key: "dropout", value: (r) => (r.settings ?? r.config)?.dropout ?? null, numeric: true },
  { key: "steps", value: (r) => r.last_step ?? 0, numeric: true },
  { key: "best", value: (r) => r.best_test_acc ?? null, numeric: true },
  { key: "last", value: (r) => r.last_test_acc ?? null, numeric: true },
  { key: "tags", value: (r) => [...(r.kinds ?? []), ...(r.tags ?? [])].join(" "), numeric: false },
];

/** The runs sorted by column `key` (asc or desc); missing numbers go last. A new array. */
export function sortRuns(runs, key, order = "desc") {
  const col = COLUMNS.find((c) => c.key === key) ?? COLUMNS[1];
  const sign = order === "asc" ? 1 : -1;
  return [...runs].sort((a, b) => {
    const x = col.value(a), y = col.value(b);
    if (x === null || x === undefined) return y === null || y === undefined ? 0 : 1;
    if (y === null || y === undefined) return -1;
    if (col.numeric) return sign * (x - y);
    return sign * String(x).localeCompare(String(y));
  });
}

/** Runs whose name, tags, kinds, data set or optimizer contain `text` (any case). */
export function filterRuns(runs, text) {
  const q = String(text ?? "").trim().toLowerCase();
  if (!q) return [...runs];
  return runs.filter((r) => [r.name, ...(r.tags ?? []), ...(r.kinds ?? []), (r.settings ?? r.config)?.data,
    (r.settings ?? r.config)?.optimizer].some((v) => v !== undefined && v !== null && String(v).toLowerCase().includes(q)));
}

/** [field, [value of each config]] for the fields whose values are not all the same. */
export function configDiff(configs) {
  const keys = new Set(configs.flatMap((c) => Object.keys(c ?? {})));
  const out = [];
  for (const k of [...keys].sort()) {
    const values = configs.map((c) => (c ?? {})[k]);
    const texts = values.map((v) => JSON.stringify(v));
    if (new Set(texts).size > 1) out.push([k, values]);
  }
  return out;
}

/** Tags typed as "a, b c" → ["a", "b", "c"] (no empties, no repeats, at most 20). */
export function parseTags(text) {
  const tags = String(text ?? "").split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
  return [...new Set(tags)].slice(0, 20);
}

/** A run's history CSV (GET /api/runs/{id}/history.csv) → {column: Float64Array}. */
export function parseHistoryCsv(text) {
  const lines = String(text).trim().split("\n");
  const head = lines.shift()?.split(",") ?? [];
  const cols = Object.fromEntries(head.map((h) => [h, new Float64Array(lines.length)]));
  lines.forEach((line, i) => {
    line.split(",").forEach((v, j) => { cols[head[j]][i] = v === "" ? NaN : Number(v); });
  });
  return cols;
}

/** Several runs' `metric` on one x axis (the union of their x values): each run's series has
 * its own points and NaN elsewhere (the chart joins a run's points across the others'). */
export function overlaySeries(runs, x, metric) {
  const all = new Set();
  for (const r of runs) for (const v of r.history[x] ?? []) if (Number.isFinite(v)) all.add(v);
  const xs = Float64Array.from([...all].sort((a, b) => a - b));
  const at = new Map(Array.from(xs, (v, i) => [v, i]));
  const series = runs.map((r) => {
    const ys = new Float64Array(xs.length).fill(NaN);
    const hx = r.history[x] ?? [], hy = r.history[metric] ?? [];
    for (let i = 0; i < hx.length; i++) if (at.has(hx[i])) ys[at.get(hx[i])] = hy[i];
    return { label: r.label, color: r.color, ys, joinGaps: true };
  });
  return { xs, series };
}

/** "lr 0.03 → 0.3 at step 4,120" for a recorded change (`words`: the language's pattern). */
export function markerText(ev, locale = "en", words = "{change} at step {step}") {
  const show = (v) => (typeof v === "string" ? v : JSON.stringify(v));
  return words.replace("{change}", `${ev.field} ${show(ev.old)} → ${show(ev.new)}`)
    .replace("{step}", Number(ev.step).toLocaleString(locale));
}

/** "lr=0.1, optimizer=adam" → {lr: 0.1, optimizer: "adam"} (a value is JSON when it reads as
 * JSON, else text); null when a part has no "=". */
export function parseChanges(text) {
  const out = {};
  const parts = [];
  let depth = 0, cur = "";
  for (const ch of String(text ?? "")) { // commas inside [ ] or { } belong to the value
    if (ch === "[" || ch === "{") depth++;
    if (ch === "]" || ch === "}") depth--;
    if (ch === "," && depth === 0) { parts.push(cur); cur = ""; } else cur += ch;
  }
  parts.push(cur);
  for (const part of parts.map((p) => p.trim()).filter(Boolean)) {
    const i = part.indexOf("=");
    if (i <= 0) return null;
    const key = part.slice(0, i).trim(), raw = part.slice(i + 1).trim();
    try { out[key] = JSON.parse(raw); } catch { out[key] = raw; }
  }
  return out;
}
