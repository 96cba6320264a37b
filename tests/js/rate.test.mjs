// Training speed measured from the frames: steps and epochs per second over a short window, in the
// state (reduce) and as the counters write it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { addSample, formatRate, NO_RATE, RATE_WINDOW_MS } from "../../static/js/rate.js";
import { initialState, reduce } from "../../static/js/state.js";

const feed = (samples) => samples.reduce((r, s) => addSample(r, s), NO_RATE);

test("speed is the step and epoch change over the wall time between frames", () => {
  // 30 frames a second, 40 steps per frame, 25 steps an epoch: 1,200 steps/s, 48 epochs/s
  const frames = Array.from({ length: 20 }, (_, k) => ({ at: 1000 + k * (1000 / 30), step: 40 * k, epoch: (40 * k) / 25 }));
  const r = feed(frames);
  assert.ok(Math.abs(r.stepsPerSecond - 1200) < 1e-6, String(r.stepsPerSecond));
  assert.ok(Math.abs(r.epochsPerSecond - 48) < 1e-6, String(r.epochsPerSecond));
});

test("one frame is no speed yet; frames at the same instant neither", () => {
  assert.equal(feed([{ at: 5, step: 10, epoch: 1 }]).stepsPerSecond, null);
  assert.equal(feed([{ at: 5, step: 10, epoch: 1 }, { at: 5, step: 20, epoch: 2 }]).stepsPerSecond, null);
});

test("the window keeps only the last second: a change of pace shows within it", () => {
  const slow = Array.from({ length: 30 }, (_, k) => ({ at: k * 100, step: 10 * k, epoch: k })); // 100 steps/s
  let r = feed(slow);
  assert.ok(Math.abs(r.stepsPerSecond - 100) < 1e-6);
  let step = 290, at = 2900;
  for (let k = 0; k < 12; k++) { at += 100; step += 100; r = addSample(r, { at, step, epoch: step / 10 }); } // 1,000 steps/s
  assert.ok(Math.abs(r.stepsPerSecond - 1000) < 1e-6, String(r.stepsPerSecond));
  assert.ok(r.samples[r.samples.length - 1].at - r.samples[0].at <= RATE_WINDOW_MS);
});

test("a step lower than the last one (a reset) starts the measure again", () => {
  const r = feed([{ at: 0, step: 0, epoch: 0 }, { at: 500, step: 5000, epoch: 200 }, { at: 600, step: 0, epoch: 0 }]);
  assert.equal(r.stepsPerSecond, null);
  assert.equal(r.samples.length, 1);
});

test("the counters write whole numbers from 100 up, two digits below, a dash for none", () => {
  assert.equal(formatRate(12345.6), "12,346");
  assert.equal(formatRate(48.04), "48");
  assert.equal(formatRate(0.5), "0.5");
  assert.equal(formatRate(null), "–");
  assert.equal(formatRate(NaN), "–");
});

const INFO = { sizes: [2, 8, 1], dims: 2, task: "classification" };
const HELLO = { type: "hello", role: "control", config: {}, info: INFO, running: true, speed: null, step: 0,
  epoch: 0, history: { columns: ["step"], rows: [] } };
const frameEv = (at, step, epoch) => ({ type: "frame", at, header: { step, epoch, running: true } });

test("reduce measures the speed from frame events while running, and forgets it on pause", () => {
  let s = reduce(initialState(), HELLO);
  for (let k = 0; k <= 10; k++) s = reduce(s, frameEv(k * 50, k * 100, k * 4));
  assert.ok(Math.abs(s.rate.stepsPerSecond - 2000) < 1e-6, String(s.rate.stepsPerSecond));
  assert.ok(Math.abs(s.rate.epochsPerSecond - 80) < 1e-6);
  assert.ok(s.changed.includes("rate"));
  s = reduce(s, { type: "state", running: false, speed: null, step: 1000, epoch: 40 });
  assert.equal(s.rate.stepsPerSecond, null);
  s = reduce(s, { type: "diverged", step: 3 });
  assert.equal(s.rate, NO_RATE);
});
