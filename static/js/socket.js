// The websocket to one session: connects, reconnects by itself with growing delays, and
// hands JSON events and binary frames to the page. The server sends `hello` (full state) on
// every (re)connect, so a reconnect resumes the history without asking.

/** Delay before reconnect attempt n (0-based): 0.5 s doubling up to 8 s, with ±20 % jitter. */
export function backoff(n, random = Math.random) {
  const base = Math.min(8000, 500 * 2 ** n);
  return Math.round(base * (0.8 + 0.4 * random()));
}

export class Socket {
  /**
   * url: ws:// or wss:// address. handlers: onEvent(msg), onFrame(ArrayBuffer),
   * onStatus({state: "connecting"|"open"|"closed", retryIn, attempt}), onGone().
   */
  constructor(url, handlers) {
    this.url = url;
    this.h = handlers;
    this.attempt = 0;
    this.ws = null;
    this.stopped = false;
    this.nextId = 1;
    this.timer = null;
    this.connect();
  }

  connect() {
    this.h.onStatus?.({ state: "connecting", attempt: this.attempt });
    const ws = new WebSocket(this.url);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = () => {
      const wasRetry = this.attempt > 0;
      this.attempt = 0;
      this.h.onStatus?.({ state: "open", recovered: wasRetry });
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data === "string") {
        let msg;
        try { msg = JSON.parse(ev.data); } catch { return; }
        this.h.onEvent?.(msg);
      } else {
        this.h.onFrame?.(ev.data);
      }
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      if ([4403, 4404, 4410, 1008].includes(ev.code)) {
        // the session is gone, or the server refused us: retrying would not help
        this.h.onGone?.(ev);
        return;
      }
      const delay = backoff(this.attempt++);
      this.h.onStatus?.({ state: "closed", retryIn: delay, attempt: this.attempt });
      this.timer = setTimeout(() => this.connect(), delay);
    };
    ws.onerror = () => { /* onclose follows and schedules the retry */ };
  }

  get open() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Send a command ({type, ...}); returns its id, or null when not connected. */
  send(cmd) {
    if (!this.open) return null;
    const id = cmd.id ?? this.nextId++;
    this.ws.send(JSON.stringify({ ...cmd, id }));
    return id;
  }

  /** Ask the server for the full state again. */
  resync() {
    return this.send({ type: "resync" });
  }

  /** Drop the connection as a network failure would (the page reconnects by itself). */
  drop() {
    this.ws?.close();
  }

  close() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close();
  }
}

/** ws(s)://host/ws/{id}[?token=…] for the page's own origin. */
export function socketUrl(loc, sessionId, token) {
  const proto = loc.protocol === "https:" ? "wss:" : "ws:";
  const q = token ? `?token=${encodeURIComponent(token)}` : "";
  return `${proto}//${loc.host}/ws/${encodeURIComponent(sessionId)}${q}`;
}
