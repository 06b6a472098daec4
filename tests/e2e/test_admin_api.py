"""The admin JSON API under /_wyvern/api/ on its own: the views the console draws (queues with
counts and dead-letter links, topics with subscriptions and filter policies, buses with rules
and targets, state machines with execution counts, an execution with its history and each
state's status) and its actions (send, purge, redrive, test a pattern, start an execution,
answer a task token), with resources made through boto3."""
import json
import os
import queue
import shutil
import socket
import tempfile
import threading
import urllib.error
import urllib.request

import boto3
import botocore.config

from harness import ACCOUNT, REGION, Broker, BrokerTestCase, sfn_client

ROLE = "arn:aws:iam::%s:role/wyvern" % ACCOUNT


def queue_arn(name):
    return "arn:aws:sqs:%s:%s:%s" % (REGION, ACCOUNT, name)


class AdminApi(BrokerTestCase):
    def setUp(self):
        super().setUp()
        self.sfn = sfn_client(self.broker)

    def api(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.broker.endpoint + "/_wyvern/api" + path, data=data, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as res:
                return res.status, json.loads(res.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def get(self, path):
        status, body = self.api("GET", path)
        self.assertEqual(status, 200, body)
        return body

    def test_queues_show_counts_and_dead_letter_links(self):
        self.sqs.create_queue(QueueName="lost")
        url = self.sqs.create_queue(QueueName="eggs", Attributes={"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": queue_arn("lost"), "maxReceiveCount": 2})})["QueueUrl"]
        for body in ("a", "b"):
            self.sqs.send_message(QueueUrl=url, MessageBody=body)
        self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)
        queues = {q["name"]: q for q in self.get("/queues")}
        self.assertEqual((queues["eggs"]["visible"], queues["eggs"]["in_flight"], queues["eggs"]["delayed"]), (1, 1, 0))
        self.assertEqual((queues["eggs"]["dead_letter_target"], queues["eggs"]["max_receive_count"]),
                         (queue_arn("lost"), 2))
        self.assertEqual(queues["lost"]["redrive_sources"], ["eggs"])
        peeked = self.get("/queues/eggs/messages")
        self.assertEqual([(m["body"], m["state"], m["receive_count"]) for m in peeked],
                         [("a", "in_flight", 1), ("b", "visible", 0)])
        self.assertEqual([m["state"] for m in self.get("/queues/eggs/messages?limit=1")], ["in_flight"])
        # Looking changed nothing: the visible one is still unreceived.
        self.assertEqual(self.get("/queues/eggs/messages")[1]["receive_count"], 0)
        self.assertEqual(self.api("GET", "/queues/nowhere/messages")[0], 400)
        status, sent = self.api("POST", "/queues/eggs/messages", {"body": {"dragon": "Smaug"}})
        self.assertEqual(status, 200, sent)
        self.assertIn("MessageId", sent)
        self.assertEqual({q["name"]: q for q in self.get("/queues")}["eggs"]["visible"], 2)
        self.assertEqual(self.api("POST", "/queues/eggs/purge", {})[0], 200)
        status, missing = self.api("POST", "/queues/nowhere/messages", {"body": "x"})
        self.assertEqual((status, missing["error"]["code"]), (400, "QueueDoesNotExist"))

    def test_topics_show_subscriptions_and_filter_policies(self):
        sns = self.broker.sns()
        topic = sns.create_topic(Name="alerts", Attributes={"DisplayName": "Alerts"})["TopicArn"]
        self.sqs.create_queue(QueueName="red")
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn("red"),
                      Attributes={"RawMessageDelivery": "true", "FilterPolicy": json.dumps({"colour": ["red"]})})
        [shown] = self.get("/topics")
        self.assertEqual((shown["name"], shown["display_name"], shown["fifo"]), ("alerts", "Alerts", False))
        [sub] = shown["subscriptions"]
        self.assertEqual((sub["protocol"], sub["endpoint"], sub["confirmed"], sub["raw"], sub["filter_policy"],
                          sub["filter_policy_scope"]),
                         ("sqs", queue_arn("red"), True, True, {"colour": ["red"]}, "MessageAttributes"))
        self.assertEqual(sub["delivery"], {"delivered": 0, "retried": 0, "failed": 0, "last_at": None, "last_error": None})
        # Deliveries are counted per subscription: one to the queue, one to a queue that is gone.
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn("gone"))
        sns.publish(TopicArn=topic, Message="fire", MessageAttributes={"colour": {"DataType": "String", "StringValue": "red"}})
        sns.publish(TopicArn=topic, Message="ice", MessageAttributes={"colour": {"DataType": "String", "StringValue": "blue"}})
        subs = {s["endpoint"]: s["delivery"] for s in self.get("/topics")[0]["subscriptions"]}
        self.assertEqual((subs[queue_arn("red")]["delivered"], subs[queue_arn("red")]["failed"]), (1, 0))
        self.assertEqual((subs[queue_arn("gone")]["delivered"], subs[queue_arn("gone")]["failed"]), (0, 2))
        self.assertEqual(subs[queue_arn("gone")]["last_error"], "The specified queue does not exist.")
        self.assertRegex(subs[queue_arn("gone")]["last_at"], r"^\d{4}-")

    def test_buses_show_rules_with_patterns_and_targets_and_patterns_can_be_tried(self):
        events = boto3.client("events", endpoint_url=self.broker.endpoint, region_name=REGION,
                              aws_access_key_id="test", aws_secret_access_key="test",
                              config=botocore.config.Config(retries={"max_attempts": 1}))
        events.create_event_bus(Name="dragons")
        events.put_rule(Name="seen", EventBusName="dragons", EventPattern=json.dumps({"source": ["dragons"]}))
        events.put_targets(Rule="seen", EventBusName="dragons", Targets=[{"Id": "q", "Arn": queue_arn("x")}])
        buses = {b["name"]: b for b in self.get("/buses")}
        self.assertEqual(buses["default"]["rules"], [])
        [rule] = buses["dragons"]["rules"]
        self.assertEqual((rule["name"], rule["state"], rule["pattern"], rule["targets"][0]["Id"]),
                         ("seen", "ENABLED", {"source": ["dragons"]}, "q"))
        event = {"id": "1", "account": ACCOUNT, "source": "dragons", "time": "2026-01-01T00:00:00Z",
                 "region": REGION, "resources": [], "detail-type": "Sighting", "detail": {}}
        self.assertEqual(self.api("POST", "/test-pattern", {"event": event, "pattern": {"source": ["dragons"]}}),
                         (200, {"Result": True}))
        self.assertEqual(self.api("POST", "/test-pattern", {"event": event, "pattern": {"source": ["wyverns"]}}),
                         (200, {"Result": False}))
        status, refused = self.api("POST", "/test-pattern", {"event": event, "pattern": {"source": "dragons"}})
        self.assertEqual((status, refused["error"]["code"]), (400, "InvalidEventPatternException"))

    def test_an_execution_shows_its_history_and_each_states_status(self):
        url = self.sqs.create_queue(QueueName="tokens")["QueueUrl"]
        definition = {"StartAt": "Check", "States": {
            "Check": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:unbound",
                      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Ask"}],
                      "End": True},
            "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "Parameters": {"QueueUrl": url, "MessageBody": {"token.$": "$$.Task.Token"}}, "Next": "Done"},
            "Done": {"Type": "Fail", "Error": "Dragon.Gone", "Cause": "flew away"}}}
        self.sfn.create_state_machine(name="watch", roleArn=ROLE, definition=json.dumps(definition))
        status, started = self.api("POST", "/executions", {"stateMachine": "watch", "input": {"egg": 1}, "name": "one"})
        self.assertEqual(status, 200, started)
        arn = started["executionArn"]
        token = json.loads(self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"][0]["Body"])["token"]
        shown = self.get("/executions/" + arn)
        self.assertEqual(shown["execution"]["status"], "RUNNING")
        self.assertEqual(shown["states"], {"Check": "caught_error", "Ask": "in_progress"})
        [pending] = shown["pending_tasks"]
        self.assertEqual((pending["state"], pending["token"], pending["kind"], pending["resource"]),
                         ("Ask", token, "callback", "arn:aws:states:::sqs:sendMessage.waitForTaskToken"))
        self.assertEqual(shown["definition"]["StartAt"], "Check")
        self.assertEqual(shown["history"][0]["type"], "ExecutionStarted")
        self.assertEqual(self.api("POST", "/tasks/success", {"token": token, "output": {"ok": True}})[0], 200)
        shown = self.get("/executions/" + arn)
        self.assertEqual(shown["execution"]["status"], "FAILED")
        self.assertEqual(shown["pending_tasks"], [])
        self.assertEqual(shown["states"], {"Check": "caught_error", "Ask": "succeeded", "Done": "failed"})
        [machine] = self.get("/state-machines")
        self.assertEqual((machine["name"], machine["type"], machine["executions"]["FAILED"]), ("watch", "STANDARD", 1))
        self.assertEqual([e["name"] for e in self.get("/executions?stateMachine=watch&status=FAILED")], ["one"])
        self.assertEqual(self.get("/executions?stateMachine=watch&status=RUNNING"), [])
        status, refused = self.api("POST", "/tasks/failure", {"token": token, "error": "Late"})
        self.assertEqual((status, refused["error"]["code"]), (400, "TaskTimedOut"))

    def test_a_bus_shows_its_recent_events_with_the_rules_each_matched(self):
        events = boto3.client("events", endpoint_url=self.broker.endpoint, region_name=REGION,
                              aws_access_key_id="test", aws_secret_access_key="test",
                              config=botocore.config.Config(retries={"max_attempts": 1}))
        self.sqs.create_queue(QueueName="sightings")
        events.create_event_bus(Name="dragons")
        for name, pattern in (("red", {"detail": {"colour": ["red"]}}), ("any", {"source": ["dragons"]}),
                              ("off", {"source": ["dragons"]})):
            events.put_rule(Name=name, EventBusName="dragons", EventPattern=json.dumps(pattern))
            events.put_targets(Rule=name, EventBusName="dragons", Targets=[{"Id": "q", "Arn": queue_arn("sightings")}])
        events.disable_rule(Name="off", EventBusName="dragons")
        for colour in ("red", "green"):
            events.put_events(Entries=[{"EventBusName": "dragons", "Source": "dragons", "DetailType": "Sighting",
                                        "Detail": json.dumps({"colour": colour})}])
        recent = self.get("/buses/dragons/events")
        self.assertEqual([(e["event"]["detail"]["colour"], sorted(e["matched_rules"])) for e in recent],
                         [("green", ["any"]), ("red", ["any", "red"])])
        self.assertEqual(recent[0]["event"]["detail-type"], "Sighting")
        self.assertRegex(recent[0]["time"], r"^\d{4}-\d\d-\d\dT")
        self.assertEqual(self.get("/buses/default/events"), [])
        status, refused = self.api("GET", "/buses/griffins/events")
        self.assertEqual((status, refused["error"]["code"]), (400, "ResourceNotFoundException"))

    def open_stream(self):
        """Reads /_wyvern/api/stream's snapshots on a thread; returns their queue."""
        host, port = self.broker.endpoint.split("//")[1].split(":")
        sock = socket.create_connection((host, int(port)), timeout=10)
        self.addCleanup(sock.close)
        sock.sendall(b"GET /_wyvern/api/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        reader = sock.makefile("rb")
        self.addCleanup(reader.close)
        head = []
        while (line := reader.readline().decode()) not in ("\r\n", ""):
            head.append(line.strip())
        snapshots = queue.Queue()

        def read():
            data = None
            try:
                for raw in reader:
                    line = raw.decode().rstrip("\n")
                    if line.startswith("data: "):
                        data = json.loads(line[6:])
                    elif line == "" and data is not None:
                        snapshots.put(data)
                        data = None
            except (OSError, ValueError):
                pass
        threading.Thread(target=read, daemon=True).start()
        return head, snapshots

    def next_snapshot_where(self, snapshots, condition):
        while True:
            snapshot = snapshots.get(timeout=10)  # the broker pushes within 250 ms of a change
            if condition(snapshot):
                return snapshot

    def test_the_stream_pushes_a_snapshot_on_connect_and_whenever_something_moves(self):
        url = self.sqs.create_queue(QueueName="eggs")["QueueUrl"]
        head, snapshots = self.open_stream()
        self.assertEqual(head[0], "HTTP/1.1 200 OK")
        self.assertIn("Content-Type: text/event-stream", head)
        first = snapshots.get(timeout=10)
        self.assertEqual(first["queues"]["eggs"], {"visible": 0, "in_flight": 0, "delayed": 0})
        self.assertEqual(set(first), {"queues", "state_machines", "running", "buses", "outbox", "clock"})
        self.assertEqual(set(first["clock"]), {"offset_ms"})
        self.sqs.send_message(QueueUrl=url, MessageBody="one")
        self.next_snapshot_where(snapshots, lambda s: s["queues"]["eggs"]["visible"] == 1)
        self.sqs.receive_message(QueueUrl=url)
        self.next_snapshot_where(snapshots, lambda s: s["queues"]["eggs"] == {"visible": 0, "in_flight": 1, "delayed": 0})
        offset = first["clock"]["offset_ms"]
        self.broker.advance(60)
        moved = self.next_snapshot_where(snapshots, lambda s: s["clock"]["offset_ms"] == offset + 60000)
        self.assertEqual(moved["queues"]["eggs"]["visible"], 1)  # the visibility timeout lapsed
        # An execution shows as running, with its progress, until it ends.
        definition = {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 5, "End": True}}}
        arn = self.sfn.create_state_machine(name="nap", roleArn=ROLE, definition=json.dumps(definition))["stateMachineArn"]
        execution = self.sfn.start_execution(stateMachineArn=arn)["executionArn"]
        running = self.next_snapshot_where(snapshots, lambda s: execution in s["running"])
        self.assertEqual(running["state_machines"]["nap"]["RUNNING"], 1)
        self.broker.advance(5)
        done = self.next_snapshot_where(snapshots, lambda s: s["state_machines"]["nap"]["SUCCEEDED"] == 1)
        self.assertEqual(done["running"], {})

    def test_the_console_is_served_from_its_built_files_or_says_how_to_build_them(self):
        request = urllib.request.Request(self.broker.endpoint + "/_wyvern/console")
        opener = urllib.request.build_opener(type("NoRedirect", (urllib.request.HTTPRedirectHandler,),
                                                  {"redirect_request": lambda *a, **k: None}))
        with self.assertRaises(urllib.error.HTTPError) as moved:
            opener.open(request, timeout=10)
        self.assertEqual((moved.exception.code, moved.exception.headers["Location"]), (301, "/_wyvern/console/"))
        built = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, built)
        with open(os.path.join(built, "index.html"), "w") as f:
            f.write("<!doctype html><title>console</title>")
        with open(os.path.join(built, "main.js"), "w") as f:
            f.write("console.log('hi')")
        missing = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, missing)
        broker = Broker(extra_args=["--console-dir", built]).start()
        self.addCleanup(broker.stop)
        with urllib.request.urlopen(broker.endpoint + "/_wyvern/console/", timeout=10) as res:
            self.assertEqual((res.status, res.headers["Content-Type"]), (200, "text/html; charset=utf-8"))
            self.assertIn(b"<title>console</title>", res.read())
        with urllib.request.urlopen(broker.endpoint + "/_wyvern/console/main.js", timeout=10) as res:
            self.assertEqual(res.headers["Content-Type"], "text/javascript; charset=utf-8")
        for path in ("/_wyvern/console/nothing.js", "/_wyvern/console/../broker.h", "/_wyvern/console/.hidden"):
            with self.assertRaises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(broker.endpoint + path, timeout=10)
            self.assertEqual(refused.exception.code, 404, path)
        # Not built: the page says how to build it.
        unbuilt = Broker(extra_args=["--console-dir", missing]).start()
        self.addCleanup(unbuilt.stop)
        with self.assertRaises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(unbuilt.endpoint + "/_wyvern/console/", timeout=10)
        self.assertEqual(refused.exception.code, 404)
        self.assertIn(b"npm run build", refused.exception.read())

    def test_unknown_views_and_actions(self):
        self.assertEqual(self.api("GET", "/griffins")[0], 404)
        self.assertEqual(self.api("POST", "/griffins", {})[0], 404)
        self.assertEqual(self.api("DELETE", "/queues")[0], 405)


if __name__ == "__main__":
    import unittest
    unittest.main()
