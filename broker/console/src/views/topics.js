// Topics (SNS): each topic with its subscriptions (protocol, endpoint, confirmation, how its
// deliveries went, raw delivery, filter policy and its scope), and the outbox: what SNS would have texted or
// mailed, refreshed as it grows.

import { api } from "../api.js";
import { clear, fmtTime, h, link, nameOfArn, notice, pretty, table } from "../dom.js";

function endpointCell(sub) {
  if (sub.protocol === "sqs" && sub.endpoint.startsWith("arn:aws:sqs:"))
    return h("a", { href: link.queue(nameOfArn(sub.endpoint)) }, nameOfArn(sub.endpoint));
  if (sub.protocol === "lambda") return nameOfArn(sub.endpoint);
  return sub.endpoint;
}

// Counts since the broker started: delivered, retried (HTTP/S backoff), given up.
function deliveryCell(d) {
  if (!d || !d.last_at) return h("span.muted", "nothing delivered yet");
  return h("div.delivery", { "data-delivered": d.delivered, "data-failed": d.failed },
    h("span", `${d.delivered} delivered`),
    d.retried ? h("span.muted", ` · ${d.retried} retried`) : null,
    d.failed ? h("span.failed", ` · ${d.failed} given up`) : null,
    d.last_error ? h("div.small.muted", `last error: ${d.last_error}`) : null);
}

function topicCard(topic) {
  return h("section.card.topic", { "data-topic": topic.name },
    h("h2", topic.name, topic.fifo ? h("span.pill", "FIFO") : null,
      topic.display_name ? h("span.muted.small", ` “${topic.display_name}”`) : null),
    h("p.muted.mono.small", topic.arn),
    table(["Protocol", "Endpoint", "Confirmation", "Deliveries", "Raw", "Filter policy"],
      topic.subscriptions.map((s) => h("tr.subscription", { "data-protocol": s.protocol },
        h("td", s.protocol),
        h("td", endpointCell(s)),
        h("td", s.confirmed ? h("span.pill.state-visible", "confirmed") : h("span.pill.state-delayed", "pending confirmation")),
        h("td", deliveryCell(s.delivery)),
        h("td", s.raw ? "yes" : "no"),
        h("td", s.filter_policy
          ? [h("pre.json", pretty(s.filter_policy)), h("div.muted.small", `scope: ${s.filter_policy_scope || "MessageAttributes"}`)]
          : h("span.muted", "every message")))),
      { empty: "No subscriptions: a message published here goes nowhere." }));
}

export function view(root, _params, { live }) {
  const topics = h("div", h("p.loading", "Loading…"));
  const outbox = h("div", h("p.loading", "Loading…"));
  const refresh = h("button.small", { type: "button" }, "Refresh");
  root.append(
    h("h1", "Topics"),
    h("p.lede", "Topics with their subscriptions and filter policies. ", refresh),
    topics,
    h("section.outbox", h("h2", "Outbox ", h("span.muted.small", "(SMS and email SNS would have sent, newest first)")), outbox));

  const loadTopics = async () => {
    try {
      const list = await api.topics();
      clear(topics, list.length ? list.map(topicCard)
        : h("p.empty", "No topics yet. Create one with any SNS client, or in a resources file."));
    } catch (e) {
      clear(topics, notice(e));
    }
  };
  const loadOutbox = async () => {
    try {
      const { messages } = await api.outbox();
      clear(outbox, table(["#", "Kind", "To", "Subject / message", "Time"],
        [...messages].reverse().map((m) => h("tr.outbox-message", { "data-kind": m.kind },
          h("td.num", String(m.id)),
          h("td", h("span.pill", m.kind)),
          h("td.mono", m.destination),
          h("td", m.subject ? h("div", h("b", m.subject)) : null, h("pre.json", pretty(m.message)),
            m.subscribe_url ? h("div.small", "confirm: ", h("span.mono", m.subscribe_url)) : null),
          h("td.small", fmtTime(m.timestamp)))),
        { empty: "Nothing sent yet. A Publish with a PhoneNumber, or to an sms or email subscription, lands here." }));
    } catch (e) {
      clear(outbox, notice(e));
    }
  };
  refresh.addEventListener("click", () => {
    loadTopics();
    loadOutbox();
  });
  loadTopics();
  loadOutbox();
  // Deliveries land in queues or the outbox: either moving may change a subscription's counts.
  const stopOutbox = live.watch((s) => s.outbox, () => {
    loadOutbox();
    loadTopics();
  });
  const stopQueues = live.watch((s) => s.queues, loadTopics);
  return () => {
    stopOutbox();
    stopQueues();
  };
}
