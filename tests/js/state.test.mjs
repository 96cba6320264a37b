// The page's reducer: what each event does to the state, what the page says about it and where
// an error goes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { initialState, reduce } from "../../static/js/state.js";
import { say } from "../../static/js/i18n.js";

const CONFIG = { data: "spiral", lr: 0.03, layers: [8, 8], features: ["x1", "x2"] };
const INFO = { sizes: [2, 8, 8, 1], dims: 2, task: "classification", train_size: 250 };
const HELLO = {
  type: "hello", role: "control", config: CONFIG, info: INFO, running: false, speed: null,
  step: 40, epoch: 1.6, diverged: null, history: { columns: ["step", "train_loss"], rows: [[10, 0.7], [20, 0.6]] },
  race: null, until: null, lesson: { name: "lr", variant: "small" }, presenter: null,
};
const hello = () => reduce(initialState({ sessionId: "s1", role: "control" }), HELLO);
const run = (state, ...events) => events.reduce(reduce, state);

test("the state starts empty, with the page's session and role", () => {
  const s = initialState({ sessionId: "abc", role: "viewer" });
  assert.equal(s.sessionId, "abc");
  assert.equal(s.role, "viewer");
  assert.equal(s.config, null);
  assert.equal(s.frame, null);
  assert.equal(s.connected, false);
  assert.equal(s.history.length, 0);
});

test("hello: the whole run at once, and every view refreshes", () => {
  const s = hello();
  assert.equal(s.config, CONFIG);
  assert.equal(s.info, INFO);
  assert.equal(s.step, 40);
  assert.equal(s.epoch, 1.6);
  assert.equal(s.history.length, 2);
  assert.deepEqual(s.lesson, HELLO.lesson);
  for (const c of ["role", "config", "info", "runState", "diverged", "counters"]) assert.ok(s.changed.includes(c), c);
  assert.deepEqual(s.said, []);
});

test("reduce returns a new state and leaves the one passed in as it was", () => {
  const before = hello();
  const after = reduce(before, { type: "state", running: true, speed: 100, step: 41, epoch: 1.64 });
  assert.notEqual(after, before);
  assert.equal(before.running, false);
  assert.equal(before.step, 40);
  assert.equal(after.running, true);
  assert.equal(after.speed, 100);
  assert.equal(after.step, 41);
});

test("state: back at step 0 a divergence is over", () => {
  const diverged = run(hello(), { type: "diverged", step: 12, quantity: "loss", message: "…" });
  assert.equal(diverged.diverged.step, 12);
  assert.equal(diverged.running, false);
  const again = reduce(diverged, { type: "state", running: false, speed: null, step: 0, epoch: 0 });
  assert.equal(again.diverged, null);
  assert.ok(again.changed.includes("diverged"));
  const later = reduce(diverged, { type: "state", running: false, speed: null, step: 12, epoch: 0.4 });
  assert.equal(later.diverged.step, 12, "a state at another step keeps it");
  const until = reduce(hello(), { type: "state", running: true, speed: null, step: 41, epoch: 1, until: 200 });
  assert.equal(until.until, 200);
});

