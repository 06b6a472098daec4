// A state machine's definition (Amazon States Language) drawn as AWS's visual workflow: one box
// per state, Start and End ovals at the top level, arrows for Next, a labelled arrow per Choice
// rule (the Default dashed), Catch arrows in their own style, and Parallel branches and Map
// iterators as boxes nested in their state's box.
//
// How: each branch (the top level, each Parallel branch, each Map iterator) is laid out on its
// own by dagre, innermost first; a Parallel or Map state then takes the size of its laid-out
// branches, side by side, as its node in the enclosing layout. Rendering walks the same tree,
// translating each branch into its state's box. Dagre's own compound graphs are not used:
// they cannot route edges to a cluster, and the States Language never links across branches.
//
// An execution colours the boxes by each state's status (the admin API's `states`) and darkens
// the arrows it took (takenEdges below, from the event history).

import { Graph, layout } from "@dagrejs/dagre";

const SVG = "http://www.w3.org/2000/svg";
const START = "__start";
const END = "__end";

// AWS's colours for a state's status in an execution; `idle` is a state the run never reached.
export const STATUS_STYLE = {
  idle: { fill: "#ffffff", stroke: "#8d99a8", label: "Not run" },
  in_progress: { fill: "#cfe4fa", stroke: "#0972d3", label: "In progress" },
  succeeded: { fill: "#d5f2d0", stroke: "#1d8102", label: "Succeeded" },
  failed: { fill: "#fcdedb", stroke: "#d13212", label: "Failed" },
  caught_error: { fill: "#ffe7c2", stroke: "#ec7211", label: "Caught error" },
  cancelled: { fill: "#e3e6e8", stroke: "#687078", label: "Cancelled" },
};

const EDGE_STYLE = {
  start: { stroke: "#545b64", dash: null },
  next: { stroke: "#545b64", dash: null },
  end: { stroke: "#545b64", dash: null },
  choice: { stroke: "#545b64", dash: null },
  default: { stroke: "#545b64", dash: "6 4" },
  catch: { stroke: "#c7511f", dash: "2 3" },
};

const FONT = "13px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
const FONT_BOLD = "600 " + FONT;
const FONT_SMALL = "11px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
const NODE_HEIGHT = 46;
const HEADER = 34; // the title strip of a Parallel or Map box
const PAD = 14; // inside a Parallel or Map box
const BRANCH_GAP = 18;
const LABEL_MAX = 34;

let measurer;
function textWidth(text, font) {
  measurer ??= document.createElement("canvas").getContext("2d");
  if (!measurer) return text.length * 7.5;
  measurer.font = font;
  return measurer.measureText(text).width;
}

const truncate = (s, n = LABEL_MAX) => (s.length > n ? s.slice(0, n - 1) + "…" : s);

// ---------------------------------------------------------------------------------------------
// What the definition says

// The nested branches of a state: Parallel's Branches, Map's ItemProcessor (or Iterator).
export function branchesOf(state) {
  if (state.Type === "Parallel") return state.Branches ?? [];
  if (state.Type === "Map") {
    const processor = state.ItemProcessor ?? state.Iterator;
    return processor ? [processor] : [];
  }
  return [];
}

// Every state of the machine by name, nested branches included (state names are unique across
// a whole machine).
export function allStates(definition, out = {}) {
  for (const [name, state] of Object.entries(definition?.States ?? {})) {
    out[name] = state;
    for (const branch of branchesOf(state)) allStates(branch, out);
  }
  return out;
}

const OPERATORS = {
  Equals: "==", LessThan: "<", GreaterThan: ">", LessThanEquals: "<=", GreaterThanEquals: ">=",
  Matches: "matches",
};

