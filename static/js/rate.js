// Training speed as the page sees it: steps and epochs per second, measured from the frames that
// arrive (their step and epoch) over a short window of wall time. Pure, no DOM.

/** How far back the speed looks, in milliseconds of wall time. */
export const RATE_WINDOW_MS = 1000;

/** No speed yet: no frames, or training stopped. */
export const NO_RATE = Object.freeze({ samples: [], stepsPerSecond: null, epochsPerSecond: null });

/**
 * The speed after one more frame: {at (ms), step, epoch}. Samples older than `windowMs` before
 * this one are dropped (the oldest one inside is kept as the window's start); a step lower than
 * the last one (a reset, a rebuild) starts again. Speed = (step_last − step_first) / Δt over the
 * window, the same for epochs; null until two frames at different times are in the window.
 */
export function addSample(rate, { at, step, epoch }, windowMs = RATE_WINDOW_MS) {
  if (!Number.isFinite(at) || !Number.isFinite(step)) return rate;
  let samples = rate.samples;
  const last = samples[samples.length - 1];
  if (last && (step < last.step || at < last.at)) samples = [];
  samples = [...samples, { at, step, epoch: Number.isFinite(epoch) ? epoch : 0 }];
  let k = 0;
  while (k < samples.length - 2 && samples[k + 1].at <= at - windowMs) k++;
  if (k) samples = samples.slice(k);
  const first = samples[0];
  const dt = (at - first.at) / 1000;
  if (!(dt > 0)) return { samples, stepsPerSecond: null, epochsPerSecond: null };
  return {
    samples,
    stepsPerSecond: (step - first.step) / dt,
    epochsPerSecond: (samples[samples.length - 1].epoch - first.epoch) / dt,
  };
}

/** A speed as the counters show it: whole numbers from 100 up (with separators), else 2 digits. */
export function formatRate(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  if (v >= 100) return String(Math.round(v)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return String(+v.toPrecision(2));
}