test("config: a live change refreshes the controls and the inspector, a rebuild every view", () => {
  const live = reduce(hello(), { type: "config", config: { ...CONFIG, lr: 0.1 }, info: INFO, changed: ["lr"], rebuilt: null });
  assert.equal(live.config.lr, 0.1);
  assert.ok(live.changed.includes("config") && live.changed.includes("context"));
  assert.ok(!live.changed.includes("info"));
  assert.deepEqual(live.said, []);
  const bigger = { ...INFO, sizes: [2, 9, 8, 1] };
  const rebuilt = reduce(run(hello(), { type: "diverged", step: 3, quantity: "loss" }),
    { type: "config", config: { ...CONFIG, layers: [9, 8] }, info: bigger, changed: ["layers"], rebuilt: "network" });
  assert.ok(rebuilt.changed.includes("info"));
  assert.equal(rebuilt.diverged, null, "a rebuilt run has not diverged");
  assert.deepEqual(rebuilt.said.map((m) => [m.key, say(m.words, "en")]), [["rebuilt", "New network: training starts again from step 0."]]);
  const data = reduce(hello(), { type: "config", config: { ...CONFIG, data: "xor" }, info: INFO, changed: ["data"], rebuilt: "data" });
  assert.equal(say(data.said[0].words, "ja"), "新しいデータとネットワーク：ステップ0から学習をやり直します。");
  const features = reduce(hello(), { type: "config", config: CONFIG, info: INFO, changed: ["features"], rebuilt: null });
  assert.ok(features.changed.includes("info"), "new inputs: the views start again");
  const race = reduce(hello(), { type: "config", config: CONFIG, info: INFO, changed: [], race: { runners: [{ label: "SGD" }] } });
  assert.equal(race.race.runners[0].label, "SGD");
  assert.ok(race.changed.includes("runnerTags"));
});

test("history: rows append; a gap asks for a resync", () => {
  const s = reduce(hello(), { type: "history", from: 2, rows: [[30, 0.5]] });
  assert.equal(s.history.length, 3);
  assert.equal(s.resync, false);
  const gap = reduce(s, { type: "history", from: 9, rows: [[90, 0.1]] });
  assert.equal(gap.resync, true);
});

test("a frame's header: counters, running, new history points; the newest frame wins", () => {
  const s0 = hello();
  const f1 = { type: "frame", header: { step: 50, epoch: 2, running: true, history_from: 2, points: [[50, 0.4]] }, buffer: 1, dataOffset: 8 };
  const f2 = { type: "frame", header: { step: 60, epoch: 2.4 }, buffer: 2, dataOffset: 8 };
  const s = run(s0, f1, f2);
  assert.equal(s.framesIn, 2);
  assert.equal(s.step, 60);
  assert.equal(s.running, true, "a header without `running` keeps it");
  assert.equal(s.history.length, 3);
  assert.equal(s.latest, f2);
  const drawn = reduce(s, { type: "decoded", latest: f2, frame: { header: f2.header, arrays: {} } });
  assert.equal(drawn.drawnLatest, f2);
  assert.deepEqual(drawn.frame.header, f2.header);
  assert.ok(drawn.changed.includes("frame"));
  const ticked = run(drawn, { type: "tick", ms: 3 }, { type: "tick" });
  assert.equal(ticked.ticks, 2);
  assert.equal(ticked.framesDrawn, 1);
  assert.equal(ticked.drawMs, 3);
});

test("data: the training and test sets arrive once per data version", () => {
  const arrays = { train_x: new Float32Array(4) };
  const s = reduce(hello(), { type: "data", arrays });
  assert.equal(s.data, arrays);
  assert.ok(s.changed.includes("data"));
});

test("notices: pauses in the page's words, a rebuild said once, others by their code", () => {
  const until = reduce(hello(), { type: "notice", code: "until_reached", step: 1200, message: "paused at 1200" });
  assert.equal(until.said[0].key, "until");
  assert.equal(say(until.said[0].words, "ja"), "ステップ 1,200 で一時停止しました。ここで止まるように設定されていました。続けるには再生を押してください。");
  const idle = reduce(hello(), { type: "notice", reason: "idle", step: 7, message: "no one here" });
  assert.equal(idle.said[0].key, "idle", "before codes: the pause's reason");
  const csv = reduce(hello(), { type: "notice", code: "csv_loaded", rows: 10, columns: 3, message: "now training…" });
  assert.deepEqual([csv.said[0].key, csv.said[0].once], ["rebuilt", true]);
  assert.equal(say(csv.said[0].words, "en"), "New data and a new network: training starts again from step 0.");
  const runner = reduce(hello(), { type: "notice", code: "runner_diverged", runner: 2, label: "Adam", step: 9, message: "…" });
  assert.equal(say(runner.said[0].words, "en"), "Runner 2 (Adam) diverged at step 9 and stopped; the others go on.");
  // before codes: the notice just after a rebuilt config event repeats it, and is not said
  const rebuilt = reduce(hello(), { type: "config", config: CONFIG, info: INFO, changed: ["layers"], rebuilt: "network" });
  assert.deepEqual(reduce(rebuilt, { type: "notice", message: "changing layers rebuilt the run" }).said, []);
  const other = reduce(hello(), { type: "notice", message: "something else" });
  assert.equal(say(other.said[0].words, "ja"), "something else", "no code: the server's message");
});

