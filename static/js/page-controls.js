// The page's own controls (not the run's configuration): run buttons, view toggles, chart
// options, language, presenter mode, fine-tuning panel, share link and keyboard shortcuts.

import { formatNumber } from "./scales.js";
import { getLanguage, setLanguage, t } from "./i18n.js";
import { measureTopbar, toast } from "./page-ui.js";
import { shareUrls } from "./session.js";

const $ = (s) => document.querySelector(s);
const body = document.body;

export class PageControls {
  /**
   * v: the views {network, surface, digits, confusion, lossChart, accChart, gradChart, teaching};
   * send(cmd), getState() → state, redraw() (the views draw again), onChartOptions() (the loss
   * and accuracy series are rebuilt), onPresenter(on) (presenter mode asked on or off).
   */
  constructor(v, { send, getState, redraw, onChartOptions, onPresenter }) {
    Object.assign(this, { v, send, getState, redraw, onChartOptions, onPresenter });
  }

  /** The charts redraw at their new size or options. */
  chartsDirty() {
    for (const c of [this.v.lossChart, this.v.accChart, this.v.gradChart]) c.dirty = true;
  }

  playPause() {
    this.send({ type: this.getState().running ? "pause" : "play" });
  }

  bind() {
    const { network, surface, digits, confusion } = this.v;
    const changed = (id, f) => $(id).addEventListener("change", (e) => { f(e.target.checked); this.redraw(); });
    $("#btn-play").addEventListener("click", () => this.playPause());
    $("#btn-step").addEventListener("click", () => this.send({ type: "step", n: 1 }));
    $("#btn-reset").addEventListener("click", () => this.send({ type: "reset" }));
    changed("#toggle-grad", (on) => network.setGradients(on));
    changed("#toggle-test", (on) => { surface.setOptions({ showTest: on }); if (!on) surface.setHighlight(null); });
    changed("#toggle-discrete", (on) => surface.setOptions({ discrete: on }));
    changed("#toggle-errors", (on) => digits.setErrorsOnly(on));
    changed("#toggle-normalize", (on) => confusion.setNormalize(on));
    $("#btn-clear-filter").addEventListener("click", () => { digits.setFilter(null); $("#btn-clear-filter").hidden = true; this.redraw(); });
    for (const id of ["#chart-x", "#chart-log", "#chart-smooth"]) $(id).addEventListener("input", () => this.chartOptions());
    this.chartOptions();
    $("#lang").addEventListener("change", (e) => setLanguage(e.target.value));
    $("#btn-presenter").addEventListener("click", () => this.togglePresenter());
    $("#btn-finetune").addEventListener("click", () => {
      const on = $("#finetune").hidden;
      this.showFinetune(on);
      if (on) $("#finetune").scrollIntoView({ behavior: "smooth", block: "start" });
    });
    // narrow screens: the controls are a drawer, opened from the top bar (CSS decides the width)
    $("#btn-controls").addEventListener("click", () => this.openDrawer(!body.classList.contains("drawer-open")));
    $("#btn-controls-close").addEventListener("click", () => this.openDrawer(false));
    $("#btn-tools").addEventListener("click", () => {
      const on = body.classList.toggle("tools-open");
      $("#btn-tools").setAttribute("aria-expanded", String(on));
      measureTopbar();
    });
    $("#btn-help").addEventListener("click", () => $("#help").showModal());
    $("#btn-share").addEventListener("click", () => this.showShare());
    $("#btn-share-close").addEventListener("click", () => { $("#share-box").hidden = true; });
    document.addEventListener("keydown", (e) => this.onKey(e));
    if (typeof ResizeObserver === "function") {
      const ro = new ResizeObserver(() => measureTopbar());
      ro.observe($(".topbar")); // it wraps differently with the runner tag or the language
    }
    window.addEventListener("resize", () => { measureTopbar(); this.redraw(); this.chartsDirty(); });
  }

  /** x axis, log scale and smoothing of the curves (and their labels, in the page's language). */
  chartOptions() {
    const x = $("#chart-x").value;
    const smooth = Number($("#chart-smooth").value);
    $("#o-smooth").textContent = formatNumber(smooth, 2);
    for (const c of [this.v.lossChart, this.v.accChart]) c.setOptions({ log: $("#chart-log").checked, smooth, xLabel: t(x === "step" ? "steps" : "epochs") });
    this.v.gradChart.setOptions({ xLabel: t("steps") }); // here, so it follows the language from the start
    this.onChartOptions();
  }

  /** The language switched: the menu shows it. */
  relabel() {
    $("#lang").value = getLanguage();
    this.chartOptions();
  }

  /** Open or close the controls drawer (narrow screens); opening it shows the learning rate. */
  openDrawer(on) {
    body.classList.toggle("drawer-open", on);
    $("#btn-controls").setAttribute("aria-expanded", String(on));
    if (on) $("#f-optimizer").focus({ preventScroll: true });
    else if (document.activeElement?.closest?.("#controls")) $("#btn-controls").focus();
    this.redraw();
  }

  showFinetune(on) {
    $("#finetune").hidden = !on;
    $("#btn-finetune").setAttribute("aria-pressed", String(on));
  }

  /** The presenter-mode button and key: the state says it (a teacher's page shares it). */
  togglePresenter() {
    this.onPresenter(!body.classList.contains("presenter"));
  }

  /** Show presenter mode on or off (from the state: this page's choice or the teacher's). */
  setPresenter(on) {
    if (on === body.classList.contains("presenter")) return;
    body.classList.toggle("presenter", on);
    $("#btn-presenter").setAttribute("aria-pressed", String(on));
    // one projected screen: the curves go under the output plot, beside the network
    const charts = $(".charts");
    if (on) $(".panel.right").insertBefore(charts, $("#eval-panel"));
    else $(".panel.center").append(charts);
    measureTopbar();
    this.redraw();
    this.chartsDirty();
  }

  async showShare() {
    const { share, viewer } = shareUrls(this.getState());
    $("#share-url").value = share;
    $("#viewer-url").value = viewer;
    $("#share-box").hidden = false;
    $("#share-url").select();
    try { await navigator.clipboard?.writeText(share); toast(t("copied")); } catch { /* no clipboard: the link is selected */ }
  }

  onKey(e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return; // a view used the key
    if (e.key === "Escape" && body.classList.contains("drawer-open")) { this.openDrawer(false); return; }
    const tag = e.target.tagName;
    const typing = tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA";
    if (typing) return;
    if (e.key === " " && tag === "BUTTON") return; // the button itself acts on space
    if ($("#help").open && e.key !== "?") return;
    if (this.v.teaching.onKey(e)) return;
    const control = this.getState().role === "control";
    if (e.key === " ") { e.preventDefault(); if (control) this.playPause(); }
    else if (e.key === "ArrowRight") { e.preventDefault(); if (control) this.send({ type: "step", n: 1 }); }
    else if (e.key === "r") { if (control) this.send({ type: "reset" }); }
    else if (e.key === "p") this.togglePresenter();
    else if (e.key === "g") { const b = $("#toggle-grad"); b.checked = !b.checked; b.dispatchEvent(new Event("change")); }
    else if (e.key === "?") { const d = $("#help"); if (d.open) d.close(); else d.showModal(); }
  }
}
