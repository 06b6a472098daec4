"""SNS through a real boto3 client, checked against what AWS documents: fan-out to SQS queues in
SNS's JSON envelope, signatures that verify against the certificate at SigningCertURL, raw
delivery, per-protocol messages, filter policies, FIFO topics (ordering, deduplication, sequence
numbers), PublishBatch, topic and subscription management, tags and permissions, SMS and email
through the outbox, subscription dead-letter queues, and durability across restarts.

Delivery is asynchronous: a test waits for a queue with long polling (or, for the outbox, polls
it) and never relies on how long anything takes. Deduplication windows are crossed by moving
the broker's virtual clock."""
import base64
import calendar
import hashlib
import json
import re
import struct
import time
import unittest
import urllib.parse
import urllib.request
from collections import OrderedDict

import boto3
import botocore.config

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from harness import ACCOUNT, REGION, Broker, BrokerTestCase, temp_dir

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
SIGNATURE_FIELDS = ["SignatureVersion", "Signature", "SigningCertURL"]


def envelope_of(body):
    """The SNS envelope in an SQS body, its field order kept."""
    return json.loads(body, object_pairs_hook=OrderedDict)


def string_to_sign(envelope):
    """What SNS signs, as "Verifying the signatures of Amazon SNS messages" describes it: each
    field's name and value on lines of their own, in a fixed order; Subject only if present."""
    if envelope["Type"] in ("SubscriptionConfirmation", "UnsubscribeConfirmation"):
        names = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    else:
        names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    return "".join("%s\n%s\n" % (n, envelope[n]) for n in names if n in envelope).encode()


def attributes_md5(attributes):
    """MD5OfMessageAttributes as SQS documents it (names sorted; each of name, type and value
    length-prefixed; a transport byte 1 for strings, 2 for binary)."""
    def field(b):
        return struct.pack(">I", len(b)) + b
    buf = b""
    for name in sorted(attributes):
        value = attributes[name]
        buf += field(name.encode()) + field(value["DataType"].encode())
        if "BinaryValue" in value:
            buf += b"\x02" + field(value["BinaryValue"])
        else:
            buf += b"\x01" + field(value["StringValue"].encode())
    return hashlib.md5(buf).hexdigest()


def verify_signature(envelope, certificate_url=None):
    """Verifies an envelope's signature with the certificate fetched from its SigningCertURL
    (or `certificate_url`); raises InvalidSignature if it does not verify."""
    with urllib.request.urlopen(certificate_url or envelope["SigningCertURL"], timeout=10) as res:
        certificate = x509.load_pem_x509_certificate(res.read())
    digest = {"1": hashes.SHA1(), "2": hashes.SHA256()}[envelope["SignatureVersion"]]
    certificate.public_key().verify(base64.b64decode(envelope["Signature"]),
                                    string_to_sign(envelope), padding.PKCS1v15(), digest)


class SnsTestCase(BrokerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sns = cls.broker.sns()

    def topic(self, name="events", **attributes):
        return self.sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]

    def fifo_topic(self, name="orders.fifo", **attributes):
        return self.topic(name, FifoTopic="true", **attributes)

    def queue(self, name, **attributes):
        """A queue's (URL, ARN)."""
        if name.endswith(".fifo"):
            attributes.setdefault("FifoQueue", "true")
        url = self.sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return url, arn["Attributes"]["QueueArn"]

    def subscribe_queue(self, topic_arn, queue_arn, **attributes):
        return self.sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn,
                                  Attributes=attributes)["SubscriptionArn"]

    def receive(self, url, count, **kwargs):
        """Long-polls `url` until `count` messages came (deleting each); returns them."""
        kwargs.setdefault("AttributeNames", ["All"])
        kwargs.setdefault("MessageAttributeNames", ["All"])
        got, idle = [], 0
        while len(got) < count and idle < 3:  # gives up after three empty long polls in a row
            messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                WaitTimeSeconds=5, **kwargs).get("Messages", [])
            for m in messages:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            got += messages
            idle = 0 if messages else idle + 1
        self.assertEqual(len(got), count, [m["Body"] for m in got])
        return got

    def assert_nothing_more(self, url):
        """Nothing further arrives. Called once messages published later have been received,
        so what it guards against would have arrived already."""
        extra = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                         WaitTimeSeconds=1).get("Messages", [])
        self.assertEqual([m["Body"] for m in extra], [])

    def bodies(self, url, count):
        return sorted(m["Body"] for m in self.receive(url, count))

    def messages(self, url, count):
        """The `Message` of each of `count` enveloped deliveries, sorted."""
        return sorted(envelope_of(m["Body"])["Message"] for m in self.receive(url, count))

    def outbox(self, count, kind=None):
        """Polls the outbox until it holds `count` entries (of `kind`, if given)."""
        deadline = time.monotonic() + 20
        while True:
            entries = [e for e in self.broker.admin("sns/outbox")["messages"]
                       if kind is None or e["kind"] == kind]
            if len(entries) >= count or time.monotonic() > deadline:
                self.assertEqual(len(entries), count, entries)
                return entries
            time.sleep(0.05)

    def clock_ms(self):
        return self.broker.admin("clock")["now_ms"]

    def fetch(self, url):
        with urllib.request.urlopen(url, timeout=10) as res:
            return res.status, res.read()

    def verify(self, envelope):
        verify_signature(envelope)