test("errors: a weight edit to the inspector, a refused run command in the page's words, the rest to the controls", () => {
  const weight = reduce(hello(), { type: "error", command: "set_weight", code: "pause_to_edit", message: "pause first" });
  assert.equal(weight.error.route, "inspector");
  assert.equal(say(weight.error.words, "en"), "Pause training to edit a weight.");
  const coded = reduce(hello(), { type: "error", command: "play", code: "refused_diverged", message: "the run diverged" });
  assert.equal(coded.error.route, "diverged");
  assert.equal(say(coded.said[0].words, "ja"), "学習は発散して止まっています。リセットしてください（新しい学習率はリセット後に効きます）。");
  const diverged = reduce(hello(), { type: "diverged", step: 4, quantity: "loss" });
  const uncoded = reduce(diverged, { type: "error", command: "step", message: "refused" });
  assert.equal(uncoded.error.route, "diverged", "before codes: a run command while diverged");
  const notYet = reduce(hello(), { type: "error", command: "step", message: "refused" });
  assert.equal(notYet.error.route, "field");
  assert.equal(say(notYet.error.words, "ja"), "refused");
  const field = reduce(hello(), { type: "error", command: "set", code: "invalid_config", field: "lr", value: 11, message: "…", id: 4 });
  assert.equal(field.error.route, "field");
  assert.equal(field.error.ev.field, "lr");
});

test("ack, lesson, presenter and phase events are kept for the views", () => {
  assert.equal(reduce(hello(), { type: "ack", id: 7 }).ack, 7);
  assert.deepEqual(reduce(hello(), { type: "lesson", name: "momentum", variant: null }).lesson, { name: "momentum", variant: null });
  assert.deepEqual(reduce(hello(), { type: "presenter", state: { walk: true } }).presenter, { walk: true });
  const phase = { type: "phase", phase: "forward", step: 3 };
  assert.equal(reduce(hello(), phase).phase, phase);
  assert.equal(reduce(reduce(hello(), { type: "ack", id: 7 }), { type: "state", running: false, speed: null, step: 1, epoch: 0 }).ack, null,
    "what an event did lasts until the next one");
});

test("connection: open and closed set `connected`; a recovery is counted; connecting changes nothing", () => {
  const open = reduce(hello(), { type: "connection", state: "open", recovered: false });
  assert.equal(open.connected, true);
  const connecting = reduce(open, { type: "connection", state: "connecting", attempt: 1 });
  assert.equal(connecting.connected, true);
  const closed = reduce(connecting, { type: "connection", state: "closed", retryIn: 1000, attempt: 1 });
  assert.equal(closed.connected, false);
  const back = reduce(closed, { type: "connection", state: "open", recovered: true });
  assert.equal(back.connected, true);
  assert.equal(back.recoveries, 1);
});

test("session: the page's own session id, token and role", () => {
  const s = reduce(initialState(), { type: "session", id: "x", token: "tok", role: "control" });
  assert.deepEqual([s.sessionId, s.token, s.role], ["x", "tok", "control"]);
  assert.ok(s.changed.includes("role"));
});

// ------------------------------------------------------------------ after a divergence
const decoded = (step, metrics) => ({ type: "decoded", latest: { step }, frame: { header: { step, metrics }, arrays: {} } });

