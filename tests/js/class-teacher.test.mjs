// The teacher's class view without a page: roster order, numbers, sparklines, the challenge
// form read into the server's body, refusals said by their code, what the tab keeps.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  challengeBody, challengeText, classGone, formatAcc, formatLoss, formatSeconds, keepClass,
  keptClass, refusalWords, sortRoster, sparkLines, violationText,
} from "../../static/js/class-teacher-logic.js";

const roster = [
  { id: "a", name: "ken", test_acc: 0.8, test_loss: 0.5 },
  { id: "b", name: "Aiko", test_acc: 0.95, test_loss: 0.2 },
  { id: "c", name: "Ben", test_acc: null, test_loss: null },
  { id: "d", name: "<b>Zed</b>", test_acc: 0.8, test_loss: 0.45 },
];
const ids = (xs) => xs.map((s) => s.id).join("");

test("the roster sorts by name ignoring case, both ways", () => {
  assert.equal(ids(sortRoster(roster, "name", 1)), "dbca"); // "<" sorts before letters
  assert.equal(ids(sortRoster(roster, "name", -1)), "acbd");
});

test("accuracy and loss sort numerically; students without a number stay last", () => {
  assert.equal(ids(sortRoster(roster, "acc", -1)), "bdac"); // ties (0.8) by name: "<b>Zed</b>" < "ken"
  assert.equal(ids(sortRoster(roster, "acc", 1)), "dabc");
  assert.equal(ids(sortRoster(roster, "loss", 1)), "bdac");
  assert.equal(ids(sortRoster(roster, "loss", -1)), "adbc");
  assert.equal(roster[0].id, "a", "the list given is not reordered");
});

test("numbers are formatted honestly, with a dash when there is none", () => {
  assert.equal(formatAcc(0.936), "93.6 %");
  assert.equal(formatAcc(null), "–");
  assert.equal(formatAcc(NaN), "–");
  assert.equal(formatLoss(0.21437), "0.214");
  assert.equal(formatLoss(0.000123), "1.23e-4");
  assert.equal(formatLoss(undefined), "–");
  assert.equal(formatSeconds(41.23), "41.2 s");
  assert.equal(formatSeconds(185), "3 min 05 s");
});

test("a sparkline spans its box, accuracy 1 at the top, and a null breaks the line", () => {
  assert.deepEqual(sparkLines([0, 1], 80, 20), [["0,20", "80,0"]]);
  assert.deepEqual(sparkLines([0.5, null, 0.25, 1], 30, 20), [["0,10"], ["20,15", "30,0"]]);
  assert.deepEqual(sparkLines([], 80, 20), []);
  assert.deepEqual(sparkLines(null), []);
});

test("the challenge form becomes the server's body; empty rules are left out", () => {
  assert.deepEqual(challengeBody({ metric: "test_acc", target: "0.9" }).body,
    { goal: { metric: "test_acc", target: 0.9 }, constraints: {} });
  assert.deepEqual(challengeBody({ metric: "test_loss", target: "0.3", maxUnits: "16", maxEpochs: "500",
    data: "spiral", allowed: ["lr", "optimizer"] }).body,
  { goal: { metric: "test_loss", target: 0.3 },
    constraints: { max_hidden_units: 16, max_epochs: 500, data: "spiral", allowed_fields: ["lr", "optimizer"] } });
  assert.deepEqual(challengeBody({ metric: "test_acc", target: "0.5", allowed: [] }).body.constraints,
    { allowed_fields: [] }, "no field ticked: nothing may change");
});

test("a bad challenge value is named with its value and what is allowed", () => {
  const e = challengeBody({ metric: "test_acc", target: "1.5" }).error;
  assert.equal(e.key, "class_bad_value");
  assert.equal(e.params.value, "1.5");
  assert.match(e.params.allowed, /0 to 1/);
  assert.ok(challengeBody({ metric: "test_loss", target: "2" }).body, "a loss may be above 1");
  assert.ok(challengeBody({ metric: "test_loss", target: "-1" }).error);
  assert.ok(challengeBody({ metric: "test_acc", target: "" }).error);
  assert.equal(challengeBody({ metric: "test_acc", target: "0.9", maxUnits: "2.5" }).error.params.value, "2.5");
  assert.ok(challengeBody({ metric: "test_acc", target: "0.9", maxEpochs: "0" }).error);
  assert.ok(challengeBody({ metric: "accuracy", target: "0.9" }).error);
});

test("refusals are said from their code in the page's language, never the server's English", () => {
  const body = { detail: [{ code: "session_in_class", message: "SERVER ENGLISH" }] };
  assert.match(refusalWords(body, 409, "en"), /already runs a class/);
  assert.match(refusalWords(body, 409, "ja"), /すでにクラス/);
  assert.doesNotMatch(refusalWords(body, 409, "ja"), /SERVER ENGLISH/);
  const plain = { detail: [{ field: "goal.target", value: 7, message: "goal.target: nope" }] };
  assert.equal(refusalWords(plain, 422, "en"), "Target: 7 is not accepted.");
  assert.match(refusalWords({}, 500, "ja"), /HTTP 500/);
});

test("an ended, unknown or not-our class is gone for this tab", () => {
  assert.ok(classGone({ detail: [{ code: "class_ended" }] }, 410));
  assert.ok(classGone({ detail: [{ code: "class_not_found" }] }, 404));
  assert.ok(classGone({ detail: [{ code: "wrong_class_token" }] }, 403));
  assert.ok(!classGone({ detail: [{ code: "no_such_student" }] }, 409));
});

test("the tab keeps its class for its own session only", () => {
  const m = new Map();
  const store = { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => m.set(k, v), removeItem: (k) => m.delete(k) };
  keepClass(store, { code: "ACH34K", class_token: "x", session: "s1" });
  assert.equal(keptClass(store, "s1").code, "ACH34K");
  assert.equal(keptClass(store, "s2"), null);
  assert.equal(keptClass(store).code, "ACH34K");
  keepClass(store, null);
  assert.equal(keptClass(store, "s1"), null);
  m.set("backprop-teacher-class", "{not json");
  assert.equal(keptClass(store), null);
});

test("the challenge and its broken rules read in words", () => {
  const ch = { goal: { metric: "test_acc", target: 0.9 }, constraints: { max_hidden_units: 16, max_epochs: 500 } };
  assert.equal(challengeText(ch, "en"), "test accuracy ≥ 0.9 · at most 16 hidden units · within 500 epochs");
  assert.equal(challengeText(null, "en"), "No challenge yet.");
  assert.equal(violationText({ rule: "max_hidden_units", field: "layers", value: 32, limit: 16 }, "en"),
    "32 hidden units (at most 16)");
  assert.equal(violationText({ rule: "allowed_fields", field: "activation", value: "tanh", limit: "relu" }, "en"),
    "changed activation (\"tanh\")");
});
