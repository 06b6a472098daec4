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
import subprocess
import time

from wyvern_broker import ACCOUNT, REGION, ROOT, Broker

SCENARIOS = [(1, 1), (10, 1), (10, 1000)]  # (entries per PutEvents, rules on the bus)


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
    broker = Broker(args.in_memory, clients=("events", "sqs"))
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
