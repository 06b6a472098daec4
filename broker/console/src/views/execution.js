// One execution, as AWS's console shows it: its status and times, the visual workflow coloured
// by each state's status with the path taken, the selected step's input, output and exception,
// the tasks waiting on a token (answered from here), and the event history with each event's
// elapsed milliseconds. Refreshed while the execution runs, as the broker reports new events.

import { api } from "../api.js";
import {
  badge, busy, clear, details, fmtDuration, fmtTime, h, jsonBlock, link, nameOfArn, notice, outcome, parseJson, pretty, toDate,
} from "../dom.js";
import { STATUS_STYLE, allStates, drawStateMachine, framed, legend, selectState, stateNameOf, takenEdges } from "../graph.js";

const detailsOf = (event) => {
  for (const [key, value] of Object.entries(event)) if (key.endsWith("EventDetails")) return value ?? {};
  return {};
};

// Which state each history event belongs to (the table's "Step" column). Entered and Exited
// events name their state; Parallel and Map events belong to the innermost open Parallel or
// Map; a task's events to the state whose event came just before them (previousEventId), or
// else to the task state entered last and not yet left.
export function attributeEvents(history) {
  const owner = new Map();
  const openTasks = [];
  const openNested = [];
  for (const event of history) {
    const type = event.type;
    const d = detailsOf(event);
    let name = null;
    const named = stateNameOf(event);
    if (named !== null) {
      name = named;
      if (type.endsWith("StateEntered")) {
        if (type === "ParallelStateEntered" || type === "MapStateEntered") openNested.push(name);
        else openTasks.push(name);
      } else {
        const stack = type === "ParallelStateExited" || type === "MapStateExited" ? openNested : openTasks;
        const i = stack.lastIndexOf(name);
        if (i >= 0) stack.splice(i, 1);
      }
    } else if (type.startsWith("Execution")) {
      name = null;
    } else if (type.startsWith("MapIteration") || type.startsWith("ParallelState") || type.startsWith("MapState") || type.startsWith("MapRun")) {
      name = d.name ?? openNested[openNested.length - 1] ?? null;
    } else {
      const previous = history.find((e) => e.id === event.previousEventId);
      const fromPrevious = previous && !previous.type.endsWith("StateExited") ? owner.get(previous.id) : null;
      name = fromPrevious && openTasks.includes(fromPrevious) ? fromPrevious : openTasks[openTasks.length - 1] ?? null;
    }
    owner.set(event.id, name);
  }
  return owner;
}

// For each state: the input it last entered with, the output it last left with, the last error
// its task raised, and how many times it was entered.
export function stepDetails(history, owner) {
  const steps = {};
  const step = (name) => (steps[name] ??= { entered: 0, input: undefined, output: undefined, error: null });
  for (const event of history) {
    const name = owner.get(event.id);
    if (!name) continue;
    const d = detailsOf(event);
    if (event.type.endsWith("StateEntered")) {
      const s = step(name);
      s.entered += 1;
      s.input = d.input;
    } else if (event.type.endsWith("StateExited")) {
      step(name).output = d.output;
      // Variables the state assigned (Assign), name -> JSON text, as the history carries them.
      step(name).assigned = d.assignedVariables;
    } else if (d.error !== undefined || d.cause !== undefined) {
      step(name).error = { error: d.error, cause: d.cause, event: event.type };
    }
  }
  return steps;
}

function resourceOf(event) {
  const d = detailsOf(event);
  if (d.resourceType) return `${d.resourceType}:${d.resource}`;
  if (d.resource) {
    const fn = String(d.resource).match(/:function:([^:]+)/);
    return fn ? `Lambda ${fn[1]}` : d.resource;
  }
  return "–";
}

