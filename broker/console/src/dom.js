// Small DOM helpers shared by the views: an element builder, formatters, and the few widgets
// every view uses (JSON blocks, status badges, error notices, forms' busy state).

// h("div.card#id", {onclick, class, ...attrs}, children...): children may be strings, nodes,
// arrays, or null/false (skipped). Attribute values of false/null are left out.
export function h(spec, attrs, ...children) {
  if (attrs === null || typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs)) {
    children.unshift(attrs);
    attrs = {};
  }
  const [, tag = "div", rest = ""] = spec.match(/^([a-z0-9-]*)(.*)$/i);
  const el = document.createElement(tag || "div");
  for (const part of rest.match(/[.#][^.#]+/g) ?? []) {
    if (part[0] === ".") el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "class") el.classList.add(...String(value).split(/\s+/).filter(Boolean));
    else if (name === "value") el.value = value;
    else if (name === "checked") el.checked = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// Links inside the console: hash routes, names escaped.
export const link = {
  queue: (name) => `#/queues/${encodeURIComponent(name)}`,
  bus: (name) => `#/buses/${encodeURIComponent(name)}`,
  stateMachine: (name) => `#/state-machines/${encodeURIComponent(name)}`,
  execution: (arn) => `#/executions/${encodeURIComponent(arn)}`,
};

export const nameOfArn = (arn) => String(arn ?? "").split(/[:/]/).pop();

// Times come as ISO text, epoch seconds (Step Functions) or epoch milliseconds (SQS peeks).
export function toDate(t) {
  if (t === null || t === undefined || t === "") return null;
  if (typeof t === "number") return new Date(t < 1e11 ? t * 1000 : t);
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function fmtTime(t) {
  const d = toDate(t);
  if (!d) return "–";
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
         `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function fmtDuration(ms) {
  const sign = ms < 0 ? "-" : "";
  let s = Math.abs(ms) / 1000;
  if (s < 60) return `${sign}${+s.toFixed(3)} s`;
  const parts = [];
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60]]) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  if (s >= 0.001) parts.push(`${+s.toFixed(3)}s`);
  return sign + parts.join(" ");
}

// Text that holds JSON is shown parsed and indented; anything else as it is.
export function pretty(value) {
  if (typeof value === "string") {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2);
}

export const jsonBlock = (value, cls = "") => h(`pre.json${cls ? "." + cls : ""}`, pretty(value));

// A collapsible section, closed unless `open`.
export const details = (title, body, open = false) =>
  h("details", { open }, h("summary", title), body);

const STATUS_CLASS = {
  RUNNING: "in_progress", SUCCEEDED: "succeeded", FAILED: "failed", TIMED_OUT: "failed",
  ABORTED: "cancelled", PENDING_REDRIVE: "in_progress",
};
export const badge = (status) =>
  h("span.badge", { class: `status-${STATUS_CLASS[status] ?? status}`, "data-status": status },
    String(status).replace(/_/g, " ").toLowerCase());

export const notice = (error, kind = "error") =>
  h(`div.notice.${kind}`, { role: kind === "error" ? "alert" : "status" }, String(error));

// A place for a form's outcome: ok(text) / fail(error) / clear().
export function outcome() {
  const el = h("span.outcome", { role: "status" });
  return {
    el,
    ok: (text) => clear(el, h("span.ok", text)),
    fail: (error) => clear(el, h("span.error", String(error))),
    clear: () => clear(el),
  };
}

// Runs action with the button disabled; reports the result through out (an outcome()).
export async function busy(button, out, action, success) {
  button.disabled = true;
  out?.clear();
  try {
    const result = await action();
    if (success) out?.ok(typeof success === "function" ? success(result) : success);
    return result;
  } catch (e) {
    out?.fail(e);
    return undefined;
  } finally {
    button.disabled = false;
  }
}

// Parses JSON typed by a person; throws an Error that says where it went wrong.
export function parseJson(text, what = "JSON") {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${what} is not valid JSON: ${e.message}`);
  }
}

export function table(headers, rows, { empty = "None.", cls = "" } = {}) {
  if (rows.length === 0) return h("p.empty", empty);
  return h(`table${cls ? "." + cls : ""}`,
    h("thead", h("tr", headers.map((x) => h("th", x)))),
    h("tbody", rows));
}
