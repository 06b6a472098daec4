// Queues (SQS): the list with live visible / in-flight / delayed counts, and one queue's page:
// its messages browsed without being received, its dead-letter links, and send, purge and
// "redrive from this DLQ".

import { api } from "../api.js";
import { busy, clear, details, fmtTime, h, link, nameOfArn, notice, outcome, pretty, table } from "../dom.js";

const COUNTS = ["visible", "in_flight", "delayed"];

const countCell = (queue, which, value) =>
  h("td.num", { "data-queue": queue, "data-count": which }, String(value ?? 0));

const queueLink = (name) => h("a", { href: link.queue(name) }, name);

export function list(root, _params, { live }) {
  const body = h("div", h("p.loading", "Loading…"));
  root.append(h("h1", "Queues"), h("p.lede", "Every queue with its messages counted as they change: ",
    h("b", "visible"), " (waiting), ", h("b", "in flight"), " (received, not yet deleted) and ", h("b", "delayed"), "."), body);
  let shown = [];

  const load = async () => {
    try {
      const queues = await api.queues();
      shown = queues.map((q) => q.name).sort();
      clear(body, table(
        ["Name", "Type", "Visible", "In flight", "Delayed", "Dead-letter queue", "Dead-letter queue for"],
        queues.map((q) => h("tr", { "data-queue": q.name },
          h("td", queueLink(q.name)),
          h("td", q.fifo ? "FIFO" : "Standard"),
          COUNTS.map((c) => countCell(q.name, c, q[c])),
          h("td", q.dead_letter_target ? [queueLink(nameOfArn(q.dead_letter_target)),
                                          q.max_receive_count ? h("span.muted", ` after ${q.max_receive_count} receives`) : null] : "–"),
          h("td", q.redrive_sources.length ? q.redrive_sources.map((s, i) => [i ? ", " : "", queueLink(s)]) : "–"))),
        { empty: "No queues yet. Create one with any SQS client, or list them in a resources file (wyvern --config).", cls: "queues" }));
    } catch (e) {
      clear(body, notice(e));
    }
  };

  load();
  return live.watch((s) => s.queues, (queues) => {
    if (!queues) return;
    const names = Object.keys(queues).sort();
    if (JSON.stringify(names) !== JSON.stringify(shown)) return load();
    for (const [name, counts] of Object.entries(queues))
      for (const c of COUNTS) {
        const cell = body.querySelector(`td[data-queue="${CSS.escape(name)}"][data-count="${c}"]`);
        if (cell) cell.textContent = String(counts[c] ?? 0);
      }
  });
}