class Delivery(SnsTestCase):
    def test_one_publish_fans_out_to_every_subscribed_queue_in_the_aws_envelope(self):
        topic = self.topic()
        queues = [self.queue("fan-%d" % i) for i in range(3)]
        subscriptions = {arn: self.subscribe_queue(topic, arn) for _, arn in queues}
        attributes = {
            "species": {"DataType": "String", "StringValue": "wyvern"},
            "wingspan": {"DataType": "Number", "StringValue": "12.5"},
            "photo": {"DataType": "Binary", "BinaryValue": b"\x89PNG\x00\xff"},
        }
        before = self.clock_ms()
        sent = self.sns.publish(TopicArn=topic, Message="a dragon was sighted 🐉",
                                Subject="Sighting", MessageAttributes=attributes)
        after = self.clock_ms()
        self.assertNotIn("SequenceNumber", sent)
        for url, arn in queues:
            [msg] = self.receive(url, 1)
            envelope = envelope_of(msg["Body"])
            self.assertEqual(list(envelope), [
                "Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp",
                "SignatureVersion", "Signature", "SigningCertURL", "UnsubscribeURL",
                "MessageAttributes"])
            self.assertEqual(envelope["Type"], "Notification")
            self.assertEqual(envelope["MessageId"], sent["MessageId"])
            self.assertEqual(envelope["TopicArn"], topic)
            self.assertEqual(envelope["Subject"], "Sighting")
            self.assertEqual(envelope["Message"], "a dragon was sighted 🐉")
            self.assertRegex(envelope["Timestamp"], TIMESTAMP)
            stamp = time.strptime(envelope["Timestamp"][:19], "%Y-%m-%dT%H:%M:%S")
            stamp_ms = calendar.timegm(stamp) * 1000 + int(envelope["Timestamp"][20:23])
            self.assertTrue(before <= stamp_ms <= after, (before, stamp_ms, after))
            self.assertEqual(envelope["SignatureVersion"], "1")
            self.assertIn("SubscriptionArn=" + subscriptions[arn], envelope["UnsubscribeURL"])
            self.assertEqual(dict(envelope["MessageAttributes"]), {
                "species": {"Type": "String", "Value": "wyvern"},
                "wingspan": {"Type": "Number", "Value": "12.5"},
                "photo": {"Type": "Binary",
                          "Value": base64.b64encode(b"\x89PNG\x00\xff").decode()}})
            # Not raw: the SNS attributes travel inside the envelope, not as SQS attributes.
            self.assertNotIn("MessageAttributes", msg)

    def test_the_envelope_leaves_out_subject_and_attributes_when_there_are_none(self):
        topic = self.topic()
        url, arn = self.queue("plain")
        self.subscribe_queue(topic, arn)
        self.sns.publish(TopicArn=topic, Message="just text")
        [msg] = self.receive(url, 1)
        self.assertEqual(list(envelope_of(msg["Body"])), [
            "Type", "MessageId", "TopicArn", "Message", "Timestamp", "SignatureVersion",
            "Signature", "SigningCertURL", "UnsubscribeURL"])

    def test_signatures_verify_against_the_signing_certificate_in_both_versions(self):
        topic = self.topic()
        url, arn = self.queue("signed")
        self.subscribe_queue(topic, arn)
        self.sns.publish(TopicArn=topic, Message="line one\nline \"two\"", Subject="S1")
        self.sns.publish(TopicArn=topic, Message="no subject here")
        for msg in self.receive(url, 2):
            envelope = envelope_of(msg["Body"])
            self.assertEqual(envelope["SignatureVersion"], "1")
            self.verify(envelope)
            tampered = OrderedDict(envelope, Message=envelope["Message"] + "!")
            with self.assertRaises(InvalidSignature):
                self.verify(tampered)

        self.sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion",
                                      AttributeValue="2")
        self.assertEqual(self.sns.get_topic_attributes(TopicArn=topic)["Attributes"]
                         ["SignatureVersion"], "2")
        self.sns.publish(TopicArn=topic, Message="signed with SHA256", Subject="S2")
        [msg] = self.receive(url, 1)
        envelope = envelope_of(msg["Body"])
        self.assertEqual(envelope["SignatureVersion"], "2")
        self.verify(envelope)
        # A SHA256 signature is not a SHA1 one.
        with self.assertRaises(InvalidSignature):
            self.verify(OrderedDict(envelope, SignatureVersion="1"))

    def test_raw_delivery_sends_the_message_itself_with_real_sqs_attributes(self):
        topic = self.topic()
        url, arn = self.queue("raw")
        sub = self.subscribe_queue(topic, arn, RawMessageDelivery="true")
        self.assertEqual(self.sns.get_subscription_attributes(SubscriptionArn=sub)
                         ["Attributes"]["RawMessageDelivery"], "true")
        attributes = {
            "colour": {"DataType": "String", "StringValue": "green"},
            "count": {"DataType": "Number", "StringValue": "42"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\x02\xfe"},
        }
        self.sns.publish(TopicArn=topic, Message='{"not": "wrapped"}', Subject="ignored",
                         MessageAttributes=attributes)
        [msg] = self.receive(url, 1)
        self.assertEqual(msg["Body"], '{"not": "wrapped"}')
        self.assertEqual(msg["MD5OfBody"], hashlib.md5(b'{"not": "wrapped"}').hexdigest())
        got = msg["MessageAttributes"]
        self.assertEqual(got["colour"], {"DataType": "String", "StringValue": "green"})
        self.assertEqual(got["count"], {"DataType": "Number", "StringValue": "42"})
        self.assertEqual(got["blob"], {"DataType": "Binary", "BinaryValue": b"\x00\x01\x02\xfe"})
        self.assertEqual(msg["MD5OfMessageAttributes"], attributes_md5(attributes))

        # Switched off again, the envelope comes back.
        self.sns.set_subscription_attributes(SubscriptionArn=sub,
                                             AttributeName="RawMessageDelivery",
                                             AttributeValue="false")
        self.sns.publish(TopicArn=topic, Message="wrapped again")
        [msg] = self.receive(url, 1)
        self.assertEqual(envelope_of(msg["Body"])["Message"], "wrapped again")

    def test_message_structure_json_sends_each_protocol_its_own_message(self):
        topic = self.topic()
        enveloped_url, enveloped_arn = self.queue("enveloped")
        raw_url, raw_arn = self.queue("raw")
        self.subscribe_queue(topic, enveloped_arn)
        self.subscribe_queue(topic, raw_arn, RawMessageDelivery="true")
        self.sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+15555550142")
        self.sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps(
            {"default": "for everyone", "sqs": "for queues", "sms": "for phones"}))
        [msg] = self.receive(enveloped_url, 1)
        self.assertEqual(envelope_of(msg["Body"])["Message"], "for queues")
        self.assertEqual(self.bodies(raw_url, 1), ["for queues"])
        [text] = self.outbox(1, kind="sms")
        self.assertEqual((text["destination"], text["message"]), ("+15555550142", "for phones"))

        # Without an "sqs" key, queues get the default.
        self.sns.publish(TopicArn=topic, MessageStructure="json",
                         Message=json.dumps({"default": "fallback", "email": "for mailboxes"}))
        [msg] = self.receive(enveloped_url, 1)
        self.assertEqual(envelope_of(msg["Body"])["Message"], "fallback")
        self.assertEqual(self.bodies(raw_url, 1), ["fallback"])

        for bad in ['{"sqs": "no default"}', "not json at all"]:
            code, _, status = self.error_of(self.sns.publish, TopicArn=topic,
                                            MessageStructure="json", Message=bad)
            self.assertEqual((code, status), ("InvalidParameter", 400))


class PublishValidation(SnsTestCase):
    def test_publish_targets_and_sizes(self):
        topic = self.topic()
        url, arn = self.queue("q")
        self.subscribe_queue(topic, arn)
        # TargetArn names a topic as well as TopicArn does.
        sent = self.sns.publish(TargetArn=topic, Message="via TargetArn")
        [msg] = self.receive(url, 1)
        self.assertEqual(envelope_of(msg["Body"])["MessageId"], sent["MessageId"])
        for kwargs in [{"TopicArn": topic, "PhoneNumber": "+15555550100"}, {}]:
            code, _, status = self.error_of(self.sns.publish, Message="x", **kwargs)
            self.assertEqual((code, status), ("InvalidParameter", 400), kwargs)
        code, _, status = self.error_of(self.sns.publish, TopicArn=topic, Message="")
        self.assertEqual((code, status), ("InvalidParameter", 400))
        # 256 KB (262,144 bytes) at most, attributes included.
        self.sns.publish(TopicArn=topic, Message="x" * 262144)
        self.assertEqual(self.messages(url, 1), ["x" * 262144])
        code, _, status = self.error_of(self.sns.publish, TopicArn=topic, Message="x" * 262145)
        self.assertEqual((code, status), ("InvalidParameter", 400))
        code, _, _ = self.error_of(self.sns.publish, TopicArn=topic, Message="x" * 262000,
                                   MessageAttributes={"big": {"DataType": "String",
                                                              "StringValue": "y" * 200}})
        self.assertEqual(code, "InvalidParameter")

    def test_subjects_are_one_line_of_text(self):
        topic = self.topic()
        for subject in ["line\nbreak", "tab\there", "x" * 101]:
            code, _, status = self.error_of(self.sns.publish, TopicArn=topic, Message="m",
                                            Subject=subject)
            self.assertEqual((code, status), ("InvalidParameter", 400), subject)

    def test_a_subject_may_be_any_utf8_text(self):
        # AWS's Publish reference: "Subjects must be UTF-8 text with no line breaks or control
        # characters, and less than 100 characters long."
        topic = self.topic()
        url, arn = self.queue("q")
        self.subscribe_queue(topic, arn)
        self.sns.publish(TopicArn=topic, Message="m", Subject="Größe des Drachen 🐉")
        [msg] = self.receive(url, 1)
        self.assertEqual(envelope_of(msg["Body"])["Subject"], "Größe des Drachen 🐉")

    def test_attribute_types_and_values_are_checked(self):
        topic = self.topic()
        for attribute in [{"DataType": "Number", "StringValue": "twelve"},
                          {"DataType": "Decimal", "StringValue": "1"},
                          {"DataType": "String.Array", "StringValue": "not an array"},
                          {"DataType": "String", "StringValue": ""}]:
            code, _, status = self.error_of(self.sns.publish, TopicArn=topic, Message="m",
                                            MessageAttributes={"a": attribute})
            self.assertIn(code, ("ParameterValueInvalid", "InvalidParameter"), attribute)
            self.assertEqual(status, 400)

    def test_attribute_names_follow_the_documented_rules(self):
        # AWS (Amazon SNS message attributes, "Message attribute items and validation"): names
        # hold A-Z, a-z, 0-9, "_", "-" and "."; they must not start or end with a period nor
        # have successive periods.
        topic = self.topic()
        for name in ["has space", "a..b", ".leading", "trailing.", "star*"]:
            code, _, status = self.error_of(self.sns.publish, TopicArn=topic, Message="m",
                                            MessageAttributes={name: {"DataType": "String",
                                                                      "StringValue": "v"}})
            self.assertIn(code, ("ParameterValueInvalid", "InvalidParameter"), name)
            self.assertEqual(status, 400)

    def test_topics_live_in_their_region(self):
        west = boto3.client("sns", endpoint_url=self.broker.endpoint, region_name="eu-west-1",
                            aws_access_key_id="test", aws_secret_access_key="test",
                            config=botocore.config.Config(retries={"max_attempts": 1}))
        arn = west.create_topic(Name="regional")["TopicArn"]
        self.assertEqual(arn, "arn:aws:sns:eu-west-1:%s:regional" % ACCOUNT)
        home = self.topic("regional")
        self.assertNotEqual(home, arn)
        self.assertEqual([t["TopicArn"] for t in west.list_topics()["Topics"]], [arn])
        self.assertEqual([t["TopicArn"] for t in self.sns.list_topics()["Topics"]], [home])


