"""State transitions per second in Wyvern's Step Functions: an Express Choice + Pass loop run
by StartSyncExecution, and durable Standard executions of the same loop started together
(aggregate). Prints a markdown table. Usage: python3 bench/sfn.py [iterations-per-run]

The loop counts to N: each round is one Pass (States.MathAdd) and one Choice, so a run makes
2N + 1 transitions. Durable runs commit each run of side-effect-free states once, as the
design allows, so the figure counts transitions, not commits."""
import json
import os
import subprocess
import sys
import tempfile
import time

import boto3
import botocore.config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
LOOP = {"StartAt": "Count", "States": {
    "Count": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)", "n.$": "$.n"}, "Next": "More?"},
    "More?": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericLessThanPath": "$.n", "Next": "Count"}],
              "Default": "Done"},
    "Done": {"Type": "Succeed"}}}


def main():
    data = tempfile.mkdtemp(prefix="wyvern-bench-")
    proc = subprocess.Popen([os.path.join(ROOT, "build", "wyvern"), "--port", "0", "--data-dir", data],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(proc.stdout.readline().split("http://", 1)[1].split()[0].rsplit(":", 1)[1])
    cfg = botocore.config.Config(inject_host_prefix=False, read_timeout=300, retries={"max_attempts": 1})
    sfn = boto3.client("stepfunctions", endpoint_url="http://localhost:%d" % port, region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="x", config=cfg)
    role = "arn:aws:iam::000000000000:role/bench"
    rows = []
    try:
        express = sfn.create_state_machine(name="loop-express", type="EXPRESS", roleArn=role,
                                           definition=json.dumps(LOOP))["stateMachineArn"]
        transitions = 2 * N + 1
        runs = 5
        started = time.monotonic()
        for _ in range(runs):
            out = sfn.start_sync_execution(stateMachineArn=express, input=json.dumps({"i": 0, "n": N}))
            assert out["status"] == "SUCCEEDED", out
        elapsed = time.monotonic() - started
        rows.append(("Express, StartSyncExecution, one at a time", runs * transitions / elapsed))

        standard = sfn.create_state_machine(name="loop-standard", roleArn=role,
                                            definition=json.dumps(LOOP))["stateMachineArn"]
        runs, n = 20, N // 5
        started = time.monotonic()
        arns = [sfn.start_execution(stateMachineArn=standard, input=json.dumps({"i": 0, "n": n}))["executionArn"]
                for _ in range(runs)]
        for arn in arns:
            while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
                time.sleep(0.01)
        elapsed = time.monotonic() - started
        rows.append(("Standard (durable), %d executions started together" % runs, runs * (2 * n + 1) / elapsed))
    finally:
        proc.terminate()
        proc.wait()
    print("| Step Functions loop (Choice + Pass), %d rounds a run | transitions/s |" % N)
    print("| --- | --- |")
    for name, rate in rows:
        print("| %s | %d |" % (name, rate))


if __name__ == "__main__":
    main()