function pendingTaskCard(task, onAnswered) {
  const output = h("textarea.code", { name: "output", rows: 4, spellcheck: "false", "aria-label": "output" });
  output.value = "{}";
  const error = h("input", { name: "error", placeholder: "error, e.g. Egg.NotAnEgg" });
  const cause = h("input", { name: "cause", placeholder: "cause" });
  const success = h("button", { type: "button", "data-action": "send-success" }, "Send success");
  const failure = h("button.danger", { type: "button", "data-action": "send-failure" }, "Send failure");
  const answered = outcome();
  success.addEventListener("click", () =>
    busy(success, answered, async () => {
      await api.taskSuccess(task.token, parseJson(output.value, "The output"));
      onAnswered();
    }, "Sent: the task succeeded"));
  failure.addEventListener("click", () =>
    busy(failure, answered, async () => {
      await api.taskFailure(task.token, error.value, cause.value);
      onAnswered();
    }, "Sent: the task failed"));
  return h("div.card.pending-task", { "data-state": task.state, "data-kind": task.kind },
    h("h3", `${task.state} is waiting`, h("span.muted.small", ` (${task.kind === "activity" ? "activity task" : "callback"} since ${fmtTime(task.scheduled_at)})`)),
    h("dl.facts",
      h("dt", "Resource"), h("dd.mono.small", task.resource ?? "–"),
      h("dt", "Task token"), h("dd", h("code.token", { title: task.token }, task.token))),
    h("div.answer",
      h("div", h("label", "Output (JSON)", output), h("div.row", success)),
      h("div", h("div.row", h("label", "Error", error), h("label", "Cause", cause)), h("div.row", failure))),
    answered.el);
}