// A Choice rule as a short condition: `$.confirmationRequired == true`.
export function describeRule(rule) {
  if (rule.Condition) return String(rule.Condition);
  if (rule.And) return rule.And.map(describeRule).join(" and ");
  if (rule.Or) return rule.Or.map(describeRule).join(" or ");
  if (rule.Not) return `not (${describeRule(rule.Not)})`;
  const op = Object.keys(rule).find((k) => !["Variable", "Next", "Comment", "Assign", "Output"].includes(k));
  if (!op) return rule.Comment ?? "rule";
  const value = rule[op];
  if (op.startsWith("Is")) return `${rule.Variable} ${value ? "" : "not "}${op.slice(2).toLowerCase()}`;
  const m = op.match(/^(String|Numeric|Boolean|Timestamp)(Equals|LessThanEquals|GreaterThanEquals|LessThan|GreaterThan|Matches)(Path)?$/);
  if (!m) return `${rule.Variable} ${op} ${JSON.stringify(value)}`;
  return `${rule.Variable} ${OPERATORS[m[2]]} ${m[3] ? value : JSON.stringify(value)}`;
}

// The arrows leaving each state of one branch: [{from, to, kind, label}].
function transitions(branch, top) {
  const out = [];
  if (top && branch.StartAt) out.push({ from: START, to: branch.StartAt, kind: "start" });
  for (const [name, state] of Object.entries(branch.States ?? {})) {
    if (state.Type === "Choice") {
      (state.Choices ?? []).forEach((rule) => {
        if (rule.Next) out.push({ from: name, to: rule.Next, kind: "choice", label: describeRule(rule) });
      });
      if (state.Default) out.push({ from: name, to: state.Default, kind: "default", label: "Default" });
    } else if (state.Next) {
      out.push({ from: name, to: state.Next, kind: "next" });
    }
    for (const c of state.Catch ?? []) {
      if (c.Next) out.push({ from: name, to: c.Next, kind: "catch", label: (c.ErrorEquals ?? []).join(", ") });
    }
    const terminal = state.End || state.Type === "Succeed" || state.Type === "Fail";
    if (top && terminal) out.push({ from: name, to: END, kind: "end" });
  }
  return out;
}

// The branch's states in the order a reader meets them from StartAt, so that the layout keeps
// a Choice's rules left to right as they are written; unreachable states last.
function readingOrder(branch) {
  const states = branch.States ?? {};
  const order = [];
  const seen = new Set();
  const visit = (name) => {
    if (!name || seen.has(name) || !(name in states)) return;
    seen.add(name);
    order.push(name);
    const s = states[name];
    for (const rule of s.Choices ?? []) visit(rule.Next);
    visit(s.Default);
    visit(s.Next);
    for (const c of s.Catch ?? []) visit(c.Next);
  };
  const queue = [branch.StartAt];
  while (queue.length) visit(queue.shift());
  for (const name of Object.keys(states)) visit(name);
  return order;
}

function subtitle(state) {
  const resource = String(state.Resource ?? "");
  if (state.Type === "Task") {
    const lambda = resource.match(/:function:([^:]+)/);
    if (lambda) return `Lambda · ${lambda[1]}`;
    const service = resource.match(/^arn:aws:states:::(.+)$/);
    if (service) return service[1].replace(/^aws-sdk:/, "");
    const activity = resource.match(/:activity:(.+)$/);
    if (activity) return `Activity · ${activity[1]}`;
    return "Task";
  }
  if (state.Type === "Wait") {
    if (state.Seconds !== undefined) return `Wait · ${state.Seconds} s`;
    return "Wait";
  }
  return state.Type ?? "";
}

// ---------------------------------------------------------------------------------------------
// Layout

