// The session behind the page: created at / (with the configuration of a shared link), its
// control token from the address's fragment, and the links to share it.

import { detailText, t } from "./i18n.js";
import { toast } from "./page-ui.js";

/** The configuration carried by a shared link (#config=<JSON>), or null. */
export function configFromHash(hash) {
  const m = /(?:^#|&)config=([^&]*)/.exec(hash);
  if (!m) return null;
  try { return JSON.parse(decodeURIComponent(m[1])); } catch { return null; }
}

/** The control token in the fragment (#token=…), or null. It never reaches server logs. */
export function tokenFromHash(hash) {
  const m = /(?:^#|&)token=([^&]*)/.exec(hash);
  return m ? decodeURIComponent(m[1]) : null;
}

/**
 * POST /api/sessions with the shared link's configuration (a refused one is said, and the
 * defaults are used); the address becomes /s/{id}#token=…. Returns {id, token}.
 */
export async function createSession() {
  const config = configFromHash(location.hash);
  const post = (cfg) => fetch("/api/sessions", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ config: cfg ?? {} }),
  });
  let r = await post(config);
  if (r.status === 422 && config) {
    const detail = (await r.json()).detail;
    toast(t("shared_config_invalid", { msg: detailText(detail) }), "error");
    r = await post({});
  }
  if (!r.ok) {
    let msg = `${r.status}`;
    try { msg = detailText((await r.json()).detail ?? msg); } catch { /* not JSON */ }
    throw new Error(msg);
  }
  const s = await r.json();
  history.replaceState(null, "", `/s/${encodeURIComponent(s.id)}#token=${encodeURIComponent(s.token)}`);
  return { id: s.id, token: s.token };
}

/** The link that reproduces the configuration, and the read-only viewer link. */
export function shareUrls(state, origin = location.origin) {
  const cfg = encodeURIComponent(JSON.stringify(state.config ?? {}));
  return { share: `${origin}/#config=${cfg}`, viewer: `${origin}/view/${encodeURIComponent(state.sessionId)}` };
}

/** Whether the server still has the session (false only on a 404; an unreachable server: true). */
export async function sessionExists(id) {
  try {
    const r = await fetch(`/api/sessions/${encodeURIComponent(id)}`);
    return r.status !== 404;
  } catch { return true; } // the server is down: keep retrying
}
