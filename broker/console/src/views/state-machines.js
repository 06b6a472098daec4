// State machines (Step Functions): the list with executions counted by status, and one
// machine's page: its definition drawn as the visual workflow, its executions filtered by
// status, and a form that starts an execution with JSON input.

import { api } from "../api.js";
import {
  badge, busy, clear, details, fmtDuration, fmtTime, h, jsonBlock, link, notice, outcome, parseJson, table, toDate,
} from "../dom.js";
import { drawStateMachine, framed } from "../graph.js";

const STATUSES = ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"];
const LABELS = { RUNNING: "Running", SUCCEEDED: "Succeeded", FAILED: "Failed", TIMED_OUT: "Timed out", ABORTED: "Aborted" };

export function list(root, _params, { live }) {
  const body = h("div", h("p.loading", "Loading…"));
  root.append(h("h1", "State machines"),
    h("p.lede", "Each state machine with its executions by status. Open one for its graph, its executions and a form to start one."),
    body);
  let names = [];
  const load = async () => {
    try {
      const machines = await api.stateMachines();
      names = machines.map((m) => m.name).sort();
      clear(body, table(["Name", "Type", ...STATUSES.map((s) => LABELS[s])],
        machines.map((m) => h("tr", { "data-state-machine": m.name },
          h("td", h("a", { href: link.stateMachine(m.name) }, m.name)),
          h("td", m.type),
          STATUSES.map((s) => h("td.num", { "data-machine": m.name, "data-status": s }, String(m.executions?.[s] ?? 0))))),
        { empty: "No state machines yet. Create one with any Step Functions client, or in a resources file." }));
    } catch (e) {
      clear(body, notice(e));
    }
  };
  load();
  return live.watch((s) => s.state_machines, (machines) => {
    if (!machines) return;
    if (JSON.stringify(Object.keys(machines).sort()) !== JSON.stringify(names)) return load();
    for (const [name, counts] of Object.entries(machines))
      for (const s of STATUSES) {
        const cell = body.querySelector(`td[data-machine="${CSS.escape(name)}"][data-status="${s}"]`);
        if (cell) cell.textContent = String(counts?.[s] ?? 0);
      }
  });
}

export function executionRows(executions) {
  return executions.map((e) => {
    const start = toDate(e.startDate);
    const stop = toDate(e.stopDate);
    return h("tr.execution", { "data-execution": e.name, "data-status": e.status },
      h("td", h("a", { href: link.execution(e.executionArn) }, e.name)),
      h("td", badge(e.status)),
      h("td.small", fmtTime(start)),
      h("td.small", stop ? fmtTime(stop) : "–"),
      h("td.small", start && stop ? fmtDuration(stop - start) : "–"));
  });
}

export function detail(root, [name], { live }) {
  const head = h("div", h("p.loading", "Loading…"));
  const graph = h("div.graph-frame");
  const executions = h("div");
  const filters = h("div.filters", { role: "tablist", "aria-label": "status filter" });
  let status = "";
  let machine = null;

  const startForm = () => {
    const nameInput = h("input", { name: "name", placeholder: "execution name (optional)" });
    const input = h("textarea.code", { name: "input", rows: 8, spellcheck: "false", "aria-label": "input" });
    input.value = "{\n  \"Comment\": \"Insert your JSON here\"\n}";
    const start = h("button", { type: "submit" }, "Start execution");
    const started = outcome();
    return h("form.card.start-form", {
      onsubmit: (e) => {
        e.preventDefault();
        busy(start, started, async () => {
          const value = parseJson(input.value, "The input");
          const r = await api.startExecution(name, value, nameInput.value.trim() || undefined);
          location.hash = link.execution(r.executionArn);
          return r;
        });
      },
    }, h("h2", "New execution"),
      h("label", "Name", nameInput),
      h("label", "Input (JSON)", input),
      h("div.row", start, started.el));
  };

  root.append(
    h("p.crumbs", h("a", { href: "#/state-machines" }, "State machines"), " / ", name),
    h("h1", name),
    head,
    h("div.split",
      h("section.card.graph-card", h("h2", "Definition"), graph),
      startForm()),
    h("section", h("h2", "Executions"), filters, executions));

  const loadMachine = async () => {
    try {
      machine = (await api.stateMachines()).find((m) => m.name === name);
      if (!machine) return clear(head, notice(`There is no state machine named ${name}.`));
      clear(head, h("p.muted.mono.small", machine.arn, " · ", machine.type),
        machine.definition?.Comment ? h("p", machine.definition.Comment) : null);
      clear(graph, framed(drawStateMachine(machine.definition)), details("Definition (Amazon States Language)", jsonBlock(machine.definition)));
    } catch (e) {
      clear(head, notice(e));
    }
  };

  const drawFilters = (counts) => {
    clear(filters, ["", ...STATUSES].map((s) => h("button.filter", {
      type: "button", role: "tab", "aria-selected": String(s === status), "data-filter": s || "ALL",
      class: s === status ? "active" : "",
      onclick: () => {
        status = s;
        drawFilters(counts);
        loadExecutions();
      },
    }, s ? LABELS[s] : "All", counts && s ? h("span.count-chip", String(counts[s] ?? 0)) : null)));
  };

  const loadExecutions = async () => {
    try {
      const list = await api.executions(name, status || undefined);
      clear(executions, table(["Name", "Status", "Started", "End time", "Duration"], executionRows(list),
        { empty: status ? `No ${LABELS[status].toLowerCase()} executions.` : "No executions yet: start one with the form above." }));
    } catch (e) {
      clear(executions, notice(e));
    }
  };

  drawFilters(live.snapshot?.state_machines?.[name]);
  loadMachine();
  loadExecutions();
  return live.watch((s) => s.state_machines?.[name], (counts) => {
    drawFilters(counts);
    loadExecutions();
  });
}
