// Every code of app/codes.py has words in English and Japanese, filled from the fields the code
// carries; the page says an event by its code, never by the server's English.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { EVENT_STRINGS, detailText, divergedText, errorMessage, eventText, say } from "../../static/js/i18n.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const python = existsSync(`${root}.venv/bin/python`) ? `${root}.venv/bin/python` : "python3";
/** {code: {description, fields}}: the server's own table (GET /api/codes). */
const TABLE = JSON.parse(execFileSync(python, ["-c",
  "import json; from app.codes import table; print(json.dumps(table()))"], { cwd: root, encoding: "utf8" }));
const placeholders = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);

test("the server's table of codes is read (not empty)", () => {
  assert.ok(Object.keys(TABLE).length >= 10, Object.keys(TABLE).join(", "));
});

test("every event code has English and Japanese words", () => {
  for (const lang of ["en", "ja"]) {
    const missing = Object.keys(TABLE).filter((c) => !EVENT_STRINGS[lang][c]?.trim());
    assert.deepEqual(missing, [], `codes without ${lang} words`);
  }
});

test("the words name only fields the code carries, the same in both languages", () => {
  for (const [code, { fields }] of Object.entries(TABLE)) {
    const allowed = new Set([...fields, "command"]); // errors of a command also carry it
    for (const lang of ["en", "ja"]) {
      for (const p of placeholders(EVENT_STRINGS[lang][code])) {
        assert.ok(allowed.has(p), `${lang} ${code} uses {${p}}, not a field of the code`);
      }
    }
    assert.deepEqual(placeholders(EVENT_STRINGS.ja[code]).sort(), placeholders(EVENT_STRINGS.en[code]).sort(), code);
  }
});

test("no words for a code the server does not have", () => {
  for (const lang of ["en", "ja"]) {
    const stray = Object.keys(EVENT_STRINGS[lang]).filter((c) => !(c in TABLE));
    assert.deepEqual(stray, [], `${lang} words for unknown codes`);
  }
});

test("an event is said from its code and its fields, in the page's language", () => {
  const ev = { type: "error", code: "no_such_row", field: "row", value: 9, layer: 1, limit: 3,
    message: "row: 9 is not a row of layer 1" };
  assert.equal(eventText(ev, "en"), "Layer 1 has no row 9 (rows 0 to 3).");
  assert.equal(eventText(ev, "ja"), "層 1 に行 9 はありません（行は 0〜3）。");
  assert.ok(!eventText(ev, "ja").includes("row"), "not the server's English");
  const lesson = { code: "unknown_lesson", value: "x", allowed: ["a", "b"] };
  assert.equal(eventText(lesson, "en"), "There is no lesson \"x\"; the lessons are a, b.");
});

test("without a code (or with one the page does not know) the server's message is shown", () => {
  assert.equal(eventText({ message: "old server" }, "ja"), null);
  assert.equal(say({ code: "brand_new", ev: { code: "brand_new", message: "as sent" } }, "ja"), "as sent");
  assert.equal(say({ text: "as sent" }, "ja"), "as sent");
  assert.equal(say({ key: "until_paused", params: { n: 5 } }, "en"),
    "Training paused at step 5, where this run was set to stop. Press Play to go on.");
});

test("a field error without a rule is said from its code; with a rule English keeps the engine's words", () => {
  const ruleless = { code: "pause_to_edit", field: "value", message: "pause first" };
  assert.equal(errorMessage(ruleless, "en"), "Pause training to edit a weight.");
  assert.equal(errorMessage(ruleless, "ja"), "重みを編集するには、学習を一時停止してください。");
  const ruled = { field: "lr", value: 11, message: "lr: 11 is not allowed",
    rule: { kind: "number", min: 0, max: 10, min_open: true, integer: false, nullable: false } };
  assert.equal(errorMessage(ruled, "en"), ruled.message);
});

test("a refused HTTP request's detail is said entry by entry; a failed check keeps the engine's reason", () => {
  const detail = [
    { code: "empty_file", field: "file", message: "file: the file is empty" },
    { code: "invalid_config", field: "train_per_class", value: 900, message: "train_per_class: use at most 40" },
  ];
  assert.equal(detailText(detail, "ja"), "ファイルが空です。; train_per_class: use at most 40");
  assert.equal(detailText("as it is", "ja"), "as it is");
  assert.equal(eventText({ code: "invalid_config", field: "x", value: 1 }, "en"), "x: 1 is not allowed.",
    "without a message, the code's words");
});

test("the divergence is said from the engine's value, never from its English message", () => {
  const nan = { step: 12, quantity: "loss", value: "nan", message: "the loss became NaN" };
  assert.equal(divergedText(nan, 10, "en"), "The loss became NaN (not a number) at step 12: the learning rate 10 is too large. Training stopped; the weights are those of the last good step. Lower the learning rate, then reset.");
  assert.match(divergedText({ ...nan, value: "inf" }, 10, "ja"), /損失が無限大になりました/);
  assert.match(divergedText({ step: 3, quantity: "update", kind: "nan" }, 1, "en"), /^The weight update became NaN \(not a number\)/);
  assert.match(divergedText({ step: 3, quantity: "gradient", message: "became NaN" }, 1, "en"), /^The gradient became NaN or infinite at step 3/,
    "no value: both, whatever the message says");
});