export function view(root, [arn], { live }) {
  const machineName = arn.split(":")[6] ?? "";
  const executionName = nameOfArn(arn);
  const head = h("div", h("p.loading", "Loading…"));
  const pending = h("div.pending");
  const graph = h("div.graph-frame");
  const step = h("aside.card.step-details", { "aria-label": "step details" });
  const history = h("div.history");
  const statusBadge = h("span.title-status");
  root.append(
    h("p.crumbs", h("a", { href: "#/state-machines" }, "State machines"), " / ",
      h("a", { href: link.stateMachine(machineName) }, machineName), " / ", executionName),
    h("div.title-row", h("h1", executionName), statusBadge), head, pending,
    h("section.card.workflow", h("div.workflow-head", h("h2", "Graph view"), legend()),
      h("div.workflow-body", graph, step)),
    h("section", h("h2", "Events"), history));

  let data = null;
  let selected = null;
  let owner = new Map();
  let steps = {};
  let svg = null;
  const expanded = new Set();

  const drawStep = () => {
    if (!selected) {
      clear(step, h("h2", "Step details"), h("p.muted", "Select a step to view its details."));
      return;
    }
    const states = allStates(data.definition);
    const def = states[selected] ?? {};
    const status = data.states?.[selected] ?? "idle";
    const s = steps[selected] ?? {};
    let exception = s.error;
    if (!exception && status === "failed") {
      const failed = data.history.find((e) => e.type === "ExecutionFailed" || e.type === "ExecutionTimedOut");
      if (failed) exception = { ...detailsOf(failed), event: failed.type };
    }
    clear(step,
      h("h2", "Step details"),
      h("dl.facts",
        h("dt", "Name"), h("dd", { "data-field": "name" }, selected),
        h("dt", "Type"), h("dd", def.Type ?? "–"),
        h("dt", "Status"), h("dd", { "data-field": "status" },
          h("span.badge", { class: `status-${status}` }, STATUS_STYLE[status]?.label ?? status)),
        def.Resource ? [h("dt", "Resource"), h("dd.mono.small", def.Resource)] : null,
        s.entered > 1 ? [h("dt", "Entered"), h("dd", `${s.entered} times (the last shown)`)] : null),
      details("Input", s.input !== undefined ? jsonBlock(s.input) : h("p.muted", "Not entered."), true),
      details("Output", s.output !== undefined ? jsonBlock(s.output) : h("p.muted", "No output."), true),
      s.assigned && Object.keys(s.assigned).length
        ? details("Variables assigned", h("dl.facts.variables", Object.entries(s.assigned).map(([name, text]) =>
            [h("dt.mono", `$${name}`), h("dd", { "data-variable": name }, jsonBlock(text))])), true)
        : null,
      details("Exception", exception
        ? h("div.exception", h("div", h("b", "Error: "), exception.error ?? "–"),
            h("div", h("b", "Cause: ")), exception.cause ? jsonBlock(exception.cause) : "–",
            h("div.muted.small", `from ${exception.event}`))
        : h("p.muted", "None."), Boolean(exception)));
  };

  const onSelect = (name) => {
    selected = name;
    if (svg) selectState(svg, name);
    drawStep();
  };

  const drawHead = () => {
    const e = data.execution;
    const start = toDate(e.startDate);
    const stop = toDate(e.stopDate);
    clear(statusBadge, badge(e.status));
    clear(head,
      h("dl.facts.execution-facts",
        h("dt", "Execution status"), h("dd", { "data-field": "execution-status" }, badge(e.status)),
        h("dt", "Execution ARN"), h("dd.mono.small", e.executionArn),
        h("dt", "Started"), h("dd", fmtTime(start)),
        h("dt", "End time"), h("dd", stop ? fmtTime(stop) : "–"),
        h("dt", "Duration"), h("dd", start && stop ? fmtDuration(stop - start) : "running"),
        e.error ? [h("dt", "Error"), h("dd.error", e.error)] : null,
        e.cause ? [h("dt", "Cause"), h("dd", h("pre.json", pretty(e.cause)))] : null),
      h("div.io",
        details("Input", jsonBlock(e.input ?? "")),
        details("Output", e.output !== undefined ? jsonBlock(e.output) : h("p.muted", "No output yet."))));
  };

  const drawPending = () => {
    const tasks = data.pending_tasks ?? [];
    clear(pending, tasks.length
      ? h("section", h("h2", "Waiting for a task token"), tasks.map((t) => pendingTaskCard(t, refresh)))
      : null);
  };

  const drawHistory = () => {
    const events = data.history ?? [];
    const t0 = events.length ? events[0].timestamp : 0;
    const rows = [];
    for (const event of events) {
      const open = expanded.has(event.id);
      const toggle = () => {
        if (expanded.has(event.id)) expanded.delete(event.id);
        else expanded.add(event.id);
        drawHistory();
      };
      const stepName = owner.get(event.id);
      rows.push(h("tr.event", { "data-event-id": event.id, "data-type": event.type, class: open ? "open" : "" },
        h("td.num", h("button.expander", { type: "button", "aria-expanded": String(open), onclick: toggle, title: "details" }, open ? "▼" : "▶"), " ", String(event.id)),
        h("td", event.type),
        h("td", stepName ? h("button.step-link", { type: "button", onclick: () => {
          onSelect(stepName);
          graph.scrollIntoView({ behavior: "smooth", block: "center" });
        } }, stepName) : "–"),
        h("td.small", resourceOf(event)),
        h("td.num", { "data-field": "elapsed" }, String(Math.round((event.timestamp - t0) * 1000)))));
      if (open) rows.push(h("tr.event-details", h("td", { colspan: 5 }, jsonBlock(event))));
    }
    clear(history, h("table.history",
      h("thead", h("tr", ["ID", "Type", "Step", "Resource", "Elapsed Time (ms)"].map((x) => h("th", x)))),
      h("tbody", rows)),
      h("p.muted.small", data.execution.status === "RUNNING" ? "More events come as the execution runs." : "All events loaded."));
  };

  async function load() {
    try {
      data = await api.execution(arn);
    } catch (e) {
      clear(head, notice(e));
      return;
    }
    owner = attributeEvents(data.history ?? []);
    steps = stepDetails(data.history ?? [], owner);
    drawHead();
    drawPending();
    svg = drawStateMachine(data.definition, {
      statuses: data.states ?? {},
      taken: takenEdges(data.definition, data.history, data.execution.status, data.states ?? {}),
      selected,
      onSelect,
    });
    clear(graph, framed(svg));
    drawStep();
    drawHistory();
  }

  // Loads run one at a time; asked for while one runs, one more follows it.
  let loading = false;
  let again = false;
  async function refresh() {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    do {
      again = false;
      await load();
    } while (again);
    loading = false;
  }

  refresh();
  // A running execution's snapshot entry is its event count; it disappears when the run closes.
  // Reload when it changes, and also while the page shows the run RUNNING but the snapshot does
  // not list it: a run that starts and closes between two snapshots (they come every 250 ms)
  // never changes the entry, and the page would show it running forever.
  let seen = live.snapshot?.running?.[arn] ?? null;
  return live.subscribe((snapshot) => {
    const count = snapshot.running?.[arn] ?? null;
    const closedUnseen = count === null && data?.execution?.status === "RUNNING";
    if (count === seen && !closedUnseen) return;
    seen = count;
    refresh();
  });
}
