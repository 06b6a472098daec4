"""The SNS filter-policy table (tests/sns/filter_policies.json) through a real broker and boto3.

Every "match" row gets a topic of its own with two SQS subscriptions: the row's queue, filtered
by the row's policy, and one shared queue with no filter. Both deliveries of a publish are
handed to SQS together, so once the shared queue holds every row's message, each row's queue
holds its message exactly when the policy let it through: no sleeping, no timing.

Every "invalid" row is set with SetSubscriptionAttributes and must be refused with SNS's
InvalidParameter, status 400 and the row's text.
"""
import base64
import json
import os
import unittest

import boto3
import botocore.config

from harness import ACCOUNT, REGION, BrokerTestCase

TABLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sns",
                     "filter_policies.json")
PLACEHOLDER_BODY = "a message whose attributes are what the policy looks at"


def queue_arn(name):
    return "arn:aws:sqs:%s:%s:%s" % (REGION, ACCOUNT, name)


def message_attributes(row):
    out = {}
    for name, attribute in row.get("attributes", {}).items():
        value = {"DataType": attribute["DataType"]}
        if "BinaryValue" in attribute:
            value["BinaryValue"] = base64.b64decode(attribute["BinaryValue"])
        else:
            value["StringValue"] = attribute["StringValue"]
        out[name] = value
    return out


class FilterPolicyTable(BrokerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sns = boto3.client("sns", endpoint_url=cls.broker.endpoint, region_name=REGION,
                               aws_access_key_id="test", aws_secret_access_key="test",
                               config=botocore.config.Config(retries={"max_attempts": 1}))
        with open(TABLE) as f:
            cls.table = json.load(f)

    def test_the_table_is_large_enough_to_mean_something(self):
        self.assertGreaterEqual(len(self.table["match"]), 150)
        self.assertGreaterEqual(len(self.table["invalid"]), 40)

    def test_each_policy_lets_through_exactly_the_messages_the_table_says(self):
        rows = [r for r in self.table["match"] if "pending" not in r]
        shared = self.sqs.create_queue(QueueName="every-message")["QueueUrl"]
        for i, row in enumerate(rows):
            topic = self.sns.create_topic(Name="row-%d" % i)["TopicArn"]
            self.sqs.create_queue(QueueName="row-%d" % i)
            attributes = {"FilterPolicyScope": row["scope"], "FilterPolicy": json.dumps(row["policy"])}
            self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn("row-%d" % i),
                               Attributes=attributes)
            self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn("every-message"),
                               Attributes={"RawMessageDelivery": "true"})
            publish = {"TopicArn": topic, "Message": row.get("body", PLACEHOLDER_BODY)}
            if row.get("attributes"):
                publish["MessageAttributes"] = message_attributes(row)
            self.sns.publish(**publish)

        # Wait until every publish has been handed to SQS.
        seen = 0
        while seen < len(rows):
            got = self.sqs.receive_message(QueueUrl=shared, MaxNumberOfMessages=10,
                                           WaitTimeSeconds=5).get("Messages", [])
            self.assertTrue(got, "deliveries stopped after %d of %d rows" % (seen, len(rows)))
            seen += len(got)
            self.sqs.delete_message_batch(QueueUrl=shared, Entries=[
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(got)])

        wrong = []
        for i, row in enumerate(rows):
            got = self.sqs.receive_message(QueueUrl=self.url("row-%d" % i),
                                           WaitTimeSeconds=0).get("Messages", [])
            if bool(got) != row["expected"]:
                wrong.append("%s: expected %s (%s)" % (row["name"], row["expected"], row["why"]))
        self.assertEqual(wrong, [], "%d of %d rows disagree" % (len(wrong), len(rows)))

    def test_each_invalid_policy_is_refused_with_the_tables_error(self):
        topic = self.sns.create_topic(Name="invalid-policies")["TopicArn"]
        self.sqs.create_queue(QueueName="target")
        wrong = []
        for row in self.table["invalid"]:
            arn = self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn("target"),
                                     ReturnSubscriptionArn=True)["SubscriptionArn"]
            self.sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="FilterPolicyScope",
                                                 AttributeValue=row["scope"])
            try:
                self.sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="FilterPolicy",
                                                     AttributeValue=row["policy_text"])
                wrong.append("%s: accepted" % row["name"])
            except self.sns.exceptions.ClientError as e:
                code = e.response["Error"]["Code"]
                status = e.response["ResponseMetadata"]["HTTPStatusCode"]
                message = e.response["Error"]["Message"]
                expected = "Invalid parameter: " + row["error"]
                if (code, status, message) != ("InvalidParameter", 400, expected):
                    wrong.append("%s: %s %s %r, expected %r" % (row["name"], code, status, message,
                                                               expected))
            self.sns.unsubscribe(SubscriptionArn=arn)
        self.assertEqual(wrong, [])


if __name__ == "__main__":
    unittest.main()
