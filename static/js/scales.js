// Scales, ticks, smoothing, decimation and number formatting (pure, no DOM).

/** A linear map from domain [d0, d1] to range [r0, r1]; `.invert` maps back. */
export function linearScale([d0, d1], [r0, r1]) {
  const span = d1 - d0 || 1;
  const f = (v) => r0 + ((v - d0) / span) * (r1 - r0);
  f.invert = (p) => d0 + ((p - r0) / (r1 - r0 || 1)) * span;
  f.domain = [d0, d1];
  f.ticks = (n = 5) => niceTicks(d0, d1, n);
  return f;
}

/** A base-10 log map from domain [d0, d1] (both > 0) to [r0, r1]; values ≤ 0 map to r0. */
export function logScale([d0, d1], [r0, r1]) {
  const l0 = Math.log10(d0), l1 = Math.log10(d1);
  const span = l1 - l0 || 1;
  const f = (v) => (v > 0 ? r0 + ((Math.log10(v) - l0) / span) * (r1 - r0) : r0);
  f.invert = (p) => 10 ** (l0 + ((p - r0) / (r1 - r0 || 1)) * span);
  f.domain = [d0, d1];
  f.ticks = () => logTicks(d0, d1);
  return f;
}

/** About n round tick values covering [lo, hi] (steps of 1, 2 or 5 × 10^k). */
export function niceTicks(lo, hi, n = 5) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / Math.max(1, n);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : +v.toPrecision(12));
  }
  return out;
}

/** Powers of ten within [lo, hi] (lo > 0); at least the two ends' decades. */
export function logTicks(lo, hi) {
  if (!(lo > 0) || !(hi > 0)) return [];
  const out = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    const v = 10 ** e;
    if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
  }
  return out.length ? out : [lo, hi];
}

/** [min, max] of the finite values (and > 0 when `positive`), or null if there are none. */
export function extent(values, positive = false) {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || (positive && v <= 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo === Infinity ? null : [lo, hi];
}

/**
 * The x axis's tick labels laid out so that none is cut off at either end of the canvas and none
 * overlaps its neighbour. values: tick values; scale(v) → x in px; measure(text) → width in px;
 * width: the canvas's width. A label is centred on its tick, then pushed inside
 * [margin, width − margin]; going from left to right, a label closer than `gap` to the last one
 * kept is left out. Returns [{v, text, left, width}] (left: the label's left edge).
 */
export function layoutXTicks(values, scale, measure, width,
  { gap = 8, margin = 2, format = (v) => formatNumber(v, 3) } = {}) {
  const out = [];
  let right = -Infinity;
  for (const v of values) {
    const text = format(v);
    const w = measure(text);
    if (w > width - 2 * margin) continue; // cannot fit anywhere
    const left = Math.min(Math.max(scale(v) - w / 2, margin), width - margin - w);
    if (left < right + gap) continue;
    out.push({ v, text, left, width: w });
    right = left + w;
  }
  return out;
}

/** The largest |v| over the finite values (0 when there are none): NaN and ±∞ are left out. */
export function maxFiniteAbs(values) {
  let m = 0;
  for (const v of values) {
    const a = Math.abs(v);
    if (a > m && a !== Infinity) m = a;
  }
  return m;
}

/**
 * Debiased exponential moving average, as Adam debiases its moments:
 * m_t = β m_{t-1} + (1 − β) x_t,  s_t = m_t / (1 − β^t), t counting finite values only.
 * A non-finite x_t leaves the average unchanged (its s_t repeats the last one, NaN before any).
 * β = 0 returns the values themselves.
 */
export function emaDebiased(values, beta) {
  const out = new Float64Array(values.length);
  let m = 0, t = 0, last = NaN;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (Number.isFinite(x)) {
      t += 1;
      m = beta * m + (1 - beta) * x;
      last = m / (1 - beta ** t);
    }
    out[i] = last;
  }
  return out;
}

/**
 * Reduce a series to at most ~2 points per pixel column while keeping every column's minimum
 * and maximum, so a decimated line still shows every spike. xs ascending; px maps x → pixel.
 * Returns indices into xs, ascending.
 */
