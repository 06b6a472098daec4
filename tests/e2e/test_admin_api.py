"""The admin JSON API under /_wyvern/api/ on its own: the views the console draws (queues with
counts and dead-letter links, topics with subscriptions and filter policies, buses with rules
and targets, state machines with execution counts, an execution with its history and each
state's status) and its actions (send, purge, redrive, test a pattern, start an execution,
answer a task token), with resources made through boto3."""
import json
import urllib.error
import urllib.request

import boto3
import botocore.config

from harness import ACCOUNT, REGION, BrokerTestCase, sfn_client

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
        self.assertEqual(shown["definition"]["StartAt"], "Check")
        self.assertEqual(shown["history"][0]["type"], "ExecutionStarted")
        self.assertEqual(self.api("POST", "/tasks/success", {"token": token, "output": {"ok": True}})[0], 200)
        shown = self.get("/executions/" + arn)
        self.assertEqual(shown["execution"]["status"], "FAILED")
        self.assertEqual(shown["states"], {"Check": "caught_error", "Ask": "succeeded", "Done": "failed"})
        [machine] = self.get("/state-machines")
        self.assertEqual((machine["name"], machine["type"], machine["executions"]["FAILED"]), ("watch", "STANDARD", 1))
        self.assertEqual([e["name"] for e in self.get("/executions?stateMachine=watch&status=FAILED")], ["one"])
        self.assertEqual(self.get("/executions?stateMachine=watch&status=RUNNING"), [])
        status, refused = self.api("POST", "/tasks/failure", {"token": token, "error": "Late"})
        self.assertEqual((status, refused["error"]["code"]), (400, "TaskTimedOut"))

    def test_unknown_views_and_actions(self):
        self.assertEqual(self.api("GET", "/griffins")[0], 404)
        self.assertEqual(self.api("POST", "/griffins", {})[0], 404)
        self.assertEqual(self.api("DELETE", "/queues")[0], 405)


if __name__ == "__main__":
    import unittest
    unittest.main()
