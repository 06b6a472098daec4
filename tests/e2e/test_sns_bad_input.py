"""Bad input to SNS, table-driven: every request gets AWS's error code, HTTP status and message in
the Query protocol's <ErrorResponse> shape, and the broker keeps serving afterwards.

Requests go through boto3 where the SDK lets them through; what it would refuse client-side
(missing members, a missing DataType, an action SNS does not have) is written by hand: a form
body signed with SigV4 for "sns", as any SDK signs it, posted with urllib. Hand-written requests
also have the <ErrorResponse> document itself checked, element by element.

The expected messages are AWS's own where AWS's text is on record: the AWS documentation, or
responses recorded against AWS (LocalStack's AWS-validated snapshots in
tests/aws/services/sns/*.snapshot.json, and error output quoted in public issues). Where no
record of AWS's text was found, a row asserts the code and status and that there is a message.
Cases that need more than one call, or a check beyond one error, have their own tests below,
each citing the evidence for what AWS answers."""
import re
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import boto3
import botocore.config
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from harness import ACCOUNT, REGION, BrokerTestCase

NS = "{http://sns.amazonaws.com/doc/2010-03-31/}"
REQUEST_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ANY_TEXT = object()  # no record of AWS's wording: any non-empty message


class Starts(str):
    """A message that must start with this text. AWS appends the JSON parser's position to
    filter-policy and JSON errors ("\\n at [Source: ...; line: 1, column: 2]"); that tail is the
    parser's, not part of the contract."""


class Sdk:
    """A call through boto3: Sdk("publish", TopicArn=..., Message=...)."""

    def __init__(self, operation, **kwargs):
        self.operation, self.kwargs = operation, kwargs


def sns_client(broker, region=REGION):
    return boto3.client("sns", endpoint_url=broker.endpoint, region_name=region,
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=botocore.config.Config(retries={"max_attempts": 1}))



def attribute(name, **value):
    """One message attribute in the Query protocol's map encoding."""
    out = {"MessageAttributes.entry.1.Name": name}
    for key, v in value.items():
        out["MessageAttributes.entry.1.Value." + key] = v
    return out