test("after a divergence the last good step's frame stays what the counters and the network show", () => {
  let s = hello();
  s = reduce(s, decoded(10, { train_loss: 0.5, test_loss: 0.6, train_acc: 0.8, test_acc: 0.75 }));
  assert.equal(s.goodFrame.header.step, 10);
  // the diverged step's metrics arrive as null (JSON has no infinity), or NaN
  s = reduce(s, { type: "diverged", step: 13, quantity: "loss" });
  s = reduce(s, decoded(12, { train_loss: null, test_loss: null, train_acc: null, test_acc: null }));
  assert.equal(s.frame.header.step, 12);
  assert.equal(s.goodFrame.header.step, 10, "the null metrics frame is not a good one");
  assert.equal(s.goodFrame.header.metrics.train_loss, 0.5);
  s = reduce(s, decoded(13, { train_loss: NaN, test_loss: Infinity }));
  assert.equal(s.goodFrame.header.step, 10);
  // a regression run has no accuracy: null there is no divergence
  s = reduce(s, decoded(14, { train_loss: 0.2, test_loss: 0.3, train_acc: null, test_acc: null }));
  assert.equal(s.goodFrame.header.step, 14);
});

test("a rebuilt network forgets the last good frame (its weights no longer fit)", () => {
  let s = reduce(hello(), decoded(10, { train_loss: 0.5 }));
  s = reduce(s, { type: "config", config: CONFIG, info: INFO, rebuilt: "network" });
  assert.equal(s.goodFrame, null);
});

// ------------------------------------------------------------------ presenter mode, followed
const viewerHello = (presenter) => reduce(initialState({ sessionId: "s1", role: "viewer" }),
  { ...HELLO, role: "viewer", presenter });

test("a viewer follows the teacher's presenter mode, from hello and from presenter events", () => {
  let s = viewerHello({ walk: null, presenter: true });
  assert.equal(s.presenterMode, true, "a late joiner starts in it");
  assert.ok(s.changed.includes("presenterMode"));
  s = reduce(s, { type: "presenter", state: { walk: null, presenter: false } });
  assert.equal(s.presenterMode, false);
  s = reduce(s, { type: "presenter", state: { walk: null, presenter: true } });
  assert.equal(s.presenterMode, true);
});

test("a viewer can leave presenter mode on its page until the teacher switches it again", () => {
  let s = viewerHello({ presenter: true });
  s = reduce(s, { type: "presenterMode", on: false }); // the viewer's own button
  assert.equal(s.presenterMode, false);
  s = reduce(s, { type: "presenter", state: { walk: { phase: 2 }, presenter: true } }); // the teacher walks on
  assert.equal(s.presenterMode, false, "the same presenter mode again does not override the viewer");
  s = reduce(s, { type: "presenter", state: { presenter: false } });
  s = reduce(s, { type: "presenter", state: { presenter: true } });
  assert.equal(s.presenterMode, true, "a new switch by the teacher does");
});

test("the teacher's page keeps its own presenter mode; an older state without it changes nothing", () => {
  let s = hello();
  s = reduce(s, { type: "presenterMode", on: true });
  s = reduce(s, { type: "presenter", state: { presenter: false } });
  assert.equal(s.presenterMode, true);
  const v = reduce(viewerHello(null), { type: "presenter", state: { walk: null } });
  assert.equal(v.presenterMode, false);
});

test("the history's last finite row: the last good step's numbers after a divergence", () => {
  const s = hello();
  s.history.reset(["step", "epoch", "train_loss", "test_loss", "train_acc", "test_acc"],
    [[20, 0.8, 0.6, 0.7, null, null], [30, 1.2, 0.4, 0.5, null, null], [40, 1.6, null, null, null, null]]);
  assert.equal(s.history.lastFinite("train_loss").step, 30);
  assert.equal(s.history.lastFinite("train_loss").train_loss, 0.4);
  assert.equal(s.history.lastFinite("no_such_column"), null);
});