class Filtering(SnsTestCase):
    """A few representative policies per scope, end to end; the shared table of documented
    outcomes has its own runner for the full set."""

    def setUp(self):
        super().setUp()
        self.t = self.topic()
        self.everything_url, everything_arn = self.queue("everything")
        self.subscribe_queue(self.t, everything_arn)

    def publish(self, message, **attributes):
        typed = {}
        for name, value in attributes.items():
            if isinstance(value, list):
                typed[name] = {"DataType": "String.Array", "StringValue": json.dumps(value)}
            elif isinstance(value, (int, float)):
                typed[name] = {"DataType": "Number", "StringValue": str(value)}
            else:
                typed[name] = {"DataType": "String", "StringValue": value}
        self.sns.publish(TopicArn=self.t, Message=message, MessageAttributes=typed)

    def run_cases(self, url, cases, expected):
        """Publishes each (message, attributes) case; exactly the messages `expected` arrive at
        `url`, and every one at the unfiltered queue. The matching ones come last in `cases`, so
        once they are in, a wrongly matched earlier one would be too."""
        for message, attributes in cases:
            self.publish(message, **attributes)
        self.assertEqual(self.messages(self.everything_url, len(cases)),
                         sorted(message for message, _ in cases))
        self.assertEqual(self.messages(url, len(expected)), sorted(expected))
        self.assert_nothing_more(url)

    def test_attribute_policies_match_strings_prefixes_numbers_and_arrays(self):
        url, arn = self.queue("filtered")
        self.subscribe_queue(self.t, arn, FilterPolicy=json.dumps({
            "colour": ["red", {"prefix": "bl"}],
            "size": [{"numeric": [">=", 10, "<", 20]}],
        }))
        cases = [
            ("wrong colour", {"colour": "green", "size": 12}),
            ("too small", {"colour": "red", "size": 9}),
            ("no size", {"colour": "red"}),
            ("no attributes", {}),
            ("red 10", {"colour": "red", "size": 10}),
            ("blue 19.5", {"colour": "blue", "size": 19.5}),
            ("array with red", {"colour": ["green", "red"], "size": 15}),
        ]
        self.run_cases(url, cases, ["red 10", "blue 19.5", "array with red"])

    def test_attribute_policies_with_anything_but_and_exists(self):
        url, arn = self.queue("filtered")
        self.subscribe_queue(self.t, arn, FilterPolicy=json.dumps({
            "store": [{"exists": True}],
            "event": [{"anything-but": ["order_cancelled", "order_returned"]}],
        }))
        cases = [
            ("cancelled", {"store": "s1", "event": "order_cancelled"}),
            ("no store", {"event": "order_placed"}),
            ("placed", {"store": "s1", "event": "order_placed"}),
        ]
        self.run_cases(url, cases, ["placed"])

    def test_changing_the_filter_policy_takes_effect(self):
        url, arn = self.queue("filtered")
        sub = self.subscribe_queue(self.t, arn, FilterPolicy='{"colour": ["red"]}')
        self.run_cases(url, [("green 1", {"colour": "green"}),
                             ("red 1", {"colour": "red"})], ["red 1"])
        self.sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                             AttributeValue='{"colour": ["green"]}')
        attributes = self.sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
        self.assertEqual(json.loads(attributes["FilterPolicy"]), {"colour": ["green"]})
        self.assertEqual(attributes["FilterPolicyScope"], "MessageAttributes")
        self.run_cases(url, [("red 2", {"colour": "red"}),
                             ("green 2", {"colour": "green"})], ["green 2"])
        # An empty policy removes the filter: everything is delivered again.
        self.sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                             AttributeValue="")
        self.run_cases(url, [("red 3", {"colour": "red"}),
                             ("plain 3", {})], ["red 3", "plain 3"])

    def test_invalid_filter_policies_are_refused(self):
        url, arn = self.queue("filtered")
        for policy in ['{"colour": "red"}', "not json", '{"n": [{"numeric": [">"]}]}']:
            code, _, status = self.error_of(self.subscribe_queue, self.t, arn, FilterPolicy=policy)
            self.assertEqual((code, status), ("InvalidParameter", 400), policy)
        # Nested keys are for the message body only.
        code, _, _ = self.error_of(self.subscribe_queue, self.t, arn,
                                   FilterPolicy='{"order": {"status": ["shipped"]}}')
        self.assertEqual(code, "InvalidParameter")

    def test_body_policies_match_nested_keys_of_json_messages(self):
        url, arn = self.queue("filtered")
        sub = self.subscribe_queue(self.t, arn, FilterPolicyScope="MessageBody",
                                   FilterPolicy=json.dumps({
                                       "order": {"status": ["shipped"],
                                                 "total": [{"numeric": [">", 100]}]},
                                       "region": [{"prefix": "eu-"}]}))
        self.assertEqual(self.sns.get_subscription_attributes(SubscriptionArn=sub)
                         ["Attributes"]["FilterPolicyScope"], "MessageBody")
        def body(status, total, region):
            return json.dumps({"order": {"status": status, "total": total}, "region": region})
        matching = [body("shipped", 250, "eu-west-1"), body(["pending", "shipped"], 101, "eu-x")]
        cases = [
            (body("pending", 250, "eu-west-1"), {}),
            (body("shipped", 99, "eu-west-1"), {}),
            (body("shipped", 250, "us-east-1"), {}),
            # Attributes do not count in the body scope.
            (json.dumps({"order": {"status": "shipped", "total": 500}}), {"region": "eu-west-1"}),
            ("not json: shipped eu-west-1", {}),
        ] + [(m, {}) for m in matching]
        self.run_cases(url, cases, matching)

    def test_switching_the_scope_reads_the_same_policy_against_the_other_half(self):
        url, arn = self.queue("filtered")
        sub = self.subscribe_queue(self.t, arn, FilterPolicy='{"kind": ["alert"]}')
        self.run_cases(url, [('{"kind": "alert"}', {}),
                             ("attr alert", {"kind": "alert"})], ["attr alert"])
        self.sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicyScope",
                                             AttributeValue="MessageBody")
        body = '{"kind": "alert", "n": 2}'
        self.run_cases(url, [("attr alert 2", {"kind": "alert"}), (body, {})], [body])


