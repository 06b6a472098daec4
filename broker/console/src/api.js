// The console's only door to the broker: JSON over fetch for the admin API (/_wyvern/api/...)
// and the clock (/_wyvern/clock), and the live stream on /_wyvern/api/stream (one per browser,
// through stream-worker.js).
// URLs are taken relative to the page (the console is served at /_wyvern/console/), so the
// console works wherever the broker is mounted.

const consoleBase = new URL(".", document.baseURI);
const wyvernBase = new URL("../", consoleBase);

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
  toString() {
    return this.code ? `${this.code}: ${this.message}` : this.message;
  }
}

async function request(path, { method = "GET", body } = {}) {
  let response;
  try {
    response = await fetch(new URL(path, wyvernBase), {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, "Unreachable", `the broker did not answer (${e.message})`);
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok) {
    const error = data && typeof data === "object" ? data.error ?? data : {};
    throw new ApiError(response.status, error.code ?? error.__type ?? `HTTP ${response.status}`,
                       error.message ?? error.Message ?? (typeof data === "string" ? data : ""));
  }
  return data;
}

const get = (path) => request(path);
const post = (path, body = {}) => request(path, { method: "POST", body });
// Names and ARNs go into paths as they are (ARNs keep their colons), with only what a URL
// cannot carry escaped.
const seg = (s) => encodeURI(s).replace(/[?#]/g, encodeURIComponent);

export const api = {
  queues: () => get("api/queues"),
  messages: (queue, limit = 100) => get(`api/queues/${seg(queue)}/messages?limit=${limit}`),
  sendMessage: (queue, message) => post(`api/queues/${seg(queue)}/messages`, message),
  purge: (queue) => post(`api/queues/${seg(queue)}/purge`),
  redrive: (deadLetterQueue) => post(`api/queues/${seg(deadLetterQueue)}/redrive`),

  topics: () => get("api/topics"),
  outbox: () => get("sns/outbox"),

  buses: () => get("api/buses"),
  busEvents: (bus) => get(`api/buses/${seg(bus)}/events`),
  testPattern: (event, pattern) => post("api/test-pattern", { event, pattern }),

  stateMachines: () => get("api/state-machines"),
  executions: (stateMachine, status) =>
    get(`api/executions?stateMachine=${encodeURIComponent(stateMachine)}` +
        (status ? `&status=${encodeURIComponent(status)}` : "")),
  execution: (arn) => get(`api/executions/${seg(arn)}`),
  startExecution: (stateMachine, input, name) =>
    post("api/executions", name ? { stateMachine, input, name } : { stateMachine, input }),
  taskSuccess: (token, output) => post("api/tasks/success", { token, output }),
  taskFailure: (token, error, cause) => post("api/tasks/failure", { token, error, cause }),

  clock: () => get("clock"),
  advanceClock: (seconds) => post("clock/advance", { seconds }),
};

// Live updates: the broker sends a `snapshot` event on connect and whenever anything in it
// changes. Listeners get (snapshot, previous). Every tab of the console shares one stream
// through a SharedWorker (stream-worker.js says why); where there is none, the tab opens its
// own. A stream that closes (the broker restarted, or answered with an error) is reopened
// after a pause; onStatus tells the header how it stands.
export class Live {
  constructor({ onStatus } = {}) {
    this.listeners = new Set();
    this.snapshot = null;
    this.onStatus = onStatus ?? (() => {});
    this.retry = null;
  }

  start() {
    if (typeof SharedWorker === "function") {
      try {
        const worker = new SharedWorker(new URL("stream-worker.js", consoleBase), { name: "wyvern-live" });
        const port = worker.port;
        port.addEventListener("message", (e) => this.receive(e.data));
        port.start();
        addEventListener("pagehide", () => port.postMessage("close"));
        addEventListener("pageshow", (e) => e.persisted && port.postMessage("open"));
        return;
      } catch {
        // A browser that refuses the worker (a sandboxed frame, say): this tab's own stream.
      }
    }
    this.openStream();
  }

  openStream() {
    const source = new EventSource(new URL("api/stream", wyvernBase));
    source.addEventListener("open", () => this.receive({ status: "live" }));
    source.addEventListener("snapshot", (e) => this.receive({ status: "live", snapshot: e.data }));
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) {
        this.receive({ status: "offline" });
        clearTimeout(this.retry);
        this.retry = setTimeout(() => this.openStream(), 2000);
      } else {
        this.receive({ status: "reconnecting" });
      }
    });
  }

  // A message from the stream, shared or own: { status } with, when there is news, the
  // snapshot's text.
  receive({ status, snapshot }) {
    if (snapshot !== undefined) {
      let next;
      try {
        next = JSON.parse(snapshot);
      } catch {
        return;
      }
      const previous = this.snapshot;
      this.snapshot = next;
      this.onStatus(status);
      for (const listener of this.listeners) listener(next, previous);
    } else if (status) {
      this.onStatus(status);
    }
  }

  // Calls listener(snapshot, previous) on every snapshot from now on; returns the function that
  // stops it.
  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // Calls onChange(value, snapshot) whenever the part of the snapshot that `pick` selects differs
  // from what it was when watch was called (or at the last call). Returns the stop function.
  watch(pick, onChange) {
    let seen = this.snapshot ? key(pick(this.snapshot)) : undefined;
    return this.subscribe((snapshot) => {
      const now = key(pick(snapshot));
      if (now === seen) return;
      seen = now;
      onChange(pick(snapshot), snapshot);
    });
  }
}

const key = (value) => JSON.stringify(value ?? null);