class BadInput(BrokerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sns = sns_client(cls.broker)

    @classmethod
    def tearDownClass(cls):
        cls.sns.close()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.topic = self.sns.create_topic(Name="orders")["TopicArn"]
        self.fifo = self.sns.create_topic(Name="orders.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
        self.queue = self.sqs.create_queue(QueueName="orders-q")["QueueUrl"]
        self.queue_arn = self.queue_arn_of("orders-q")
        self.sub = self.sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=self.queue_arn,
                                      ReturnSubscriptionArn=True)["SubscriptionArn"]

    @staticmethod
    def queue_arn_of(name):
        return "arn:aws:sqs:%s:%s:%s" % (REGION, ACCOUNT, name)

    # --- Sending ------------------------------------------------------------------------------

    def post(self, params):
        """A form POST signed as an SDK signs it; returns (status, headers, body text)."""
        params = dict(params)
        params.setdefault("Version", "2010-03-31")
        body = urllib.parse.urlencode(params)
        request = AWSRequest(method="POST", url=self.broker.endpoint + "/", data=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        SigV4Auth(Credentials("test", "test"), "sns", REGION).add_auth(request)
        raw = urllib.request.Request(request.url, data=body.encode(), method="POST",
                                     headers=dict(request.headers.items()))
        try:
            with urllib.request.urlopen(raw, timeout=30) as res:
                return res.status, {k.lower(): v for k, v in res.headers.items()}, res.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read().decode()

    def error_of_form(self, params):
        """(status, Type, Code, Message) of a hand-written request, checking the XML shape."""
        status, headers, text = self.post(params)
        self.assertGreaterEqual(status, 400, text)
        self.assertEqual(headers.get("content-type"), "text/xml")
        root = ET.fromstring(text)
        self.assertEqual(root.tag, NS + "ErrorResponse")
        error = root.find(NS + "Error")
        self.assertIsNotNone(error, text)
        request_id = root.findtext(NS + "RequestId")
        self.assertRegex(request_id or "", REQUEST_ID)
        self.assertEqual(headers.get("x-amzn-requestid"), request_id)
        return (status, error.findtext(NS + "Type"), error.findtext(NS + "Code"),
                error.findtext(NS + "Message") or "")

    def error_of_sdk(self, call):
        try:
            getattr(self.sns, call.operation)(**call.kwargs)
        except self.sns.exceptions.ClientError as e:
            meta = e.response["ResponseMetadata"]
            self.assertRegex(meta.get("RequestId", ""), REQUEST_ID)
            err = e.response["Error"]
            return meta["HTTPStatusCode"], err.get("Type"), err.get("Code"), err.get("Message") or ""
        self.fail("%s succeeded but should have failed" % call.operation)

    def error_of(self, request):
        return self.error_of_sdk(request) if isinstance(request, Sdk) else self.error_of_form(request)

    def assert_error(self, request, status, code, message, error_type="Sender"):
        got_status, got_type, got_code, got_message = self.error_of(request)
        self.assertEqual((got_status, got_code), (status, code), got_message)
        self.assertEqual(got_type, error_type)
        if message is ANY_TEXT:
            self.assertTrue(got_message.strip(), "the error carries no message")
        elif isinstance(message, Starts):
            self.assertTrue(got_message.startswith(message), "%r does not start with %r" % (got_message, str(message)))
        else:
            self.assertEqual(got_message, message)

    def assert_still_serving(self):
        self.assertEqual(self.broker.admin("health")["status"], "ok")
        self.assertIn(self.topic, [t["TopicArn"] for t in self.sns.list_topics()["Topics"]])
        sent = self.sns.publish(TopicArn=self.topic, Message="still here")["MessageId"]
        deadline = time.monotonic() + 5  # the fan-out to the queue is asynchronous: a bounded wait
        while time.monotonic() < deadline:
            got = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get("Messages", [])
            if any(sent in m["Body"] for m in got):
                return
            for m in got:
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=m["ReceiptHandle"])
            time.sleep(0.02)
        self.fail("a message published after the bad requests never reached the queue")

    # --- The table --------------------------------------------------------------------------

    def test_bad_requests_get_aws_errors_and_the_broker_keeps_serving(self):
        t, f, q = self.topic, self.fifo, self.queue_arn
        missing_topic = t + "-gone"
        long_name = "n" * 257
        cases = [
            # (name, request, status, code, message)
            # CreateTopic / topic attributes. Texts: LocalStack snapshots recorded against AWS
            # (test_create_topic_name_constraints, test_topic_get_attributes_with_fifo_false, ...).
            ("topic name with a space and '!'", Sdk("create_topic", Name="bad name!"), 400,
             "InvalidParameter", "Invalid parameter: Topic Name"),
            ("topic name of 257 characters", Sdk("create_topic", Name=long_name), 400,
             "InvalidParameter", "Invalid parameter: Topic Name"),
            ("empty topic name", Sdk("create_topic", Name=""), 400, "InvalidParameter",
             "Invalid parameter: Topic Name"),
            # A standard topic's name may not contain '.'; AWS's text for it is not on record.
            ("a .fifo name without FifoTopic", Sdk("create_topic", Name="late.fifo"), 400,
             "InvalidParameter", ANY_TEXT),
            # A 2020 account (awsdocs/aws-cloudformation-user-guide#860) quotes "Invalid
            # parameter: Topic Name" for this; no current record, so only code and status.
            ("FifoTopic without the .fifo suffix",
             Sdk("create_topic", Name="plain", Attributes={"FifoTopic": "true"}), 400, "InvalidParameter",
             ANY_TEXT),
            # AWS documents ContentBasedDeduplication as a FIFO topics' attribute; that a standard
            # topic refuses it, and in which words, is not on record.
            ("ContentBasedDeduplication on a standard topic",
             Sdk("create_topic", Name="plain", Attributes={"ContentBasedDeduplication": "true"}), 400,
             "InvalidParameter", ANY_TEXT),
            ("SignatureVersion 3 at creation",
             Sdk("create_topic", Name="plain", Attributes={"SignatureVersion": "3"}), 400,
             "InvalidParameter", ANY_TEXT),
            ("SignatureVersion 3 on an existing topic",
             Sdk("set_topic_attributes", TopicArn=t, AttributeName="SignatureVersion", AttributeValue="3"),
             400, "InvalidParameter", ANY_TEXT),
            ("unknown topic attribute name",
             Sdk("set_topic_attributes", TopicArn=t, AttributeName="Colour", AttributeValue="red"), 400,
             "InvalidParameter", "Invalid parameter: AttributeName"),
            ("FifoTopic cannot be set after creation",
             Sdk("set_topic_attributes", TopicArn=t, AttributeName="FifoTopic", AttributeValue="false"), 400,
             "InvalidParameter", "Invalid parameter: AttributeName"),
            ("attributes of a missing topic", Sdk("get_topic_attributes", TopicArn=missing_topic), 404,
             "NotFound", "Topic does not exist"),
            ("subscriptions of a missing topic", Sdk("list_subscriptions_by_topic", TopicArn=missing_topic),
             404, "NotFound", "Topic does not exist"),
            # AWS's TagLimitExceeded wording is not on record.
            ("51 tags at creation",
             Sdk("create_topic", Name="tagged", Tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(51)]),
             400, "TagLimitExceeded", ANY_TEXT),
            ("51 tags on a topic",
             Sdk("tag_resource", ResourceArn=t, Tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(51)]),
             400, "TagLimitExceeded", ANY_TEXT),
            ("tags on a missing topic",
             Sdk("tag_resource", ResourceArn=missing_topic, Tags=[{"Key": "k", "Value": "v"}]), 404,
             "ResourceNotFound", ANY_TEXT),

            # Subscribe and subscription attributes. Texts: LocalStack's AWS-recorded snapshots
            # (test_subscribe_with_invalid_protocol, test_subscribe_sqs_queue_url,
            # test_create_subscriptions_with_attributes, test_validate_set_sub_attributes,
            # test_subscribe_idempotency, test_subscribe_invalid_filter_policy,
            # test_sns_filter_policy.snapshot.json); the FIFO protocol text is quoted from AWS in
            # hashicorp/terraform-provider-aws#38441, the raw-delivery one from a Ballerina
            # connector test run against AWS and aws-controllers-k8s/community#2192.
            ("subscribe to a missing topic",
             Sdk("subscribe", TopicArn=missing_topic, Protocol="sqs", Endpoint=q), 404, "NotFound",
             "Topic does not exist"),
            ("unknown protocol", Sdk("subscribe", TopicArn=t, Protocol="carrier-pigeon", Endpoint="x"), 400,
             "InvalidParameter", "Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon"),
            ("a queue URL instead of its ARN",
             Sdk("subscribe", TopicArn=t, Protocol="sqs", Endpoint=self.queue), 400, "InvalidParameter",
             "Invalid parameter: SQS endpoint ARN"),
            ("an ftp:// endpoint for http",
             Sdk("subscribe", TopicArn=t, Protocol="http", Endpoint="ftp://example.com/hook"), 400,
             "InvalidParameter", ANY_TEXT),
            ("an http:// endpoint for https",
             Sdk("subscribe", TopicArn=t, Protocol="https", Endpoint="http://example.com/hook"), 400,
             "InvalidParameter", ANY_TEXT),
            ("an email address without @",
             Sdk("subscribe", TopicArn=t, Protocol="email", Endpoint="nobody"), 400, "InvalidParameter",
             ANY_TEXT),
            ("a lambda endpoint that is no ARN",
             Sdk("subscribe", TopicArn=t, Protocol="lambda", Endpoint="my-function"), 400,
             "InvalidParameter", ANY_TEXT),
            ("http on a FIFO topic",
             Sdk("subscribe", TopicArn=f, Protocol="http", Endpoint="http://example.com/hook"), 400,
             "InvalidParameter", "Invalid parameter: Invalid protocol type: http"),
            ("RawMessageDelivery that is not a boolean",
             Sdk("subscribe", TopicArn=t, Protocol="sqs", Endpoint=self.queue_arn_of("other"),
                 Attributes={"RawMessageDelivery": "wrongvalue"}), 400, "InvalidParameter",
             "Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [wrongvalue]. "
             "Must be true or false."),
            ("RawMessageDelivery on email",
             Sdk("subscribe", TopicArn=t, Protocol="email", Endpoint="ops@example.com",
                 Attributes={"RawMessageDelivery": "true"}), 400, "InvalidParameter",
             "Invalid parameter: Attributes Reason: Delivery protocol [email] does not support raw message delivery."),
            ("RawMessageDelivery on sms",
             Sdk("subscribe", TopicArn=t, Protocol="sms", Endpoint="+15555550100",
                 Attributes={"RawMessageDelivery": "true"}), 400, "InvalidParameter",
             "Invalid parameter: Attributes Reason: Delivery protocol [sms] does not support raw message delivery."),
            ("a filter policy that is not JSON",
             Sdk("subscribe", TopicArn=t, Protocol="sqs", Endpoint=self.queue_arn_of("other"),
                 Attributes={"FilterPolicy": "invalid"}), 400, "InvalidParameter",
             Starts("Invalid parameter: Attributes Reason: FilterPolicy: failed to parse JSON.")),
            ("a filter policy with an unknown operator",
             Sdk("subscribe", TopicArn=t, Protocol="sqs", Endpoint=self.queue_arn_of("other"),
                 Attributes={"FilterPolicy": '{"key":[{"wrong-operator":true}]}'}), 400, "InvalidParameter",
             Starts("Invalid parameter: Attributes Reason: FilterPolicy: Unrecognized match type wrong-operator")),
            ("a filter policy with a nested list",
             Sdk("subscribe", TopicArn=t, Protocol="sqs", Endpoint=self.queue_arn_of("other"),
                 Attributes={"FilterPolicy": '{"key":[["value"]]}'}), 400, "InvalidParameter",
             Starts("Invalid parameter: Attributes Reason: FilterPolicy: Match value must be String, number, "
                    "true, false, or null")),
            ("a numeric range upside down",
             Sdk("subscribe", TopicArn=t, Protocol="sqs", Endpoint=self.queue_arn_of("other"),
                 Attributes={"FilterPolicy": '{"key":[{"numeric":[">",3,"<",1]}]}'}), 400, "InvalidParameter",
             Starts("Invalid parameter: Attributes Reason: FilterPolicy: Bottom must be less than top")),
            ("the same endpoint again with other attributes",
             Sdk("subscribe", TopicArn=t, Protocol="sqs", Endpoint=q, Attributes={"RawMessageDelivery": "true"}),
             400, "InvalidParameter",
             "Invalid parameter: Attributes Reason: Subscription already exists with different attributes"),
            ("unknown subscription attribute",
             Sdk("set_subscription_attributes", SubscriptionArn=self.sub, AttributeName="FakeAttribute",
                 AttributeValue="test-value"), 400, "InvalidParameter", "Invalid parameter: AttributeName"),
            ("empty RawMessageDelivery",
             Sdk("set_subscription_attributes", SubscriptionArn=self.sub, AttributeName="RawMessageDelivery",
                 AttributeValue=""), 400, "InvalidParameter",
             "Invalid parameter: RawMessageDelivery: Invalid value []. Must be true or false."),
            ("a dead-letter target that is no ARN",
             Sdk("set_subscription_attributes", SubscriptionArn=self.sub, AttributeName="RedrivePolicy",
                 AttributeValue='{"deadLetterTargetArn": "fake-arn"}'), 400, "InvalidParameter",
             "Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn"),
            ("a RedrivePolicy that is not JSON",
             Sdk("set_subscription_attributes", SubscriptionArn=self.sub, AttributeName="RedrivePolicy",
                 AttributeValue="{invalidjson}"), 400, "InvalidParameter",
             Starts("Invalid parameter: RedrivePolicy: failed to parse JSON.")),
            ("a FilterPolicy that is not JSON, set later",
             Sdk("set_subscription_attributes", SubscriptionArn=self.sub, AttributeName="FilterPolicy",
                 AttributeValue="{invalidjson}"), 400, "InvalidParameter",
             Starts("Invalid parameter: FilterPolicy: failed to parse JSON.")),
            ("attributes of a deleted subscription",
             Sdk("get_subscription_attributes", SubscriptionArn=t + ":3c1b1a9e-7b7e-4c53-9a8e-3b6f1a2c0d11"),
             404, "NotFound", "Subscription does not exist"),
            ("confirming with a token nobody was sent",
             Sdk("confirm_subscription", TopicArn=t, Token="51b2ff3edb475b7d91550e0ab6edf0c1de2a34e6ebaf6c2262a0"
                 "01bcb7e051c43aa00022ceecce70bd2a67b2042da8d8eb47fef7a4e4e942d23e7fa56146b9ee35da040b4b8af5"),
             400, "InvalidParameter", "Invalid parameter: Token"),

            # Publish. Texts: LocalStack's AWS-recorded snapshots (test_empty_sns_message,
            # test_publish_too_long_message, test_publish_with_empty_subject,
            # test_message_structure_json_exc, test_empty_or_wrong_message_attributes,
            # test_validations_for_fifo, test_publish_wrong_phone_format,
            # test_unknown_topic_publish); the missing-target text is quoted from CloudWatch logs
            # of AWS in public READMEs; the Number cast text is moto's and other emulators'.
            ("publish to a missing topic", Sdk("publish", TopicArn=missing_topic, Message="m"), 404,
             "NotFound", "Topic does not exist"),
            ("publish without any target", Sdk("publish", Message="m"), 400, "InvalidParameter",
             "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter"),
            ("empty message", Sdk("publish", TopicArn=t, Message=""), 400, "InvalidParameter",
             "Invalid parameter: Empty message"),
            ("empty message, written by hand", {"Action": "Publish", "TopicArn": t, "Message": ""}, 400,
             "InvalidParameter", "Invalid parameter: Empty message"),
            ("a message of 256 KiB and one byte", Sdk("publish", TopicArn=t, Message="x" * 262145), 400,
             "InvalidParameter", "Invalid parameter: Message too long"),
            ("256 KiB of message plus an attribute",
             Sdk("publish", TopicArn=t, Message="x" * 262144,
                 MessageAttributes={"a": {"DataType": "String", "StringValue": "v"}}), 400,
             "InvalidParameter", "Invalid parameter: Message too long"),
            ("empty subject", Sdk("publish", TopicArn=t, Message="m", Subject=""), 400, "InvalidParameter",
             "Invalid parameter: Subject"),
            # The Publish reference forbids line breaks and more than 100 characters; the
            # wording for those two is not on record.
            ("a subject with a line break", Sdk("publish", TopicArn=t, Message="m", Subject="a\nb"), 400,
             "InvalidParameter", ANY_TEXT),
            ("a subject of 101 characters", Sdk("publish", TopicArn=t, Message="m", Subject="s" * 101), 400,
             "InvalidParameter", ANY_TEXT),
            ("MessageStructure json that is not JSON",
             Sdk("publish", TopicArn=t, Message="{not json", MessageStructure="json"), 400, "InvalidParameter",
             "Invalid parameter: Message Structure - JSON message body failed to parse"),
            ("MessageStructure json without default",
             Sdk("publish", TopicArn=t, Message='{"sqs": "for queues"}', MessageStructure="json"), 400,
             "InvalidParameter", "Invalid parameter: Message Structure - No default entry in JSON message body"),
            ("a default that is not a string",
             Sdk("publish", TopicArn=t, Message='{"default": 1}', MessageStructure="json"), 400,
             "InvalidParameter", "Invalid parameter: Message Structure - No default entry in JSON message body"),
            ("an attribute type that does not exist",
             Sdk("publish", TopicArn=t, Message="m",
                 MessageAttributes={"attr1": {"DataType": "InvalidType", "StringValue": "123"}}), 400,
             "ParameterValueInvalid", "The message attribute 'attr1' has an invalid message attribute type, "
             "the set of supported type prefixes is Binary, Number, and String."),
            ("an empty String attribute",
             Sdk("publish", TopicArn=t, Message="m",
                 MessageAttributes={"attr1": {"DataType": "String", "StringValue": ""}}), 400,
             "ParameterValueInvalid", "The message attribute 'attr1' must contain non-empty message attribute "
             "value for message attribute type 'String'."),
            ("an empty Binary attribute",
             Sdk("publish", TopicArn=t, Message="m",
                 MessageAttributes={"attr1": {"DataType": "Binary", "BinaryValue": b""}}), 400,
             "ParameterValueInvalid", "The message attribute 'attr1' must contain non-empty message attribute "
             "value for message attribute type 'Binary'."),
            ("a Number attribute that is no number",
             Sdk("publish", TopicArn=t, Message="m",
                 MessageAttributes={"price": {"DataType": "Number", "StringValue": "abc"}}), 400,
             "ParameterValueInvalid", "Could not cast message attribute 'price' value to number."),
            ("FIFO publish without a group",
             Sdk("publish", TopicArn=f, Message="m", MessageDeduplicationId="d-1"), 400, "InvalidParameter",
             "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"),
            ("FIFO publish without deduplication",
             Sdk("publish", TopicArn=f, Message="m", MessageGroupId="g"), 400, "InvalidParameter",
             "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or "
             "MessageDeduplicationId provided explicitly"),
            ("a deduplication id on a standard topic",
             Sdk("publish", TopicArn=t, Message="m", MessageDeduplicationId="d-1"), 400, "InvalidParameter",
             "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId "
             "parameter that is not valid for this topic type"),
            ("a phone number with a letter", Sdk("publish", PhoneNumber="+1a234", Message="m"), 400,
             "InvalidParameter", "Invalid parameter: PhoneNumber Reason: +1a234 is not valid to publish to"),

            # PublishBatch. Texts: LocalStack's AWS-recorded test_publish_batch_exceptions,
            # test_publish_batch_too_long_message, test_publish_batch_messages_without_topic.
            # The wording for an empty batch and a bad entry id is not on record.
            ("a batch for a missing topic",
             Sdk("publish_batch", TopicArn=missing_topic, PublishBatchRequestEntries=[{"Id": "1", "Message": "m"}]),
             404, "NotFound", "Topic does not exist"),
            ("an empty batch", Sdk("publish_batch", TopicArn=t, PublishBatchRequestEntries=[]), 400, "EmptyBatchRequest",
             ANY_TEXT),
            ("a batch of eleven",
             Sdk("publish_batch", TopicArn=t,
                 PublishBatchRequestEntries=[{"Id": "Id_%d" % i, "Message": "m"} for i in range(11)]), 400,
             "TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible."),
            ("two entries with one id",
             Sdk("publish_batch", TopicArn=t, PublishBatchRequestEntries=[{"Id": "1", "Message": "m"}] * 2), 400,
             "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id."),
            ("an entry id with a space",
             Sdk("publish_batch", TopicArn=t, PublishBatchRequestEntries=[{"Id": "a b", "Message": "m"}]), 400,
             "InvalidBatchEntryId", ANY_TEXT),
            ("an entry id of 81 characters",
             Sdk("publish_batch", TopicArn=t, PublishBatchRequestEntries=[{"Id": "i" * 81, "Message": "m"}]), 400,
             "InvalidBatchEntryId", ANY_TEXT),
            ("a batch over 256 KiB in total",
             Sdk("publish_batch", TopicArn=t, PublishBatchRequestEntries=[
                 {"Id": "1", "Message": "x" * 200000}, {"Id": "2", "Message": "x" * 100000}]), 400,
             "BatchRequestTooLong", "The length of all the messages put together is more than the limit."),

            # Actions. AWS's wording for an unknown action on SNS is not on record.
            ("an action SNS does not have", {"Action": "Frobnicate"}, 400, "InvalidAction", ANY_TEXT),
        ]
        self.assertGreaterEqual(len(cases), 30)
        for name, request, status, code, message in cases:
            with self.subTest(name):
                self.assert_error(request, status, code, message)
        self.assert_still_serving()

    def test_actions_wyvern_does_not_serve_are_refused_as_not_implemented(self):
        # Mobile push and the SMS sandbox are SNS actions Wyvern does not implement
        # (broker/server/sns_api.cc): they answer 501 NotImplemented, a Receiver fault, in the
        # same ErrorResponse shape, rather than pretending to succeed.
        cases = [
            ("CreatePlatformApplication",
             Sdk("create_platform_application", Name="app", Platform="GCM", Attributes={"PlatformCredential": "k"})),
            ("ListPlatformApplications", Sdk("list_platform_applications")),
            ("CreateSMSSandboxPhoneNumber", {"Action": "CreateSMSSandboxPhoneNumber", "PhoneNumber": "+15555550100"}),
        ]
        for action, request in cases:
            with self.subTest(action):
                self.assert_error(request, 501, "NotImplemented",
                                  "Wyvern does not implement the SNS action %s." % action, error_type="Receiver")
        self.assert_still_serving()

    def test_an_oversized_and_a_malformed_body_leave_the_broker_serving(self):
        status, _, _ = self.post({"Action": "Publish", "TopicArn": self.topic, "Message": "x" * (2 * 1024 * 1024)})
        self.assertGreaterEqual(status, 400)
        status, _, _ = self.post({"Action": "Publish", "TopicArn": self.topic,
                                  "MessageAttributes.entry.1.Name": "a",
                                  "MessageAttributes.entry.1.Value.DataType": "Binary",
                                  "MessageAttributes.entry.1.Value.BinaryValue": "%%% not base64 %%%"})
        self.assertEqual(status, 400)
        self.assert_still_serving()

    # --- Cases of their own, each with AWS's evidence -----------------------------------------

    def test_a_missing_required_member_is_a_validation_error(self):
        # AWS's request validation answers ValidationError for a null required member: LocalStack's
        # snapshot recorded against AWS (test_empty_or_wrong_message_attributes,
        # "fully_missing_data_type") shows Code ValidationError, "1 validation error detected:
        # Value null at 'messageAttributes.attr1.member.dataType' failed to satisfy constraint:
        # Member must not be null"; Comcast's CMB and other SNS emulators give ValidationError for
        # a missing Message too.
        self.assert_error({"Action": "Publish", "TopicArn": self.topic}, 400, "ValidationError",
                          "1 validation error detected: Value null at 'message' failed to satisfy "
                          "constraint: Member must not be null")
        self.assert_error({"Action": "CreateTopic"}, 400, "ValidationError",
                          "1 validation error detected: Value null at 'name' failed to satisfy "
                          "constraint: Member must not be null")

    def test_an_attribute_without_a_data_type_is_a_validation_error(self):
        # AWS (LocalStack's AWS-recorded snapshot, test_empty_or_wrong_message_attributes):
        # ValidationError, "1 validation error detected: Value null at
        # 'messageAttributes.attr1.member.dataType' failed to satisfy constraint: Member must not
        # be null".
        self.assert_error(dict({"Action": "Publish", "TopicArn": self.topic, "Message": "m"},
                               **attribute("attr1", StringValue="123")), 400, "ValidationError",
                          "1 validation error detected: Value null at 'messageAttributes.attr1.member.dataType' "
                          "failed to satisfy constraint: Member must not be null")

    def test_malformed_arns_are_explained_as_aws_explains_them(self):
        # AWS (LocalStack's AWS-recorded test_create_topic_with_attributes,
        # test_publish_wrong_arn_format, test_unsubscribe_wrong_arn_format) counts the ARN's
        # elements, and names a well-formed ARN without a subscription id "SubscriptionId".
        self.assert_error(Sdk("get_topic_attributes", TopicArn="test-topic"), 400, "InvalidParameter",
                          "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1")
        self.assert_error(Sdk("publish", TopicArn="randomstring:1", Message="m"), 400, "InvalidParameter",
                          "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 2")
        self.assert_error(Sdk("publish", TopicArn="", Message="m"), 400, "InvalidParameter",
                          "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1")
        self.assert_error(Sdk("unsubscribe", SubscriptionArn="randomstring"), 400, "InvalidParameter",
                          "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 1")
        self.assert_error(Sdk("unsubscribe", SubscriptionArn="arn:aws:sns:us-east-1:random"), 400,
                          "InvalidParameter",
                          "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 5")
        self.assert_error(Sdk("unsubscribe", SubscriptionArn="arn:aws:sns:us-east-1:%s:random" % ACCOUNT), 400,
                          "InvalidParameter", "Invalid parameter: SubscriptionId")

    def test_unsubscribing_twice_succeeds(self):
        # AWS (LocalStack's AWS-recorded test_unsubscribe_idempotency and
        # test_unsubscribe_from_non_existing_subscription): 200 both times.
        self.sns.unsubscribe(SubscriptionArn=self.sub)
        try:
            self.sns.unsubscribe(SubscriptionArn=self.sub)
        except self.sns.exceptions.ClientError as e:
            self.fail("the second Unsubscribe failed: %s" % e.response["Error"])

    def test_an_unknown_topic_attribute_is_named_as_aws_names_it(self):
        # AWS quoted in hashicorp/terraform-provider-aws#22282 (a GovCloud run): "Invalid
        # parameter: Attributes Reason: Unknown attribute FifoTopic"; the broker's own Subscribe
        # says "Unknown attribute" the same way.
        self.assert_error(Sdk("create_topic", Name="plain", Attributes={"Colour": "red"}), 400,
                          "InvalidParameter", "Invalid parameter: Attributes Reason: Unknown attribute Colour")

    def test_an_invalid_sms_endpoint_is_reported_without_the_parameter_prefix(self):
        # AWS (LocalStack's AWS-recorded test_subscribe_bad_sms and
        # test_publish_wrong_phone_format, "wrong-endpoint"): "Invalid SMS endpoint:
        # invalid-number", without the "Invalid parameter:" prefix.
        self.assert_error(Sdk("subscribe", TopicArn=self.topic, Protocol="sms", Endpoint="invalid-number"), 400,
                          "InvalidParameter", "Invalid SMS endpoint: invalid-number")

    def test_a_fifo_queue_on_a_standard_topic_is_refused_in_aws_words(self):
        # AWS (LocalStack's AWS-recorded test_validations_for_fifo, "not-fifo-topic") repeats the
        # prefix: "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not
        # be subscribed to standard SNS topics".
        self.assert_error(Sdk("subscribe", TopicArn=self.topic, Protocol="sqs",
                              Endpoint=self.queue_arn_of("orders-q.fifo")), 400, "InvalidParameter",
                          "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be "
                          "subscribed to standard SNS topics")

    def test_confirming_on_a_missing_topic_is_an_invalid_token(self):
        # AWS (LocalStack's AWS-recorded test_sns_confirm_subscription_wrong_token,
        # "topic-not-exists"): 400 InvalidParameter "Invalid parameter: Token".
        self.assert_error(Sdk("confirm_subscription", TopicArn=self.topic + "i",
                              Token="51b2ff3edb475b7d91550e0ab6edf0c1de2a34e6ebaf6c2262a001bcb7e051c4"), 400,
                          "InvalidParameter", "Invalid parameter: Token")

    def test_a_token_of_the_wrong_shape_is_an_invalid_token(self):
        # AWS (LocalStack's AWS-recorded test_sns_confirm_subscription_wrong_token,
        # "invalid-token", Token="randomtoken"): "Invalid token".
        self.assert_error(Sdk("confirm_subscription", TopicArn=self.topic, Token="randomtoken"), 400,
                          "InvalidParameter", "Invalid token")

    def test_message_attribute_names_and_fields_are_checked(self):
        # AWS (LocalStack's AWS-recorded test_empty_or_wrong_message_attributes) checks that the
        # value's field fits the type, and the name's length, characters and first character:
        t = self.topic
        self.assert_error(Sdk("publish", TopicArn=t, Message="m",
                              MessageAttributes={"attr1": {"DataType": "String", "BinaryValue": b"123"}}), 400,
                          "ParameterValueInvalid",
                          "The message attribute 'attr1' with type 'String' must use field 'String'.")
        self.assert_error(Sdk("publish", TopicArn=t, Message="m",
                              MessageAttributes={"a" * 257: {"DataType": "String", "StringValue": "123"}}), 400,
                          "ParameterValueInvalid", "Length of message attribute name must be less than 256 bytes.")
        self.assert_error(Sdk("publish", TopicArn=t, Message="m",
                              MessageAttributes={"a^*?": {"DataType": "String", "StringValue": "123"}}), 400,
                          "ParameterValueInvalid",
                          "Invalid non-alphanumeric character '#x5E' was found in the message attribute name. "
                          "Can only include alphanumeric characters, hyphens, underscores, or dots.")
        self.assert_error(Sdk("publish", TopicArn=t, Message="m",
                              MessageAttributes={".abc": {"DataType": "String", "StringValue": "123"}}), 400,
                          "ParameterValueInvalid",
                          "Invalid message attribute name starting with character '.' was found.")

    def test_an_entry_that_fails_validation_rejects_the_whole_batch(self):
        # AWS (LocalStack's AWS-recorded test_publish_batch_exceptions, "no-group-id",
        # "no-dedup-id", "no-default-key-json"): an entry that fails validation fails the whole
        # request with the Publish error.
        self.assert_error(Sdk("publish_batch", TopicArn=self.fifo,
                              PublishBatchRequestEntries=[{"Id": "1", "Message": "Test message without Group ID"}]),
                          400, "InvalidParameter",
                          "Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
        self.assert_error(Sdk("publish_batch", TopicArn=self.topic, PublishBatchRequestEntries=[
            {"Id": "1", "Message": '{"sqs": "test sqs"}', "MessageStructure": "json"}]), 400, "InvalidParameter",
            "Invalid parameter: Message Structure - No default entry in JSON message body")

    def test_raw_message_delivery_is_read_regardless_of_case(self):
        # AWS (LocalStack's AWS-recorded test_create_subscriptions_with_attributes) accepts
        # RawMessageDelivery "TrUe" and reports it as "true".
        try:
            arn = self.sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=self.queue_arn_of("other"),
                                     Attributes={"RawMessageDelivery": "TrUe"},
                                     ReturnSubscriptionArn=True)["SubscriptionArn"]
        except self.sns.exceptions.ClientError as e:
            self.fail("Subscribe refused RawMessageDelivery=TrUe: %s" % e.response["Error"]["Message"])
        attributes = self.sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
        self.assertEqual(attributes["RawMessageDelivery"], "true")

    def test_duplicate_tag_keys_are_refused(self):
        # AWS (LocalStack's AWS-recorded test_tags, "duplicate-key-error"): 400 "Invalid parameter:
        # Duplicated keys are not allowed."
        self.assert_error(Sdk("tag_resource", ResourceArn=self.topic, Tags=[
            {"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": "v2"}, {"Key": "k2", "Value": "v2"}]),
            400, "InvalidParameter", "Invalid parameter: Duplicated keys are not allowed.")

    def test_another_regions_topic_is_out_of_reach(self):
        # AWS (LocalStack's AWS-recorded TestSNSMultiRegions::test_cross_region_access and
        # test_topic_publish_another_region): another region's topic is out of reach, 400
        # InvalidParameter "Invalid parameter: TopicArn".
        west_client = sns_client(self.broker, "us-west-1")
        self.addCleanup(west_client.close)
        west = west_client.create_topic(Name="west")["TopicArn"]
        self.assert_error(Sdk("get_topic_attributes", TopicArn=west), 400, "InvalidParameter",
                          "Invalid parameter: TopicArn")
        self.assert_error(Sdk("publish", TopicArn=west, Message="m"), 400, "InvalidParameter",
                          "Invalid parameter: TopicArn")


if __name__ == "__main__":
    unittest.main()
