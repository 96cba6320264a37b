// The lessons menu's pure parts: finding a lesson, its variants and the one in force.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  currentVariant, findLesson, LESSON_SECONDS, LessonsView, lessonPace, variantsOf,
} from "../../static/js/lessons-view.js";

const catalogue = [
  { name: "no-hidden-layer", title: "A straight line is enough", race: null, runs: [{ name: "lesson", label: null, config: {} }] },
  { name: "overfitting", title: "Overfitting", race: null, runs: [
    { name: "none", label: "No regularization", config: {} },
    { name: "dropout", label: "Dropout 0.5", config: {} },
    { name: "l2", label: "L2", config: {} },
  ] },
  { name: "optimizer-race", title: "Race", race: { runners: [{}, {}] }, runs: [{ name: "lesson", label: null, config: {} }] },
];

test("a lesson is found by name; an unknown name gives null", () => {
  assert.equal(findLesson(catalogue, "overfitting").title, "Overfitting");
  assert.equal(findLesson(catalogue, "nope"), null);
  assert.equal(findLesson(null, "overfitting"), null);
});

test("variants are the labelled runs; a single run or a race has none", () => {
  assert.deepEqual(variantsOf(findLesson(catalogue, "overfitting")).map((v) => v.name), ["none", "dropout", "l2"]);
  assert.deepEqual(variantsOf(findLesson(catalogue, "no-hidden-layer")), []);
  assert.deepEqual(variantsOf(findLesson(catalogue, "optimizer-race")), []);
});

test("the variant in force is the one named, else the first", () => {
  const l = findLesson(catalogue, "overfitting");
  assert.equal(currentVariant(l, "l2"), "l2");
  assert.equal(currentVariant(l, null), "none");
  assert.equal(currentVariant(l, "bogus"), "none");
  assert.equal(currentVariant(findLesson(catalogue, "no-hidden-layer"), null), null);
});

// ------------------------------------------------------------------ a lesson's pace
test("a lesson's pace runs its steps in about LESSON_SECONDS seconds, within 1 to 1,000 steps/s", () => {
  assert.equal(LESSON_SECONDS, 10);
  assert.equal(lessonPace({ steps: 500 }), 50); // XOR: 10 s instead of a tenth of a second
  assert.equal(lessonPace({ steps: 1000 }), 100);
  assert.equal(lessonPace({ steps: 333 }), 33);
  assert.equal(lessonPace({ steps: 3 }), 1);
  assert.equal(lessonPace({ steps: 1e6 }), 1000);
  assert.equal(lessonPace({}), null);
});

/** A LessonsView on stand-ins for its two elements, recording what it sends. */
function lessonsView(lessons) {
  const el = () => ({ open: false, hidden: true, dataset: {}, innerHTML: "", addEventListener() {},
    close() { this.open = false; }, showModal() { this.open = true; } });
  const sent = [];
  const view = new LessonsView(el(), el(), { send: (c) => sent.push(c), fetchJson: async () => lessons });
  view.catalogue = lessons;
  return { view, sent };
}

test("loading a lesson sends its pace as the speed; another variant keeps the teacher's speed", () => {
  const lessons = [{ name: "xor", title: "XOR", steps: 500, race: null, focus: [],
    runs: [{ name: "a", label: "A" }, { name: "b", label: "B" }] }];
  const { view, sent } = lessonsView(lessons);
  view.load("xor", null);
  assert.deepEqual(sent, [{ type: "lesson", name: "xor", variant: "a" }, { type: "speed", steps_per_second: 50 }]);
  view.setCurrent({ name: "xor", variant: "a" });
  sent.length = 0;
  view.load("xor", "b");
  assert.deepEqual(sent, [{ type: "lesson", name: "xor", variant: "b" }]);
});

test("the lesson card says its pace and how long the lesson takes", () => {
  const lessons = [{ name: "xor", title: "XOR", explanation: "", question: "", look_at: "", steps: 500,
    race: null, focus: [], runs: [{ name: "lesson", label: null }] }];
  const { view } = lessonsView(lessons);
  view.setCurrent({ name: "xor", variant: null });
  assert.match(view.card.innerHTML, /Pace: 50 steps\/s, about 10 s/);
});
