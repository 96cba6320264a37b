// The optimizer race's pure parts: runners from the setup, curves per runner, the verdict.
import { test } from "node:test";
import assert from "node:assert/strict";
import { STRINGS } from "../../static/js/i18n.js";
import { METRICS, buildRunners, joinLabels, raceSeries, raceStatus, runnerLabel, tiedRunners } from "../../static/js/race-view.js";

test("runners are built from the setup rows, with momentum only where it is used", () => {
  const r = buildRunners([{ optimizer: "sgd", lr: "0.1", momentum: "0" }, { optimizer: "adam", lr: "0.01", momentum: "0.9" }]);
  assert.deepEqual(r, [
    { optimizer: "sgd", lr: 0.1, momentum: 0, label: "SGD, lr 0.1" },
    { optimizer: "adam", lr: 0.01, label: "Adam, lr 0.01" },
  ]);
  assert.equal(runnerLabel({ optimizer: "sgd", lr: 0.1, momentum: 0.9 }), "SGD + momentum 0.9, lr 0.1");
});

test("a bad runner is refused with a message naming the runner and the value", () => {
  assert.throws(() => buildRunners([{ optimizer: "sgd", lr: 0.1 }]), /2 to 4 runners/);
  assert.throws(() => buildRunners([{ optimizer: "sgd", lr: 0.1 }, { optimizer: "adam", lr: "0" }]), /Runner 2: the learning rate 0/);
  assert.throws(() => buildRunners([{ optimizer: "sgd", lr: 0.1, momentum: 1.5 }, { optimizer: "adam", lr: 1 }]), /Runner 1: the momentum 1.5/);
  assert.throws(() => buildRunners([{ optimizer: "lion", lr: 0.1 }, { optimizer: "adam", lr: 1 }]), /Runner 1: the optimizer lion/);
  const five = Array.from({ length: 5 }, () => ({ optimizer: "adam", lr: 0.01 }));
  assert.throws(() => buildRunners(five), /2 to 4 runners/);
});

test("history rows with a leading runner column become one curve per runner on shared steps", () => {
  const columns = ["runner", "step", "epoch", "train_loss", "test_loss", "train_acc", "test_acc", "seconds"];
  const rows = [
    [0, 0, 0, 0.7, 0.7, 0.5, 0.5, 0], [1, 0, 0, 0.7, 0.7, 0.5, 0.5, 0],
    [0, 10, 1, 0.6, 0.65, 0.6, 0.55, 0.1], [1, 10, 1, 0.3, 0.4, 0.8, 0.7, 0.1],
    [1, 20, 2, 0.1, 0.2, 0.95, 0.9, 0.2], // runner 0 diverged: no point at 20
  ];
  const { xs, perRunner } = raceSeries(columns, rows, "train_loss");
  assert.deepEqual(Array.from(xs), [0, 10, 20]);
  assert.deepEqual(Array.from(perRunner[0]).slice(0, 2), [0.7, 0.6]);
  assert.ok(Number.isNaN(perRunner[0][2]));
  assert.deepEqual(Array.from(perRunner[1]), [0.7, 0.3, 0.1]);
  assert.deepEqual(raceSeries(["step"], rows, "train_loss").perRunner, [], "no runner column: no curves");
});

test("the winner is announced with its step and the target", () => {
  const s = raceStatus({ metric: "train_loss", value: 0.1 }, { runner: 1, label: "Adam, lr 0.01", step: 140, seconds: 0.52 }, []);
  assert.equal(s, "Adam, lr 0.01 wins: train loss ≤ 0.1 at step 140 (0.52 s of training).");
  assert.match(raceStatus({ metric: "test_acc", value: 0.9 }, null, [{}]), /test accuracy ≥ 0.9/);
  assert.match(raceStatus({ metric: "train_loss", value: 0.1 }, null, [{ diverged: {} }, { diverged: {} }]), /Every runner diverged/);
});

test("every metric has a name in both languages", () => {
  for (const m of METRICS) for (const lang of ["en", "ja"]) assert.ok(STRINGS[lang][`race_metric_${m}`], `${lang} ${m}`);
});

test("runners that reach the target on the same check step tie: both named, by step, no seconds", () => {
  const target = { metric: "train_loss", value: 0.1 };
  const runners = [{ label: "SGD, lr 0.1" }, { label: "Adam, lr 0.01" }, { label: "RMSProp, lr 0.01" }];
  const winner = { runner: 0, label: "SGD, lr 0.1", step: 140, seconds: 0.31, tie: [0, 2] };
  const s = raceStatus(target, winner, runners);
  assert.equal(s, "Tie at step 140: SGD, lr 0.1 and RMSProp, lr 0.01 reached train loss ≤ 0.1 on the same check step.");
  assert.doesNotMatch(s, /0\.31|wins/);
  assert.deepEqual(tiedRunners(winner), [0, 2]);
  assert.equal(tiedRunners({ ...winner, tie: [0] }), null, "one runner alone is a winner");
  assert.match(raceStatus(target, { ...winner, tie: [0] }, runners), /^SGD, lr 0.1 wins/);
  assert.equal(joinLabels(["A", "B", "C"]), "A, B and C");
  for (const lang of ["en", "ja"]) for (const k of ["race_tie", "race_label_q", "list_and", "list_comma", "race_runner_tag"]) assert.ok(STRINGS[lang][k], `${lang}.${k}`);
});
