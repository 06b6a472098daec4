"""Lambda subscriptions served by the broker's local functions (--functions): the SNS event a
function receives, and a subscription to a function bound to nothing ending in its
dead-letter queue, as a deleted function's would in AWS."""
import json
import os
import shutil
import sys
import tempfile
import time
import unittest

import boto3
import botocore.config

from harness import ACCOUNT, REGION, Broker

# Appends each event it is given to a file: the test reads what the function saw.
RECORDER = r'''
import sys
with open(sys.argv[1], "a") as out:
    out.write(sys.stdin.read().replace("\n", " ") + "\n")
print("{}")
'''


def function_arn(name):
    return "arn:aws:lambda:%s:%s:function:%s" % (REGION, ACCOUNT, name)


class LambdaSubscriptions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="wyvern-sns-fn-")
        script = os.path.join(cls.dir, "recorder.py")
        with open(script, "w") as f:
            f.write(RECORDER)
        cls.events_file = os.path.join(cls.dir, "events.jsonl")
        functions = os.path.join(cls.dir, "functions.json")
        with open(functions, "w") as f:
            json.dump({"recorder": {"command": [sys.executable, script, cls.events_file]}}, f)
        cls.broker = Broker(extra_args=["--functions", functions]).start()
        cfg = botocore.config.Config(retries={"max_attempts": 1})
        cls.sns = boto3.client("sns", endpoint_url=cls.broker.endpoint, region_name=REGION,
                               aws_access_key_id="test", aws_secret_access_key="test", config=cfg)
        cls.sqs = cls.broker.sqs()

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def events(self, count):
        """The first `count` events the recorder saw, waiting for its process to write them."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if os.path.exists(self.events_file):
                with open(self.events_file) as f:
                    lines = [l for l in f.read().splitlines() if l.strip()]
                if len(lines) >= count:
                    return [json.loads(l) for l in lines]
            time.sleep(0.02)
        self.fail("the function saw fewer than %d events" % count)

    def test_a_function_receives_the_sns_event(self):
        topic = self.sns.create_topic(Name="sightings")["TopicArn"]
        sub = self.sns.subscribe(TopicArn=topic, Protocol="lambda",
                                 Endpoint=function_arn("recorder"))["SubscriptionArn"]
        self.assertTrue(sub.startswith(topic + ":"), "a function needs no confirmation")
        published = self.sns.publish(TopicArn=topic, Message="a red dragon", Subject="sighting",
                                     MessageAttributes={"colour": {"DataType": "String",
                                                                   "StringValue": "red"}})
        record = self.events(1)[0]["Records"][0]
        self.assertEqual(record["EventSource"], "aws:sns")
        self.assertEqual(record["EventVersion"], "1.0")
        self.assertEqual(record["EventSubscriptionArn"], sub)
        sns = record["Sns"]
        self.assertEqual(sns["Type"], "Notification")
        self.assertEqual(sns["MessageId"], published["MessageId"])
        self.assertEqual(sns["TopicArn"], topic)
        self.assertEqual(sns["Subject"], "sighting")
        self.assertEqual(sns["Message"], "a red dragon")
        self.assertEqual(sns["MessageAttributes"], {"colour": {"Type": "String", "Value": "red"}})
        # Lambda's event spells these two with "Url", unlike the HTTP/SQS envelope.
        self.assertIn("SigningCertUrl", sns)
        self.assertTrue(sns["UnsubscribeUrl"].endswith("SubscriptionArn=" + sub))
        self.assertEqual(sns["SignatureVersion"], "1")

    def test_a_function_bound_to_nothing_sends_the_message_to_the_dead_letter_queue(self):
        topic = self.sns.create_topic(Name="orphans")["TopicArn"]
        dlq = self.sqs.create_queue(QueueName="orphans-dlq")["QueueUrl"]
        redrive = {"deadLetterTargetArn": "arn:aws:sqs:%s:%s:orphans-dlq" % (REGION, ACCOUNT)}
        self.sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function_arn("nobody"),
                           Attributes={"RedrivePolicy": json.dumps(redrive)})
        self.sns.publish(TopicArn=topic, Message="undeliverable")
        got = self.sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=10).get("Messages", [])
        self.assertEqual(len(got), 1)
        self.assertEqual(json.loads(got[0]["Body"])["Message"], "undeliverable")


if __name__ == "__main__":
    unittest.main()
