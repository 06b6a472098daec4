"""The AWS CLIs against Wyvern's EventBridge, read back through its SQS and SNS: Debian's AWS
CLI 2.9 (/usr/bin/aws) and the AWS CLI v1 first on PATH. EventBridge speaks AWS JSON 1.1 in both.

Each test goes the way the EventBridge tutorials go: a rule with an event pattern, a target, an
event put on the bus, and a look at what the target received. Deliveries follow the PutEvents
call, so queues are read with long polls; schedules fire on the broker's virtual clock, moved
on by the test, never by waiting. API destinations call an HTTP server the test runs on
127.0.0.1 (test_events_api_destinations.Endpoint).
"""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import Broker
from test_events_api_destinations import Endpoint

CLIS = {"2.9": "/usr/bin/aws", "v1": shutil.which("aws")}
# What each CLI exits with when the service answered with an error.
SERVICE_ERROR_EXIT = {"2.9": 254, "v1": 255}
ACCOUNT = "000000000000"
REGION = "us-east-1"


def queue_arn(name):
    return "arn:aws:sqs:%s:%s:%s" % (REGION, ACCOUNT, name)


ROLE = "arn:aws:iam::%s:role/events-invoke" % ACCOUNT
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def rule_arn(name, bus=None):
    return "arn:aws:events:%s:%s:rule/%s" % (REGION, ACCOUNT, name if bus is None else bus + "/" + name)


