// The page's own furniture: toasts, banners and the top bar's height (presenter mode sizes its
// panels to the rest of the window).

const $ = (s) => document.querySelector(s);

/** A short message at the lower right; a toast with the same key replaces the shown one. */
export function toast(message, kind = "info", key = null) {
  let box = key ? $("#toasts").querySelector(`[data-key="${key}"]`) : null;
  if (!box) {
    box = document.createElement("div");
    if (key) box.dataset.key = key;
    $("#toasts").append(box);
  }
  box.className = `toast ${kind}`;
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  box.textContent = message;
  clearTimeout(box.timer);
  box.timer = setTimeout(() => box.remove(), kind === "error" ? 9000 : 5000);
}

/** Whether a toast with this key is showing. */
export function hasToast(key) {
  return Boolean($("#toasts").querySelector(`[data-key="${key}"]`));
}

export function removeToast(key) {
  $("#toasts").querySelector(`[data-key="${key}"]`)?.remove();
}

/** A banner under the top bar (#banner-…): shown with text, hidden without. */
export function setBanner(id, text) {
  const el = $(id);
  el.hidden = !text;
  el.textContent = text || "";
  measureTopbar();
}

/** The top bar's height as --topbar-h. */
export function measureTopbar() {
  document.body.style.setProperty("--topbar-h", `${$(".topbar").offsetHeight + $("#banners").offsetHeight}px`);
}
