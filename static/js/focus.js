// A lesson's `focus`: the views it names are marked, shown even in presenter mode (where the
// secondary panels are otherwise hidden), and the first of them scrolled into view.

const $ = (s) => document.querySelector(s);

/** A lesson's focus name → the element it means (in a race, the race panel's own). */
export function focusTarget(name, race) {
  const sel = {
    surface: race ? "#race-surfaces" : "#surface-panel", digits: "#digits-panel", network: ".net-wrap",
    loss: race ? "#race-chart" : "#chart-loss", accuracy: "#chart-acc", grad_norm: "#grad-panel",
    gradients: "#grad-panel", confusion: "#eval-panel",
  }[name];
  return sel ? $(sel) : null;
}

export class LessonFocus {
  /** onShown(): the views were marked (the page redraws). */
  constructor({ onShown }) {
    this.onShown = onShown;
    this.names = [];
    this.scroll = false;
    this.timer = null;
  }

  /**
   * Bring a lesson's views forward. The lesson's run arrives just after the lesson (a config
   * event, which may show or hide panels), so the views are chosen once it is in (`refresh`) or
   * shortly after, whichever comes first.
   */
  apply(names, scroll) {
    this.names = [...(names ?? [])];
    this.scroll = this.scroll || Boolean(scroll);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.show(), 400);
  }

  /** A new configuration is in: choose the views now. */
  refresh() {
    if (!this.names.length) return;
    clearTimeout(this.timer);
    this.show();
  }

  show() {
    for (const el of document.querySelectorAll(".focused")) el.classList.remove("focused");
    const race = document.body.dataset.race === "on";
    const els = this.names.map((n) => focusTarget(n, race)).filter((el) => el && !el.hidden && !el.closest("[hidden]"));
    for (const el of els) el.classList.add("focused");
    document.body.dataset.focus = this.names.join(" ");
    this.onShown();
    if (this.scroll && els.length) {
      this.scroll = false;
      requestAnimationFrame(() => {
        const shown = els.filter((el) => el.offsetParent !== null);
        // the last first, then the first: both in view where they fit together
        shown[shown.length - 1]?.scrollIntoView({ block: "nearest" });
        shown[0]?.scrollIntoView({ block: "nearest" });
      });
    }
  }
}
