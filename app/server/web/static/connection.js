// One WebSocket to the room server: requests get promises (every request gets
// exactly one reply, `ok` or `error`), everything else the server pushes goes
// to `onpush`. See docs/protocol.md.

export class RequestError extends Error {
  constructor(code, message, retryAfter) {
    super(message);
    this.code = code;
    this.retryAfter = retryAfter ?? null;
  }
}

export class Connection {
  constructor(url) {
    this.url = url;
    this.onpush = () => {};
    this.onclose = () => {};
    this._ws = null;
    this._next = 1;
    this._pending = new Map();
  }

  open() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      this._ws = ws;
      let opened = false;
      ws.onopen = () => {
        opened = true;
        resolve();
      };
      ws.onmessage = (msg) => this._receive(msg.data);
      ws.onclose = (ev) => {
        this._failAll(new RequestError("closed", "the connection closed"));
        if (opened) this.onclose(ev);
        else reject(new RequestError("closed", `cannot connect (${ev.code})`));
      };
    });
  }

  close() {
    if (this._ws) {
      this._ws.onclose = null;
      this._ws.close(1000);
      this._failAll(new RequestError("closed", "the connection closed"));
    }
  }

  get isOpen() {
    return this._ws !== null && this._ws.readyState === WebSocket.OPEN;
  }

  request(type, fields = {}) {
    if (!this.isOpen) return Promise.reject(new RequestError("closed", "not connected"));
    const id = this._next++;
    return new Promise((resolve, reject) => {
      this._pending.set(id, { resolve, reject });
      this._ws.send(JSON.stringify({ ...fields, type, id }));
    });
  }

  _receive(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return; // the server only sends JSON; anything else is ignored
    }
    if (msg.type === "ok" || msg.type === "error") {
      const waiter = this._pending.get(msg.id);
      if (!waiter) return;
      this._pending.delete(msg.id);
      if (msg.type === "ok") waiter.resolve(msg.data ?? null);
      else waiter.reject(new RequestError(msg.code, msg.message, msg.retry_after));
      return;
    }
    this.onpush(msg);
  }

  _failAll(error) {
    for (const waiter of this._pending.values()) waiter.reject(error);
    this._pending.clear();
  }
}

// Full jitter, as the protocol asks: a random wait up to a cap that doubles
// from 1 s to 30 s, so that a restart does not bring everyone back at once.
export function backoff(attempt) {
  const cap = Math.min(30, 2 ** attempt);
  return Math.random() * cap * 1000;
}