class Fifo(SnsTestCase):
    def setUp(self):
        super().setUp()
        self.t = self.fifo_topic()
        self.url, self.arn = self.queue("orders.fifo")
        self.subscribe_queue(self.t, self.arn)

    def publish(self, message, group, dedup=None, **kwargs):
        if dedup is not None:
            kwargs["MessageDeduplicationId"] = dedup
        return self.sns.publish(TopicArn=self.t, Message=message, MessageGroupId=group, **kwargs)

    def test_order_within_each_group_survives_fan_out_with_sequence_numbers(self):
        published = {"alpha": [], "beta": []}
        for i in range(20):
            group = "alpha" if i % 3 else "beta"
            sent = self.publish("%s-%02d" % (group, i), group, dedup="d%02d" % i,
                                Subject="Order %d" % i)
            published[group].append(("%s-%02d" % (group, i), "d%02d" % i, sent))
        for group, items in published.items():
            numbers = [int(sent["SequenceNumber"]) for _, _, sent in items]
            self.assertEqual(numbers, sorted(set(numbers)), "%s: not increasing" % group)

        received = {"alpha": [], "beta": []}
        for msg in self.receive(self.url, 20):
            envelope = envelope_of(msg["Body"])
            received[msg["Attributes"]["MessageGroupId"]].append((envelope, msg["Attributes"]))
        for group, items in published.items():
            self.assertEqual([e["Message"] for e, _ in received[group]],
                             [message for message, _, _ in items])
            for (envelope, attributes), (_, dedup, sent) in zip(received[group], items):
                self.assertEqual(list(envelope), [
                    "Type", "MessageId", "SequenceNumber", "TopicArn", "Subject", "Message",
                    "Timestamp", "UnsubscribeURL"])
                self.assertEqual(envelope["MessageId"], sent["MessageId"])
                self.assertEqual(envelope["SequenceNumber"], sent["SequenceNumber"])
                self.assertEqual(attributes["MessageDeduplicationId"], dedup)
                self.assertEqual(attributes["MessageGroupId"], group)
                for name in SIGNATURE_FIELDS:
                    self.assertNotIn(name, envelope)

    def test_a_repeated_deduplication_id_is_accepted_but_delivered_once_for_five_minutes(self):
        first = self.publish("first", "g", dedup="same")
        again = self.publish("second, same id", "g", dedup="same")
        self.assertEqual(again["MessageId"], first["MessageId"])
        self.publish("marker", "g", dedup="other")
        self.assertEqual([envelope_of(m["Body"])["Message"] for m in self.receive(self.url, 2)],
                         ["first", "marker"])
        self.assert_nothing_more(self.url)

        self.broker.advance(301)
        later = self.publish("after the window", "g", dedup="same")
        self.assertNotEqual(later["MessageId"], first["MessageId"])
        self.assertGreater(int(later["SequenceNumber"]), int(first["SequenceNumber"]))
        [msg] = self.receive(self.url, 1)
        self.assertEqual(envelope_of(msg["Body"])["MessageId"], later["MessageId"])
        self.assertEqual(msg["Attributes"]["MessageDeduplicationId"], "same")

    def test_a_standard_queue_subscribed_to_a_fifo_topic_gets_its_messages(self):
        # AWS: "Amazon SNS FIFO topics support delivery to both Amazon SQS standard and FIFO
        # queues" (Message delivery for FIFO topics, fifo-message-delivery.html).
        url, arn = self.queue("standard-analytics")
        self.subscribe_queue(self.t, arn)
        sent = self.publish("to both kinds", "g", dedup="both")
        [msg] = self.receive(url, 1)
        envelope = envelope_of(msg["Body"])
        self.assertEqual((envelope["MessageId"], envelope["Message"]),
                         (sent["MessageId"], "to both kinds"))
        self.assertEqual(self.messages(self.url, 1), ["to both kinds"])

    def test_deduplication_spans_the_whole_topic_not_one_group(self):
        first = self.publish("in group a", "a", dedup="shared")
        again = self.publish("in group b", "b", dedup="shared")
        self.assertEqual(again["MessageId"], first["MessageId"])
        self.publish("marker", "b", dedup="marker")
        self.assertEqual(self.messages(self.url, 2), ["in group a", "marker"])
        self.assert_nothing_more(self.url)

    def test_content_based_deduplication_uses_the_message_body(self):
        code, _, status = self.error_of(self.publish, "no id", "g")
        self.assertEqual((code, status), ("InvalidParameter", 400))
        self.sns.set_topic_attributes(TopicArn=self.t, AttributeName="ContentBasedDeduplication",
                                      AttributeValue="true")
        self.assertEqual(self.sns.get_topic_attributes(TopicArn=self.t)["Attributes"]
                         ["ContentBasedDeduplication"], "true")
        one = self.publish("same body", "g")
        # Attributes are not part of the hash.
        two = self.publish("same body", "g", MessageAttributes={
            "extra": {"DataType": "String", "StringValue": "differs"}})
        self.assertEqual(one["MessageId"], two["MessageId"])
        other = self.publish("different body", "g")
        self.assertNotEqual(other["MessageId"], one["MessageId"])
        self.assertEqual(self.messages(self.url, 2), ["different body", "same body"])
        self.assert_nothing_more(self.url)

    def test_raw_delivery_to_a_fifo_queue_keeps_group_and_deduplication_ids(self):
        url, arn = self.queue("raw.fifo")
        self.subscribe_queue(self.t, arn, RawMessageDelivery="true")
        self.publish("raw one", "g1", dedup="r1",
                     MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
        [msg] = self.receive(url, 1)
        self.assertEqual(msg["Body"], "raw one")
        self.assertEqual((msg["Attributes"]["MessageGroupId"],
                          msg["Attributes"]["MessageDeduplicationId"]), ("g1", "r1"))
        self.assertEqual(msg["MessageAttributes"]["k"]["StringValue"], "v")

    def test_fifo_rules_are_enforced(self):
        code, message, status = self.error_of(self.sns.publish, TopicArn=self.t, Message="x",
                                              MessageDeduplicationId="d")
        self.assertEqual((code, status), ("InvalidParameter", 400))
        self.assertIn("MessageGroupId", message)
        # FIFO topics deliver to queues only.
        for protocol, endpoint in [("email", "keeper@example.com"), ("sms", "+15555550100"),
                                   ("http", "http://localhost:1/hook")]:
            code, _, status = self.error_of(self.sns.subscribe, TopicArn=self.t,
                                            Protocol=protocol, Endpoint=endpoint)
            self.assertEqual((code, status), ("InvalidParameter", 400), protocol)
        # A standard topic takes neither FIFO queues nor deduplication ids.
        standard = self.topic("standard")
        _, fifo_arn = self.queue("other.fifo")
        code, _, status = self.error_of(self.subscribe_queue, standard, fifo_arn)
        self.assertEqual((code, status), ("InvalidParameter", 400))
        code, _, status = self.error_of(self.sns.publish, TopicArn=standard, Message="x",
                                        MessageDeduplicationId="d")
        self.assertEqual((code, status), ("InvalidParameter", 400))
        # A FIFO topic's name ends with .fifo, and only a FIFO topic's does.
        code, _, _ = self.error_of(self.sns.create_topic, Name="nofifo",
                                   Attributes={"FifoTopic": "true"})
        self.assertEqual(code, "InvalidParameter")
        code, _, _ = self.error_of(self.sns.create_topic, Name="plain.fifo")
        self.assertEqual(code, "InvalidParameter")
        attributes = self.sns.get_topic_attributes(TopicArn=self.t)["Attributes"]
        self.assertEqual((attributes["FifoTopic"], attributes["ContentBasedDeduplication"]),
                         ("true", "false"))


class Batches(SnsTestCase):
    def test_publish_batch_reports_successes_and_failures_per_entry(self):
        topic = self.topic()
        url, arn = self.queue("batch")
        self.subscribe_queue(topic, arn)
        bad_attribute = {"n": {"DataType": "Number", "StringValue": "not a number"}}
        result = self.sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
            {"Id": "one", "Message": "first"},
            {"Id": "bad", "Message": "broken", "MessageAttributes": bad_attribute},
            {"Id": "two", "Message": "second", "Subject": "S"},
        ])
        self.assertEqual(sorted(e["Id"] for e in result["Successful"]), ["one", "two"])
        [failed] = result["Failed"]
        # The entry fails as a Publish of it alone would.
        code, _, _ = self.error_of(self.sns.publish, TopicArn=topic, Message="broken",
                                   MessageAttributes=bad_attribute)
        self.assertEqual((failed["Id"], failed["Code"], failed["SenderFault"]), ("bad", code, True))
        ids = {e["MessageId"]: e["Id"] for e in result["Successful"]}
        delivered = {envelope_of(m["Body"])["MessageId"]: envelope_of(m["Body"])["Message"]
                     for m in self.receive(url, 2)}
        self.assertEqual({ids[k]: v for k, v in delivered.items()},
                         {"one": "first", "two": "second"})
        self.assert_nothing_more(url)

    def test_publish_batch_on_a_fifo_topic_returns_sequence_numbers(self):
        topic = self.fifo_topic()
        result = self.sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
            {"Id": "a%d" % i, "Message": "m%d" % i, "MessageGroupId": "g",
             "MessageDeduplicationId": "d%d" % i} for i in range(3)])
        numbers = [int(e["SequenceNumber"]) for e in result["Successful"]]
        self.assertEqual(len(numbers), 3)
        self.assertEqual(numbers, sorted(set(numbers)))
        self.assertEqual(result["Failed"], [])

    def test_whole_batch_errors(self):
        topic = self.topic()
        unchecked = self.broker.sns(parameter_validation=False)
        cases = [
            ([], "EmptyBatchRequest"),
            ([{"Id": str(i), "Message": "x"} for i in range(11)], "TooManyEntriesInBatchRequest"),
            ([{"Id": "same", "Message": "x"}, {"Id": "same", "Message": "y"}],
             "BatchEntryIdsNotDistinct"),
            ([{"Id": "no spaces allowed", "Message": "x"}], "InvalidBatchEntryId"),
        ]
        for entries, expected in cases:
            code, _, status = self.error_of(unchecked.publish_batch, TopicArn=topic,
                                            PublishBatchRequestEntries=entries)
            self.assertEqual((code, status), (expected, 400), entries[:2])
        code, _, status = self.error_of(self.sns.publish_batch,
                                        TopicArn=topic + "-missing",
                                        PublishBatchRequestEntries=[{"Id": "a", "Message": "x"}])
        self.assertEqual((code, status), ("NotFound", 404))


