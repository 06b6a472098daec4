// The event pattern tester: an event and a pattern, matched by the broker (EventBridge's
// TestEventPattern) as you type, with EventBridge's own error for a pattern it refuses. The
// view at #/pattern, and the same tester on a bus's page (tester()).

import { api } from "../api.js";
import { clear, h } from "../dom.js";

export const SAMPLE_EVENT = {
  version: "0",
  id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "Sighting",
  source: "dragons",
  account: "000000000000",
  time: "2024-05-01T12:00:00Z",
  region: "us-east-1",
  resources: [],
  detail: { name: "Smaug", colour: "red", wingspan: 40 },
};

export const SAMPLE_PATTERN = { source: ["dragons"], detail: { colour: ["red"] } };

const text = (value) => (typeof value === "string" ? value : JSON.stringify(value, null, 2));

// The tester as an element. options: event, pattern (objects or text); title.
export function tester({ event = SAMPLE_EVENT, pattern = SAMPLE_PATTERN, title = null } = {}) {
  const eventInput = h("textarea.code", { name: "event", rows: 16, spellcheck: "false", "aria-label": "event" });
  const patternInput = h("textarea.code", { name: "pattern", rows: 16, spellcheck: "false", "aria-label": "pattern" });
  eventInput.value = text(event);
  patternInput.value = text(pattern);
  const result = h("div.match-result", { role: "status", "aria-live": "polite", "data-result": "pending" }, "…");

  const show = (kind, message, detail) => {
    result.dataset.result = kind;
    clear(result, h("span.match-word", message), detail ? h("span.match-detail", detail) : null);
  };

  let asked = 0;
  let timer = null;
  const check = async () => {
    const ask = ++asked;
    let e;
    let p;
    try {
      e = JSON.parse(eventInput.value);
    } catch (err) {
      return show("error", "Event is not valid JSON", err.message);
    }
    try {
      p = JSON.parse(patternInput.value);
    } catch (err) {
      return show("error", "Pattern is not valid JSON", err.message);
    }
    result.dataset.result = "checking";
    try {
      const r = await api.testPattern(e, p);
      if (ask !== asked) return;
      if (r.Result) show("match", "Match", "the pattern matches this event: a rule with it would send the event to its targets");
      else show("no-match", "No match", "the pattern does not match this event");
    } catch (err) {
      if (ask !== asked) return;
      show("error", err.code || "Error", err.message);
    }
  };
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(check, 120);
  };
  eventInput.addEventListener("input", later);
  patternInput.addEventListener("input", later);
  check();

  const el = h("section.card.tester",
    title ? h("h2", title) : null,
    h("div.tester-grid",
      h("label", h("span.label", "Event"), eventInput),
      h("label", h("span.label", "Event pattern"), patternInput)),
    result);
  // Lets the bus page load a recent event or a rule's pattern into the tester.
  el.setEvent = (value) => {
    eventInput.value = text(value);
    check();
  };
  el.setPattern = (value) => {
    patternInput.value = text(value);
    check();
  };
  return el;
}

export function view(root) {
  root.append(
    h("h1", "Event pattern tester"),
    h("p.lede", "Type an event and an EventBridge event pattern: the broker matches them as you type, " +
      "with the whole pattern language (prefix, suffix, anything-but, numeric, exists, wildcard, $or) " +
      "and EventBridge's errors for a pattern it would refuse."),
    tester());
  return null;
}
