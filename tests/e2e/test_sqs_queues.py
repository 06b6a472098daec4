"""SQS queue management through a real boto3 client: create, look up, list, attributes, tags,
permissions and delete."""
import json
import unittest

from harness import ACCOUNT, BrokerTestCase

NONEXISTENT = "AWS.SimpleQueueService.NonExistentQueue"


class QueueLifecycle(BrokerTestCase):
    def test_create_queue_returns_a_url_under_the_default_account(self):
        url = self.sqs.create_queue(QueueName="orders")["QueueUrl"]
        self.assertEqual(url, self.url("orders"))
        self.assertEqual(self.sqs.get_queue_url(QueueName="orders")["QueueUrl"], url)

    def test_create_queue_is_idempotent_only_with_matching_attributes(self):
        url = self.sqs.create_queue(QueueName="q", Attributes={"DelaySeconds": "5"})["QueueUrl"]
        self.assertEqual(self.sqs.create_queue(QueueName="q")["QueueUrl"], url)
        self.assertEqual(
            self.sqs.create_queue(QueueName="q", Attributes={"DelaySeconds": "5"})["QueueUrl"], url)
        code, message, status = self.error_of(
            self.sqs.create_queue, QueueName="q", Attributes={"DelaySeconds": "6"})
        self.assertEqual((code, status), ("QueueAlreadyExists", 400))
        self.assertIn("DelaySeconds", message)

    def test_unknown_queue_is_reported_as_nonexistent(self):
        code, _, status = self.error_of(self.sqs.get_queue_url, QueueName="nope")
        self.assertEqual((code, status), (NONEXISTENT, 400))
        code, _, status = self.error_of(self.sqs.get_queue_attributes, QueueUrl=self.url("nope"),
                                        AttributeNames=["All"])
        self.assertEqual((code, status), (NONEXISTENT, 400))

    def test_queue_names_follow_aws_rules(self):
        for bad in ["has space", "x" * 81, "dots.are.bad", "plain.fifo"]:
            code, _, status = self.error_of(self.sqs.create_queue, QueueName=bad)
            self.assertEqual((code, status), ("InvalidParameterValue", 400), bad)
        code, message, _ = self.error_of(self.sqs.create_queue, QueueName="nofifosuffix",
                                         Attributes={"FifoQueue": "true"})
        self.assertEqual(code, "InvalidParameterValue")
        self.assertIn(".fifo", message)
        self.sqs.create_queue(QueueName="a" * 75 + ".fifo", Attributes={"FifoQueue": "true"})
        self.sqs.create_queue(QueueName="Under_score-and-Hyphen-1")

    def test_list_queues_filters_by_prefix_and_pages(self):
        for name in ["alpha-1", "alpha-2", "alpha-3", "beta-1"]:
            self.sqs.create_queue(QueueName=name)
        urls = self.sqs.list_queues(QueueNamePrefix="alpha")["QueueUrls"]
        self.assertEqual(sorted(urls), [self.url("alpha-%d" % i) for i in (1, 2, 3)])
        page = self.sqs.list_queues(MaxResults=2)
        self.assertEqual(len(page["QueueUrls"]), 2)
        rest = self.sqs.list_queues(MaxResults=2, NextToken=page["NextToken"])
        self.assertEqual(len(rest["QueueUrls"]), 2)
        self.assertNotIn("NextToken", rest)
        self.assertEqual(len(set(page["QueueUrls"] + rest["QueueUrls"])), 4)
        self.assertNotIn("QueueUrls", self.sqs.list_queues(QueueNamePrefix="gamma"))

    def test_delete_queue_makes_it_disappear(self):
        url = self.sqs.create_queue(QueueName="doomed")["QueueUrl"]
        self.sqs.delete_queue(QueueUrl=url)
        code, _, _ = self.error_of(self.sqs.get_queue_url, QueueName="doomed")
        self.assertEqual(code, NONEXISTENT)

    def test_get_queue_attributes_all_reports_aws_defaults(self):
        url = self.sqs.create_queue(QueueName="defaults")["QueueUrl"]
        attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual(attrs["VisibilityTimeout"], "30")
        self.assertEqual(attrs["MessageRetentionPeriod"], "345600")
        self.assertEqual(attrs["MaximumMessageSize"], "1048576")
        self.assertEqual(attrs["DelaySeconds"], "0")
        self.assertEqual(attrs["ReceiveMessageWaitTimeSeconds"], "0")
        self.assertEqual(attrs["SqsManagedSseEnabled"], "true")
        self.assertEqual(attrs["QueueArn"], "arn:aws:sqs:us-east-1:%s:defaults" % ACCOUNT)
        for counter in ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                        "ApproximateNumberOfMessagesDelayed"]:
            self.assertEqual(attrs[counter], "0")
        self.assertTrue(attrs["CreatedTimestamp"].isdigit())
        self.assertNotIn("FifoQueue", attrs)

    def test_set_queue_attributes_validates_ranges(self):
        url = self.sqs.create_queue(QueueName="tunable")["QueueUrl"]
        self.sqs.set_queue_attributes(QueueUrl=url, Attributes={
            "VisibilityTimeout": "43200", "MessageRetentionPeriod": "1209600",
            "DelaySeconds": "900", "MaximumMessageSize": "1024"})
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["VisibilityTimeout", "MessageRetentionPeriod"])["Attributes"]
        self.assertEqual(attrs, {"VisibilityTimeout": "43200", "MessageRetentionPeriod": "1209600"})
        for name, value in [("VisibilityTimeout", "43201"), ("MessageRetentionPeriod", "59"),
                            ("DelaySeconds", "901"), ("MaximumMessageSize", "1048577"),
                            ("ReceiveMessageWaitTimeSeconds", "21"), ("VisibilityTimeout", "x")]:
            code, message, status = self.error_of(self.sqs.set_queue_attributes, QueueUrl=url,
                                                  Attributes={name: value})
            self.assertEqual((code, status), ("InvalidAttributeValue", 400), name)
            self.assertEqual(message, "Invalid value for the parameter %s." % name)
        code, message, _ = self.error_of(self.sqs.set_queue_attributes, QueueUrl=url,
                                         Attributes={"Colour": "blue"})
        self.assertEqual((code, message), ("InvalidAttributeName", "Unknown Attribute Colour."))
        code, _, _ = self.error_of(self.sqs.get_queue_attributes, QueueUrl=url,
                                   AttributeNames=["Colour"])
        self.assertEqual(code, "InvalidAttributeName")

    def test_fifo_attributes_belong_to_fifo_queues_only(self):
        code, message, _ = self.error_of(self.sqs.create_queue, QueueName="std",
                                         Attributes={"ContentBasedDeduplication": "true"})
        self.assertEqual((code, message),
                         ("InvalidAttributeName", "Unknown Attribute ContentBasedDeduplication."))
        url = self.sqs.create_queue(QueueName="f.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual(attrs["FifoQueue"], "true")
        self.assertEqual(attrs["ContentBasedDeduplication"], "false")
        self.assertEqual(attrs["DeduplicationScope"], "queue")
        self.assertEqual(attrs["FifoThroughputLimit"], "perQueue")

    def test_tags_can_be_added_listed_and_removed(self):
        url = self.sqs.create_queue(QueueName="tagged", tags={"team": "dragons"})["QueueUrl"]
        self.sqs.tag_queue(QueueUrl=url, Tags={"env": "dev", "team": "wyverns"})
        self.assertEqual(self.sqs.list_queue_tags(QueueUrl=url)["Tags"],
                         {"env": "dev", "team": "wyverns"})
        self.sqs.untag_queue(QueueUrl=url, TagKeys=["env", "team"])
        self.assertNotIn("Tags", self.sqs.list_queue_tags(QueueUrl=url))

    def test_permissions_edit_the_queue_policy(self):
        url = self.sqs.create_queue(QueueName="shared")["QueueUrl"]
        self.sqs.add_permission(QueueUrl=url, Label="let-them-send", AWSAccountIds=["111122223333"],
                                Actions=["SendMessage"])
        policy = json.loads(self.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
        statement = policy["Statement"][0]
        self.assertEqual(statement["Sid"], "let-them-send")
        self.assertEqual(statement["Principal"], {"AWS": "arn:aws:iam::111122223333:root"})
        self.assertEqual(statement["Action"], "SQS:SendMessage")
        code, message, _ = self.error_of(self.sqs.add_permission, QueueUrl=url, Label="let-them-send",
                                         AWSAccountIds=["111122223333"], Actions=["SendMessage"])
        self.assertEqual(code, "InvalidParameterValue")
        self.assertIn("Already exists", message)
        self.sqs.remove_permission(QueueUrl=url, Label="let-them-send")
        attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
        self.assertNotIn("Policy", attrs.get("Attributes", {}))
        code, _, _ = self.error_of(self.sqs.remove_permission, QueueUrl=url, Label="let-them-send")
        self.assertEqual(code, "InvalidParameterValue")


if __name__ == "__main__":
    unittest.main()