class Management(SnsTestCase):
    def test_create_topic_is_idempotent_unless_attributes_differ(self):
        arn = self.topic("alerts", DisplayName="Alerts")
        self.assertEqual(arn, "arn:aws:sns:%s:%s:alerts" % (REGION, ACCOUNT))
        self.assertEqual(self.topic("alerts", DisplayName="Alerts"), arn)
        self.assertEqual(self.sns.create_topic(Name="alerts")["TopicArn"], arn)
        code, _, status = self.error_of(self.sns.create_topic, Name="alerts",
                                        Attributes={"DisplayName": "Other"})
        self.assertEqual((code, status), ("InvalidParameter", 400))
        self.assertEqual(len(self.sns.list_topics()["Topics"]), 1)
        unchecked = self.broker.sns(parameter_validation=False)
        for bad in ["has space", "x" * 257, "", "bad!"]:
            code, _, _ = self.error_of(unchecked.create_topic, Name=bad)
            self.assertEqual(code, "InvalidParameter", bad)

    def test_listing_topics_pages_by_one_hundred(self):
        created = {self.topic("topic-%03d" % i) for i in range(105)}
        first = self.sns.list_topics()
        self.assertEqual(len(first["Topics"]), 100)
        second = self.sns.list_topics(NextToken=first["NextToken"])
        self.assertNotIn("NextToken", second)
        self.assertEqual({t["TopicArn"] for t in first["Topics"] + second["Topics"]}, created)
        # The paginator walks the same pages.
        pages = list(self.sns.get_paginator("list_topics").paginate())
        self.assertEqual(len(pages), 2)

    def test_listing_subscriptions_pages_by_one_hundred(self):
        topic = self.topic()
        other = self.topic("other")
        numbers = ["+1555%07d" % i for i in range(103)]
        arns = {self.sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint=n)["SubscriptionArn"]
                for n in numbers}
        self.sns.subscribe(TopicArn=other, Protocol="sms", Endpoint="+15559999999")
        for list_call, kwargs, total in [(self.sns.list_subscriptions_by_topic,
                                          {"TopicArn": topic}, 103),
                                         (self.sns.list_subscriptions, {}, 104)]:
            first = list_call(**kwargs)
            self.assertEqual(len(first["Subscriptions"]), 100)
            second = list_call(NextToken=first["NextToken"], **kwargs)
            self.assertNotIn("NextToken", second)
            everything = first["Subscriptions"] + second["Subscriptions"]
            self.assertEqual(len(everything), total)
            mine = [s for s in everything if s["TopicArn"] == topic]
            self.assertEqual({s["SubscriptionArn"] for s in mine}, arns)
            self.assertEqual(sorted(s["Endpoint"] for s in mine), numbers)
            for s in everything:
                self.assertEqual((s["Protocol"], s["Owner"]), ("sms", ACCOUNT))

    def test_topic_attributes(self):
        topic = self.topic()
        attributes = self.sns.get_topic_attributes(TopicArn=topic)["Attributes"]
        self.assertEqual((attributes["TopicArn"], attributes["Owner"]), (topic, ACCOUNT))
        self.assertEqual((attributes["SubscriptionsConfirmed"], attributes["SubscriptionsPending"],
                          attributes["SubscriptionsDeleted"]), ("0", "0", "0"))
        policy = json.loads(attributes["Policy"], object_pairs_hook=OrderedDict)
        self.assertEqual(list(policy)[:3], ["Version", "Id", "Statement"])
        [statement] = policy["Statement"]
        self.assertEqual((statement["Effect"], statement["Resource"]), ("Allow", topic))
        self.assertIn("SNS:Publish", statement["Action"])

        self.sns.set_topic_attributes(TopicArn=topic, AttributeName="DisplayName",
                                      AttributeValue="Dragon Alerts")
        _, arn = self.queue("confirmed")
        self.subscribe_queue(topic, arn)
        self.sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="keeper@example.com")
        attributes = self.sns.get_topic_attributes(TopicArn=topic)["Attributes"]
        self.assertEqual(attributes["DisplayName"], "Dragon Alerts")
        self.assertEqual((attributes["SubscriptionsConfirmed"], attributes["SubscriptionsPending"]),
                         ("1", "1"))
        code, _, status = self.error_of(self.sns.set_topic_attributes, TopicArn=topic,
                                        AttributeName="NoSuchAttribute", AttributeValue="x")
        self.assertEqual((code, status), ("InvalidParameter", 400))
        # ContentBasedDeduplication belongs to FIFO topics.
        code, _, _ = self.error_of(self.sns.set_topic_attributes, TopicArn=topic,
                                   AttributeName="ContentBasedDeduplication", AttributeValue="true")
        self.assertEqual(code, "InvalidParameter")

    def test_subscription_attributes_and_repeated_subscribes(self):
        topic = self.topic()
        _, arn = self.queue("q")
        sub = self.subscribe_queue(topic, arn)
        self.assertTrue(sub.startswith(topic + ":"))
        # The same endpoint subscribed again is the same subscription.
        self.assertEqual(self.subscribe_queue(topic, arn), sub)
        attributes = self.sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
        for name, value in [("SubscriptionArn", sub), ("TopicArn", topic), ("Protocol", "sqs"),
                            ("Endpoint", arn), ("Owner", ACCOUNT), ("PendingConfirmation", "false"),
                            ("RawMessageDelivery", "false")]:
            self.assertEqual(attributes[name], value, name)
        self.assertNotIn("FilterPolicy", attributes)
        self.sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                             AttributeValue='{"a": ["b"]}')
        self.sns.set_subscription_attributes(SubscriptionArn=sub,
                                             AttributeName="RawMessageDelivery",
                                             AttributeValue="true")
        attributes = self.sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
        self.assertEqual(json.loads(attributes["FilterPolicy"]), {"a": ["b"]})
        self.assertEqual(attributes["RawMessageDelivery"], "true")
        # Subscribing the endpoint again with other attributes is refused.
        code, _, status = self.error_of(self.subscribe_queue, topic, arn,
                                        RawMessageDelivery="false")
        self.assertEqual((code, status), ("InvalidParameter", 400))
        for protocol, endpoint in [("sqs", "not-an-arn"), ("http", "ftp://example.com"),
                                   ("email", "no-at-sign"), ("pigeon", "coop")]:
            code, _, status = self.error_of(self.sns.subscribe, TopicArn=topic,
                                            Protocol=protocol, Endpoint=endpoint)
            self.assertEqual((code, status), ("InvalidParameter", 400), protocol)
        code, _, status = self.error_of(self.sns.set_subscription_attributes, SubscriptionArn=sub,
                                        AttributeName="Bogus", AttributeValue="x")
        self.assertEqual((code, status), ("InvalidParameter", 400))
        # Raw delivery is for queues and HTTP/S, not SMS.
        sms = self.sns.subscribe(TopicArn=topic, Protocol="sms",
                                 Endpoint="+15555550100")["SubscriptionArn"]
        code, _, _ = self.error_of(self.sns.set_subscription_attributes, SubscriptionArn=sms,
                                   AttributeName="RawMessageDelivery", AttributeValue="true")
        self.assertEqual(code, "InvalidParameter")

    def test_unsubscribe_stops_delivery(self):
        topic = self.topic()
        kept_url, kept_arn = self.queue("kept")
        gone_url, gone_arn = self.queue("gone")
        by_url_url, by_url_arn = self.queue("by-url")
        self.subscribe_queue(topic, kept_arn)
        gone = self.subscribe_queue(topic, gone_arn)
        self.subscribe_queue(topic, by_url_arn)
        self.sns.publish(TopicArn=topic, Message="before")
        for url in (kept_url, gone_url):
            self.assertEqual(self.messages(url, 1), ["before"])
        [msg] = self.receive(by_url_url, 1)

        self.sns.unsubscribe(SubscriptionArn=gone)
        # Following a notification's UnsubscribeURL, as a plain GET, unsubscribes too.
        status, _ = self.fetch(envelope_of(msg["Body"])["UnsubscribeURL"])
        self.assertEqual(status, 200)
        remaining = self.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        self.assertEqual([s["Endpoint"] for s in remaining], [kept_arn])
        self.assertEqual(self.sns.get_topic_attributes(TopicArn=topic)["Attributes"]
                         ["SubscriptionsDeleted"], "2")
        code, _, status = self.error_of(self.sns.get_subscription_attributes, SubscriptionArn=gone)
        self.assertEqual((code, status), ("NotFound", 404))

        self.sns.publish(TopicArn=topic, Message="after")
        self.assertEqual(self.messages(kept_url, 1), ["after"])
        self.assert_nothing_more(gone_url)
        self.assert_nothing_more(by_url_url)

    def test_delete_topic_removes_its_subscriptions(self):
        topic = self.topic()
        other = self.topic("other")
        url, arn = self.queue("q")
        sub = self.subscribe_queue(topic, arn)
        kept = self.subscribe_queue(other, arn)
        self.sns.delete_topic(TopicArn=topic)
        self.assertEqual([t["TopicArn"] for t in self.sns.list_topics()["Topics"]], [other])
        self.assertEqual([s["SubscriptionArn"] for s in self.sns.list_subscriptions()
                          ["Subscriptions"]], [kept])
        for call, kwargs in [(self.sns.get_subscription_attributes, {"SubscriptionArn": sub}),
                             (self.sns.get_topic_attributes, {"TopicArn": topic}),
                             (self.sns.publish, {"TopicArn": topic, "Message": "x"}),
                             (self.sns.list_subscriptions_by_topic, {"TopicArn": topic}),
                             (self.sns.subscribe, {"TopicArn": topic, "Protocol": "sqs",
                                                   "Endpoint": arn})]:
            code, _, status = self.error_of(call, **kwargs)
            self.assertEqual((code, status), ("NotFound", 404), call.__name__)
        # Deleting a topic that is gone is not an error.
        self.sns.delete_topic(TopicArn=topic)

    def test_missing_topics_and_subscriptions_are_not_found(self):
        missing = "arn:aws:sns:%s:%s:nope" % (REGION, ACCOUNT)
        for call, kwargs in [
                (self.sns.get_topic_attributes, {"TopicArn": missing}),
                (self.sns.set_topic_attributes, {"TopicArn": missing,
                                                 "AttributeName": "DisplayName",
                                                 "AttributeValue": "x"}),
                (self.sns.publish, {"TopicArn": missing, "Message": "x"}),
                (self.sns.get_subscription_attributes,
                 {"SubscriptionArn": missing + ":8a4e4bd5-2b4c-4a55-9b0b-1a1a1a1a1a1a"})]:
            code, _, status = self.error_of(call, **kwargs)
            self.assertEqual((code, status), ("NotFound", 404), call.__name__)
        code, _, status = self.error_of(self.sns.get_topic_attributes, TopicArn="not-an-arn")
        self.assertEqual((code, status), ("InvalidParameter", 400))


