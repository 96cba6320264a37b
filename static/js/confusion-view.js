// Confusion matrix of the test set (counts or row-normalized), updated live; a click on a cell
// lists its samples; accuracy, and precision and recall per class.

import { css, sequential } from "./colors.js";
import { formatNumber } from "./scales.js";
import { displayClass, t } from "./i18n.js";

/** Precision and recall per class from a K×K count matrix (rows: true, columns: predicted). */
export function precisionRecall(cm, K) {
  const precision = [], recall = [];
  for (let k = 0; k < K; k++) {
    let row = 0, col = 0;
    for (let j = 0; j < K; j++) { row += cm[k * K + j]; col += cm[j * K + k]; }
    precision.push(col ? cm[k * K + k] / col : NaN);
    recall.push(row ? cm[k * K + k] / row : NaN);
  }
  return { precision, recall };
}

export class ConfusionView {
  constructor(root, { onSelectCell }) {
    this.root = root;
    this.onSelectCell = onSelectCell;
    this.normalize = false;
    this.info = null;
    this.data = null;
    this.frame = null;
    this.selected = null;
    this.lastKey = "";
    root.addEventListener("click", (e) => {
      const td = e.target.closest("td[data-cell]");
      if (!td) return;
      const [ti, pj] = td.dataset.cell.split(",").map(Number);
      this.select(ti, pj);
    });
    root.addEventListener("keydown", (e) => {
      if ((e.key === "Enter" || e.key === " ") && e.target.matches("td[data-cell]")) {
        e.preventDefault();
        e.target.click();
      }
    });
  }

  setInfo(info) {
    this.info = info;
    this.selected = null;
    this.lastKey = "";
  }

  setData(arrays) {
    this.data = arrays;
  }

  setNormalize(on) {
    this.normalize = on;
    this.lastKey = "";
  }

  update(frame) {
    this.frame = frame;
  }

  /** Test indices whose true class is ti and prediction pj. */
  samples(ti, pj) {
    const Y = this.data?.test_y, P = this.frame?.arrays?.test_pred;
    if (!Y || !P) return [];
    const out = [];
    for (let i = 0; i < Y.length; i++) if (Y[i] === ti && P[i] === pj) out.push(i);
    return out;
  }

  select(ti, pj) {
    if (this.selected && this.selected[0] === ti && this.selected[1] === pj) this.selected = null;
    else this.selected = [ti, pj];
    this.lastKey = "";
    this.onSelectCell?.(this.selected ? { t: ti, p: pj, indices: this.samples(ti, pj) } : null);
  }

  /** Rebuild the table when its shape, mode, selection or language change; otherwise only
   * the numbers and colours change in place (so a click is never lost to a redraw). */
  draw() {
    const info = this.info;
    const cm = this.frame?.arrays?.confusion;
    const K = cm ? cm.shape[0] : 0;
    const skey = `${this.normalize}:${K}:${this.selected}:${info?.task}:${t("accuracy")}:${this.data ? 1 : 0}`;
    if (skey !== this.lastKey) {
      this.lastKey = skey;
      this.build(cm, K);
      this.valuesKey = "";
    }
    if (!cm) return true;
    const vkey = Array.from(cm).join(",");
    if (vkey === this.valuesKey) return false;
    this.valuesKey = vkey;
    this.fill(cm, K);
    return true;
  }

  names(K) {
    const n = this.info?.class_names;
    return n?.length === K ? n.map((c) => displayClass(c)) : Array.from({ length: K }, (_, k) => String(k));
  }

  build(cm, K) {
    const info = this.info;
    if (info?.task === "regression") {
      this.root.innerHTML = `<p class="hint">${esc(t("regression_note"))}</p>`;
      return;
    }
    if (!cm) {
      this.root.innerHTML = `<p class="hint">${esc(t("no_eval"))}</p>`;
      return;
    }
    const names = this.names(K);
    let h = `<table class="confusion${K > 5 ? " wide" : ""}"><caption></caption>`;
    h += `<thead><tr><th scope="col" class="corner">${esc(t("true_class"))} ↓ / ${esc(t("predicted"))} →</th>`;
    for (let j = 0; j < K; j++) h += `<th scope="col">${esc(names[j])}</th>`;
    h += `</tr></thead><tbody>`;
    for (let i = 0; i < K; i++) {
      h += `<tr><th scope="row">${esc(names[i])}</th>`;
      for (let j = 0; j < K; j++) {
        const sel = this.selected && this.selected[0] === i && this.selected[1] === j;
        h += `<td data-cell="${i},${j}" tabindex="0" class="${i === j ? "diag" : ""}${sel ? " selected" : ""}"></td>`;
      }
      h += `</tr>`;
    }
    h += `</tbody></table>`;
    h += `<table class="per-class"><thead><tr><th scope="col">${esc(t("class_col"))}</th><th scope="col">${esc(t("precision"))}</th><th scope="col">${esc(t("recall"))}</th></tr></thead><tbody>`;
    for (let k = 0; k < K; k++) h += `<tr><th scope="row">${esc(names[k])}</th><td data-p="${k}"></td><td data-r="${k}"></td></tr>`;
    h += `</tbody></table><div class="cell-info"></div>`;
    this.root.innerHTML = h;
    this.tds = [...this.root.querySelectorAll("td[data-cell]")];
  }

  fill(cm, K) {
    const table = this.root.querySelector("table.confusion");
    if (!table) return;
    let total = 0, correct = 0;
    const rowSum = [];
    for (let i = 0; i < K; i++) {
      let s = 0;
      for (let j = 0; j < K; j++) s += cm[i * K + j];
      rowSum.push(s);
      total += s;
      correct += cm[i * K + i];
    }
    const pct = (v) => (Number.isFinite(v) ? `${formatNumber(100 * v, 3)} %` : "–");
    table.dataset.total = String(total);
    table.querySelector("caption").innerHTML = `${esc(t("accuracy"))}: <strong>${pct(correct / total)}</strong> · ${esc(t("test_size", { n: total }))}`;
    for (let i = 0; i < K; i++) {
      for (let j = 0; j < K; j++) {
        const td = this.tds[i * K + j];
        const c = cm[i * K + j];
        const frac = rowSum[i] ? c / rowSum[i] : 0;
        td.textContent = this.normalize ? (rowSum[i] ? formatNumber(frac, 2) : "–") : String(c);
        td.dataset.count = String(c);
        td.style.background = css(sequential(frac));
        td.style.color = frac > 0.5 ? "#fff" : "#111";
      }
    }
    const { precision, recall } = precisionRecall(cm, K);
    for (let k = 0; k < K; k++) {
      this.root.querySelector(`td[data-p="${k}"]`).textContent = pct(precision[k]);
      this.root.querySelector(`td[data-r="${k}"]`).textContent = pct(recall[k]);
    }
    const box = this.root.querySelector(".cell-info");
    if (this.selected) {
      const names = this.names(K);
      const [ti, pj] = this.selected;
      const list = this.samples(ti, pj);
      let h = `<p class="cell-samples">${esc(t("cell_samples", { n: list.length, t: names[ti], p: names[pj] }))}</p>`;
      const X = this.data?.test_x;
      if (X && this.info?.dims === 2) {
        h += `<p class="mono small">${list.slice(0, 30).map((i) => `#${i} (${formatNumber(X[2 * i], 3)}, ${formatNumber(X[2 * i + 1], 3)})`).join(", ")}${list.length > 30 ? " …" : ""}</p>`;
      }
      box.innerHTML = h;
    } else {
      box.innerHTML = `<p class="hint">${esc(t("cell_hint"))}</p>`;
    }
  }
}

function esc(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}
