// The sweeps page's pure parts (node tests cover them): the rows of the live table, sorting,
// and the metric against one swept field, grouped by optimizer, with the spread over seeds.

/** The default sweep shown in the form. */
export const EXAMPLE = {
  params: { lr: { low: 0.001, high: 1, log: true }, optimizer: ["sgd", "adam"] },
  search: "random", trials: 8, epochs: 5, seeds: [0, 1], metric: "val_loss",
};

/** Rows sorted by `key` (a result column or a swept field); missing values go last. */
export function sortRows(rows, key, descending = false) {
  const val = (r) => (key in (r.params ?? {}) ? r.params[key] : r[key]);
  return [...rows].sort((a, b) => {
    const x = val(a), y = val(b);
    const xm = x === null || x === undefined, ym = y === null || y === undefined;
    if (xm || ym) return xm - ym;
    const c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
    return descending ? -c : c;
  });
}

/**
 * The metric against one swept field: for each group (the optimizer when it was swept, else one
 * group), for each value of the field, the mean, low and high over the completed runs (seeds).
 * Returns [{group, points: [{x, mean, lo, hi, n}]}], points in x order.
 */
export function seriesFor(rows, field, metric, base = {}) {
  const groups = new Map();
  for (const r of rows) {
    const v = r[metric];
    const x = r.params?.[field];
    if (r.state !== "complete" || typeof v !== "number" || typeof x !== "number") continue;
    const g = String(r.params.optimizer ?? base.optimizer ?? "");
    if (!groups.has(g)) groups.set(g, new Map());
    const byX = groups.get(g);
    if (!byX.has(x)) byX.set(x, []);
    byX.get(x).push(v);
  }
  return [...groups].map(([group, byX]) => ({
    group,
    points: [...byX].sort((a, b) => a[0] - b[0]).map(([x, vs]) => ({
      x, n: vs.length, mean: vs.reduce((s, v) => s + v, 0) / vs.length,
      lo: Math.min(...vs), hi: Math.max(...vs),
    })),
  }));
}

/** The numeric swept fields (the ones a plot can put on its x axis). */
export function numericFields(params) {
  return Object.entries(params ?? {}).filter(([, p]) => p.low !== undefined ||
    (p.values ?? []).every((v) => typeof v === "number")).map(([name]) => name);
}

/** Two swept fields against each other: one point per trial whose every seed completed, at
 *  (its value of `fx`, its value of `fy`), with the mean metric over its seeds. */
export function trialsFor(rows, fx, fy, metric) {
  const byTrial = new Map();
  for (const r of rows) {
    if (!byTrial.has(r.trial)) byTrial.set(r.trial, []);
    byTrial.get(r.trial).push(r);
  }
  const out = [];
  for (const [trial, rs] of byTrial) {
    const x = rs[0].params?.[fx], y = rs[0].params?.[fy];
    if (typeof x !== "number" || typeof y !== "number") continue;
    if (!rs.every((r) => r.state === "complete" && typeof r[metric] === "number")) continue;
    out.push({ trial, x, y, value: rs.reduce((s, r) => s + r[metric], 0) / rs.length });
  }
  return out;
}