class TagsAndPermissions(SnsTestCase):
    def test_tags(self):
        topic = self.sns.create_topic(Name="tagged", Tags=[{"Key": "team", "Value": "dragons"}])[
            "TopicArn"]
        def tags():
            return {t["Key"]: t["Value"] for t in
                    self.sns.list_tags_for_resource(ResourceArn=topic)["Tags"]}
        self.assertEqual(tags(), {"team": "dragons"})
        self.sns.tag_resource(ResourceArn=topic, Tags=[{"Key": "env", "Value": "test"},
                                                       {"Key": "team", "Value": "wyverns"}])
        self.assertEqual(tags(), {"team": "wyverns", "env": "test"})
        self.sns.untag_resource(ResourceArn=topic, TagKeys=["team", "not-there"])
        self.assertEqual(tags(), {"env": "test"})
        # 50 tags per resource at most.
        code, _, status = self.error_of(self.sns.tag_resource, ResourceArn=topic, Tags=[
            {"Key": "k%02d" % i, "Value": "v"} for i in range(50)])
        self.assertEqual((code, status), ("TagLimitExceeded", 400))
        self.assertEqual(tags(), {"env": "test"})
        missing = "arn:aws:sns:%s:%s:nope" % (REGION, ACCOUNT)
        for call, kwargs in [(self.sns.list_tags_for_resource, {}),
                             (self.sns.tag_resource, {"Tags": [{"Key": "a", "Value": "b"}]}),
                             (self.sns.untag_resource, {"TagKeys": ["a"]})]:
            code, _, status = self.error_of(call, ResourceArn=missing, **kwargs)
            self.assertEqual((code, status), ("ResourceNotFound", 404), call.__name__)

    def test_permissions_appear_in_the_policy(self):
        topic = self.topic()
        def statements():
            policy = self.sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"]
            return {s["Sid"]: s for s in json.loads(policy)["Statement"]}
        default = set(statements())
        self.sns.add_permission(TopicArn=topic, Label="let-them-publish",
                                AWSAccountId=["111122223333"], ActionName=["Publish"])
        added = statements()["let-them-publish"]
        self.assertEqual((added["Effect"], added["Resource"]), ("Allow", topic))
        principals = added["Principal"]["AWS"]
        principals = principals if isinstance(principals, list) else [principals]
        self.assertTrue(all("111122223333" in p for p in principals) and principals, principals)
        actions = added["Action"] if isinstance(added["Action"], list) else [added["Action"]]
        self.assertEqual(actions, ["SNS:Publish"])
        code, _, status = self.error_of(self.sns.add_permission, TopicArn=topic,
                                        Label="let-them-publish", AWSAccountId=["111122223333"],
                                        ActionName=["Publish"])
        self.assertEqual((code, status), ("InvalidParameter", 400))
        self.sns.remove_permission(TopicArn=topic, Label="let-them-publish")
        self.assertEqual(set(statements()), default)


