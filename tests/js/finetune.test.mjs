// The fine-tuning panel's logic: relabel choices → configuration, groups of digits, parameter
// counts, the comparison request and reading the race's history.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  architectureText, checkGroups, classProbs, compareRequest, csvInputWidth, firstReached,
  groupsFromAssignment, hiddenLayers, inferHead, layerTable, loadConfig, modelRefusal, nextGroup,
  reachedFirst, splitRaceHistory, taskConfig, toggleFrozen, verdict,
} from "../../static/js/finetune-logic.js";
import { STRINGS, displayClass, t } from "../../static/js/i18n.js";
import { readFileSync } from "node:fs";
import { ENGINE, useFacts } from "../../static/js/facts.js";

// the engine's facts as the server gives them (check_every; fixtures/make_engine_facts.py)
useFacts(JSON.parse(readFileSync(new URL("./fixtures/engine_facts.json", import.meta.url), "utf8")));

const DIGITS_ALL = { name: "digits-all", sizes: [64, 64, 32, 10], activation: "relu", output: "softmax",
  data: "digits", digits_task: "all", digits_half: "a", class_names: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] };

test("loading a digits model shows it on its own task, on the half it never saw", () => {
  assert.deepEqual(loadConfig(DIGITS_ALL), { model: "digits-all", replace_head: "auto", freeze: [],
    data: "digits", digits_task: "all", digits_half: "b", digit_groups: null, train_per_class: null });
  assert.deepEqual(loadConfig({ name: "spiral", data: "spiral" }), { model: "spiral", replace_head: "auto", freeze: [], data: "spiral" });
  assert.equal(architectureText(DIGITS_ALL), "64-64-32-10 ReLU");
});

test("even/odd with 10 per class becomes the digits task on half b", () => {
  assert.deepEqual(taskConfig({ task: "even_odd", perClass: "10" }), {
    data: "digits", digits_half: "b", digits_task: "even_odd", digit_groups: null,
    train_per_class: 10, replace_head: "auto" });
  assert.equal(taskConfig({ task: "ge5", perClass: 1 }).digits_task, "ge5");
  assert.equal(taskConfig({ task: "5-9", perClass: 100 }).train_per_class, 100);
});

test("examples per class outside 1..100 and unknown tasks are refused with a message", () => {
  assert.throws(() => taskConfig({ task: "even_odd", perClass: 0 }), /examples per class: 0 .* 1 to 100/);
  assert.throws(() => taskConfig({ task: "even_odd", perClass: 101 }), /1 to 100/);
  assert.throws(() => taskConfig({ task: "letters", perClass: 5 }), /task letters/);
});

test("your own groups: digits pressed into groups become digit_groups", () => {
  const assign = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1];
  assert.deepEqual(groupsFromAssignment(assign), [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]);
  const three = [0, 1, 2, -1, 0, 1, 2, -1, 0, 1];
  const cfg = taskConfig({ task: "groups", perClass: 5, assign: three });
  assert.deepEqual(cfg.digit_groups, [[0, 4, 8], [1, 5, 9], [2, 6]]);
  assert.equal(cfg.digits_task, "groups");
  assert.deepEqual([nextGroup(-1), nextGroup(0), nextGroup(3), nextGroup(undefined)], [0, 1, -1, 0]);
});

test("a group with no digits (a class with no examples) or a single group is refused", () => {
  assert.equal(checkGroups([0, 1, 0, 1, 0, 1, 0, 1, 0, 1]), null);
  assert.deepEqual(checkGroups([2, 1, 2, 1, 2, 1, 2, 1, 2, 1]), { key: "ft_group_empty", params: { group: "A" } });
  assert.deepEqual(checkGroups([0, 0, 0, -1, -1, -1, -1, -1, -1, -1]), { key: "ft_groups_two", params: {} });
  for (const key of ["ft_group_empty", "ft_groups_two", "dp_need_two", "dp_need_more"]) {
    assert.ok(STRINGS.en[key] && STRINGS.ja[key], `${key} in both languages`);
  }
});