export function decimate(xs, ys, px) {
  const n = xs.length;
  if (n <= 2) return Array.from({ length: n }, (_, i) => i);
  const keep = [];
  let col = Math.floor(px(xs[0]));
  let iMin = -1, iMax = -1, first = 0;
  const flush = (end) => {
    const set = new Set([first, end]);
    if (iMin >= 0) set.add(iMin);
    if (iMax >= 0) set.add(iMax);
    for (const i of [...set].sort((a, b) => a - b)) keep.push(i);
  };
  for (let i = 0; i < n; i++) {
    const c = Math.floor(px(xs[i]));
    if (c !== col) {
      flush(i - 1);
      col = c; first = i; iMin = -1; iMax = -1;
    }
    const y = ys[i];
    if (Number.isFinite(y)) {
      if (iMin < 0 || y < ys[iMin]) iMin = i;
      if (iMax < 0 || y > ys[iMax]) iMax = i;
    }
  }
  flush(n - 1);
  return keep;
}

/** Index of the x in ascending xs closest to v (binary search); -1 for an empty list. */
export function nearestIndex(xs, v) {
  let lo = 0, hi = xs.length - 1;
  if (hi < 0) return -1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < v) lo = mid;
    else hi = mid;
  }
  return Math.abs(xs[lo] - v) <= Math.abs(xs[hi] - v) ? lo : hi;
}

/** A number for people: NaN, ±∞ spelled out; `digits` significant digits; no "-0". */
export function formatNumber(v, digits = 3) {
  if (v === null || v === undefined) return "–";
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "∞";
  if (v === -Infinity) return "−∞";
  if (v === 0) return "0";
  const a = Math.abs(v);
  let s;
  if (a >= 1e6 || a < 1e-4) s = v.toExponential(Math.max(0, digits - 1)).replace("e+", "e");
  else s = String(+v.toPrecision(digits));
  return s.replace(/^-/, "−");
}

/** A whole number with thousands separators, zero-padded to `pad` digits (the epoch counter). */
export function formatCount(v, pad = 0) {
  const n = Math.max(0, Math.floor(v));
  const s = String(n).padStart(pad, "0");
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Round to `sig` significant digits (for values picked on a log slider). */
export function roundSig(v, sig = 2) {
  if (v === 0 || !Number.isFinite(v)) return v;
  return +v.toPrecision(sig);
}

/** Log-slider position (log10 of the value) → the value, rounded to 2 significant digits. */
export function fromLogSlider(pos) {
  return roundSig(10 ** pos, 2);
}

/** A value (> 0) → its log-slider position. */
export function toLogSlider(value) {
  return Math.log10(value);
}

/**
 * The friendly values a logarithmic slider stops at: 1, 2, 3 and 5 × 10^k for each decade from
 * 10^lo up to 10^hi (included), e.g. friendlyLogValues(-5, 1) → [1e-5, 2e-5, 3e-5, 5e-5, …, 5, 10].
 */
export function friendlyLogValues(lo, hi) {
  const out = [];
  for (let e = lo; e < hi; e++) for (const m of [1, 2, 3, 5]) out.push(+(m * 10 ** e).toPrecision(12));
  out.push(+(10 ** hi).toPrecision(12));
  return out;
}

/** Index of the value in `values` (ascending, > 0) nearest to v on a log scale. */
export function nearestLogIndex(values, v) {
  if (!(v > 0)) return 0;
  let best = 0;
  values.forEach((x, i) => {
    if (Math.abs(Math.log(x / v)) < Math.abs(Math.log(values[best] / v))) best = i;
  });
  return best;
}

/** At most `max` of the ticks, evenly spaced (every k-th), always keeping the first. */
export function thinTicks(ticks, max) {
  const n = Math.max(1, Math.floor(max));
  if (ticks.length <= n) return ticks;
  const k = Math.ceil(ticks.length / n);
  return ticks.filter((_, i) => i % k === 0);
}