class SmsAndEmail(SnsTestCase):
    def test_publishing_to_a_phone_number_lands_in_the_outbox(self):
        sent = self.sns.publish(PhoneNumber="+15555550199", Message="Your code is 1234")
        [text] = self.outbox(1)
        self.assertEqual((text["kind"], text["destination"], text["message"]),
                         ("sms", "+15555550199", "Your code is 1234"))
        self.assertEqual(text["message_id"], sent["MessageId"])
        code, _, status = self.error_of(self.sns.publish, PhoneNumber="not a phone", Message="x")
        self.assertEqual((code, status), ("InvalidParameter", 400))

    def test_an_sms_subscription_receives_published_messages(self):
        topic = self.topic()
        sub = self.sns.subscribe(TopicArn=topic, Protocol="sms",
                                 Endpoint="+15555550123")["SubscriptionArn"]
        self.assertTrue(sub.startswith(topic + ":"))
        sent = self.sns.publish(TopicArn=topic, Message="dragon spotted", Subject="ignored by SMS")
        [text] = self.outbox(1)
        self.assertEqual((text["kind"], text["destination"], text["message"]),
                         ("sms", "+15555550123", "dragon spotted"))
        self.assertEqual(text["message_id"], sent["MessageId"])

    def test_email_subscriptions_confirm_through_the_link_then_receive(self):
        topic = self.topic()
        pending = self.sns.subscribe(TopicArn=topic, Protocol="email",
                                     Endpoint="keeper@example.com")["SubscriptionArn"]
        self.assertEqual(pending, "pending confirmation")
        [listed] = self.sns.list_subscriptions()["Subscriptions"]
        self.assertEqual((listed["SubscriptionArn"], listed["Endpoint"]),
                         ("PendingConfirmation", "keeper@example.com"))
        # Nothing is delivered to a subscription that is not confirmed.
        self.sns.publish(TopicArn=topic, Message="too early")
        [confirmation] = self.outbox(1)
        self.assertEqual((confirmation["kind"], confirmation["destination"]),
                         ("email", "keeper@example.com"))
        self.assertIn(confirmation["subscribe_url"], confirmation["message"])

        status, body = self.fetch(confirmation["subscribe_url"])
        self.assertEqual(status, 200)
        arn = re.search(r"<SubscriptionArn>([^<]+)</SubscriptionArn>", body.decode()).group(1)
        self.assertTrue(arn.startswith(topic + ":"))
        [listed] = self.sns.list_subscriptions()["Subscriptions"]
        self.assertEqual(listed["SubscriptionArn"], arn)
        attributes = self.sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
        self.assertEqual(attributes["PendingConfirmation"], "false")
        attributes = self.sns.get_topic_attributes(TopicArn=topic)["Attributes"]
        self.assertEqual((attributes["SubscriptionsConfirmed"], attributes["SubscriptionsPending"]),
                         ("1", "0"))

        self.sns.publish(TopicArn=topic, Message="the dragon has landed", Subject="Landing")
        entries = self.outbox(2)
        mail = entries[-1]
        self.assertEqual((mail["kind"], mail["destination"], mail["message"], mail["subject"]),
                         ("email", "keeper@example.com", "the dragon has landed", "Landing"))
        self.assertNotIn("too early", [e.get("message") for e in entries])

    def test_email_json_confirmations_and_notifications_are_signed(self):
        topic = self.topic()
        arn = self.sns.subscribe(TopicArn=topic, Protocol="email-json", Endpoint="ops@example.com",
                                 ReturnSubscriptionArn=True)["SubscriptionArn"]
        # Asked for, the ARN of a pending subscription comes back; it is still pending.
        self.assertTrue(arn.startswith(topic + ":"), arn)
        self.assertEqual(self.sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
                         ["PendingConfirmation"], "true")
        self.assertEqual(self.sns.list_subscriptions()["Subscriptions"][0]["SubscriptionArn"],
                         "PendingConfirmation")
        [entry] = self.outbox(1)
        confirmation = envelope_of(entry["message"])
        self.assertEqual(list(confirmation), [
            "Type", "MessageId", "Token", "TopicArn", "Message", "SubscribeURL", "Timestamp",
            "SignatureVersion", "Signature", "SigningCertURL"])
        self.assertEqual(confirmation["Type"], "SubscriptionConfirmation")
        self.verify(confirmation)
        with self.assertRaises(InvalidSignature):
            self.verify(OrderedDict(confirmation, Token=confirmation["Token"][::-1]))
        # The token confirms through the API too.
        confirmed = self.sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])
        self.assertEqual(confirmed["SubscriptionArn"], arn)

        sent = self.sns.publish(TopicArn=topic, Message="json by mail", Subject="Hi")
        entries = self.outbox(2)
        notification = envelope_of(entries[-1]["message"])
        self.assertEqual((notification["Type"], notification["MessageId"], notification["Message"],
                          notification["Subject"]), ("Notification", sent["MessageId"],
                                                     "json by mail", "Hi"))
        self.verify(notification)

    def test_confirm_subscription_with_a_wrong_token_is_refused(self):
        topic = self.topic()
        self.sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="keeper@example.com")
        code, _, status = self.error_of(self.sns.confirm_subscription, TopicArn=topic,
                                        Token="0" * 64)
        self.assertEqual((code, status), ("InvalidParameter", 400))

    def test_sms_attributes_and_opt_out(self):
        self.sns.set_sms_attributes(attributes={"DefaultSMSType": "Transactional",
                                                "DefaultSenderID": "Wyvern"})
        got = self.sns.get_sms_attributes(attributes=["DefaultSMSType"])["attributes"]
        self.assertEqual(got, {"DefaultSMSType": "Transactional"})
        got = self.sns.get_sms_attributes()["attributes"]
        self.assertEqual((got["DefaultSMSType"], got["DefaultSenderID"]),
                         ("Transactional", "Wyvern"))
        code, _, status = self.error_of(self.sns.set_sms_attributes,
                                        attributes={"DefaultSMSType": "Loud"})
        self.assertEqual((code, status), ("InvalidParameter", 400))
        self.assertIs(self.sns.check_if_phone_number_is_opted_out(
            phoneNumber="+15555550100")["isOptedOut"], False)
        code, _, status = self.error_of(self.sns.check_if_phone_number_is_opted_out,
                                        phoneNumber="call me")
        self.assertEqual((code, status), ("InvalidParameter", 400))


class DeadLetters(SnsTestCase):
    def test_a_message_for_a_deleted_queue_goes_to_the_subscriptions_dead_letter_queue(self):
        topic = self.topic()
        gone_url, gone_arn = self.queue("gone")
        dlq_url, dlq_arn = self.queue("dead-letters")
        sub = self.subscribe_queue(topic, gone_arn,
                                   RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn}))
        self.assertEqual(json.loads(self.sns.get_subscription_attributes(SubscriptionArn=sub)
                                    ["Attributes"]["RedrivePolicy"]),
                         {"deadLetterTargetArn": dlq_arn})
        self.sqs.delete_queue(QueueUrl=gone_url)
        sent = self.sns.publish(TopicArn=topic, Message="nobody home")
        [msg] = self.receive(dlq_url, 1)
        envelope = envelope_of(msg["Body"])
        self.assertEqual((envelope["MessageId"], envelope["Message"]),
                         (sent["MessageId"], "nobody home"))
        # A failed delivery leaves the subscription as it was.
        self.sns.get_subscription_attributes(SubscriptionArn=sub)

    def test_raw_delivery_of_more_than_ten_attributes_fails_into_the_dead_letter_queue(self):
        # AWS (Amazon SNS message attributes): "Messages with more than 10 message attributes
        # directed towards Raw Message Delivery enabled Amazon SQS subscriptions will be
        # discarded as client side errors"; Amazon SNS dead-letter queues: "Messages that can't
        # be delivered due to client errors or server errors are held in the dead-letter queue".
        topic = self.topic()
        raw_url, raw_arn = self.queue("raw")
        dlq_url, dlq_arn = self.queue("dead-letters")
        self.subscribe_queue(topic, raw_arn, RawMessageDelivery="true",
                             RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn}))
        self.sns.publish(TopicArn=topic, Message="eleven attributes", MessageAttributes={
            "a%02d" % i: {"DataType": "String", "StringValue": "v"} for i in range(11)})
        [msg] = self.receive(dlq_url, 1)
        self.assertIn("eleven attributes", msg["Body"])
        self.assert_nothing_more(raw_url)


