"""The AWS CLI against a real broker, in both wire protocols: Debian's AWS CLI 2.9
(/usr/bin/aws) speaks SQS's Query/XML protocol; the AWS CLI v1 first on PATH speaks JSON.
Each test checks which protocol its CLI really used."""
import json
import os
import shutil
import subprocess
import unittest

from harness import Broker

CLIS = {
    "query": "/usr/bin/aws",
    "json": shutil.which("aws", path=os.environ.get("WYVERN_JSON_CLI_PATH", os.environ["PATH"])),
}


class CliMixin:
    protocol = None

    @classmethod
    def setUpClass(cls):
        cls.broker = Broker().start()
        cls.cli = CLIS[cls.protocol]

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()

    def setUp(self):
        self.broker.admin("reset", {})

    def run_cli(self, *args, check=True, debug=False):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        cmd = [self.cli, "--endpoint-url", self.broker.endpoint, "--output", "json"]
        cmd += ["--debug"] if debug else []
        proc = subprocess.run(cmd + ["sqs"] + list(args), capture_output=True, text=True, env=env,
                              timeout=120)
        if check and proc.returncode != 0:
            self.fail("aws sqs %s failed: %s" % (" ".join(args), proc.stderr[-2000:]))
        if debug or not check:
            return proc
        return json.loads(proc.stdout) if proc.stdout.strip() else {}

    def url(self, name):
        return "%s/000000000000/%s" % (self.broker.endpoint, name)

    def test_the_cli_speaks_the_expected_protocol(self):
        proc = self.run_cli("list-queues", debug=True)
        if self.protocol == "json":
            self.assertIn("AmazonSQS.ListQueues", proc.stderr)
        else:
            self.assertIn("application/x-www-form-urlencoded", proc.stderr)
            self.assertNotIn("AmazonSQS.ListQueues", proc.stderr)

    def test_a_producer_and_consumer_round_trip(self):
        url = self.run_cli("create-queue", "--queue-name", "sightings", "--attributes",
                           "VisibilityTimeout=60,DelaySeconds=0", "--tags", "team=dragons")["QueueUrl"]
        self.assertEqual(url, self.url("sightings"))
        self.assertEqual(self.run_cli("get-queue-url", "--queue-name", "sightings")["QueueUrl"], url)
        self.assertIn(url, self.run_cli("list-queues", "--queue-name-prefix", "sight")["QueueUrls"])
        sent = self.run_cli("send-message", "--queue-url", url, "--message-body", '{"dragon":"Smaug"}',
                            "--message-attributes",
                            '{"colour":{"DataType":"String","StringValue":"red"}}')
        self.assertEqual(len(sent["MD5OfMessageAttributes"]), 32)
        batch = self.run_cli("send-message-batch", "--queue-url", url, "--entries",
                             json.dumps([{"Id": "a", "MessageBody": "one"}, {"Id": "b", "MessageBody": "two"}]))
        self.assertEqual(len(batch["Successful"]), 2)
        got = self.run_cli("receive-message", "--queue-url", url, "--max-number-of-messages", "10",
                           "--attribute-names", "All", "--message-attribute-names", "All")["Messages"]
        self.assertEqual(sorted(m["Body"] for m in got), sorted(['{"dragon":"Smaug"}', "one", "two"]))
        smaug = next(m for m in got if "Smaug" in m["Body"])
        self.assertEqual(smaug["MessageAttributes"]["colour"]["StringValue"], "red")
        self.run_cli("change-message-visibility", "--queue-url", url, "--receipt-handle",
                     smaug["ReceiptHandle"], "--visibility-timeout", "0")
        self.run_cli("change-message-visibility-batch", "--queue-url", url, "--entries", json.dumps(
            [{"Id": "x", "ReceiptHandle": got[0]["ReceiptHandle"], "VisibilityTimeout": 120}]))
        self.run_cli("delete-message", "--queue-url", url, "--receipt-handle", smaug["ReceiptHandle"])
        others = [m for m in got if m is not smaug]
        deleted = self.run_cli("delete-message-batch", "--queue-url", url, "--entries", json.dumps(
            [{"Id": "m%d" % i, "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(others)]))
        self.assertEqual(len(deleted["Successful"]), 2)
        attrs = self.run_cli("get-queue-attributes", "--queue-url", url, "--attribute-names", "All")["Attributes"]
        self.assertEqual((attrs["ApproximateNumberOfMessages"], attrs["VisibilityTimeout"]), ("0", "60"))

    def test_queue_administration(self):
        url = self.run_cli("create-queue", "--queue-name", "admin")["QueueUrl"]
        self.run_cli("set-queue-attributes", "--queue-url", url, "--attributes", "MessageRetentionPeriod=120")
        attrs = self.run_cli("get-queue-attributes", "--queue-url", url, "--attribute-names",
                             "MessageRetentionPeriod")["Attributes"]
        self.assertEqual(attrs, {"MessageRetentionPeriod": "120"})
        self.run_cli("tag-queue", "--queue-url", url, "--tags", "a=1,b=2")
        self.run_cli("untag-queue", "--queue-url", url, "--tag-keys", "a")
        self.assertEqual(self.run_cli("list-queue-tags", "--queue-url", url)["Tags"], {"b": "2"})
        self.run_cli("add-permission", "--queue-url", url, "--label", "friends", "--aws-account-ids",
                     "111122223333", "--actions", "SendMessage", "ReceiveMessage")
        policy = json.loads(self.run_cli("get-queue-attributes", "--queue-url", url, "--attribute-names",
                                         "Policy")["Attributes"]["Policy"])
        self.assertEqual(policy["Statement"][0]["Action"], ["SQS:SendMessage", "SQS:ReceiveMessage"])
        self.run_cli("remove-permission", "--queue-url", url, "--label", "friends")
        self.run_cli("send-message", "--queue-url", url, "--message-body", "x")
        self.run_cli("purge-queue", "--queue-url", url)
        self.assertNotIn("Messages", self.run_cli("receive-message", "--queue-url", url))
        dlq = self.run_cli("create-queue", "--queue-name", "admin-dlq")["QueueUrl"]
        self.run_cli("set-queue-attributes", "--queue-url", url, "--attributes", json.dumps({
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:admin-dlq",
                                         "maxReceiveCount": 3})}))
        self.assertEqual(self.run_cli("list-dead-letter-source-queues", "--queue-url", dlq)["queueUrls"], [url])
        self.run_cli("delete-queue", "--queue-url", url)
        proc = self.run_cli("get-queue-url", "--queue-name", "admin", check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("AWS.SimpleQueueService.NonExistentQueue", proc.stderr)

    def test_fifo_order_through_the_cli(self):
        url = self.run_cli("create-queue", "--queue-name", "cli.fifo", "--attributes",
                           "FifoQueue=true,ContentBasedDeduplication=true")["QueueUrl"]
        for body in ["first", "second", "third"]:
            sent = self.run_cli("send-message", "--queue-url", url, "--message-body", body,
                                "--message-group-id", "g")
            self.assertEqual(len(sent["SequenceNumber"]), 20)
        got = self.run_cli("receive-message", "--queue-url", url, "--max-number-of-messages", "10")["Messages"]
        self.assertEqual([m["Body"] for m in got], ["first", "second", "third"])

    def test_move_tasks_through_the_cli(self):
        if self.protocol == "query":
            self.skipTest("AWS CLI 2.9 predates message move tasks")
        dlq = self.run_cli("create-queue", "--queue-name", "mt-dlq")["QueueUrl"]
        src = self.run_cli("create-queue", "--queue-name", "mt-src", "--attributes", json.dumps({
            "VisibilityTimeout": "0",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:mt-dlq",
                                         "maxReceiveCount": 1})}))["QueueUrl"]
        self.run_cli("send-message", "--queue-url", src, "--message-body", "retry me")
        self.run_cli("receive-message", "--queue-url", src)
        self.run_cli("receive-message", "--queue-url", src)  # this one dead-letters it
        arn = "arn:aws:sqs:us-east-1:000000000000:mt-dlq"
        handle = self.run_cli("start-message-move-task", "--source-arn", arn)["TaskHandle"]
        self.assertTrue(handle)
        self.broker.advance(1)
        [task] = self.run_cli("list-message-move-tasks", "--source-arn", arn)["Results"]
        self.assertEqual(task["Status"], "COMPLETED")
        [msg] = self.run_cli("receive-message", "--queue-url", src)["Messages"]
        self.assertEqual(msg["Body"], "retry me")
        proc = self.run_cli("cancel-message-move-task", "--task-handle", handle, check=False)
        self.assertIn("ResourceNotFoundException", proc.stderr)
        self.assertTrue(dlq)


class AwsCli29Query(CliMixin, unittest.TestCase):
    protocol = "query"


class AwsCli1Json(CliMixin, unittest.TestCase):
    protocol = "json"


if __name__ == "__main__":
    unittest.main()
