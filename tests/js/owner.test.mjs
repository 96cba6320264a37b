import test from "node:test";
import assert from "node:assert/strict";
import { newOwnerKey, ownerKey } from "../../static/js/owner.js";

function memory() {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)) };
}

test("a new owner key is 32 characters the server accepts", () => {
  const key = newOwnerKey();
  assert.match(key, /^[A-Za-z0-9_-]{32}$/);
  assert.notEqual(newOwnerKey(), key);
});

test("the key is made once, kept, and sent as the owner cookie", () => {
  const storage = memory();
  const doc = { cookie: "" };
  const first = ownerKey(storage, doc);
  assert.equal(ownerKey(storage, doc), first);
  assert.match(doc.cookie, new RegExp(`^owner=${first}; path=/;`));
});

test("a stored value that is not a key is replaced", () => {
  const storage = memory();
  storage.setItem("backprop-lab-owner", "<bad>");
  const key = ownerKey(storage, { cookie: "" });
  assert.match(key, /^[A-Za-z0-9_-]{32}$/);
  assert.equal(storage.getItem("backprop-lab-owner"), key);
});

test("storage that refuses still gives a key", () => {
  const refusing = { getItem() { throw new Error("no"); }, setItem() { throw new Error("no"); } };
  assert.match(ownerKey(refusing, { cookie: "" }), /^[A-Za-z0-9_-]{32}$/);
});