// Lays out one branch; returns {width, height, nodes, edges} in the branch's own coordinates
// (a node's x, y is its centre, as dagre gives it).
export function layoutBranch(branch, { top = false } = {}) {
  const g = new Graph({ multigraph: true });
  g.setGraph({ rankdir: "TB", nodesep: 28, ranksep: 40, edgesep: 16, marginx: top ? 24 : 0, marginy: top ? 16 : 0 });
  g.setDefaultEdgeLabel(() => ({}));

  if (top) g.setNode(START, { width: 64, height: 30, kind: "start" });
  for (const name of readingOrder(branch)) {
    const state = branch.States[name];
    const sub = subtitle(state);
    const inner = branchesOf(state).map((b) => layoutBranch(b));
    let width = Math.max(120, textWidth(name, FONT_BOLD) + 32, textWidth(sub, FONT_SMALL) + 32);
    let height = NODE_HEIGHT;
    if (inner.length) {
      const innerWidth = inner.reduce((w, b) => w + b.width, 0) + BRANCH_GAP * (inner.length - 1);
      width = Math.max(width, innerWidth + 2 * PAD);
      height = HEADER + PAD + Math.max(...inner.map((b) => b.height)) + PAD;
    }
    g.setNode(name, { width, height, kind: "state", state, subtitle: sub, inner });
  }
  if (top) g.setNode(END, { width: 64, height: 30, kind: "end" });

  transitions(branch, top).forEach((t, i) => {
    if (!g.hasNode(t.from) || !g.hasNode(t.to)) return;
    const label = t.label ? truncate(t.label) : "";
    g.setEdge(t.from, t.to, {
      ...t,
      text: label,
      width: label ? textWidth(label, FONT_SMALL) + 10 : 0,
      height: label ? 18 : 0,
      labelpos: "c",
      minlen: 1,
      weight: t.kind === "catch" ? 1 : 2,
    }, `e${i}`);
  });

  layout(g);
  const graph = g.graph();
  return {
    width: graph.width ?? 0,
    height: graph.height ?? 0,
    nodes: g.nodes().map((id) => ({ id, ...g.node(id) })),
    edges: g.edges().map((e) => ({ ...g.edge(e) })),
  };
}

// ---------------------------------------------------------------------------------------------
// Which arrows an execution took

// Keys "from->to" of the arrows the history shows were followed: each state entered came from
// the nearest state exited before it that has an arrow to it; Start led to the first state;
// a top-level terminal state led to End once the execution closed, if it ended there: it
// succeeded (not caught, which left by a Catch), or it is a Fail state.
export function takenEdges(definition, history, executionStatus, statuses = {}) {
  const states = allStates(definition);
  const arrows = new Set();
  const collect = (branch, top) => {
    for (const t of transitions(branch, top)) arrows.add(`${t.from}->${t.to}`);
    for (const s of Object.values(branch.States ?? {})) for (const b of branchesOf(s)) collect(b, false);
  };
  collect(definition ?? {}, true);

  const taken = new Set();
  const exited = [];
  const entered = new Set();
  for (const event of history ?? []) {
    const name = stateNameOf(event);
    if (!name) continue;
    if (event.type.endsWith("StateEntered")) {
      entered.add(name);
      if (name === definition?.StartAt && !taken.has(`${START}->${name}`)) taken.add(`${START}->${name}`);
      for (let i = exited.length - 1; i >= 0; i--) {
        if (arrows.has(`${exited[i]}->${name}`)) {
          taken.add(`${exited[i]}->${name}`);
          break;
        }
      }
    } else if (event.type.endsWith("StateExited")) {
      exited.push(name);
    }
  }
  if (executionStatus && executionStatus !== "RUNNING") {
    for (const name of entered) {
      const endedHere = statuses[name] === "succeeded" || states[name]?.Type === "Fail";
      if (endedHere && arrows.has(`${name}->${END}`)) taken.add(`${name}->${END}`);
    }
  }
  return taken;
}

