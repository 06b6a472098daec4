"""SNS fan-out to SQS: publish throughput and delivery latency, for 1, 10 and 100 queue subscribers.

    python3 bench/sns.py                      # durable broker (LMDB store in a temp dir)
    python3 bench/sns.py --in-memory          # the same against --in-memory
    BENCH_SECONDS=10 python3 bench/sns.py     # publishing time per throughput run (default 5)

Needs build/wyvern (scripts/build.sh), wrk and boto3 (scripts/setup.sh). Prints one markdown
table. There is no local SNS peer to measure side by side: LocalStack is not installed here, and
the npm SQS peer that bench/run.sh uses has no SNS, so the table has Wyvern's figures only.

For each subscriber count N, a fresh topic gets N queues, each subscribed by SQS subscription.
Two deliveries are measured: raw (RawMessageDelivery=true, the message as published) and
enveloped (the default: SNS's JSON envelope, signed with SHA1withRSA once per message and protocol).
  throughput   wrk publishes 100-byte messages on 16 connections (2 threads) for BENCH_SECONDS.
               publishes/s is what wrk saw acknowledged. Deliveries follow the acknowledgement,
               so the script then polls the queues' ApproximateNumberOfMessages until every
               publish has reached every queue; deliveries/s is all deliveries over the time from
               the first publish to the last delivery (the backlog included), and "drained after"
               is how long the deliveries ran on after publishing stopped.
  latency      one publisher, one Publish at a time; a long-poll receiver per queue (a thread
               with its own keep-alive connection, ReceiveMessage with WaitTimeSeconds=20). The
               latency of a delivery is from just before the Publish request is sent to the
               moment that queue's receiver has the message; the next publish waits until every
               receiver has it and has re-armed its long poll. Received messages are not deleted
               (each queue has a 12-hour visibility timeout), so the queues do no other work.
               p50/p99 are over all deliveries (publishes x N). At N=100 the receivers are 100
               Python threads, so their wake-ups serialize on the client: the figure includes it.
Requests are hand-built HTTP (no SigV4 signing, which Wyvern does not check); setup uses boto3.
Client and server share the machine's cores.
"""
import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

from wyvern_broker import ACCOUNT, REGION, ROOT, Broker

BENCH = os.path.join(ROOT, "bench")
SUBSCRIBERS = (1, 10, 100)
LATENCY_PUBLISHES = {1: 300, 10: 200, 100: 100}
SNS_AUTH = ("AWS4-HMAC-SHA256 Credential=test/20260101/%s/sns/aws4_request, SignedHeaders=host, "
            "Signature=0" % REGION)
SQS_AUTH = SNS_AUTH.replace("/sns/", "/sqs/")


class Http:
    """One keep-alive connection to the broker."""

    def __init__(self, port, timeout=60):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def sqs(self, target, body):
        self.conn.request("POST", "/", json.dumps(body), {
            "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS." + target,
            "Authorization": SQS_AUTH})
        res = self.conn.getresponse()
        data = res.read()
        if res.status != 200:
            raise RuntimeError("%s: %d %s" % (target, res.status, data[:300]))
        return json.loads(data)

    def publish(self, topic_arn, message):
        body = urllib.parse.urlencode({"Action": "Publish", "Version": "2010-03-31", "TopicArn": topic_arn,
                                       "Message": message})
        self.conn.request("POST", "/", body, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                                              "Authorization": SNS_AUTH})
        res = self.conn.getresponse()
        data = res.read()
        if res.status != 200:
            raise RuntimeError("Publish: %d %s" % (res.status, data[:300]))

    def close(self):
        self.conn.close()


def setup(broker, name, n, raw):
    """A topic with n subscribed queues; returns (topic ARN, queue URLs)."""
    conn = Http(broker.port)
    conn.conn.request("POST", "/_wyvern/reset", "{}")
    conn.conn.getresponse().read()
    topic = broker.sns.create_topic(Name=name)["TopicArn"]
    urls = []
    for i in range(n):
        queue = "%s-%03d" % (name, i)
        urls.append(broker.sqs.create_queue(QueueName=queue, Attributes={"VisibilityTimeout": "43200"})["QueueUrl"])
        broker.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint="arn:aws:sqs:%s:%s:%s" % (REGION, ACCOUNT, queue),
                             Attributes={"RawMessageDelivery": "true" if raw else "false"})
    conn.close()
    return topic, urls


def queued(conn, urls):
    return sum(int(conn.sqs("GetQueueAttributes", {"QueueUrl": u, "AttributeNames": ["ApproximateNumberOfMessages"]})
                   ["Attributes"]["ApproximateNumberOfMessages"]) for u in urls)


