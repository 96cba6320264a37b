// The join page's logic (static/js/join.js): codes read as the server reads them, names checked
// as the server checks them, refusals said by their code in each language.
// Run: node --test tests/classroom/
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CODE_ALPHABET, WORDS, checkName, normalizeCode, refusalText, storageKey } from "../../static/js/join.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const python = existsSync(`${root}.venv/bin/python`) ? `${root}.venv/bin/python` : "python3";
const SAMPLES = ["ach34k", "ACH-34K", " a c h 3 4 k ", "ACH34", "ACH34KK", "0CH34K", "", "ach_34.k", "ÄCH34K"];
const SERVER = JSON.parse(execFileSync(python, ["-c",
  "import json, sys; from app.classroom.joincode import ALPHABET, normalize; " +
  "print(json.dumps({'alphabet': ALPHABET, 'codes': [normalize(s) for s in json.loads(sys.argv[1])]}))",
  JSON.stringify(SAMPLES)], { cwd: root, encoding: "utf8" }));

test("the page's alphabet is the server's", () => {
  assert.equal(CODE_ALPHABET, SERVER.alphabet);
});

test("a typed code is read as the server reads it", () => {
  assert.deepEqual(SAMPLES.map(normalizeCode), SERVER.codes);
});

test("a name is trimmed and must keep 1 to 40 characters", () => {
  assert.equal(checkName("  Aiko   Tanaka "), "Aiko Tanaka");
  assert.equal(checkName("   "), null);
  assert.equal(checkName("x".repeat(41)), null);
  assert.equal(checkName("漢".repeat(40)), "漢".repeat(40));
});

test("a refusal is said by its code in each language, else by its message", () => {
  const body = { detail: [{ code: "class_ended", field: "code", value: "ACH34K", message: "the class ACH34K has ended" }] };
  assert.match(refusalText(body, "en"), /has ended/);
  assert.match(refusalText(body, "ja"), /終了しました/);
  const limited = { detail: [{ code: "join_limited", limit: 30, seconds: 42, message: "too many" }] };
  assert.match(refusalText(limited, "en"), /42 s/);
  assert.equal(refusalText({ detail: "plain words" }, "en"), "plain words");
  assert.equal(refusalText({}, "en"), "");
});

test("both languages have every word of the page", () => {
  assert.deepEqual(Object.keys(WORDS.ja).sort(), Object.keys(WORDS.en).sort());
  assert.equal(storageKey("ACH34K"), "backprop-class-ACH34K");
});
