"""The AWS CLIs against Wyvern's SNS, read back through its SQS: Debian's AWS CLI 2.9
(/usr/bin/aws) and the AWS CLI v1 first on PATH. SNS speaks the Query protocol in both.

Each test is written the way the SNS tutorials go: make a topic, point queues at it, publish,
and look at what arrived. Deliveries follow the Publish call, so queues are read with long polls.
"""
import json
import os
import shutil
import subprocess
import time
import unittest

from harness import Broker

CLIS = {"2.9": "/usr/bin/aws", "v1": shutil.which("aws")}
# What each CLI exits with when the service answered with an error.
SERVICE_ERROR_EXIT = {"2.9": 254, "v1": 255}
ACCOUNT = "000000000000"


class CliMixin:
    cli = None

    @classmethod
    def setUpClass(cls):
        cls.broker = Broker().start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()

    def setUp(self):
        self.broker.admin("reset", {})

    def run_cli(self, service, *args, debug=False):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="", AWS_CONFIG_FILE="/dev/null",
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

    def sns(self, *args):
        return self.ok("sns", *args)

    def sqs(self, *args):
        return self.ok("sqs", *args)

    def topic_arn(self, name):
        return "arn:aws:sns:us-east-1:%s:%s" % (ACCOUNT, name)

    def queue(self, name, *attributes):
        """Creates a queue; returns (url, arn)."""
        args = ["create-queue", "--queue-name", name]
        if attributes:
            args += ["--attributes", ",".join(attributes)]
        url = self.sqs(*args)["QueueUrl"]
        return url, "arn:aws:sqs:us-east-1:%s:%s" % (ACCOUNT, name)

    def receive(self, url, count, wait_for=20):
        """Long-polls `url` until `count` messages have arrived (or `wait_for` seconds pass)."""
        got = []
        deadline = time.monotonic() + wait_for
        while len(got) < count and time.monotonic() < deadline:
            got += self.sqs("receive-message", "--queue-url", url, "--max-number-of-messages", "10",
                            "--wait-time-seconds", "2", "--attribute-names", "All",
                            "--message-attribute-names", "All").get("Messages", [])
        return got

    def assert_empty(self, url):
        self.assertNotIn("Messages", self.sqs("receive-message", "--queue-url", url,
                                              "--wait-time-seconds", "1"))

    def test_the_cli_speaks_query_to_sns(self):
        proc = self.run_cli("sns", "list-topics", debug=True)
        self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
        # A form-encoded request with Action=ListTopics, and an XML answer in SNS's namespace.
        for sign in ("application/x-www-form-urlencoded", "'Action': 'ListTopics'",
                     '<ListTopicsResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">'):
            self.assertTrue(sign in proc.stderr, "%r not in the --debug output" % sign)

    def test_fan_out_to_a_raw_queue_and_a_filtered_queue(self):
        # A topic, and two queues that want different things from it.
        topic = self.sns("create-topic", "--name", "sightings")["TopicArn"]
        self.assertEqual(topic, self.topic_arn("sightings"))
        raw_url, raw_arn = self.queue("all-sightings-raw")
        red_url, red_arn = self.queue("red-dragons")
        # The first queue takes every message, as published: no JSON envelope around it.
        raw_sub = self.sns("subscribe", "--topic-arn", topic, "--protocol", "sqs",
                           "--notification-endpoint", raw_arn,
                           "--attributes", "RawMessageDelivery=true")["SubscriptionArn"]
        # The second takes only red dragons, and wrapped in SNS's envelope.
        red_sub = self.sns("subscribe", "--topic-arn", topic, "--protocol", "sqs",
                           "--notification-endpoint", red_arn, "--attributes",
                           json.dumps({"FilterPolicy": json.dumps({"colour": ["red"]})}))["SubscriptionArn"]
        # SQS subscriptions in the same account need no confirmation: both ARNs are real ones.
        for arn in (raw_sub, red_sub):
            self.assertTrue(arn.startswith(topic + ":"), arn)

        self.sns("publish", "--topic-arn", topic, "--message", "a green one over the lake",
                         "--message-attributes",
                         '{"colour": {"DataType": "String", "StringValue": "green"}}')
        red = self.sns("publish", "--topic-arn", topic, "--subject", "Sighting",
                       "--message", "a red one over the hills", "--message-attributes",
                       json.dumps({"colour": {"DataType": "String", "StringValue": "red"},
                                   "wingspan": {"DataType": "Number", "StringValue": "12"}}))

        # Raw delivery: the bodies as published, the SNS message attributes as SQS ones.
        got = self.receive(raw_url, 2)
        self.assertEqual(sorted(m["Body"] for m in got),
                         ["a green one over the lake", "a red one over the hills"])
        red_raw = next(m for m in got if "red" in m["Body"])
        self.assertEqual(red_raw["MessageAttributes"]["colour"], {"StringValue": "red", "DataType": "String"})
        self.assertEqual(red_raw["MessageAttributes"]["wingspan"], {"StringValue": "12", "DataType": "Number"})

        # Enveloped delivery, behind the filter: only the red one, in a Notification.
        [message] = self.receive(red_url, 1)
        envelope = json.loads(message["Body"])
        self.assertEqual(envelope["Type"], "Notification")
        self.assertEqual(envelope["MessageId"], red["MessageId"])
        self.assertEqual(envelope["TopicArn"], topic)
        self.assertEqual(envelope["Subject"], "Sighting")
        self.assertEqual(envelope["Message"], "a red one over the hills")
        self.assertEqual(envelope["MessageAttributes"], {"colour": {"Type": "String", "Value": "red"},
                                                         "wingspan": {"Type": "Number", "Value": "12"}})
        self.assertEqual(envelope["SignatureVersion"], "1")
        self.assertTrue(envelope["Signature"])
        self.assertTrue(envelope["SigningCertURL"].endswith(".pem"))
        self.assertIn("Action=Unsubscribe", envelope["UnsubscribeURL"])
        self.assertIn(red_sub, envelope["UnsubscribeURL"])
        self.assertNotIn("MessageAttributes", message)  # the envelope carries them, not SQS
        # The green one was held back by the filter policy.
        self.assert_empty(red_url)

    def test_a_fifo_topic_into_a_fifo_queue(self):
        topic = self.sns("create-topic", "--name", "orders.fifo", "--attributes", "FifoTopic=true")["TopicArn"]
        url, arn = self.queue("orders.fifo", "FifoQueue=true")
        self.sns("subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint", arn,
                 "--attributes", "RawMessageDelivery=true")
        sequence = []
        for n in (1, 2, 3):
            out = self.sns("publish", "--topic-arn", topic, "--message", "order %d" % n,
                           "--message-group-id", "customer-7", "--message-deduplication-id", "order-%d" % n)
            self.assertTrue(out["SequenceNumber"].isdigit(), out)
            sequence.append(int(out["SequenceNumber"]))
        self.assertEqual(sequence, sorted(sequence))
        # The same deduplication id again, within five minutes: accepted, but not delivered again.
        self.sns("publish", "--topic-arn", topic, "--message", "order 1, resent",
                 "--message-group-id", "customer-7", "--message-deduplication-id", "order-1")
        got = self.receive(url, 3)
        self.assertEqual([m["Body"] for m in got], ["order 1", "order 2", "order 3"])
        self.assertEqual({m["Attributes"]["MessageGroupId"] for m in got}, {"customer-7"})
        self.assert_empty(url)
        # A FIFO topic needs a message group.
        proc = self.run_cli("sns", "publish", "--topic-arn", topic, "--message", "no group",
                            "--message-deduplication-id", "x")
        self.assertEqual(proc.returncode, SERVICE_ERROR_EXIT[self.cli], proc.stderr)
        self.assertIn("InvalidParameter", proc.stderr)

    def test_publish_batch(self):
        topic = self.sns("create-topic", "--name", "batch")["TopicArn"]
        url, arn = self.queue("batch")
        self.sns("subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint", arn,
                 "--attributes", "RawMessageDelivery=true")
        entries = [{"Id": "first", "Message": "one"},
                   {"Id": "second", "Message": "two",
                    "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "2"}}},
                   {"Id": "third", "Message": "three"}]
        out = self.sns("publish-batch", "--topic-arn", topic, "--publish-batch-request-entries",
                       json.dumps(entries))
        self.assertEqual(sorted(e["Id"] for e in out["Successful"]), ["first", "second", "third"])
        self.assertEqual(out.get("Failed", []), [])
        got = self.receive(url, 3)
        self.assertEqual(sorted(m["Body"] for m in got), ["one", "three", "two"])
        self.assertEqual(next(m for m in got if m["Body"] == "two")["MessageAttributes"]["n"],
                         {"StringValue": "2", "DataType": "Number"})
        proc = self.run_cli("sns", "publish-batch", "--topic-arn", topic, "--publish-batch-request-entries",
                            json.dumps([{"Id": "same", "Message": "a"}, {"Id": "same", "Message": "b"}]))
        self.assertEqual(proc.returncode, SERVICE_ERROR_EXIT[self.cli], proc.stderr)
        self.assertIn("BatchEntryIdsNotDistinct", proc.stderr)

    def test_topic_and_subscription_administration(self):
        topic = self.sns("create-topic", "--name", "admin", "--attributes", "DisplayName=Dragon watch",
                         "--tags", "Key=team,Value=dragons")["TopicArn"]
        # CreateTopic is idempotent for the same name and attributes.
        self.assertEqual(self.sns("create-topic", "--name", "admin", "--attributes",
                                  "DisplayName=Dragon watch")["TopicArn"], topic)
        other = self.sns("create-topic", "--name", "admin-other")["TopicArn"]
        self.assertEqual(sorted(t["TopicArn"] for t in self.sns("list-topics")["Topics"]), sorted([topic, other]))
        attributes = self.sns("get-topic-attributes", "--topic-arn", topic)["Attributes"]
        self.assertEqual((attributes["TopicArn"], attributes["DisplayName"], attributes["Owner"]),
                         (topic, "Dragon watch", ACCOUNT))
        self.assertIn("SubscriptionsConfirmed", attributes)
        self.assertEqual(json.loads(attributes["Policy"])["Statement"][0]["Resource"], topic)
        self.sns("set-topic-attributes", "--topic-arn", topic, "--attribute-name", "DisplayName",
                 "--attribute-value", "Wyvern watch")
        self.assertEqual(self.sns("get-topic-attributes", "--topic-arn", topic)["Attributes"]["DisplayName"],
                         "Wyvern watch")

        url, arn = self.queue("admin")
        sub = self.sns("subscribe", "--topic-arn", topic, "--protocol", "sqs",
                       "--notification-endpoint", arn)["SubscriptionArn"]
        [listed] = self.sns("list-subscriptions")["Subscriptions"]
        self.assertEqual(listed, {"SubscriptionArn": sub, "Owner": ACCOUNT, "Protocol": "sqs",
                                  "Endpoint": arn, "TopicArn": topic})
        self.assertEqual(self.sns("list-subscriptions-by-topic", "--topic-arn", topic)["Subscriptions"], [listed])
        self.assertEqual(self.sns("list-subscriptions-by-topic", "--topic-arn", other)["Subscriptions"], [])
        attributes = self.sns("get-subscription-attributes", "--subscription-arn", sub)["Attributes"]
        self.assertEqual((attributes["TopicArn"], attributes["Endpoint"], attributes["Protocol"],
                          attributes["RawMessageDelivery"], attributes["PendingConfirmation"]),
                         (topic, arn, "sqs", "false", "false"))
        # Turning raw delivery on changes what the queue gets from the next publish on.
        self.sns("set-subscription-attributes", "--subscription-arn", sub, "--attribute-name",
                 "RawMessageDelivery", "--attribute-value", "true")
        self.assertEqual(self.sns("get-subscription-attributes", "--subscription-arn", sub)
                         ["Attributes"]["RawMessageDelivery"], "true")
        self.sns("publish", "--topic-arn", topic, "--message", "plain")
        self.assertEqual([m["Body"] for m in self.receive(url, 1)], ["plain"])

        # Tags.
        self.sns("tag-resource", "--resource-arn", topic, "--tags", "Key=env,Value=test", "Key=tier,Value=gold")
        self.sns("untag-resource", "--resource-arn", topic, "--tag-keys", "tier")
        tags = self.sns("list-tags-for-resource", "--resource-arn", topic)["Tags"]
        self.assertEqual(sorted((t["Key"], t["Value"]) for t in tags), [("env", "test"), ("team", "dragons")])

        # Unsubscribe, then delete.
        self.sns("unsubscribe", "--subscription-arn", sub)
        self.assertEqual(self.sns("list-subscriptions")["Subscriptions"], [])
        self.sns("publish", "--topic-arn", topic, "--message", "nobody listens")
        self.assert_empty(url)
        self.sns("delete-topic", "--topic-arn", topic)
        self.assertEqual([t["TopicArn"] for t in self.sns("list-topics")["Topics"]], [other])

    def test_a_text_message_lands_in_the_outbox(self):
        out = self.sns("publish", "--phone-number", "+15555550100", "--message", "Your code is 4242",
                       "--message-attributes",
                       '{"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}')
        messages = self.broker.admin("sns/outbox")["messages"]
        [sms] = [m for m in messages if m.get("message_id") == out["MessageId"]]
        self.assertEqual((sms["kind"], sms["destination"], sms["message"]),
                         ("sms", "+15555550100", "Your code is 4242"))

    def test_publishing_to_a_missing_topic_is_not_found(self):
        proc = self.run_cli("sns", "publish", "--topic-arn", self.topic_arn("no-such-topic"),
                            "--message", "hello?")
        self.assertEqual(proc.returncode, SERVICE_ERROR_EXIT[self.cli], proc.stderr)
        self.assertIn("NotFound", proc.stderr)
        self.assertIn("Publish", proc.stderr)
        self.assertEqual(proc.stdout.strip(), "")


class AwsCli29(CliMixin, unittest.TestCase):
    cli = "2.9"


class AwsCliV1(CliMixin, unittest.TestCase):
    cli = "v1"


if __name__ == "__main__":
    unittest.main()