// The state a history event names, for the events that carry one.
export function stateNameOf(event) {
  for (const [key, value] of Object.entries(event)) {
    if (key.endsWith("EventDetails") && value && typeof value === "object" && value.name !== undefined) {
      if (event.type.endsWith("StateEntered") || event.type.endsWith("StateExited")) return value.name;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Rendering

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined && v !== false) el.setAttribute(k, v);
  for (const c of children) if (c) el.append(c);
  return el;
}

function title(text) {
  const t = svg("title");
  t.textContent = text;
  return t;
}

// A B-spline through the points, as d3's curveBasis draws dagre's routes.
function curve(points) {
  if (points.length < 3) return `M${points.map((p) => `${p.x},${p.y}`).join("L")}`;
  let d = `M${points[0].x},${points[0].y}`;
  let [x0, y0] = [points[0].x, points[0].y];
  let [x1, y1] = [points[1].x, points[1].y];
  d += `L${(5 * x0 + x1) / 6},${(5 * y0 + y1) / 6}`;
  const bezier = (x, y) => {
    d += `C${(2 * x0 + x1) / 3},${(2 * y0 + y1) / 3} ${(x0 + 2 * x1) / 3},${(y0 + 2 * y1) / 3} ` +
         `${(x0 + 4 * x1 + x) / 6},${(y0 + 4 * y1 + y) / 6}`;
  };
  for (const p of points.slice(2)) {
    bezier(p.x, p.y);
    [x0, y0, x1, y1] = [x1, y1, p.x, p.y];
  }
  bezier(x1, y1);
  d += `L${x1},${y1}`;
  return d;
}

function markers() {
  const defs = svg("defs");
  const colours = { plain: "#545b64", catch: "#c7511f", taken: "#16191f", faint: "#c3c9d0" };
  for (const [name, colour] of Object.entries(colours)) {
    defs.append(svg("marker", {
      id: `arrow-${name}`, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7,
      orient: "auto-start-reverse",
    }, svg("path", { d: "M0,0L10,5L0,10z", fill: colour })));
  }
  return defs;
}

function drawEdge(edge, ctx) {
  const key = `${edge.from}->${edge.to}`;
  const style = EDGE_STYLE[edge.kind];
  const taken = ctx.taken?.has(key);
  const faint = ctx.execution && !taken;
  const stroke = taken ? (edge.kind === "catch" ? "#c7511f" : "#16191f") : faint ? "#c3c9d0" : style.stroke;
  const marker = taken ? (edge.kind === "catch" ? "catch" : "taken") : faint ? "faint" : edge.kind === "catch" ? "catch" : "plain";
  const g = svg("g", {
    class: `edge edge--${edge.kind}${taken ? " taken" : ""}`,
    "data-from": edge.from, "data-to": edge.to, "data-kind": edge.kind,
  });
  g.append(svg("path", {
    d: curve(edge.points ?? []), fill: "none", stroke, "stroke-width": taken ? 2.2 : 1.4,
    "stroke-dasharray": style.dash, "marker-end": `url(#arrow-${marker})`,
  }));
  if (edge.text) {
    const w = edge.width;
    const label = svg("g", { class: "edge-label", transform: `translate(${edge.x},${edge.y})` },
      svg("rect", { x: -w / 2, y: -9, width: w, height: 18, rx: 3, fill: "#ffffff", opacity: 0.92 }),
      svg("text", { "text-anchor": "middle", dy: "0.35em", "font-size": 11, fill: faint ? "#8d99a8" : "#414d5c",
                    "font-style": edge.kind === "default" ? "italic" : null }, edge.text));
    label.append(title(edge.kind === "catch" ? `Catch: ${edge.label}` : edge.label));
    g.append(label);
  }
  return g;
}

function drawTerminal(node, text) {
  const g = svg("g", { class: `terminal terminal--${node.kind}`, "data-node": node.id });
  g.append(svg("ellipse", { cx: node.x, cy: node.y, rx: node.width / 2, ry: node.height / 2,
                            fill: "#f2f3f3", stroke: "#545b64", "stroke-width": 1.4 }));
  const t = svg("text", { x: node.x, y: node.y, "text-anchor": "middle", dy: "0.35em", "font-size": 12, fill: "#16191f" });
  t.textContent = text;
  g.append(t);
  return g;
}

function drawState(node, ctx) {
  const status = ctx.statuses?.[node.id] ?? "idle";
  const style = STATUS_STYLE[status] ?? STATUS_STYLE.idle;
  const type = node.state.Type;
  const left = node.x - node.width / 2;
  const topY = node.y - node.height / 2;
  const g = svg("g", {
    class: `state state--${String(type).toLowerCase()} status-${status}${ctx.selected === node.id ? " selected" : ""}`,
    "data-state": node.id, "data-type": type, "data-status": status, tabindex: 0, role: "button",
    "aria-label": `${node.id} (${type}): ${style.label}`,
  });
  const nested = node.inner.length > 0;
  g.append(svg("rect", {
    class: "state-box", x: left, y: topY, width: node.width, height: node.height, rx: nested ? 8 : 6,
    fill: nested && status === "idle" ? "#fafafa" : style.fill, stroke: style.stroke,
    "stroke-width": status === "idle" ? 1.2 : 2, "stroke-dasharray": type === "Map" ? "7 4" : null,
  }));
  const nameY = nested ? topY + 15 : node.y - 6;
  const name = svg("text", { class: "state-name", x: node.x, y: nameY, "text-anchor": "middle", dy: "0.35em",
                             "font-size": 13, "font-weight": 600, fill: "#16191f" });
  name.textContent = node.id;
  const sub = svg("text", { class: "state-type", x: node.x, y: nameY + 15, "text-anchor": "middle", dy: "0.35em",
                            "font-size": 11, fill: "#5f6b7a" });
  sub.textContent = nested && type === "Map" ? "Map · iterator" : nested ? `Parallel · ${node.inner.length} branches` : node.subtitle;
  g.append(name, sub, title(`${node.id} — ${type}${status !== "idle" ? ` — ${style.label}` : ""}`));

  const select = (e) => {
    e.stopPropagation();
    ctx.onSelect?.(node.id);
  };
  g.addEventListener("click", select);
  g.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") select(e);
  });

  if (nested) {
    let x = left + (node.width - (node.inner.reduce((w, b) => w + b.width, 0) + BRANCH_GAP * (node.inner.length - 1))) / 2;
    for (const branch of node.inner) {
      const y = topY + HEADER + PAD;
      const frame = svg("g", { class: "branch", transform: `translate(${x},${y})` });
      if (type === "Parallel") {
        frame.append(svg("rect", { x: -6, y: -6, width: branch.width + 12, height: branch.height + 12, rx: 6,
                                   fill: "none", stroke: "#d5dbdb", "stroke-dasharray": "3 3" }));
      }
      drawBranch(frame, branch, ctx);
      g.append(frame);
      x += branch.width + BRANCH_GAP;
    }
  }
  return g;
}