export function detail(root, [name], { live }) {
  const head = h("div", h("p.loading", "Loading…"));
  const messages = h("div.messages");
  const actions = h("div.actions");
  root.append(
    h("p.crumbs", h("a", { href: "#/queues" }, "Queues"), " / ", name),
    h("h1", name),
    head, actions,
    h("section", h("h2", "Messages ", h("span.muted.small", "(peeked: nothing is received, the counts and receive counts do not change)")),
      messages));

  let queue = null;
  const counts = {};
  const showCounts = (values) => {
    for (const c of COUNTS) if (counts[c]) counts[c].textContent = String(values?.[c] ?? 0);
  };

  const loadMessages = async () => {
    try {
      const list = await api.messages(name, 100);
      clear(messages, table(
        ["Message", "Body", "State", "Receives", "Group", "Sent", "Attributes"],
        list.map((m) => h("tr.message", { "data-message-id": m.message_id, "data-state": m.state },
          h("td.mono.small", { title: m.message_id }, m.message_id.slice(0, 8), m.dead_letter_source
            ? h("div.muted", "from ", queueLink(nameOfArn(m.dead_letter_source))) : null),
          h("td.body", h("pre.json", pretty(m.body))),
          h("td", h("span.pill", { class: `state-${m.state}` }, m.state.replace("_", " "))),
          h("td.num", String(m.receive_count)),
          h("td", m.group_id ?? "–"),
          h("td.small", fmtTime(m.sent_at), m.state !== "visible" ? h("div.muted", `visible at ${fmtTime(m.visible_at)}`) : null),
          h("td.small", Object.keys(m.attributes ?? {}).length
            ? Object.entries(m.attributes).map(([k, a]) => h("div", h("b", k), ` (${a.DataType}): `, a.StringValue ?? "…"))
            : "–"))),
        { empty: "The queue is empty.", cls: "message-list" }));
    } catch (e) {
      clear(messages, notice(e));
    }
  };

  const loadQueue = async () => {
    try {
      const queues = await api.queues();
      queue = queues.find((q) => q.name === name);
      if (!queue) {
        clear(head, notice(`There is no queue named ${name}.`));
        clear(actions);
        return;
      }
      drawHead();
      drawActions();
    } catch (e) {
      clear(head, notice(e));
    }
  };

  const drawHead = () => {
    for (const c of COUNTS) counts[c] = h("div.count-value", { "data-count": c }, String(queue[c] ?? 0));
    const a = queue.attributes ?? {};
    clear(head,
      h("p.muted.mono", queue.arn),
      h("div.counts",
        h("div.count", counts.visible, h("div.count-label", "visible")),
        h("div.count", counts.in_flight, h("div.count-label", "in flight")),
        h("div.count", counts.delayed, h("div.count-label", "delayed"))),
      h("dl.facts",
        h("dt", "Type"), h("dd", queue.fifo ? "FIFO" : "Standard"),
        h("dt", "URL"), h("dd.mono", queue.url),
        h("dt", "Visibility timeout"), h("dd", `${a.VisibilityTimeout ?? "30"} s`),
        h("dt", "Dead-letter queue"),
        h("dd", queue.dead_letter_target
          ? [queueLink(nameOfArn(queue.dead_letter_target)), ` after ${queue.max_receive_count} receives`]
          : "none"),
        queue.redrive_sources.length ? [h("dt", "Dead-letter queue for"),
          h("dd", queue.redrive_sources.map((s, i) => [i ? ", " : "", queueLink(s)]))] : null),
      details("All attributes", table(["Attribute", "Value"],
        Object.entries(a).sort().map(([k, v]) => h("tr", h("td", k), h("td", h("pre.json", pretty(v))))))));
  };

  const drawActions = () => {
    const bodyInput = h("textarea", { name: "body", rows: 3, placeholder: '{"dragon": "Smaug"}', required: true });
    const groupInput = h("input", { name: "group_id", placeholder: "message group id", required: queue.fifo });
    const contentBased = queue.attributes?.ContentBasedDeduplication === "true";
    const dedupInput = h("input", { name: "deduplication_id", required: queue.fifo && !contentBased,
                                    placeholder: contentBased ? "optional: the body's hash is used" : "deduplication id" });
    const send = h("button", { type: "submit" }, "Send message");
    const sent = outcome();
    const form = h("form.card.send-form", {
      onsubmit: (e) => {
        e.preventDefault();
        const message = { body: bodyInput.value };
        if (queue.fifo && groupInput.value) message.group_id = groupInput.value;
        if (queue.fifo && dedupInput.value) message.deduplication_id = dedupInput.value;
        busy(send, sent, async () => {
          const r = await api.sendMessage(name, message);
          bodyInput.value = "";
          await loadMessages();
          return r;
        }, (r) => `Sent ${r?.MessageId ?? ""}`);
      },
    }, h("h2", "Send a message"),
      h("label", "Body", bodyInput),
      queue.fifo ? h("div.row", h("label", "Group id", groupInput), h("label", "Deduplication id", dedupInput)) : null,
      h("div.row", send, sent.el));

    const purge = h("button.danger", { type: "button" }, "Purge");
    const purged = outcome();
    purge.addEventListener("click", () => {
      if (!confirm(`Delete every message in ${name}?`)) return;
      busy(purge, purged, async () => {
        await api.purge(name);
        await loadMessages();
      }, "Purged");
    });
    const tools = h("div.card", h("h2", "Manage"), h("div.row", purge, purged.el));
    if (queue.redrive_sources.length) {
      const redrive = h("button", { type: "button" }, "Redrive from DLQ");
      const redriven = outcome();
      redrive.addEventListener("click", () =>
        busy(redrive, redriven, async () => {
          await api.redrive(name);
          await loadMessages();
        }, `Moving messages back to ${queue.redrive_sources.join(", ")}`));
      tools.append(h("div.row", redrive, redriven.el),
        h("p.muted.small", "Moves this dead-letter queue's messages back to the queues they came from."));
    }
    clear(actions, form, tools);
  };

  loadQueue().then(loadMessages);
  return live.watch((s) => s.queues?.[name], (values) => {
    showCounts(values);
    loadMessages();
  });
}