class CliMixin:
    cli = None

    @classmethod
    def setUpClass(cls):
        cls.broker = Broker().start()
        # AWS CLI v1 fetches any parameter value that starts with http:// or https:// and sends
        # what it got instead (an API destination's --invocation-endpoint among them); its
        # documented way out is cli_follow_urlparam = false. AWS CLI v2 no longer fetches them.
        cls.config = tempfile.NamedTemporaryFile(mode="w", prefix="wyvern-cli-", suffix=".ini")
        cls.config.write("[default]\ncli_follow_urlparam = false\n")
        cls.config.flush()

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()
        cls.config.close()

    def setUp(self):
        self.broker.admin("reset", {})

    def run_cli(self, service, *args, debug=False):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_DEFAULT_REGION=REGION, AWS_PAGER="", AWS_CONFIG_FILE=self.config.name,
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        cmd = [CLIS[self.cli], "--endpoint-url", self.broker.endpoint, "--output", "json"]
        cmd += ["--debug"] if debug else []
        return subprocess.run(cmd + [service] + list(args), capture_output=True, text=True, env=env,
                              timeout=120)

    def ok(self, service, *args):
        proc = self.run_cli(service, *args)
        if proc.returncode != 0:
            self.fail("aws %s %s failed: %s" % (service, " ".join(args), proc.stderr[-2000:]))
        return json.loads(proc.stdout) if proc.stdout.strip() else {}

    def events(self, *args):
        return self.ok("events", *args)

    def sqs(self, *args):
        return self.ok("sqs", *args)

    def sns(self, *args):
        return self.ok("sns", *args)

    def service_error(self, *args):
        """Runs an events command that must fail; returns its stderr."""
        proc = self.run_cli("events", *args)
        self.assertEqual(proc.returncode, SERVICE_ERROR_EXIT[self.cli], proc.stderr)
        self.assertEqual(proc.stdout.strip(), "")
        return proc.stderr

    def queue(self, name, *attributes):
        """Creates a queue; returns (url, arn)."""
        args = ["create-queue", "--queue-name", name]
        if attributes:
            args += ["--attributes", ",".join(attributes)]
        return self.sqs(*args)["QueueUrl"], queue_arn(name)

    def rule(self, name, pattern, *args):
        return self.events("put-rule", "--name", name, "--event-pattern", json.dumps(pattern), *args)["RuleArn"]

    def targets(self, rule, targets, *args):
        out = self.events("put-targets", "--rule", rule, "--targets", json.dumps(targets), *args)
        self.assertEqual(out, {"FailedEntryCount": 0, "FailedEntries": []})

    def put_events(self, *entries):
        out = self.events("put-events", "--entries", json.dumps(list(entries)))
        self.assertEqual(out["FailedEntryCount"], 0, out)
        return [e["EventId"] for e in out["Entries"]]

    def receive(self, url, count, wait_for=20, delete=False):
        """Long-polls `url` until `count` messages have arrived (or `wait_for` seconds pass).
        `delete`: delete what arrives (a FIFO group holds back the rest while one is in flight)."""
        got = []
        deadline = time.monotonic() + wait_for
        while len(got) < count and time.monotonic() < deadline:
            batch = self.sqs("receive-message", "--queue-url", url, "--max-number-of-messages", "10",
                             "--wait-time-seconds", "2", "--attribute-names", "All",
                             "--message-attribute-names", "All").get("Messages", [])
            for m in batch:
                if delete:
                    self.sqs("delete-message", "--queue-url", url, "--receipt-handle", m["ReceiptHandle"])
            got += batch
        return got

    def assert_empty(self, url):
        self.assertNotIn("Messages", self.sqs("receive-message", "--queue-url", url,
                                              "--wait-time-seconds", "1"))

    def test_the_cli_speaks_json_1_1_to_eventbridge(self):
        proc = self.run_cli("events", "list-rules", debug=True)
        self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
        self.assertEqual(json.loads(proc.stdout), {"Rules": []})
        for sign in ("application/x-amz-json-1.1", "AWSEvents.ListRules"):
            self.assertIn(sign, proc.stderr, "%r not in the --debug output" % sign)

    def test_a_rule_routes_matching_events_to_a_queue(self):
        url, arn = self.queue("sightings")
        pattern = {"source": ["app.sightings"], "detail": {"colour": ["red", "green"]}}
        self.assertEqual(self.rule("dragons", pattern, "--description", "red and green ones"),
                         rule_arn("dragons"))
        self.targets("dragons", [{"Id": "sightings-queue", "Arn": arn}])
        out = self.events("put-events", "--entries", json.dumps([
            {"Source": "app.sightings", "DetailType": "Sighting", "Time": "2026-01-02T03:04:05Z",
             "Resources": ["arn:aws:xyz:::cave/1"], "Detail": json.dumps({"colour": "red", "wings": 2})},
            {"Source": "app.sightings", "DetailType": "Sighting", "Detail": json.dumps({"colour": "blue"})},
            {"Source": "app.other", "DetailType": "Sighting", "Detail": json.dumps({"colour": "red"})},
        ]))
        self.assertEqual(out["FailedEntryCount"], 0)
        self.assertEqual(len(out["Entries"]), 3)
        ids = [e["EventId"] for e in out["Entries"]]
        self.assertEqual(len(set(ids)), 3)

        [message] = self.receive(url, 1)
        event = json.loads(message["Body"])
        # The envelope EventBridge wraps every event in, its fields in AWS's order.
        self.assertEqual(list(event), ["version", "id", "detail-type", "source", "account", "time",
                                       "region", "resources", "detail"])
        self.assertEqual(event, {"version": "0", "id": ids[0], "detail-type": "Sighting",
                                 "source": "app.sightings", "account": ACCOUNT,
                                 "time": "2026-01-02T03:04:05Z", "region": REGION,
                                 "resources": ["arn:aws:xyz:::cave/1"],
                                 "detail": {"colour": "red", "wings": 2}})
        # The blue one and the one from another source matched nothing.
        self.assert_empty(url)

    def test_a_fifo_queue_target_takes_its_message_group_from_sqs_parameters(self):
        # EventBridge's SqsParameters: "If you specify an SQS FIFO queue as a target, the queue
        # must have content-based deduplication enabled."
        url, arn = self.queue("orders.fifo", "FifoQueue=true", "ContentBasedDeduplication=true")
        self.rule("orders", {"source": ["shop"]})
        self.targets("orders", [{"Id": "fifo", "Arn": arn, "SqsParameters": {"MessageGroupId": "orders"}}])
        self.put_events(*[{"Source": "shop", "DetailType": "Order", "Detail": json.dumps({"n": n})}
                          for n in range(1, 6)])
        got = self.receive(url, 5, delete=True)
        self.assertEqual([json.loads(m["Body"])["detail"]["n"] for m in got], [1, 2, 3, 4, 5])
        self.assertEqual({m["Attributes"]["MessageGroupId"] for m in got}, {"orders"})
        self.assert_empty(url)

    def test_a_fifo_queue_target_needs_sqs_parameters(self):
        # AWS refuses a FIFO queue target without SqsParameters with ValidationException "Parameter(s) SqsParameters must be specified for target: <id>."
        # (reported verbatim in hashicorp/terraform#20263 and awslabs/aws-ddk#183).
        self.queue("no-group.fifo", "FifoQueue=true", "ContentBasedDeduplication=true")
        self.rule("no-group", {"source": ["shop"]})
        stderr = self.service_error("put-targets", "--rule", "no-group", "--targets",
                                    "Id=fifo,Arn=%s" % queue_arn("no-group.fifo"))
        self.assertIn("ValidationException", stderr)
        self.assertIn("Parameter(s) SqsParameters must be specified for target: fifo.", stderr)

    def test_an_sns_topic_target_fans_out_to_a_queue(self):
        topic = self.sns("create-topic", "--name", "alerts")["TopicArn"]
        url, arn = self.queue("alerts")
        self.sns("subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint", arn)
        self.rule("alerts", {"detail-type": ["Alert"], "detail": {"level": [{"numeric": [">=", 3]}]}})
        self.targets("alerts", [{"Id": "topic", "Arn": topic}])
        low, high = self.put_events(
            {"Source": "ops", "DetailType": "Alert", "Detail": json.dumps({"level": 1})},
            {"Source": "ops", "DetailType": "Alert", "Detail": json.dumps({"level": 4})})
        [message] = self.receive(url, 1)
        # SNS wraps what EventBridge published, the event, in its own envelope.
        envelope = json.loads(message["Body"])
        self.assertEqual((envelope["Type"], envelope["TopicArn"]), ("Notification", topic))
        event = json.loads(envelope["Message"])
        self.assertEqual((event["id"], event["source"], event["detail"]), (high, "ops", {"level": 4}))
        self.assert_empty(url)

    def test_input_transformers_shape_what_the_queue_gets(self):
        url, arn = self.queue("shaped")
        self.rule("shape", {"source": ["app.instances"]})
        paths = {"instance": "$.detail.instance-id", "state": "$.detail.state"}
        # The templates are the EventBridge user guide's ("Input transform examples").
        self.targets("shape", [
            {"Id": "json", "Arn": arn, "InputTransformer": {
                "InputPathsMap": paths,
                "InputTemplate": '{"instance": <instance>, "state": [9, <state>, true], "Transformed": "Yes"}'}},
            {"Id": "reserved", "Arn": arn, "InputTransformer": {
                "InputPathsMap": paths,
                "InputTemplate": '{"instance": <instance>, "ruleArn": <aws.events.rule-arn>, '
                                 '"ruleName": <aws.events.rule-name>}'}},
            {"Id": "string", "Arn": arn, "InputTransformer": {
                "InputTemplate": '"<aws.events.rule-name> triggered"'}},
            {"Id": "text", "Arn": arn, "InputTransformer": {
                "InputPathsMap": paths, "InputTemplate": "<instance> is in state <state>"}},
            {"Id": "path", "Arn": arn, "InputPath": "$.detail"},
        ])
        self.put_events({"Source": "app.instances", "DetailType": "EC2 Instance State-change Notification",
                         "Detail": json.dumps({"instance-id": "i-0123456789", "state": "RUNNING"})})
        bodies = sorted(m["Body"] for m in self.receive(url, 5))
        self.assertEqual(len(bodies), 5, bodies)
        self.assertIn('"shape triggered"', bodies)
        self.assertIn("i-0123456789 is in state RUNNING", bodies)
        parsed = [json.loads(b) for b in bodies if b.startswith("{")]
        self.assertIn({"instance": "i-0123456789", "state": [9, "RUNNING", True], "Transformed": "Yes"}, parsed)
        self.assertIn({"instance": "i-0123456789", "ruleArn": rule_arn("shape"), "ruleName": "shape"}, parsed)
        self.assertIn({"instance-id": "i-0123456789", "state": "RUNNING"}, parsed)

    def test_a_rule_on_a_custom_bus(self):
        bus = self.events("create-event-bus", "--name", "orders")["EventBusArn"]
        self.assertEqual(bus, "arn:aws:events:%s:%s:event-bus/orders" % (REGION, ACCOUNT))
        names = sorted(b["Name"] for b in self.events("list-event-buses")["EventBuses"])
        self.assertEqual(names, ["default", "orders"])
        url, arn = self.queue("order-log")
        self.assertEqual(self.rule("log", {"source": ["shop"]}, "--event-bus-name", "orders"),
                         rule_arn("log", bus="orders"))
        self.targets("log", [{"Id": "q", "Arn": arn}], "--event-bus-name", "orders")
        # The same event on the default bus matches no rule there.
        self.put_events({"Source": "shop", "DetailType": "Order", "Detail": "{\"bus\": \"default\"}"})
        [sent] = self.put_events({"Source": "shop", "DetailType": "Order", "Detail": "{\"bus\": \"orders\"}",
                                  "EventBusName": "orders"})
        [message] = self.receive(url, 1)
        event = json.loads(message["Body"])
        self.assertEqual((event["id"], event["detail"]), (sent, {"bus": "orders"}))
        self.assert_empty(url)
        # The rule lives on its bus only.
        self.assertEqual(self.events("list-rules")["Rules"], [])
        self.assertEqual([r["Name"] for r in self.events("list-rules", "--event-bus-name", "orders")["Rules"]],
                         ["log"])

    def bus_arn(self, name):
        return "arn:aws:events:%s:%s:event-bus/%s" % (REGION, ACCOUNT, name)

    def test_a_bus_target_hands_the_event_to_the_other_buss_rules(self):
        self.events("create-event-bus", "--name", "audit")
        url, arn = self.queue("audit-log")
        self.rule("to-audit", {"source": ["app"]})
        # A bus in the same account and Region as a target: EventBridge sends with the role.
        self.targets("to-audit", [{"Id": "audit-bus", "Arn": self.bus_arn("audit"), "RoleArn": ROLE}])
        self.assertEqual(self.rule("log", {"source": ["app"], "detail": {"kind": ["payment"]}},
                                   "--event-bus-name", "audit"), rule_arn("log", bus="audit"))
        self.targets("log", [{"Id": "q", "Arn": arn}], "--event-bus-name", "audit")
        payment, _ = self.put_events(
            {"Source": "app", "DetailType": "Audit", "Detail": json.dumps({"kind": "payment", "amount": 10})},
            {"Source": "app", "DetailType": "Audit", "Detail": json.dumps({"kind": "login"})})
        [message] = self.receive(url, 1)
        event = json.loads(message["Body"])
        # The event itself travels, id included: AWS tells a second bus hop by the event's id.
        self.assertEqual((event["id"], event["source"], event["detail-type"], event["detail"]),
                         (payment, "app", "Audit", {"kind": "payment", "amount": 10}))
        self.assert_empty(url)

    def test_an_event_that_came_from_another_bus_is_not_sent_on_to_a_third_bus(self):
        # AWS ("Sending and receiving events between event buses in the same account and
        # Region"): "EventBridge can't route events received from a sender event bus to a third
        # event bus." The refused hop goes to the target's dead-letter queue with ERROR_CODE
        # THIRD_ACCOUNT_HOP_DETECTED.
        for name in ("second", "third"):
            self.events("create-event-bus", "--name", name)
        dlq, dlq_arn = self.queue("hop-dlq")
        arrived, arrived_arn = self.queue("third-log")
        self.rule("hop1", {"source": ["app"]})
        self.targets("hop1", [{"Id": "b", "Arn": self.bus_arn("second"), "RoleArn": ROLE}])
        self.rule("hop2", {"source": ["app"]}, "--event-bus-name", "second")
        self.targets("hop2", [{"Id": "c", "Arn": self.bus_arn("third"), "RoleArn": ROLE,
                               "DeadLetterConfig": {"Arn": dlq_arn}}], "--event-bus-name", "second")
        self.rule("log", {"source": ["app"]}, "--event-bus-name", "third")
        self.targets("log", [{"Id": "q", "Arn": arrived_arn}], "--event-bus-name", "third")
        [sent] = self.put_events({"Source": "app", "DetailType": "Hop", "Detail": "{}"})
        [dead] = self.receive(dlq, 1)
        self.assertEqual(json.loads(dead["Body"])["id"], sent)
        self.assertEqual(dead["MessageAttributes"]["ERROR_CODE"]["StringValue"], "THIRD_ACCOUNT_HOP_DETECTED")
        self.assertEqual(dead["MessageAttributes"]["RULE_ARN"]["StringValue"], rule_arn("hop2", bus="second"))
        self.assertEqual(dead["MessageAttributes"]["TARGET_ARN"]["StringValue"], self.bus_arn("third"))
        self.assert_empty(arrived)
        self.assert_empty(dlq)

    def test_test_event_pattern(self):
        event = json.dumps({"id": "e1", "account": ACCOUNT, "source": "app", "time": "2026-01-01T00:00:00Z",
                            "region": REGION, "detail-type": "Order", "resources": [],
                            "detail": {"total": 300, "currency": "EUR"}})
        yes = self.events("test-event-pattern", "--event", event, "--event-pattern",
                          json.dumps({"source": ["app"], "detail": {"total": [{"numeric": [">", 100]}]}}))
        self.assertEqual(yes, {"Result": True})
        no = self.events("test-event-pattern", "--event", event, "--event-pattern",
                         json.dumps({"detail": {"currency": [{"anything-but": ["EUR"]}]}}))
        self.assertEqual(no, {"Result": False})
        stderr = self.service_error("test-event-pattern", "--event", event, "--event-pattern",
                                    json.dumps({"source": "app"}))
        self.assertIn("InvalidEventPatternException", stderr)
        self.assertIn("Event pattern is not valid. Reason: ", stderr)

    def test_rule_and_target_administration(self):
        pattern = json.dumps({"source": ["shop"]})
        self.events("put-rule", "--name", "orders-1", "--event-pattern", pattern, "--description", "first")
        self.events("put-rule", "--name", "orders-2", "--event-pattern", pattern, "--state", "DISABLED")
        self.events("put-rule", "--name", "other", "--event-pattern", pattern)
        listed = self.events("list-rules", "--name-prefix", "orders-")["Rules"]
        self.assertEqual([(r["Name"], r["State"]) for r in listed],
                         [("orders-1", "ENABLED"), ("orders-2", "DISABLED")])
        rule = self.events("describe-rule", "--name", "orders-1")
        self.assertEqual((rule["Name"], rule["Arn"], rule["EventPattern"], rule["State"], rule["Description"],
                          rule["EventBusName"]),
                         ("orders-1", rule_arn("orders-1"), pattern, "ENABLED", "first", "default"))
        self.events("enable-rule", "--name", "orders-2")
        self.assertEqual(self.events("describe-rule", "--name", "orders-2")["State"], "ENABLED")

        targets = [{"Id": "a", "Arn": queue_arn("a"), "InputPath": "$.detail"},
                   {"Id": "b", "Arn": queue_arn("b"), "Input": "{\"fixed\": true}",
                    "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 600},
                    "DeadLetterConfig": {"Arn": queue_arn("dlq")}}]
        self.targets("orders-1", targets)
        self.assertEqual(self.events("list-targets-by-rule", "--rule", "orders-1")["Targets"], targets)
        self.assertEqual(self.events("list-rule-names-by-target", "--target-arn", queue_arn("b"))["RuleNames"],
                         ["orders-1"])
        # A rule with targets cannot be deleted.
        stderr = self.service_error("delete-rule", "--name", "orders-1")
        self.assertIn("ValidationException", stderr)
        self.assertIn("Rule can't be deleted since it has targets.", stderr)
        out = self.events("remove-targets", "--rule", "orders-1", "--ids", "a", "b")
        self.assertEqual(out, {"FailedEntryCount": 0, "FailedEntries": []})
        self.assertEqual(self.events("list-targets-by-rule", "--rule", "orders-1")["Targets"], [])
        self.events("delete-rule", "--name", "orders-1")
        self.assertEqual([r["Name"] for r in self.events("list-rules")["Rules"]], ["orders-2", "other"])

    def test_a_scheduled_rule_fires_when_the_clock_advances(self):
        url, arn = self.queue("ticks")
        rule = self.events("put-rule", "--name", "tick", "--schedule-expression", "rate(5 minutes)")["RuleArn"]
        self.assertEqual(self.events("describe-rule", "--name", "tick")["ScheduleExpression"], "rate(5 minutes)")
        self.targets("tick", [{"Id": "q", "Arn": arn}])
        self.assert_empty(url)
        self.broker.advance(5 * 60)
        [first] = self.receive(url, 1, delete=True)
        event = json.loads(first["Body"])
        # A scheduled event: from aws.events, naming the rule, with an empty detail.
        self.assertEqual((event["source"], event["detail-type"], event["resources"], event["detail"],
                          event["account"], event["region"]),
                         ("aws.events", "Scheduled Event", [rule], {}, ACCOUNT, REGION))
        self.assert_empty(url)
        self.broker.advance(5 * 60)
        [second] = self.receive(url, 1, delete=True)
        self.assertNotEqual(json.loads(second["Body"])["id"], event["id"])
        # Disabled, it fires no more.
        self.events("disable-rule", "--name", "tick")
        self.broker.advance(5 * 60)
        self.assert_empty(url)

    def test_an_archived_window_replays_to_the_buss_rules_marked_with_the_replay_name(self):
        bus = "arn:aws:events:%s:%s:event-bus/default" % (REGION, ACCOUNT)
        archive = self.events("create-archive", "--archive-name", "everything", "--event-source-arn", bus,
                              "--event-pattern", json.dumps({"source": ["app"]}))["ArchiveArn"]
        self.assertEqual(archive, "arn:aws:events:%s:%s:archive/everything" % (REGION, ACCOUNT))
        self.put_events({"Source": "app", "DetailType": "early", "Detail": "{}"},
                        {"Source": "other", "DetailType": "not archived", "Detail": "{}"})
        # The virtual clock runs on in real time from an offset: the window is read off it.
        start = self.broker.admin("clock")["now_ms"] // 1000 + 1
        self.broker.advance(60)
        [in_window] = self.put_events({"Source": "app", "DetailType": "in window", "Detail": "{}"})
        self.broker.advance(60)
        end = self.broker.admin("clock")["now_ms"] // 1000
        described = self.events("describe-archive", "--archive-name", "everything")
        self.assertEqual((described["ArchiveArn"], described["EventCount"], described["State"]),
                         (archive, 2, "ENABLED"))

        url, arn = self.queue("replayed")
        rule = self.rule("replays", {"source": ["app"]})
        self.targets("replays", [{"Id": "q", "Arn": arn}])
        # The window's start as epoch seconds, its end in ISO 8601: the CLI takes either.
        end_iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(end))
        started = self.events("start-replay", "--replay-name", "window", "--event-source-arn", archive,
                              "--event-start-time", str(start), "--event-end-time", end_iso,
                              "--destination", json.dumps({"Arn": bus, "FilterArns": [rule]}))
        self.assertEqual(started["ReplayArn"], "arn:aws:events:%s:%s:replay/window" % (REGION, ACCOUNT))
        [message] = self.receive(url, 1)
        event = json.loads(message["Body"])
        self.assertEqual((event["id"], event["detail-type"], event["replay-name"]),
                         (in_window, "in window", "window"))
        self.assertEqual(list(event), ["version", "id", "detail-type", "source", "account", "time", "region",
                                       "replay-name", "resources", "detail"])
        replay = self.events("describe-replay", "--replay-name", "window")
        self.assertEqual((replay["State"], replay["EventSourceArn"], replay["Destination"]),
                         ("COMPLETED", archive, {"Arn": bus, "FilterArns": [rule]}))
        self.assertEqual([r["ReplayName"] for r in self.events("list-replays")["Replays"]], ["window"])
        # Only the window was replayed.
        self.assert_empty(url)

    def test_tags_on_rules_and_buses(self):
        bus = self.events("create-event-bus", "--name", "tagged", "--tags", "Key=team,Value=dragons")["EventBusArn"]
        rule = self.rule("tagged", {"source": ["x"]})
        self.events("tag-resource", "--resource-arn", rule, "--tags", "Key=env,Value=test", "Key=tier,Value=gold")
        tags = self.events("list-tags-for-resource", "--resource-arn", rule)["Tags"]
        self.assertEqual(sorted((t["Key"], t["Value"]) for t in tags), [("env", "test"), ("tier", "gold")])
        self.events("untag-resource", "--resource-arn", rule, "--tag-keys", "tier")
        self.assertEqual(self.events("list-tags-for-resource", "--resource-arn", rule)["Tags"],
                         [{"Key": "env", "Value": "test"}])
        self.assertEqual(self.events("list-tags-for-resource", "--resource-arn", bus)["Tags"],
                         [{"Key": "team", "Value": "dragons"}])

    def test_describing_a_missing_rule_is_not_found(self):
        stderr = self.service_error("describe-rule", "--name", "missing")
        self.assertIn("ResourceNotFoundException", stderr)
        self.assertIn("DescribeRule", stderr)
        self.assertIn("Rule missing does not exist on EventBus default.", stderr)

    def endpoint(self):
        endpoint = Endpoint()
        self.addCleanup(endpoint.close)
        return endpoint

    def basic_connection(self, name, username="smaug", password="gold", **extra):
        auth = {"BasicAuthParameters": {"Username": username, "Password": password}}
        auth.update(extra)
        return self.events("create-connection", "--name", name, "--authorization-type", "BASIC",
                           "--auth-parameters", json.dumps(auth))

    def test_connections_read_back_without_their_secrets(self):
        created = self.basic_connection("orders-api", InvocationHttpParameters={
            "HeaderParameters": [{"Key": "x-tenant", "Value": "north", "IsValueSecret": False},
                                 {"Key": "x-signing", "Value": "hidden", "IsValueSecret": True}],
            "QueryStringParameters": [{"Key": "region", "Value": "north", "IsValueSecret": False}]})
        self.assertEqual(created["ConnectionState"], "AUTHORIZED")
        self.assertRegex(created["ConnectionArn"],
                         r"^arn:aws:events:%s:%s:connection/orders-api/%s$" % (REGION, ACCOUNT, UUID))
        self.assertIn("CreationTime", created)

        described = self.events("describe-connection", "--name", "orders-api")
        self.assertEqual((described["Name"], described["ConnectionArn"], described["AuthorizationType"],
                          described["ConnectionState"]),
                         ("orders-api", created["ConnectionArn"], "BASIC", "AUTHORIZED"))
        # The password and the secret header's value stay in the connection's secret.
        self.assertEqual(described["AuthParameters"], {
            "BasicAuthParameters": {"Username": "smaug"},
            "InvocationHttpParameters": {
                "HeaderParameters": [{"Key": "x-tenant", "Value": "north", "IsValueSecret": False},
                                     {"Key": "x-signing", "IsValueSecret": True}],
                "QueryStringParameters": [{"Key": "region", "Value": "north", "IsValueSecret": False}]}})
        self.assertNotIn("gold", json.dumps(described))
        self.assertNotIn("hidden", json.dumps(described))
        self.assertRegex(described["SecretArn"], r"^arn:aws:secretsmanager:%s:%s:secret:events!connection/"
                                                 r"orders-api/%s-\w{6}$" % (REGION, ACCOUNT, UUID))

        self.events("create-connection", "--name", "keys", "--authorization-type", "API_KEY",
                    "--auth-parameters", json.dumps({"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key",
                                                                              "ApiKeyValue": "s3cret"}}))
        listed = self.events("list-connections", "--name-prefix", "ord")["Connections"]
        self.assertEqual([(c["Name"], c["ConnectionArn"], c["AuthorizationType"], c["ConnectionState"])
                          for c in listed],
                         [("orders-api", created["ConnectionArn"], "BASIC", "AUTHORIZED")])
        self.assertNotIn("AuthParameters", listed[0])
        self.assertEqual(sorted(c["Name"] for c in self.events(
            "list-connections", "--connection-state", "AUTHORIZED")["Connections"]), ["keys", "orders-api"])
        self.assertEqual(self.events("list-connections", "--connection-state", "DEAUTHORIZED")["Connections"], [])

        updated = self.events("update-connection", "--name", "orders-api", "--auth-parameters", json.dumps(
            {"BasicAuthParameters": {"Username": "glaurung", "Password": "silver"}}))
        self.assertEqual((updated["ConnectionArn"], updated["ConnectionState"]),
                         (created["ConnectionArn"], "AUTHORIZED"))
        self.assertEqual(self.events("describe-connection", "--name", "orders-api")["AuthParameters"]
                         ["BasicAuthParameters"], {"Username": "glaurung"})

    def test_api_destination_administration_and_a_connections_lifecycle(self):
        connection = self.basic_connection("orders-api")["ConnectionArn"]
        endpoint = self.endpoint()
        created = self.events("create-api-destination", "--name", "orders", "--connection-arn", connection,
                              "--invocation-endpoint", endpoint.url + "/orders", "--http-method", "POST",
                              "--description", "the order API")
        self.assertEqual(created["ApiDestinationState"], "ACTIVE")
        self.assertRegex(created["ApiDestinationArn"],
                         r"^arn:aws:events:%s:%s:api-destination/orders/%s$" % (REGION, ACCOUNT, UUID))
        described = self.events("describe-api-destination", "--name", "orders")
        self.assertEqual({k: described[k] for k in ("Name", "ApiDestinationArn", "ApiDestinationState",
                                                    "ConnectionArn", "InvocationEndpoint", "HttpMethod",
                                                    "InvocationRateLimitPerSecond", "Description")},
                         {"Name": "orders", "ApiDestinationArn": created["ApiDestinationArn"],
                          "ApiDestinationState": "ACTIVE", "ConnectionArn": connection,
                          "InvocationEndpoint": endpoint.url + "/orders", "HttpMethod": "POST",
                          "InvocationRateLimitPerSecond": 300, "Description": "the order API"})
        listed = self.events("list-api-destinations", "--connection-arn", connection)["ApiDestinations"]
        self.assertEqual([(d["Name"], d["ApiDestinationArn"]) for d in listed],
                         [("orders", created["ApiDestinationArn"])])
        self.assertEqual(self.events("list-api-destinations", "--name-prefix", "nothing-")["ApiDestinations"], [])

        updated = self.events("update-api-destination", "--name", "orders", "--http-method", "PUT",
                              "--invocation-rate-limit-per-second", "5")
        self.assertEqual((updated["ApiDestinationArn"], updated["ApiDestinationState"]),
                         (created["ApiDestinationArn"], "ACTIVE"))
        described = self.events("describe-api-destination", "--name", "orders")
        self.assertEqual((described["HttpMethod"], described["InvocationRateLimitPerSecond"]), ("PUT", 5))

        # Deauthorizing answers at once and finishes behind: the destination goes inactive.
        deauthorized = self.events("deauthorize-connection", "--name", "orders-api")
        self.assertEqual((deauthorized["ConnectionArn"], deauthorized["ConnectionState"]),
                         (connection, "DEAUTHORIZING"))
        self.assertEqual(self.events("describe-connection", "--name", "orders-api")["ConnectionState"],
                         "DEAUTHORIZED")
        self.assertEqual(self.events("describe-api-destination", "--name", "orders")["ApiDestinationState"],
                         "INACTIVE")

        self.assertEqual(self.events("delete-api-destination", "--name", "orders"), {})
        stderr = self.service_error("describe-api-destination", "--name", "orders")
        self.assertIn("ResourceNotFoundException", stderr)
        self.assertIn("An api-destination 'orders' does not exist.", stderr)
        deleted = self.events("delete-connection", "--name", "orders-api")
        self.assertEqual((deleted["ConnectionArn"], deleted["ConnectionState"]), (connection, "DELETING"))
        stderr = self.service_error("describe-connection", "--name", "orders-api")
        self.assertIn("ResourceNotFoundException", stderr)
        self.assertIn("DescribeConnection", stderr)
        self.assertIn("Failed to describe the connection(s). Connection 'orders-api' does not exist.", stderr)
        self.assertEqual(self.events("list-connections")["Connections"], [])

    def test_a_rule_calls_an_api_destination_with_the_connections_credentials(self):
        endpoint = self.endpoint()
        connection = self.basic_connection("orders-api", InvocationHttpParameters={
            "HeaderParameters": [{"Key": "x-tenant", "Value": "north", "IsValueSecret": False}]})["ConnectionArn"]
        destination = self.events("create-api-destination", "--name", "orders", "--connection-arn", connection,
                                  "--invocation-endpoint", endpoint.url + "/shops/*/orders",
                                  "--http-method", "POST")["ApiDestinationArn"]
        self.rule("to-api", {"source": ["shop"]})
        self.targets("to-api", [{"Id": "api", "Arn": destination, "RoleArn": ROLE,
                                 "HttpParameters": {"PathParameterValues": ["kingdom"]}}])
        [target] = self.events("list-targets-by-rule", "--rule", "to-api")["Targets"]
        self.assertEqual(target["HttpParameters"], {"PathParameterValues": ["kingdom"]})
        [event_id] = self.put_events({"Source": "shop", "DetailType": "Order Placed",
                                      "Detail": json.dumps({"order": 42})})
        calls = endpoint.wait_for(1)
        self.assertEqual(len(calls), 1)
        call = calls[0]
        self.assertEqual((call.method, call.path), ("POST", "/shops/kingdom/orders"))
        self.assertEqual(call.headers["authorization"], "Basic " + base64.b64encode(b"smaug:gold").decode())
        self.assertEqual(call.headers["user-agent"], "Amazon/EventBridge/ApiDestinations")
        self.assertEqual(call.headers["x-tenant"], "north")
        body = call.json()
        self.assertEqual((body["id"], body["source"], body["detail"]), (event_id, "shop", {"order": 42}))

    def test_a_failing_api_destination_is_retried_on_the_virtual_clock_then_dead_lettered(self):
        endpoint = self.endpoint()
        endpoint.statuses = [500, 500]
        dlq, dlq_arn = self.queue("dead-letters")
        connection = self.basic_connection("orders-api")["ConnectionArn"]
        destination = self.events("create-api-destination", "--name", "orders", "--connection-arn", connection,
                                  "--invocation-endpoint", endpoint.url + "/orders",
                                  "--http-method", "POST")["ApiDestinationArn"]
        self.rule("to-api", {"source": ["shop"]})
        self.targets("to-api", [{"Id": "api", "Arn": destination, "RoleArn": ROLE,
                                 "RetryPolicy": {"MaximumRetryAttempts": 1},
                                 "DeadLetterConfig": {"Arn": dlq_arn}}])
        [event_id] = self.put_events({"Source": "shop", "DetailType": "Order Placed",
                                      "Detail": json.dumps({"order": 1})})
        self.assertGreaterEqual(len(endpoint.wait_for(1)), 1)
        # The retry comes a second later on the virtual clock: the test moves it on.
        self.broker.advance(1)
        self.assertEqual(len(endpoint.wait_for(2)), 2)
        [dead] = self.receive(dlq, 1, delete=True)
        self.assertEqual(json.loads(dead["Body"])["id"], event_id)
        attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
        self.assertEqual((attributes["ERROR_CODE"], attributes["RETRY_ATTEMPTS"],
                          attributes["EXHAUSTED_RETRY_CONDITION"]),
                         ("SDK_CLIENT_ERROR", "1", "MaximumRetryAttempts"))
        self.assertEqual((attributes["RULE_ARN"], attributes["TARGET_ARN"]), (rule_arn("to-api"), destination))
        self.assertIn("500", attributes["ERROR_MESSAGE"])
        # No third attempt.
        self.broker.advance(60)
        self.assertEqual(len(endpoint.wait_for(3, timeout=0.5)), 2)
        self.assert_empty(dlq)

    def test_an_api_destination_target_needs_a_role(self):
        connection = self.basic_connection("orders-api")["ConnectionArn"]
        destination = self.events("create-api-destination", "--name", "orders", "--connection-arn", connection,
                                  "--invocation-endpoint", "https://example.com/orders",
                                  "--http-method", "POST")["ApiDestinationArn"]
        self.rule("to-api", {"source": ["shop"]})
        stderr = self.service_error("put-targets", "--rule", "to-api", "--targets",
                                    json.dumps([{"Id": "api", "Arn": destination}]))
        self.assertIn("ValidationException", stderr)
        self.assertIn("RoleArn is required for target %s." % destination, stderr)

    def test_a_duplicate_connection_already_exists(self):
        self.basic_connection("orders-api")
        stderr = self.service_error("create-connection", "--name", "orders-api", "--authorization-type", "BASIC",
                                    "--auth-parameters",
                                    json.dumps({"BasicAuthParameters": {"Username": "a", "Password": "b"}}))
        self.assertIn("ResourceAlreadyExistsException", stderr)
        self.assertIn("Connection orders-api already exists.", stderr)


class AwsCli29(CliMixin, unittest.TestCase):
    cli = "2.9"


class AwsCliV1(CliMixin, unittest.TestCase):
    cli = "v1"


if __name__ == "__main__":
    unittest.main()
