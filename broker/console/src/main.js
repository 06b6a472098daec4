// The console's shell: the header (virtual clock, live status), the navigation, and a hash
// router that mounts one view at a time into <main>. A view is a function
// (root, params, ctx) -> dispose; it draws itself, subscribes to what it needs from ctx.live,
// and undoes that in dispose when the route changes.

import { api, Live } from "./api.js";
import { clear, fmtDuration, h } from "./dom.js";
import * as buses from "./views/buses.js";
import * as clock from "./views/clock.js";
import * as execution from "./views/execution.js";
import * as pattern from "./views/pattern.js";
import * as queues from "./views/queues.js";
import * as stateMachines from "./views/state-machines.js";
import * as topics from "./views/topics.js";

const routes = [
  [/^\/queues$/, queues.list, "queues"],
  [/^\/queues\/([^/]+)$/, queues.detail, "queues"],
  [/^\/topics$/, topics.view, "topics"],
  [/^\/buses$/, buses.list, "buses"],
  [/^\/buses\/([^/]+)$/, buses.detail, "buses"],
  [/^\/pattern$/, pattern.view, "pattern"],
  [/^\/state-machines$/, stateMachines.list, "state-machines"],
  [/^\/state-machines\/([^/]+)$/, stateMachines.detail, "state-machines"],
  [/^\/executions\/(.+)$/, execution.view, "state-machines"],
  [/^\/clock$/, clock.view, "clock"],
];

const nav = [
  ["queues", "Queues", "SQS"],
  ["topics", "Topics", "SNS"],
  ["buses", "Event buses", "EventBridge"],
  ["pattern", "Pattern tester", "EventBridge"],
  ["state-machines", "State machines", "Step Functions"],
  ["clock", "Clock", "Virtual time"],
];

function shell() {
  const liveDot = h("span.live-status", { "data-state": "connecting", title: "live updates" }, "connecting");
  const clockText = h("a.clock-offset", { href: "#/clock", title: "the broker's virtual clock" }, "clock …");
  const header = h("header.topbar",
    h("a.brand", { href: "#/queues" }, h("span.logo", "W"), "Wyvern console"),
    h("div.topbar-right", clockText, liveDot));
  const links = nav.map(([id, text, service]) =>
    h("a.nav-link", { href: `#/${id}`, "data-nav": id }, h("span.nav-text", text), h("span.nav-service", service)));
  const sidebar = h("nav.sidebar", { "aria-label": "views" }, links);
  const main = h("main#view", { tabindex: -1 });
  document.body.replaceChildren(header, h("div.layout", sidebar, main));
  return { main, links, liveDot, clockText };
}

function safeDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function showClock(el, clockState) {
  if (!clockState) return;
  const offset = clockState.offset_ms ?? 0;
  el.textContent = offset ? `clock +${fmtDuration(offset)}` : "clock: real time";
  el.dataset.offsetMs = String(offset);
  // Virtual now is real time plus the offset; the live stream carries only the offset.
  el.title = `virtual now: ${clockState.now ?? new Date(Date.now() + offset).toISOString()}`;
}

function start() {
  const ui = shell();
  const live = new Live({
    onStatus: (state) => {
      ui.liveDot.dataset.state = state;
      ui.liveDot.textContent = state;
    },
  });
  live.subscribe((snapshot) => showClock(ui.clockText, snapshot.clock));
  api.clock().then((c) => showClock(ui.clockText, c), () => {});
  live.start();

  let dispose = null;
  const route = () => {
    const hashPath = location.hash.replace(/^#/, "");
    if (hashPath === "" || hashPath === "/") {
      location.replace("#/queues");
      return;
    }
    if (typeof dispose === "function") dispose();
    dispose = null;
    clear(ui.main);
    const match = routes.map(([pattern, view, section]) => [hashPath.match(pattern), view, section]).find(([m]) => m);
    if (!match) {
      ui.main.append(h("h1", "Not found"),
        h("p", `Nothing lives at ${safeDecode(hashPath)}. `, h("a", { href: "#/queues" }, "Back to the queues.")));
      return;
    }
    const [m, view, section] = match;
    for (const link of ui.links) link.classList.toggle("active", link.dataset.nav === section);
    const ctx = { live, showClock: (c) => showClock(ui.clockText, c) };
    dispose = view(ui.main, m.slice(1).map(safeDecode), ctx);
    ui.main.focus({ preventScroll: true });
  };
  window.addEventListener("hashchange", route);
  route();
}

// main.js is added by index.html's own script, so it may run before the body is parsed.
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
