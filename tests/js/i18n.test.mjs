// Every string exists in both languages, and every key the page uses exists.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { STRINGS, detectLanguage, errorMessage, t } from "../../static/js/i18n.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
// the page as served: index.html and the partials it includes
const partials = `${root}templates/partials/`;
const template = [readFileSync(`${root}templates/index.html`, "utf8"),
  ...readdirSync(partials).filter((f) => f.endsWith(".html")).map((f) => readFileSync(partials + f, "utf8"))].join("\n");
const jsDir = `${root}static/js/`;
const sources = readdirSync(jsDir).filter((f) => f.endsWith(".js")).map((f) => readFileSync(jsDir + f, "utf8"));

test("English and Japanese have exactly the same keys", () => {
  const en = Object.keys(STRINGS.en).sort(), ja = Object.keys(STRINGS.ja).sort();
  assert.deepEqual(en.filter((k) => !ja.includes(k)), [], "missing in Japanese");
  assert.deepEqual(ja.filter((k) => !en.includes(k)), [], "missing in English");
});

test("no string is empty, and placeholders match between languages", () => {
  const ph = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  for (const [k, en] of Object.entries(STRINGS.en)) {
    assert.ok(en.trim() && STRINGS.ja[k].trim(), k);
    assert.deepEqual(ph(STRINGS.ja[k]), ph(en), `placeholders of ${k}`);
  }
});

test("every data-i18n key in the template exists", () => {
  const keys = [...template.matchAll(/data-i18n(?:-title|-aria-label)?="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(keys.length > 50);
  for (const k of keys) assert.ok(k in STRINGS.en, `template uses unknown key ${k}`);
});

test("every t('key') in the scripts exists", () => {
  let n = 0;
  for (const src of sources) {
    for (const m of src.matchAll(/\bt\("([a-z0-9_]+)"/g)) {
      n++;
      assert.ok(m[1] in STRINGS.en, `script uses unknown key ${m[1]}`);
    }
  }
  assert.ok(n > 30);
});

test("the template's English text is the dictionary's English text", () => {
  for (const m of template.matchAll(/data-i18n="([^"]+)"[^>]*>([^<]*)</g)) {
    if (m[2].trim()) assert.equal(m[2].trim(), STRINGS.en[m[1]], m[1]);
  }
});

test("the browser language picks the default; placeholders are filled", () => {
  assert.equal(detectLanguage("ja-JP"), "ja");
  assert.equal(detectLanguage("ja"), "ja");
  assert.equal(detectLanguage("en-GB"), "en");
  assert.equal(detectLanguage(undefined), "en");
  assert.equal(t("test_size", { n: 250 }, "en"), "250 test samples");
  assert.equal(t("test_size", { n: 250 }, "ja"), "テストサンプル 250 個");
});

test("a field error is said in Japanese from its rule; English keeps the server's words", () => {
  const lr = { field: "lr", value: 11, message: "lr: 11 is not allowed; it must be a number > 0 and ≤ 10",
    rule: { kind: "number", min: 0, max: 10, min_open: true, integer: false, nullable: false } };
  assert.equal(errorMessage(lr, "en"), lr.message);
  assert.equal(errorMessage(lr, "ja"), "lr：11 は使えません。0 より大きく、10 以下の数にしてください。");
  const act = { field: "activation", value: "swish", message: "…",
    rule: { kind: "choice", choices: ["relu", "tanh"] } };
  assert.equal(errorMessage(act, "ja"), "activation：\"swish\" は使えません。使えるのは relu, tanh です。");
  const seed = { field: "seed", value: 1.5, message: "…",
    rule: { kind: "number", min: 0, max: 2147483647, min_open: false, integer: true, nullable: false } };
  assert.match(errorMessage(seed, "ja"), /0 以上、2147483647 以下の整数/);
  const other = { field: "freeze", value: [0, 1, 2], message: "freeze: every layer would be frozen" };
  assert.equal(errorMessage(other, "ja"), other.message, "no rule: the server's message");
  const wd = { field: "weight_decay", value: -1, message: "…",
    rule: { kind: "number", min: 0, max: 1, min_open: false, integer: false, nullable: false } };
  const shown = errorMessage(wd, "ja", t("weight_decay", {}, "ja"));
  assert.ok(shown.startsWith(`${STRINGS.ja.weight_decay}：`), shown);
  assert.ok(!shown.includes("weight_decay"), "the control's label, not the field's key");
});
