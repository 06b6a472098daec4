"""EventBridge end to end: PutEvents to an SQS target through rules, on a durable broker.

    python3 bench/events.py                  # durable broker (LMDB store in a temp dir)
    python3 bench/events.py --in-memory      # the same against --in-memory
    BENCH_SECONDS=10 python3 bench/events.py # PutEvents time per run (default 5)

Needs build/wyvern, wrk and boto3 (scripts/setup.sh). For each scenario the default bus gets
R rules of which exactly one matches the events (the others differ in the source they want,
the common shape of a real bus); the matching rule targets one SQS queue. wrk sends PutEvents
(1 or 10 entries a request) on 16 connections for BENCH_SECONDS; the script then waits until the
queue holds every accepted event. events/s is accepted events over the time from the first
PutEvents to the last delivery. The per-event matching cost alone is measured by
build/bench/bench_event_rules (RuleSet, no HTTP). No local EventBridge peer is installed here,
so there is no comparison column.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

import boto3
import botocore.config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGION, ACCOUNT = "us-east-1", "000000000000"
SCENARIOS = [(1, 1), (10, 1), (10, 1000)]  # (entries per PutEvents, rules on the bus)


class Broker:
    def __init__(self, in_memory):
        self.data = None if in_memory else tempfile.mkdtemp(prefix="wyvern-bench-events-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        args = [os.path.join(ROOT, "build", "wyvern"), "--port", str(self.port), "--log-level", "warn"]
        args += ["--in-memory"] if in_memory else ["--data-dir", self.data]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.endpoint = "http://127.0.0.1:%d" % self.port
        for _ in range(200):
            try:
                urllib.request.urlopen(self.endpoint + "/_wyvern/health", timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("the broker did not start")
        cfg = botocore.config.Config(retries={"max_attempts": 1}, read_timeout=60)
        kw = dict(endpoint_url=self.endpoint, region_name=REGION, aws_access_key_id="x",
                  aws_secret_access_key="x", config=cfg)
        self.events = boto3.client("events", **kw)
        self.sqs = boto3.client("sqs", **kw)

    def reset(self):
        req = urllib.request.Request(self.endpoint + "/_wyvern/reset", data=b"{}", method="POST")
        urllib.request.urlopen(req, timeout=30).read()

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        if self.data:
            shutil.rmtree(self.data, ignore_errors=True)


def run(broker, entries, rules, seconds):
    broker.reset()
    url = broker.sqs.create_queue(QueueName="orders")["QueueUrl"]
    for i in range(rules - 1):
        broker.events.put_rule(Name="other-%04d" % i, EventPattern=json.dumps({"source": ["shop.other-%d" % i]}))
    broker.events.put_rule(Name="orders", EventPattern=json.dumps(
        {"source": ["shop.orders"], "detail-type": ["OrderPlaced"]}))
    broker.events.put_targets(Rule="orders", Targets=[
        {"Id": "q", "Arn": "arn:aws:sqs:%s:%s:orders" % (REGION, ACCOUNT)}])
    env = dict(os.environ, ENTRIES=str(entries))
    start = time.monotonic()
    out = subprocess.run(["wrk", "-t2", "-c16", "-d%ds" % seconds, "-s",
                          os.path.join(ROOT, "bench", "lua", "put_events.lua"), broker.endpoint + "/"],
                         capture_output=True, text=True, env=env, check=True).stdout
    requests, errors = next(map(int, l.split()[1:3]) for l in out.splitlines() if l.startswith("PUT "))
    accepted = (requests - errors) * entries
    while True:
        n = int(broker.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
                ["Attributes"]["ApproximateNumberOfMessages"])
        if n >= accepted:
            break
        time.sleep(0.05)
    elapsed = time.monotonic() - start
    return requests / seconds, accepted / elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--in-memory", action="store_true")
    args = parser.parse_args()
    seconds = int(os.environ.get("BENCH_SECONDS", "5"))
    broker = Broker(args.in_memory)
    rows = []
    try:
        for entries, rules in SCENARIOS:
            rows.append((entries, rules) + run(broker, entries, rules, seconds))
            print("# measured %d entries, %d rules" % (entries, rules), flush=True)
    finally:
        broker.stop()
    store = "--in-memory" if args.in_memory else "durable (LMDB + journal, temp dir)"
    print("Wyvern %s, 2 cores; %d s of PutEvents per run. No local EventBridge peer is installed, "
          "so there is no comparison column.\n" % (store, seconds))
    print("| entries per PutEvents | rules on the bus | PutEvents requests/s | events delivered to SQS/s |")
    print("| --- | --- | --- | --- |")
    for entries, rules, rps, eps in rows:
        print("| %d | %d | %s | %s |" % (entries, rules, format(int(rps), ","), format(int(eps), ",")))


if __name__ == "__main__":
    main()