function drawBranch(parent, branch, ctx) {
  const edges = svg("g", { class: "edges" });
  for (const e of branch.edges) edges.append(drawEdge(e, ctx));
  const nodes = svg("g", { class: "nodes" });
  for (const n of branch.nodes) {
    if (n.kind === "start") nodes.append(drawTerminal(n, "Start"));
    else if (n.kind === "end") nodes.append(drawTerminal(n, "End"));
    else nodes.append(drawState(n, ctx));
  }
  parent.append(edges, nodes);
}

// The definition drawn as an <svg>. Options: statuses {state: status} and taken (a Set of
// "from->to") from an execution; selected (a state name); onSelect(name) when a state is
// clicked. The drawing's natural size is its width/height; CSS may scale it.
export function drawStateMachine(definition, { statuses, taken, selected, onSelect, execution = false } = {}) {
  const laid = layoutBranch(definition ?? { States: {} }, { top: true });
  const root = svg("svg", {
    class: "sfn-graph", xmlns: SVG, viewBox: `0 0 ${laid.width} ${laid.height}`,
    width: laid.width, height: laid.height, role: "img", "aria-label": "state machine graph",
    "font-family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
  });
  root.append(markers());
  const ctx = { statuses, taken, selected, onSelect, execution: execution || Boolean(statuses) };
  drawBranch(root, laid, ctx);
  return root;
}

// The drawing in a frame that fits it to the space it has (the default) or shows it at its
// natural size, scrolling, at the press of a button.
export function framed(svgRoot) {
  const frame = document.createElement("div");
  frame.className = "graph-zoom fit";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "small secondary zoom-toggle";
  button.textContent = "Actual size";
  button.addEventListener("click", () => {
    const fit = frame.classList.toggle("fit");
    button.textContent = fit ? "Actual size" : "Fit";
  });
  frame.append(button, svgRoot);
  return frame;
}

// Marks the selected state in a drawn graph without drawing it again.
export function selectState(svgRoot, name) {
  for (const g of svgRoot.querySelectorAll(".state.selected")) g.classList.remove("selected");
  if (name) svgRoot.querySelector(`.state[data-state="${CSS.escape(name)}"]`)?.classList.add("selected");
}

// The colour legend, as AWS shows it above an execution's graph.
export function legend() {
  const el = document.createElement("div");
  el.className = "legend";
  for (const status of ["in_progress", "succeeded", "failed", "caught_error", "cancelled"]) {
    const item = document.createElement("span");
    item.className = `legend-item status-${status}`;
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = STATUS_STYLE[status].fill;
    swatch.style.borderColor = STATUS_STYLE[status].stroke;
    item.append(swatch, STATUS_STYLE[status].label);
    el.append(item);
  }
  return el;
}
