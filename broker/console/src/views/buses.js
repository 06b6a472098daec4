// Event buses (EventBridge): the buses with their rules, and one bus's page: its rules with
// patterns and targets, the events it received lately with the rules each matched, and the
// pattern tester loaded from either.

import { api } from "../api.js";
import { clear, fmtTime, h, link, nameOfArn, notice, pretty, table } from "../dom.js";
import { tester } from "./pattern.js";

function targetText(target) {
  const arn = target.Arn ?? "";
  const kind = arn.split(":")[2] ?? "";
  const name = nameOfArn(arn);
  const href = kind === "sqs" ? link.queue(name) : kind === "states" ? link.stateMachine(name) : null;
  return h("div.target", h("span.pill", kind || "target"), " ",
    href ? h("a", { href }, name) : h("span.mono", name),
    target.Input || target.InputPath || target.InputTransformer ? h("span.muted.small", " (input shaped)") : null);
}

function ruleRows(rules, onTest) {
  return rules.map((r) => h("tr.rule", { "data-rule": r.name },
    h("td", h("b", r.name), r.managed_by ? h("div.muted.small", `managed by ${r.managed_by}`) : null),
    h("td", h("span.pill", { class: r.state === "ENABLED" ? "state-visible" : "state-delayed" }, r.state.toLowerCase())),
    h("td", r.pattern ? h("pre.json", pretty(r.pattern)) : null, r.schedule ? h("div.mono", r.schedule) : null),
    h("td", r.targets.length ? r.targets.map(targetText) : h("span.muted", "no targets")),
    onTest && r.pattern ? h("td", h("button.small", { type: "button", onclick: () => onTest(r) }, "Test pattern")) : onTest ? h("td") : null));
}

export function list(root, _params, { live }) {
  const body = h("div", h("p.loading", "Loading…"));
  root.append(h("h1", "Event buses"),
    h("p.lede", "Buses with their rules. Open a bus for the events it received and the rules each matched, ",
      "or try a pattern in the ", h("a", { href: "#/pattern" }, "pattern tester"), "."),
    body);
  const seen = {};
  const load = async () => {
    try {
      const buses = await api.buses();
      clear(body, buses.map((b) => {
        seen[b.name] = h("span.num", { "data-bus-events": b.name }, String(live.snapshot?.buses?.[b.name] ?? "–"));
        return h("section.card.bus", { "data-bus": b.name },
          h("h2", h("a", { href: link.bus(b.name) }, b.name), h("span.muted.small", " events seen: "), seen[b.name]),
          h("p.muted.mono.small", b.arn),
          table(["Rule", "State", "Pattern / schedule", "Targets"], ruleRows(b.rules),
            { empty: "No rules: events put on this bus go nowhere." }));
      }));
    } catch (e) {
      clear(body, notice(e));
    }
  };
  load();
  return live.watch((s) => s.buses, (counts) => {
    for (const [name, n] of Object.entries(counts ?? {})) if (seen[name]) seen[name].textContent = String(n);
    if (Object.keys(counts ?? {}).some((name) => !seen[name])) load();
  });
}

export function detail(root, [name], { live }) {
  const rules = h("div", h("p.loading", "Loading…"));
  const events = h("div", h("p.loading", "Loading…"));
  const test = tester({ title: "Test a pattern" });
  root.append(
    h("p.crumbs", h("a", { href: "#/buses" }, "Event buses"), " / ", name),
    h("h1", name),
    h("section", h("h2", "Rules"), rules),
    h("section", h("h2", "Recent events ", h("span.muted.small", "(newest first; pick one to test patterns against it)")), events),
    test);

  const loadRules = async () => {
    try {
      const bus = (await api.buses()).find((b) => b.name === name);
      if (!bus) return clear(rules, notice(`There is no bus named ${name}.`));
      clear(rules, h("p.muted.mono.small", bus.arn),
        table(["Rule", "State", "Pattern / schedule", "Targets", ""], ruleRows(bus.rules, (r) => {
          test.setPattern(r.pattern);
          test.scrollIntoView({ behavior: "smooth", block: "start" });
        }), { empty: "No rules on this bus." }));
    } catch (e) {
      clear(rules, notice(e));
    }
  };
  const loadEvents = async () => {
    try {
      const list = await api.busEvents(name);
      clear(events, table(["Time", "Source", "Detail type", "Matched rules", ""],
        list.map((entry) => h("tr.bus-event",
          h("td.small", fmtTime(entry.time)),
          h("td", entry.event?.source ?? ""),
          h("td", entry.event?.["detail-type"] ?? ""),
          h("td", entry.matched_rules?.length ? entry.matched_rules.join(", ") : h("span.muted", "none")),
          h("td", h("details", h("summary", "event"), h("pre.json", pretty(entry.event))),
            h("button.small", { type: "button", onclick: () => {
              test.setEvent(entry.event);
              test.scrollIntoView({ behavior: "smooth", block: "start" });
            } }, "Test against it")))),
        { empty: "No events yet. PutEvents on this bus and they show here." }));
    } catch (e) {
      clear(events, notice(e));
    }
  };
  loadRules();
  loadEvents();
  return live.watch((s) => s.buses?.[name], loadEvents);
}
