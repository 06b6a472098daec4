// The broker's virtual clock: what time the broker thinks it is, how far that is ahead of real
// time, and a control that moves it on. Visibility timeouts, delays, retention, Wait states,
// heartbeats and schedules all follow it, so a test or a demo skips minutes in a click.

import { api } from "../api.js";
import { busy, clear, fmtDuration, fmtTime, h, notice, outcome } from "../dom.js";

const STEPS = [["+1 s", 1], ["+10 s", 10], ["+1 min", 60], ["+15 min", 900], ["+1 h", 3600], ["+1 day", 86400]];

export function view(root, _params, { live, showClock }) {
  const now = h("div.count-value", { "data-field": "now" }, "…");
  const offset = h("div.count-value", { "data-field": "offset" }, "…");
  const problem = h("div");
  root.append(
    h("h1", "Clock"),
    h("p.lede", "The broker runs on a virtual clock: real time plus an offset that only moves forward. " +
      "Advancing it fires whatever was waiting for that time: messages become visible, delays end, " +
      "Wait states and heartbeat timeouts expire, schedules run."),
    h("div.counts",
      h("div.count.wide", now, h("div.count-label", "virtual now")),
      h("div.count.wide", offset, h("div.count-label", "ahead of real time"))),
    problem);

  // The virtual now runs on between the broker's reports: the last one plus the time since.
  let base = null;
  const tick = () => {
    if (base) now.textContent = fmtTime(base.now_ms + (performance.now() - base.at));
  };
  const ticking = setInterval(tick, 100);
  const show = (c) => {
    if (!c) return;
    base = { now_ms: c.now_ms ?? Date.parse(c.now), at: performance.now() };
    tick();
    offset.textContent = c.offset_ms ? fmtDuration(c.offset_ms) : "0 s";
    offset.dataset.offsetMs = String(c.offset_ms ?? 0);
    showClock(c);
  };
  const load = () => api.clock().then(show, (e) => clear(problem, notice(e)));

  const seconds = h("input", { name: "seconds", type: "number", min: "0", step: "any", value: "60", "aria-label": "seconds" });
  const advance = h("button", { type: "submit" }, "Advance");
  const moved = outcome();
  const move = (n, button) =>
    busy(button, moved, async () => {
      const c = await api.advanceClock(n);
      await load();
      return c;
    }, `Moved on ${fmtDuration(n * 1000)}`);
  root.append(h("form.card.advance-form", {
    onsubmit: (e) => {
      e.preventDefault();
      const n = Number(seconds.value);
      if (!(n > 0)) return moved.fail("Give a number of seconds above zero.");
      move(n, advance);
    },
  }, h("h2", "Advance the clock"),
    h("div.row", h("label", "Seconds", seconds), advance,
      STEPS.map(([text, n]) => {
        const b = h("button.small.secondary", { type: "button", "data-seconds": n }, text);
        b.addEventListener("click", () => move(n, b));
        return b;
      })),
    moved.el));

  load();
  const stop = live.watch((s) => s.clock?.offset_ms, load);
  return () => {
    stop();
    clearInterval(ticking);
  };
}