class Durability(unittest.TestCase):
    def setUp(self):
        self.dir, self.cleanup = temp_dir()
        self.broker = Broker(data_dir=self.dir).start()

    def tearDown(self):
        self.broker.kill()
        self.cleanup()

    def restart(self, hard):
        if hard:
            self.broker.kill()
        else:
            self.assertEqual(self.broker.stop(), 0)
        self.broker = Broker(data_dir=self.dir).start()
        return self.broker.sns(), self.broker.sqs()

    def queue(self, sqs, name):
        attributes = {"FifoQueue": "true"} if name.endswith(".fifo") else {}
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]

    def drain(self, sqs, url, ids):
        """Receives until every MessageId in `ids` came at least once; returns the envelopes
        received, by MessageId."""
        seen, idle = {}, 0
        while not ids <= seen.keys() and idle < 3:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                           WaitTimeSeconds=5).get("Messages", [])
            for m in messages:
                envelope = json.loads(m["Body"])
                seen[envelope["MessageId"]] = envelope
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            idle = 0 if messages else idle + 1
        self.assertEqual(ids - seen.keys(), set())
        return seen

    def populate(self):
        sns, sqs = self.broker.sns(), self.broker.sqs()
        topic = sns.create_topic(Name="durable", Attributes={"DisplayName": "Durable"},
                                 Tags=[{"Key": "keep", "Value": "me"}])["TopicArn"]
        fifo = sns.create_topic(Name="durable.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
        url, arn = self.queue(sqs, "std")
        fifo_url, fifo_arn = self.queue(sqs, "q.fifo")
        sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                            Attributes={"FilterPolicy": '{"keep": ["yes"]}'})["SubscriptionArn"]
        fifo_sub = sns.subscribe(TopicArn=fifo, Protocol="sqs",
                                 Endpoint=fifo_arn)["SubscriptionArn"]
        first = sns.publish(TopicArn=fifo, Message="first", MessageGroupId="g",
                            MessageDeduplicationId="d1")
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="keeper@example.com")
        sns.set_sms_attributes(attributes={"DefaultSMSType": "Transactional"})
        sns.publish(TopicArn=topic, Message="before",
                    MessageAttributes={"keep": {"DataType": "String", "StringValue": "yes"}})
        [before] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)["Messages"]
        sqs.delete_message(QueueUrl=url, ReceiptHandle=before["ReceiptHandle"])
        return dict(topic=topic, fifo=fifo, url=url, fifo_url=fifo_url, sub=sub,
                    fifo_sub=fifo_sub, sequence=int(first["SequenceNumber"]),
                    first=first["MessageId"], before=json.loads(before["Body"]),
                    outbox=self.broker.admin("sns/outbox")["messages"])

    def check(self, sns, sqs, state):
        self.assertEqual(sorted(t["TopicArn"] for t in sns.list_topics()["Topics"]),
                         sorted([state["topic"], state["fifo"]]))
        self.assertEqual(sorted(s["SubscriptionArn"] for s in sns.list_subscriptions()
                                ["Subscriptions"]),
                         sorted([state["sub"], state["fifo_sub"], "PendingConfirmation"]))
        attributes = sns.get_topic_attributes(TopicArn=state["topic"])["Attributes"]
        self.assertEqual((attributes["DisplayName"], attributes["SubscriptionsConfirmed"],
                          attributes["SubscriptionsPending"]), ("Durable", "1", "1"))
        self.assertEqual(sns.get_sms_attributes()["attributes"],
                         {"DefaultSMSType": "Transactional"})
        # The outbox is kept, and the pending subscription's token still confirms it.
        outbox = self.broker.admin("sns/outbox")["messages"]
        self.assertEqual(outbox, state["outbox"])
        token = outbox[0]["subscribe_url"].rsplit("Token=", 1)[1]
        confirmed = sns.confirm_subscription(TopicArn=state["topic"], Token=token)
        self.assertTrue(confirmed["SubscriptionArn"].startswith(state["topic"] + ":"))
        # The signing key is kept: a notification from before verifies against the certificate
        # served now, at the same path.
        path = urllib.parse.urlparse(state["before"]["SigningCertURL"]).path
        verify_signature(state["before"], self.broker.endpoint + path)
        self.assertEqual(sns.list_tags_for_resource(ResourceArn=state["topic"])["Tags"],
                         [{"Key": "keep", "Value": "me"}])
        self.assertEqual(json.loads(sns.get_subscription_attributes(
            SubscriptionArn=state["sub"])["Attributes"]["FilterPolicy"]), {"keep": ["yes"]})
        # The FIFO sequence only grows.
        later = sns.publish(TopicArn=state["fifo"], Message="after restart", MessageGroupId="g",
                            MessageDeduplicationId="d-after")
        self.assertGreater(int(later["SequenceNumber"]), state["sequence"])
        # Subscriptions still deliver, filters and all.
        sns.publish(TopicArn=state["topic"], Message="dropped",
                    MessageAttributes={"keep": {"DataType": "String", "StringValue": "no"}})
        kept = sns.publish(TopicArn=state["topic"], Message="kept",
                           MessageAttributes={"keep": {"DataType": "String", "StringValue": "yes"}})
        delivered = self.drain(sqs, state["url"], {kept["MessageId"]})
        self.assertEqual(list(delivered), [kept["MessageId"]])
        self.assertEqual(urllib.parse.urlparse(
            delivered[kept["MessageId"]]["SigningCertURL"]).path, path)
        self.drain(sqs, state["fifo_url"], {state["first"], later["MessageId"]})

    def test_topics_subscriptions_and_sequence_survive_a_clean_restart(self):
        state = self.populate()
        self.check(*self.restart(hard=False), state)

    def test_topics_subscriptions_and_sequence_survive_kill_9(self):
        state = self.populate()
        self.check(*self.restart(hard=True), state)

    def test_fifo_deduplication_outlasts_a_restart(self):
        # AWS (Message deduplication for FIFO topics): "any message published with the same
        # deduplication ID, within the five-minute deduplication interval, is accepted but not
        # delivered" -- a restart does not shorten the interval, and retrying after a failure is
        # what the id is for.
        sns, sqs = self.broker.sns(), self.broker.sqs()
        topic = sns.create_topic(Name="durable.fifo", Attributes={"FifoTopic": "true"})[
            "TopicArn"]
        first = sns.publish(TopicArn=topic, Message="once", MessageGroupId="g",
                            MessageDeduplicationId="retry-me")
        sns, sqs = self.restart(hard=False)
        again = sns.publish(TopicArn=topic, Message="once", MessageGroupId="g",
                            MessageDeduplicationId="retry-me")
        self.assertEqual((again["MessageId"], again["SequenceNumber"]),
                         (first["MessageId"], first["SequenceNumber"]))

    def test_acknowledged_publishes_are_delivered_after_kill_9(self):
        sns, sqs = self.broker.sns(), self.broker.sqs()
        topic = sns.create_topic(Name="durable")["TopicArn"]
        url, arn = self.queue(sqs, "std")
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        ids = {sns.publish(TopicArn=topic, Message="m%02d" % i)["MessageId"] for i in range(30)}
        batch = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
            {"Id": "b%d" % i, "Message": "b%d" % i} for i in range(10)])
        ids |= {e["MessageId"] for e in batch["Successful"]}
        sns, sqs = self.restart(hard=True)
        self.drain(sqs, url, ids)


if __name__ == "__main__":
    unittest.main()
