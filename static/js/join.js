// The join page (/j/CODE, /join): a student types the class code and a display name; the server
// answers with a student id and token, kept in this tab, and the page opens the teacher's run
// as a follower. Words come from this file (the page's own) and from the event codes (i18n.js).

import { detailText, eventText, initialLanguage } from "./i18n.js";

/** The join page's words, per language. */
export const WORDS = {
  en: {
    join_title: "Join the class",
    join_code: "Class code",
    join_name: "Your name",
    join_name_hint: "Everyone in the class sees this name (up to 40 characters).",
    join_button: "Join",
    joining: "Joining…",
    language: "Language",
    need_code: "Type the 6-character code shown on the teacher's screen.",
    need_name: "Type a name (1 to 40 characters).",
    offline: "The server cannot be reached. Check that you are on the classroom network.",
  },
  ja: {
    join_title: "クラスに参加",
    join_code: "クラスコード",
    join_name: "あなたの名前",
    join_name_hint: "この名前はクラスの全員に表示されます（40 文字まで）。",
    join_button: "参加する",
    joining: "参加しています…",
    language: "言語",
    need_code: "先生の画面に表示されている 6 文字のコードを入力してください。",
    need_name: "名前を入力してください（1〜40 文字）。",
    offline: "サーバーに接続できません。教室のネットワークにつながっているか確かめてください。",
  },
};

/** The characters a code is made of (app/classroom/joincode.py): no look-alikes. */
export const CODE_ALPHABET = "34679ACEFGHKMNPRTWXY";

/** A typed code as the server reads it (upper case, spaces and dashes dropped), or null. */
export function normalizeCode(text) {
  const code = String(text ?? "").replace(/[\s\-_.]+/g, "").toUpperCase();
  if (code.length !== 6 || [...code].some((c) => !CODE_ALPHABET.includes(c))) return null;
  return code;
}

/** A display name as typed, trimmed; null when empty or over 40 characters. */
export function checkName(text) {
  const name = String(text ?? "").replace(/\s+/g, " ").trim();
  return name && [...name].length <= 40 ? name : null;
}

/** The words for a refused join (its HTTP answer's body) in a language. */
export function refusalText(body, language) {
  const d = body?.detail;
  if (Array.isArray(d) && d.length) {
    const first = d[0];
    return (first.code && eventText(first, language)) || detailText(d, language);
  }
  return typeof d === "string" ? d : "";
}

/** Where the student's details are kept for this tab (the follow and fork pages read it). */
export function storageKey(code) {
  return `backprop-class-${code}`;
}

function wordsOf(language) {
  return WORDS[language] ?? WORDS.en;
}

function apply(doc, language) {
  const words = wordsOf(language);
  doc.documentElement.lang = language;
  for (const el of doc.querySelectorAll("[data-i18n]")) {
    const w = words[el.dataset.i18n];
    if (w) el.textContent = w;
  }
}

function start(doc) {
  const form = doc.getElementById("join-form");
  if (!form) return;
  const codeInput = doc.getElementById("code");
  const nameInput = doc.getElementById("name");
  const button = doc.getElementById("join");
  const errorBox = doc.getElementById("join-error");
  const langSelect = doc.getElementById("lang");
  let language = initialLanguage();
  let lastRefusal = form.dataset.errorCode
    ? { detail: [{ code: form.dataset.errorCode, message: form.dataset.errorMessage, value: form.dataset.code }] }
    : null;

  const show = (text) => {
    errorBox.textContent = text; // text, never HTML: names and codes are shown as typed
    errorBox.hidden = !text;
  };
  const setLanguage = (next) => {
    language = WORDS[next] ? next : "en";
    try { globalThis.localStorage?.setItem("lang", language); } catch { /* private mode */ }
    apply(doc, language);
    if (lastRefusal) show(refusalText(lastRefusal, language));
  };
  langSelect.value = language;
  langSelect.addEventListener("change", () => setLanguage(langSelect.value));
  setLanguage(language);
  (codeInput.value ? nameInput : codeInput).focus();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    lastRefusal = null;
    const code = normalizeCode(codeInput.value);
    const name = checkName(nameInput.value);
    if (!code) { show(wordsOf(language).need_code); codeInput.focus(); return; }
    if (!name) { show(wordsOf(language).need_name); nameInput.focus(); return; }
    show("");
    button.disabled = true;
    button.textContent = wordsOf(language).joining;
    try {
      const r = await fetch(`/api/classes/${encodeURIComponent(code)}/join`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name }),
      });
      const body = await r.json().catch(() => ({}));
      if (!r.ok) {
        lastRefusal = body;
        show(refusalText(body, language) || `HTTP ${r.status}`);
        return;
      }
      try {
        globalThis.sessionStorage?.setItem(storageKey(body.code), JSON.stringify({
          code: body.code, student_id: body.student_id, student_token: body.student_token,
          name: body.name, session: body.session,
        }));
      } catch { /* private mode: the token is in the follow link's fragment */ }
      globalThis.location.assign(body.follow_url);
    } catch {
      show(wordsOf(language).offline);
    } finally {
      button.disabled = false;
      button.textContent = wordsOf(language).join_button;
    }
  });
}

if (globalThis.document) start(globalThis.document);
