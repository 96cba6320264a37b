// The metric history the page keeps (pure): rows as the server sends them, appended from
// every frame's `points`, replaced by `hello`, patched by `history` events.

export class History {
  constructor() {
    this.reset(["step", "epoch", "train_loss", "test_loss", "train_acc", "test_acc"], []);
  }

  /** Replace everything (hello, reset). */
  reset(columns, rows) {
    this.columns = columns.slice();
    this.rows = rows.map((r) => r.slice());
    this.version = (this.version ?? 0) + 1;
  }

  get length() {
    return this.rows.length;
  }

  /**
   * Put rows at index `from` (dropping anything at or after it, so an overlap is not counted
   * twice). Returns false, changing nothing, when `from` is beyond the end: points are missing.
   */
  put(from, rows) {
    if (from > this.rows.length) return false;
    if (from < this.rows.length) this.rows.length = from;
    for (const r of rows) this.rows.push(r.slice());
    if (rows.length || from < this.rows.length) this.version++;
    return true;
  }

  /** One column as a Float64Array (NaN where a row lacks it). */
  column(name) {
    const j = this.columns.indexOf(name);
    const out = new Float64Array(this.rows.length);
    for (let i = 0; i < this.rows.length; i++) {
      const v = j < 0 ? NaN : this.rows[i][j];
      out[i] = v === null || v === undefined ? NaN : v;
    }
    return out;
  }

  /** The last row as {column: value}, or null. */
  last() {
    const r = this.rows[this.rows.length - 1];
    if (!r) return null;
    return Object.fromEntries(this.columns.map((c, j) => [c, r[j]]));
  }

  /** The last row whose `name` is a finite number, as {column: value}, or null (after a divergence). */
  lastFinite(name) {
    const j = this.columns.indexOf(name);
    for (let i = this.rows.length - 1; j >= 0 && i >= 0; i--) {
      if (Number.isFinite(this.rows[i][j])) return Object.fromEntries(this.columns.map((c, k) => [c, this.rows[i][k]]));
    }
    return null;
  }
}