def throughput(broker, n, raw, seconds):
    topic, urls = setup(broker, "tput-%d" % n, n, raw)
    env = dict(os.environ, TOPIC_ARN=topic)
    started = time.monotonic()
    out = subprocess.run(["wrk", "-t2", "-c16", "-d%ds" % seconds, "--timeout", "30s",
                          "-s", os.path.join(BENCH, "lua", "publish.lua"), broker.endpoint + "/"],
                         env=env, capture_output=True, text=True, check=True).stdout
    published_at = time.monotonic()
    rps = float(next(l.split()[1] for l in out.splitlines() if l.startswith("Requests/sec")))
    acknowledged, errors = map(int, next(l.split()[1:] for l in out.splitlines() if l.startswith("PUBLISHED")))
    if errors:
        raise RuntimeError("wrk saw %d errors:\n%s" % (errors, out))
    # Requests still in flight when wrk stopped may have been published without being counted,
    # so the total settles at >= acknowledged x n; it is final once it has stopped moving.
    conn = Http(broker.port)
    last, last_change = -1, published_at
    while True:
        total = queued(conn, urls)
        now = time.monotonic()
        if total != last:
            last, last_change = total, now
        elif total >= acknowledged * n and now - last_change > 1.0:
            break
        if now - last_change > 60:
            raise RuntimeError("deliveries stalled at %d of >= %d" % (total, acknowledged * n))
        time.sleep(0.05)
    conn.close()
    return {"publishes": rps, "deliveries": last / (last_change - started),
            "drained_after": max(0.0, last_change - published_at)}


def latency(broker, n, raw, publishes):
    topic, urls = setup(broker, "lat-%d" % n, n, raw)
    lock = threading.Condition()
    received = {}  # publish index -> [receive times]
    armed = [0]
    stop = threading.Event()

    def receiver(url):
        conn = Http(broker.port)
        while not stop.is_set():
            with lock:
                armed[0] += 1
                lock.notify_all()
            got = conn.sqs("ReceiveMessage", {"QueueUrl": url, "WaitTimeSeconds": 2 if stop.is_set() else 20,
                                              "MaxNumberOfMessages": 10})
            now = time.monotonic()
            with lock:
                armed[0] -= 1
                for m in got.get("Messages", []):
                    body = m["Body"] if raw else json.loads(m["Body"])["Message"]
                    received.setdefault(int(body.split(":", 1)[0]), []).append(now)
                lock.notify_all()
        conn.close()

    threads = [threading.Thread(target=receiver, args=(u,), daemon=True) for u in urls]
    for t in threads:
        t.start()
    publisher = Http(broker.port)
    samples = []
    for k in range(publishes):
        with lock:  # every receiver is parked in (or about to send) its long poll
            if not lock.wait_for(lambda: armed[0] == n, timeout=30):
                raise RuntimeError("receivers did not re-arm")
        time.sleep(0.002)
        sent = time.monotonic()
        publisher.publish(topic, "%d:%s" % (k, "d" * 96))
        with lock:
            if not lock.wait_for(lambda: len(received.get(k, ())) >= n, timeout=30):
                raise RuntimeError("publish %d reached %d of %d queues" % (k, len(received.get(k, ())), n))
            samples += [(t - sent) * 1000 for t in received[k]]
    stop.set()
    publisher.publish(topic, "%d:%s" % (publishes, "wake"))  # ends the parked long polls
    for t in threads:
        t.join(timeout=30)
    publisher.close()
    samples.sort()
    return {"p50": statistics.median(samples), "p99": samples[min(len(samples) - 1, int(len(samples) * 0.99))]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--in-memory", action="store_true", help="run the broker --in-memory")
    args = parser.parse_args()
    seconds = int(os.environ.get("BENCH_SECONDS", "5"))
    broker = Broker(args.in_memory, clients=("sns", "sqs"))
    rows = []
    try:
        for raw in (True, False):
            for n in SUBSCRIBERS:
                lat = latency(broker, n, raw, LATENCY_PUBLISHES[n])
                tput = throughput(broker, n, raw, seconds)
                rows.append((n, raw, tput, lat))
                print("# measured %d subscribers, %s" % (n, "raw" if raw else "enveloped"), file=sys.stderr)
    finally:
        broker.stop()
    store = "--in-memory" if args.in_memory else "durable (LMDB + journal, temp dir)"
    print("Wyvern %s, %d cores; %d s of publishing per throughput run. No local SNS peer is "
          "installed (LocalStack is not available), so there is no comparison column."
          % (store, os.cpu_count(), seconds))
    print()
    print("| SQS subscribers | delivery | publishes/s (16 publishers) | deliveries/s | drained after | "
          "latency p50 ms | latency p99 ms |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for n, raw, tput, lat in rows:
        print("| %d | %s | {:,.0f} | {:,.0f} | %.1f s | %.2f | %.2f |".format(tput["publishes"], tput["deliveries"])
              % (n, "raw" if raw else "enveloped (signed)", tput["drained_after"], lat["p50"], lat["p99"]))


if __name__ == "__main__":
    main()
