// The owner key: a random secret this browser keeps (localStorage) and sends as the `owner`
// cookie, so the server records the runs it starts as this browser's (docs/runs.md). The
// server keeps only its SHA-256. Made once, at the first visit.

const STORAGE = "backprop-lab-owner";
const PATTERN = /^[A-Za-z0-9_-]{16,128}$/;
const TEN_YEARS = 10 * 365 * 24 * 3600;

/** A new key: 32 random characters of A-Z a-z 0-9 - _. */
export function newOwnerKey(random = (n) => crypto.getRandomValues(new Uint8Array(n))) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  return Array.from(random(32), (b) => alphabet[b & 63]).join("");
}

/** This browser's owner key (made and kept at the first call); the cookie is set to it. */
export function ownerKey(storage = globalThis.localStorage, doc = globalThis.document) {
  let key = null;
  try {
    key = storage?.getItem(STORAGE) ?? null;
  } catch {
    key = null; // storage refused (private mode): a key for this page only
  }
  if (!key || !PATTERN.test(key)) {
    key = newOwnerKey();
    try {
      storage?.setItem(STORAGE, key);
    } catch {
      // kept in the cookie only
    }
  }
  if (doc) doc.cookie = `owner=${key}; path=/; max-age=${TEN_YEARS}; SameSite=Lax`;
  return key;
}

if (globalThis.document) ownerKey();