test("parameter counts per layer and the trainable total follow the frozen layers", () => {
  const tab = layerTable([64, 64, 32, 2], [0, 1]);
  assert.deepEqual(tab.layers.map((l) => l.params), [4160, 2080, 66]);
  assert.equal(tab.params, 6306);
  assert.equal(tab.trainable, 66);
  assert.deepEqual(layerTable([2, 8, 1]).trainable, 33);
  assert.deepEqual(hiddenLayers([64, 64, 32, 2]), [0, 1]);
  assert.deepEqual(toggleFrozen([1], 0, true), [0, 1]);
  assert.deepEqual(toggleFrozen([0, 1], 1, false), [0]);
  assert.deepEqual(toggleFrozen([0], 0, true), [0]);
});

test("the comparison races the fine-tuned model against the same network from scratch", () => {
  const config = { data: "digits", digits_task: "even_odd", train_per_class: 10, layers: [64, 32],
    model: "digits-all", freeze: [0, 1], replace_head: "auto", lr: 0.01, seed: 3 };
  const req = compareRequest(config, 0.8);
  assert.deepEqual(req.config, { data: "digits", digits_task: "even_odd", train_per_class: 10, layers: [64, 32], lr: 0.01, seed: 3 });
  assert.deepEqual(req.race.runners, [
    { model: "digits-all", freeze: [0, 1], replace_head: "auto", label: "fine-tuned" },
    { model: null, freeze: [], label: "from scratch" },
  ]);
  assert.deepEqual(req.race.target, { metric: "test_acc", value: 0.8 });
  assert.deepEqual(config.freeze, [0, 1], "the session's configuration is not changed");
});

test("a race history splits by runner; steps and seconds to a target read from it", () => {
  const columns = ["runner", "step", "epoch", "train_loss", "test_loss", "train_acc", "test_acc", "seconds"];
  const rows = [
    [0, 0, 0, 0.7, 0.7, 0.5, 0.5, 0], [1, 0, 0, 0.7, 0.7, 0.5, 0.5, 0],
    [0, 10, 10, 0.3, 0.4, 0.9, 0.82, 0.01], [1, 10, 10, 0.5, 0.6, 0.7, 0.65, 0.012],
    [0, 20, 20, 0.1, 0.35, 1, 0.86, 0.02], [1, 20, 20, 0.2, 0.5, 0.9, 0.78, 0.025],
    [0, 30, 30, 0.05, 0.34, 1, null, 0.03], [1, 30, 30, 0.1, 0.45, 1, 0.81, 0.037],
  ];
  const [a, b] = splitRaceHistory(columns, rows, 2);
  assert.deepEqual(Array.from(a.xs), [0, 10, 20, 30]);
  assert.deepEqual(Array.from(b.test_acc), [0.5, 0.65, 0.78, 0.81]);
  assert.ok(Number.isNaN(a.test_acc[3]), "null is NaN");
  assert.deepEqual(firstReached(a, "test_acc", 0.8), { step: 10, seconds: 0.01 });
  assert.deepEqual(firstReached(b, "test_acc", 0.8), { step: 30, seconds: 0.037 });
  assert.equal(firstReached(b, "test_acc", 0.9), null);
  assert.deepEqual(firstReached(b, "train_loss", 0.2), { step: 20, seconds: 0.025 });
});

test("the verdict compares held-out accuracy, with a margin for a tie", () => {
  const r = (acc) => ({ metrics: { test_acc: acc } });
  assert.equal(verdict([r(0.85), r(0.77)]), "finetuned");
  assert.equal(verdict([r(0.84), r(0.95)]), "scratch");
  assert.equal(verdict([r(0.9), r(0.89)]), "tie");
  assert.equal(verdict([{ metrics: null }, r(0.5)]), null);
});

test("a CSV's input width is its columns less the label, quotes respected", () => {
  assert.equal(csvInputWidth("x1,x2,label\n1,2,a\n"), 2);
  assert.equal(csvInputWidth("\n\n" + Array.from({ length: 65 }, (_, i) => `p${i}`).join(",")), 64);
  assert.equal(csvInputWidth('"a,b",c,label\n'), 2);
  assert.equal(csvInputWidth(""), 0);
});

test("the head: replaced for a new task, kept for the model's own; sigmoid gives two probabilities", () => {
  const even = { sizes: [64, 64, 32, 1], output: "sigmoid", class_names: ["even", "odd"] };
  const head = inferHead(DIGITS_ALL, { model: "digits-all", data: "digits", replace_head: "auto" }, even);
  assert.deepEqual(head, { replaced: true, old: { units: 10, output: "softmax", classes: DIGITS_ALL.class_names },
    new: { units: 1, output: "sigmoid", classes: ["even", "odd"] } });
  const own = { sizes: [64, 64, 32, 10], output: "softmax", class_names: DIGITS_ALL.class_names };
  assert.equal(inferHead(DIGITS_ALL, { model: "digits-all", data: "digits", replace_head: "auto" }, own).replaced, false);
  assert.equal(inferHead(DIGITS_ALL, { model: "digits-all", data: "digits", replace_head: "replace" }, own).replaced, true);
  assert.deepEqual(classProbs([0.25], 2), [0.75, 0.25]);
  assert.deepEqual(classProbs([0.1, 0.2, 0.7], 3), [0.1, 0.2, 0.7]);
});

test("who reached the target first: a tie on the same check step is a tie, said by its step", () => {
  const tie = reachedFirst({ runner: 0, label: "fine-tuned", step: 40, seconds: 0.002, tie: [0, 1] });
  assert.deepEqual(tie, { key: "ft_first_tie", params: { step: 40, every: ENGINE.check_every } });
  const text = t(tie.key, { v: "80 %", step: 40, every: ENGINE.check_every }, "en");
  assert.equal(text, "A tie: both networks reached 80 % at step 40 (checked every 10 steps).");
  assert.deepEqual(reachedFirst({ runner: 1, step: 30, seconds: 0.001, tie: [1] }),
    { key: "ft_first_1", params: { step: 30, seconds: 0.001 } });
  assert.match(t("ft_first_1", { v: "80 %", step: 30, s: "0.001 s" }, "en"), /^The network trained from scratch reached 80 % first/);
  assert.equal(reachedFirst(null), null);
  for (const lang of ["en", "ja"]) for (const k of ["ft_first_0", "ft_first_1", "ft_first_tie", "ft_checked_every"]) assert.ok(STRINGS[lang][k], `${lang}.${k}`);
});

test("a refused model is said in the page's own sentence, without the field-and-value preamble", () => {
  const width = modelRefusal("model: 'upload' is not allowed; the model takes 2 inputs; this data set gives 64: choose data of the model's width");
  assert.deepEqual(width, { key: "ft_model_width", params: { n: "2", m: "64" } });
  assert.equal(t(width.key, width.params, "en"), "This model takes 2 inputs, but this data set gives 64: choose data of the model's width, or another model.");
  assert.equal(modelRefusal("model: the file is empty").key, "ft_model_empty");
  const other = modelRefusal("model: 'upload' is not allowed; not a safetensors file: the header is cut short");
  assert.equal(t(other.key, other.params, "en"), "This model file was refused: Not a safetensors file: the header is cut short.");
  assert.doesNotMatch(t(other.key, other.params, "en"), /is not allowed|'upload'/);
});

test("one output is singular; the engine's class names are shown in the page's language", () => {
  assert.equal(t("ft_head_unit_one", { n: 1, out: "sigmoid", classes: "even, odd" }, "en"), "1 sigmoid output (even, odd)");
  assert.equal(displayClass("even", "ja"), "偶数");
  assert.equal(displayClass("odd", "ja"), "奇数");
  assert.equal(displayClass("5-9", "ja"), "5〜9");
  assert.equal(displayClass("even", "en"), "even");
  assert.equal(displayClass("A", "ja"), "A", "a name of the user's own stays as it is");
});

test("a tie is said with the race's own check interval", () => {
  const w = { runner: 0, step: 70, seconds: 0.1, tie: [0, 1] };
  assert.deepEqual(reachedFirst(w, 7).params, { step: 70, every: 7 });
  assert.equal(reachedFirst(w).params.every, 10);
});

test("the fine-tuning panel opens for the digits or a model and closes when they are gone", async () => {
  const { finetuneOpen } = await import("../../static/js/finetune-logic.js");
  assert.equal(finetuneOpen(false, false, true), true, "switching to the digits opens it");
  assert.equal(finetuneOpen(true, true, false), false, "switching from the digits to the spiral closes it");
  assert.equal(finetuneOpen(false, true, true), false, "closed by hand on the digits: stays closed");
  assert.equal(finetuneOpen(true, false, false), true, "opened by hand on the spiral: stays open");
  assert.equal(finetuneOpen(false, false, false), false);
});
